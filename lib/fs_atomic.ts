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
  const file = await AtomicFile.open(path);
  try {
    for (const part of parts) file.write(part);
  } catch (e) {
    await file.abort();
    throw e;
  }
  return await file.commit();
}

/**
 * A file being written atomically, for writers that produce it piece by piece over time (a
 * shard appended to as its chunk rows are assembled): bytes go to a temporary sibling;
 * {@link AtomicFile.commit} flushes it, renames it over `path` and flushes the directory, as
 * {@link writePartsAtomic} does; {@link AtomicFile.abort} removes it.
 *
 * @example
 * const f = await AtomicFile.open("out/x.bin");
 * try { f.write(a); f.write(b); } catch (e) { await f.abort(); throw e; }
 * await f.commit();
 */
export class AtomicFile {
  #file: Deno.FsFile | undefined;
  #written = 0;

  private constructor(readonly path: string, readonly tmp: string, file: Deno.FsFile) {
    this.#file = file;
  }

  /** Creates the parent directory and opens a fresh temporary sibling of `path`. */
  static async open(path: string): Promise<AtomicFile> {
    await ensureDir(dirname(path));
    const tmp = tempSibling(path);
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    return new AtomicFile(path, tmp, file);
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.#written;
  }

  /** Appends `bytes` (in writes of at most 4 MiB; done when this returns). */
  write(bytes: Uint8Array): void {
    const file = this.#file;
    if (!file) throw new Error(`${this.path}: write after commit or abort`);
    for (let at = 0; at < bytes.length;) {
      at += file.writeSync(bytes.subarray(at, Math.min(bytes.length, at + WRITE_PIECE_BYTES)));
    }
    this.#written += bytes.length;
  }

  /**
   * Starts flushing what has been written so far to the disk in the background (unless fsync
   * is off, or a flush is still running), so that the disk works while the writer goes on
   * computing and {@link AtomicFile.commit}'s own flush has less left to wait for. Durability
   * is unchanged: commit still flushes everything before the rename.
   */
  flushSoFar(): void {
    if (!this.#file || this.#flushing || !fsyncEnabled()) return;
    // A second handle: an async op on the writing handle would make it busy for writeSync.
    // fdatasync flushes the file's pages whichever handle asks.
    const twin = this.#twin ??= Deno.openSync(this.tmp, { read: true });
    this.#flushing = twin.syncData().finally(() => this.#flushing = undefined);
    this.#flushing.catch(() => {}); // a failure shows again in commit's own flush
  }

  #twin?: Deno.FsFile;
  #flushing?: Promise<void>;

  /** Flushes (unless fsync is off), renames into place, flushes the directory; returns the bytes. */
  async commit(): Promise<number> {
    const file = this.#file;
    if (!file) throw new Error(`${this.path}: commit after commit or abort`);
    try {
      await this.#flushing?.catch(() => {});
      this.#closeTwin();
      if (fsyncEnabled()) file.syncDataSync();
      file.close();
      this.#file = undefined;
    } catch (e) {
      await this.abort();
      throw e;
    }
    await Deno.rename(this.tmp, this.path);
    await syncDir(dirname(this.path));
    return this.#written;
  }

  /** Closes and removes the temporary file (nothing reaches `path`). */
  async abort(): Promise<void> {
    try {
      this.#file?.close();
    } catch {
      // already closed
    }
    this.#file = undefined;
    await this.#flushing?.catch(() => {});
    this.#closeTwin();
    await Deno.remove(this.tmp).catch(() => {});
  }

  #closeTwin(): void {
    try {
      this.#twin?.close();
    } catch {
      // already closed
    }
    this.#twin = undefined;
  }
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
