/**
 * Crash-safe, durable file writes: write a temporary sibling, flush it to the disk, rename it
 * over the target, then flush the directory. A reader (or a resumed build) sees the old file
 * or the new one, never half of one — after a kill, and after a power cut too: once this
 * returns, the file and its name are on the disk, so anything written after it (a shard's
 * completion marker) can never be on the disk without it (docs/format.md, "Durability").
 */
import { dirname, join } from "node:path";

/**
 * Whether writes are flushed to the disk (fdatasync of the file, fsync of its directory). On
 * by default; `TZ_FSYNC=0` in the environment turns it off for the whole process, Web Workers
 * included (`build --no-fsync` sets it): a build then no longer survives a power cut, only a
 * kill. Read on every write, so a task may set it after this module loaded.
 */
export function fsyncEnabled(): boolean {
  return Deno.env.get("TZ_FSYNC") !== "0";
}

/** Flushes a directory's entries (a rename or a new name in it) to the disk. */
export async function syncDir(dir: string): Promise<void> {
  if (!fsyncEnabled()) return;
  using d = await Deno.open(dir, { read: true });
  await d.sync();
}

/**
 * Writes `bytes` to `path` atomically, creating the parent directory.
 *
 * @example
 * await writeFileAtomic("out/_stores.json", new TextEncoder().encode("[]"));
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await writePartsAtomic(path, [bytes]);
}

/** Largest single write(2): one huge write is ~10× slower than 4 MiB ones (docs/benchmarks.md). */
const WRITE_PIECE_BYTES = 4 << 20;

/**
 * Writes the concatenation of `parts` to `path` atomically, without joining them in memory
 * (a 128 MiB shard streams from its buffer), in writes of at most 4 MiB. Returns the bytes.
 *
 * @example
 * await writePartsAtomic("out/x.bin", [header, body]);
 */
export async function writePartsAtomic(path: string, parts: Iterable<Uint8Array>): Promise<number> {
  await ensureDir(dirname(path));
  const tmp = tempSibling(path);
  let written = 0;
  try {
    using file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    for (const part of parts) {
      for (let at = 0; at < part.length;) {
        at += file.writeSync(part.subarray(at, Math.min(part.length, at + WRITE_PIECE_BYTES)));
      }
      written += part.length;
    }
    if (fsyncEnabled()) file.syncDataSync();
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  await Deno.rename(tmp, path);
  await syncDir(dirname(path));
  return written;
}

/**
 * Creates `dir` and any missing parents; with fsync on, each new directory's name is flushed in
 * its parent, so a durable file below it is reachable after a power cut.
 */
export async function ensureDir(dir: string): Promise<void> {
  try {
    if ((await Deno.stat(dir)).isDirectory) return;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (!fsyncEnabled()) return void await Deno.mkdir(dir, { recursive: true });
  const parent = dirname(dir);
  if (parent !== dir) await ensureDir(parent);
  try {
    await Deno.mkdir(dir);
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e; // made by another writer meanwhile
  }
  await syncDir(parent);
}

/** A unique temporary name next to `path` (`{path}.tmp-{12 hex}`), recognisable by TEMP_SUFFIX. */
export function tempSibling(path: string): string {
  const hex = Array.from(
    crypto.getRandomValues(new Uint8Array(6)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return join(dirname(path), `${path.slice(dirname(path).length + 1)}.tmp-${hex}`);
}

/** Matches names made by {@link tempSibling}. */
export const TEMP_SUFFIX = /\.tmp-[0-9a-f]{12}$/;
