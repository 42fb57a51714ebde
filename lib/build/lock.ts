/**
 * A build lock: `{store}.lock` beside the store, created exclusively, holding the owner's
 * pid and host. Two builds of one store cannot run at once; a lock left by a process that no
 * longer exists on this host is taken over (a killed build must be resumable).
 */
import { hostname } from "node:os";
import { TesseraError } from "../errors.ts";

/** A held lock; `release` removes it. */
export interface StoreLock {
  readonly path: string;
  release(): Promise<void>;
}

/** Whether a process with this pid exists on this (Linux) host. */
export function processAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Takes the lock of `storePath` or throws StoreLocked naming the holder.
 *
 * @example
 * const lock = await acquireStoreLock("out/utm30_2024.zarr");
 * try { … } finally { await lock.release(); }
 */
export async function acquireStoreLock(storePath: string): Promise<StoreLock> {
  const path = `${storePath}.lock`;
  const me = { pid: Deno.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await Deno.writeTextFile(path, JSON.stringify(me) + "\n", { createNew: true });
      return { path, release: () => Deno.remove(path).catch(() => {}) };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      let holder: { pid?: number; host?: string; started?: string } = {};
      try {
        holder = JSON.parse(await Deno.readTextFile(path));
      } catch { /* unreadable lock: treat as held */ }
      const stale = holder.host === me.host && typeof holder.pid === "number" &&
        !processAlive(holder.pid);
      if (stale && attempt === 0) {
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
