/**
 * Progress of long work, on stderr so `--json` output on stdout stays clean: a bar when stderr
 * is a terminal; otherwise (CI logs, pipes, `deno task demo > log`) a plain line such as
 * `utm30: 12/40 shards (30%), 3.1 s` at most every 5 s (`$TZ_PROGRESS_INTERVAL_MS`; 0 prints
 * every step), and a last one when the work ends if any was printed. Silent when `quiet`.
 */
import cliProgress from "../deps/cli_progress.ts";
import process from "node:process";

/** A progress reporter; `tick` advances, `stop` finishes the line. */
export interface Progress {
  tick(n?: number): void;
  stop(): void;
}

/** Options of {@link progress}. */
export interface ProgressOptions {
  quiet?: boolean;
  /** What is counted, for the plain lines ("shards", "tiles"); default "steps". */
  unit?: string;
}

/** Milliseconds between plain progress lines. */
const DEFAULT_INTERVAL_MS = 5000;

function plainIntervalMs(): number {
  const v = Deno.env.get("TZ_PROGRESS_INTERVAL_MS");
  const n = v === undefined || v.trim() === "" ? NaN : Number(v);
  return Number.isFinite(n) && n >= 0 ? n : DEFAULT_INTERVAL_MS;
}

/**
 * Starts reporting progress of `total` steps labelled `label`.
 *
 * @example
 * const p = progress("scan", tiles.length, { unit: "tiles" });
 * for (const t of tiles) { check(t); p.tick(); }
 * p.stop();
 */
export function progress(label: string, total: number, opts: ProgressOptions = {}): Progress {
  if (opts.quiet || total <= 0) return { tick() {}, stop() {} };
  if (!Deno.stderr.isTerminal()) return plainProgress(label, total, opts.unit ?? "steps");
  const bar = new cliProgress.SingleBar({
    format: `${
      label.padEnd(10)
    } [{bar}] {percentage}% | {value}/{total} | {duration_formatted} | eta {eta_formatted}`,
    stream: process.stderr,
    hideCursor: true,
    etaBuffer: 50,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return {
    tick: (n = 1) => bar.increment(n),
    stop: () => bar.stop(),
  };
}

/** Plain lines for logs: no cursor movement, no colours, one line per report. */
function plainProgress(label: string, total: number, unit: string): Progress {
  const intervalMs = plainIntervalMs();
  const t0 = performance.now();
  let done = 0, lastAt = t0, printed = -1, stopped = false;
  const print = (now: number) => {
    const pct = Math.floor((100 * done) / total);
    const s = ((now - t0) / 1000).toFixed(1);
    console.error(`${label}: ${done}/${total} ${unit} (${pct}%), ${s} s`);
    printed = done;
    lastAt = now;
  };
  return {
    tick(n = 1) {
      if (stopped) return;
      done = Math.min(total, done + n);
      const now = performance.now();
      if (now - lastAt >= intervalMs) print(now);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      // The end is worth a line only in a log that already shows the work going on.
      if (printed >= 0 && printed !== done) print(performance.now());
    },
  };
}
