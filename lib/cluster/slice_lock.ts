/**
 * Locks of a sliced build. Slices of one plan write disjoint shards of a store, so they do not
 * exclude one another: each slice holds only `{store}.slice-K-of-N.lock` (two copies of one
 * slice cannot run at once). What must not overlap a running slice is anything that writes
 * the whole store — a one-machine build, a preview pass, the finalise step — and those hold
 * `{store}.lock` (lib/store/lock.ts). Each side takes its own lock and then looks for the
 * other's, so whichever comes second sees the first and backs off. Lock files use the format
 * and the stale-owner rules of lib/store/lock.ts (a dead, zombie or reused pid on this host
 * holds nothing; a lock from another host is never taken over).
 */
import { basename, dirname, join } from "node:path";
import { hostname } from "node:os";
import { TesseraError } from "../errors.ts";
import { acquireStoreLock, processAlive, type StoreLock } from "../store/lock.ts";
import type { SliceSpec } from "./shard_flag.ts";

/** What a lock file says about its owner (lib/store/lock.ts writes it). */
export interface LockOwner {
  pid?: number;
  host?: string;
  started?: string;
  procStart?: string;
}

/** A slice lock found beside a store. */
export interface SliceLockFile {
  readonly k: number;
  readonly n: number;
  readonly path: string;
  readonly owner: LockOwner;
  /** Its owner is (or may be: another host) still running. */
  readonly live: boolean;
}

/** `{store}.slice-K-of-N.lock`. */
export function sliceLockPath(storePath: string, slice: SliceSpec): string {
  return `${storePath}.slice-${slice.k}-of-${slice.n}.lock`;
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as LockOwner;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    return {}; // unreadable: treated as held, as lib/store/lock.ts does
  }
}

/** True unless the owner is known to be gone (same host, pid dead, zombie or reused). */
function ownerLive(owner: LockOwner): boolean {
  if (owner.host !== hostname() || typeof owner.pid !== "number") return true;
  if (owner.pid === Deno.pid) return false; // this process: not another writer
  return processAlive(owner.pid, owner.procStart);
}

function describeOwner(o: LockOwner): string {
  return `pid ${o.pid ?? "?"} on ${o.host ?? "?"}, since ${o.started ?? "?"}`;
}

/**
 * Takes the slice locks of `storePaths` for `slice` (all or none), then checks that no
 * whole-store writer holds `{store}.lock`. Throws StoreLocked naming the holder and the fix.
 *
 * @example
 * const locks = await acquireSliceLocks(["out/utm30_2024.zarr"], { k: 0, n: 3 });
 * try { … } finally { await locks.release(); }
 */
export async function acquireSliceLocks(
  storePaths: readonly string[],
  slice: SliceSpec,
): Promise<{ release(): Promise<void> }> {
  const locks: StoreLock[] = [];
  const release = async () => {
    for (const l of locks.splice(0).reverse()) await l.release();
  };
  try {
    for (const store of storePaths) {
      const lockBase = sliceLockPath(store, slice).replace(/\.lock$/, "");
      try {
        locks.push(await acquireStoreLock(lockBase));
      } catch (e) {
        if (!(e instanceof TesseraError) || e.kind !== "StoreLocked") throw e;
        const owner = await readOwner(`${lockBase}.lock`) ?? {};
        throw new TesseraError(
          "StoreLocked",
          `slice ${slice.k}/${slice.n} is already running (${describeOwner(owner)}); two ` +
            `copies of one slice cannot write at once. Wait for it, or, if the scheduler ` +
            `says that task is gone, delete ${lockBase}.lock and run it again`,
          store,
        );
      }
    }
    for (const store of storePaths) {
      const owner = await readOwner(`${store}.lock`);
      if (owner && ownerLive(owner)) {
        throw new TesseraError(
          "StoreLocked",
          `a one-machine build, preview pass or finalise step (${describeOwner(owner)}) is ` +
            `writing this store, so slice ${slice.k}/${slice.n} cannot start; wait for it, or ` +
            `delete ${store}.lock if that process is gone`,
          store,
        );
      }
    }
  } catch (e) {
    await release();
    throw e;
  }
  return { release };
}

/**
 * The slice lock files beside `storePath`, with whether their owners may still be running.
 *
 * @example
 * (await sliceLocks("out/utm30_2024.zarr")).filter((l) => l.live); // slices running now
 */
export async function sliceLocks(storePath: string): Promise<SliceLockFile[]> {
  const dir = dirname(storePath), name = basename(storePath);
  const pattern = /^(.+)\.slice-(\d+)-of-(\d+)\.lock$/;
  const out: SliceLockFile[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch {
    return out;
  }
  for (const e of entries) {
    const m = pattern.exec(e.name);
    if (!m || m[1] !== name) continue;
    const path = join(dir, e.name);
    const owner = await readOwner(path);
    if (!owner) continue;
    out.push({ k: +m[2], n: +m[3], path, owner, live: ownerLive(owner) });
  }
  return out.sort((a, b) => a.n - b.n || a.k - b.k);
}

/**
 * Throws StoreLocked when a slice may still be writing `storePath`: for whole-store writers
 * (finalise, a one-machine build), after they took `{store}.lock`. Stale slice locks (their
 * owner gone) are removed.
 */
export async function assertNoSliceRunning(storePath: string, what: string): Promise<void> {
  const locks = await sliceLocks(storePath);
  const live = locks.filter((l) => l.live);
  for (const l of locks.filter((l) => !l.live)) await Deno.remove(l.path).catch(() => {});
  if (live.length === 0) return;
  throw new TesseraError(
    "StoreLocked",
    `${what} must wait: slice${live.length > 1 ? "s" : ""} ${
      live.map((l) => `${l.k}/${l.n} (${describeOwner(l.owner)})`).join(", ")
    } still writing this store. Wait for ${live.length > 1 ? "them" : "it"}, or, if the ` +
      `scheduler says ${live.length > 1 ? "those tasks are" : "that task is"} gone, delete ` +
      live.map((l) => l.path).join(" "),
    storePath,
  );
}
