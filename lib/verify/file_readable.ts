/**
 * A zarrita store over a local directory for reading one shard back: it keeps each file it
 * touches open and serves byte ranges with synchronous seek + read, instead of an open, stat,
 * seek, read and close per inner chunk (1024 of them per embeddings shard) as a general store
 * does. Reads from the page cache take microseconds, so blocking is cheaper than five async
 * file operations; this runs in a verify worker that has nothing else to do meanwhile.
 */
import { join } from "node:path";
import type { AbsolutePath, AsyncReadable, RangeQuery } from "../deps/zarrita.ts";

/** A readable store whose open files must be released with `close()`. */
export interface ClosableReadable extends AsyncReadable {
  close(): void;
}

/**
 * Opens a reader on the store directory `root`; keys are resolved under it (zarrita's keys are
 * absolute paths within the store, so they cannot climb out).
 *
 * @example
 * const store = fileReadable(path);
 * try { await zarr.get(await zarr.open.v3(zarr.root(store).resolve("scales"), { kind: "array" })); }
 * finally { store.close(); }
 */
export function fileReadable(root: string): ClosableReadable {
  const files = new Map<string, { file: Deno.FsFile; size: number } | null>();
  const open = (key: AbsolutePath) => {
    if (key.split("/").some((s) => s === "..")) throw new Error(`bad store key ${key}`);
    let f = files.get(key);
    if (f === undefined) {
      try {
        const file = Deno.openSync(join(root, key.slice(1)), { read: true });
        f = { file, size: file.statSync().size };
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory)) throw e;
        f = null;
      }
      files.set(key, f);
    }
    return f;
  };
  const read = (key: AbsolutePath, start: number, end: number): Uint8Array | undefined => {
    const f = open(key);
    if (!f) return undefined;
    start = Math.max(0, Math.min(start, f.size));
    end = Math.max(start, Math.min(end, f.size));
    const out = new Uint8Array(end - start);
    f.file.seekSync(start, Deno.SeekMode.Start);
    for (let at = 0; at < out.length;) {
      const n = f.file.readSync(out.subarray(at));
      if (n === null || n === 0) {
        throw new Error(`${key} ended at byte ${start + at}, expected ${end}`);
      }
      at += n;
    }
    return out;
  };
  return {
    // async so that errors reject instead of throwing at the call.
    // deno-lint-ignore require-await
    async get(key: AbsolutePath) {
      return read(key, 0, Number.MAX_SAFE_INTEGER);
    },
    // deno-lint-ignore require-await
    async getRange(key: AbsolutePath, range: RangeQuery) {
      if ("suffixLength" in range) {
        const size = open(key)?.size ?? 0;
        return read(key, size - range.suffixLength, size);
      }
      const { offset, length } = range;
      if (
        !Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0
      ) {
        throw new Error(`invalid byte range ${offset}+${length} in ${key}`);
      }
      return read(key, offset, offset + length);
    },
    close() {
      for (const f of files.values()) f?.file.close();
      files.clear();
    },
  };
}
