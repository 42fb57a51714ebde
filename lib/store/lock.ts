/**
 * A build lock: `{store}.lock` beside the store, created exclusively, holding the owner's pid,
 * host and process start time. Two builds of one store cannot run at once; a lock whose owner
 * is no longer running on this host — gone, a zombie, or a new process that reused the pid —
 * is taken over at once, so a killed build can be resumed immediately.
 *
 * Locks are re-entrant within one process (a build that holds its stores' locks runs the
 * preview pass on them), and every lock this process holds can be dropped synchronously from
 * a signal handler ({@link releaseHeldLocksSync}).
 */
import { hostname } from "node:os";
import { TesseraError } from "../errors.ts";

/** A held lock; `release` removes it (once the last holder in this process releases). */
export interface StoreLock {
  readonly path: string;
  release(): Promise<void>;
}

/** What a lock file records about its owner. */
interface LockOwner {
  pid?: number;
  host?: string;
  started?: string;
  /** Field 22 of /proc/PID/stat (start time in clock ticks since boot): tells pid reuse apart. */
  procStart?: string;
}

/** Locks this process holds, by lock-file path, with how many holders. */
const held = new Map<string, number>();

/** Field 3 (state) and field 22 (start time) of /proc/PID/stat, or undefined if no such pid. */
function procStat(pid: number): { state: string; start: string } | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // "PID (comm) S …": comm may hold spaces and parentheses, so split after the last ")".
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: rest[0], start: rest[19] };
}

/**
 * Whether a process with this pid is running on this (Linux) host: it exists, is not a zombie
 * (or dead), and — when `procStart` is given — is the same process that recorded it (same
 * start time), not a later one that reused the pid.
 *
 * @example
 * processAlive(Deno.pid); // true
 */
export function processAlive(pid: number, procStart?: string): boolean {
  const st = procStat(pid);
  if (!st) return false;
  if (st.state === "Z" || st.state === "X" || st.state === "x") return false;
  return procStart === undefined || st.start === procStart;
}

/** This process's start time as /proc records it (see {@link processAlive}). */
export function ownProcStart(): string | undefined {
  return procStat(Deno.pid)?.start;
}

function owner(): LockOwner {
  return {
    pid: Deno.pid,
    host: hostname(),
    started: new Date().toISOString(),
    procStart: ownProcStart(),
  };
}

/** True when the lock's owner is not running on this host any more. */
function stale(holder: LockOwner): boolean {
  return holder.host === hostname() && typeof holder.pid === "number" &&
    !processAlive(holder.pid, holder.procStart);
}

function lockHandle(path: string): StoreLock {
  let released = false;
  return {
    path,
    release: () => {
      if (released) return Promise.resolve();
      released = true;
      const n = (held.get(path) ?? 1) - 1;
      if (n > 0) {
        held.set(path, n);
        return Promise.resolve();
      }
      held.delete(path);
      return Deno.remove(path).catch(() => {});
    },
  };
}

/**
 * Takes the lock of `storePath` or throws StoreLocked naming the holder. Taking a lock this
 * process already holds succeeds (re-entrant); it is removed when every holder released it.
 *
 * @example
 * const lock = await acquireStoreLock("out/utm30_2024.zarr");
 * try { … } finally { await lock.release(); }
 */
export async function acquireStoreLock(storePath: string): Promise<StoreLock> {
  const path = `${storePath}.lock`;
  if (held.has(path)) {
    held.set(path, held.get(path)! + 1);
    return lockHandle(path);
  }
  const me = owner();
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await Deno.writeTextFile(path, JSON.stringify(me) + "\n", { createNew: true });
      held.set(path, 1);
      return lockHandle(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      let holder: LockOwner = {};
      try {
        holder = JSON.parse(await Deno.readTextFile(path));
      } catch (e) {
        // Gone since we tried (its owner released it): try again. Unreadable: treat as held.
        if (e instanceof Deno.errors.NotFound) continue;
      }
      if (stale(holder)) {
        await Deno.remove(path).catch(() => {});
        continue;
      }
      throw new TesseraError(
        "StoreLocked",
        `another build or preview pass (pid ${holder.pid ?? "?"} on ${holder.host ?? "?"}, since ${
          holder.started ?? "?"
        }) ` +
          `is writing this store; wait for it, or delete ${path} if that build is gone`,
        storePath,
      );
    }
  }
  throw new TesseraError("StoreLocked", `could not take ${path}`, storePath);
}

/**
 * Takes the locks of every store in `storePaths`, in order, or none: if one is held by
 * another process, the ones already taken are released and StoreLocked is thrown. A build
 * of several zones takes them all before it touches any store.
 *
 * @example
 * const locks = await acquireStoreLocks(["out/utm30_2024.zarr", "out/utm31_2024.zarr"]);
 * try { … } finally { await locks.release(); }
 */
export async function acquireStoreLocks(
  storePaths: readonly string[],
): Promise<{ locks: StoreLock[]; release(): Promise<void> }> {
  const locks: StoreLock[] = [];
  const release = async () => {
    for (const l of locks.splice(0).reverse()) await l.release();
  };
  try {
    for (const p of storePaths) locks.push(await acquireStoreLock(p));
  } catch (e) {
    await release();
    throw e;
  }
  return { locks: [...locks], release };
}

/**
 * Removes every lock file this process holds, synchronously: for a signal handler on the way
 * out, when no `finally` will run.
 */
export function releaseHeldLocksSync(): void {
  for (const path of held.keys()) {
    try {
      Deno.removeSync(path);
    } catch { /* already gone */ }
  }
  held.clear();
}
