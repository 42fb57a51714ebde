/**
 * Ctrl-C and SIGTERM for tasks that write stores. The first signal aborts the work through an
 * AbortSignal — shards being written are finished, nothing new is started, locks are released
 * by the normal `finally` paths — so the task can say what was finished and how to continue.
 * A second signal stops at once (removing this process's lock files on the way out).
 */
import { releaseHeldLocksSync } from "../store/lock.ts";
import { TesseraError } from "../errors.ts";

/** Exit codes of a process stopped by a signal, as a shell reports them (128 + signal number). */
export const SIGNAL_EXIT: Record<InterruptSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/** The signals a task handles. */
export type InterruptSignal = "SIGINT" | "SIGTERM";

/** A task's interrupt handling, from {@link onInterrupt}. */
export interface Interrupt {
  /** Aborted (with an `Interrupted` TesseraError as reason) by the first signal. */
  readonly signal: AbortSignal;
  /** The signal received, if any. */
  readonly received: InterruptSignal | undefined;
  /** Removes the signal listeners. */
  dispose(): void;
}

/**
 * Installs SIGINT/SIGTERM handlers for a long task.
 *
 * @example
 * const stop = onInterrupt("build");
 * try { await buildZone(plan, { …, signal: stop.signal }); }
 * catch (e) { if (stop.received) return SIGNAL_EXIT[stop.received]; throw e; }
 * finally { stop.dispose(); }
 */
export function onInterrupt(task: string): Interrupt {
  const ac = new AbortController();
  let received: InterruptSignal | undefined;
  const handlers = (["SIGINT", "SIGTERM"] as const).map((sig) => {
    const handler = () => {
      if (received) {
        releaseHeldLocksSync();
        console.error(`${task}: ${sig} again — stopping now`);
        Deno.exit(SIGNAL_EXIT[sig]);
      }
      received = sig;
      ac.abort(
        new TesseraError(
          "Interrupted",
          `interrupted by ${sig}; finishing the shards being written (${sig} again stops now)`,
        ),
      );
    };
    Deno.addSignalListener(sig, handler);
    return [sig, handler] as const;
  });
  return {
    signal: ac.signal,
    get received() {
      return received;
    },
    dispose() {
      for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
    },
  };
}

/**
 * The command line that continues an interrupted task: the same arguments, with `--resume`
 * in place of `--overwrite`/`--repair` (the store is unfinished now, so a resume is what
 * continues it), quoted for a POSIX shell.
 *
 * @example
 * resumeCommand("build", ["/data", "--zones", "30", "--overwrite"]);
 * // "deno task build /data --zones 30 --resume"
 */
export function resumeCommand(task: string, args: readonly string[]): string {
  const kept = args.filter((a) => a !== "--overwrite" && a !== "--repair" && a !== "--resume");
  const quote = (a: string) => /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`;
  return ["deno", "task", task, ...kept.map(quote), "--resume"].join(" ");
}
