/**
 * A minimal local-directory key/value store for writing Zarr stores, plus a read adapter for
 * zarrita. Writes go to a temporary sibling and are renamed into place, so a crash or a kill
 * never leaves a partial object under a real key (SPEC §4.5).
 */

import { join } from "node:path";
import type { AbsolutePath, AsyncReadable, GetOptions, RangeQuery } from "../deps/zarrita.ts";
import { TesseraError } from "../errors.ts";
import { TEMP_SUFFIX, writeFileAtomic } from "../fs_atomic.ts";

/** A byte range: `length` bytes from `offset`, or the last `suffixLength` bytes. */
export type ByteRange = RangeQuery;

/** Temporary objects are `<key>.tmp-<random>`; listings skip them, `sweepTemps` removes them. */
const TEMP = TEMP_SUFFIX;

/**
 * A Zarr v3 store in a local directory. Keys are relative, "/"-separated paths such as
 * `embeddings/c/0/1/0`; keys with backslashes, a leading "/", or empty, "." or ".." segments
 * are a "BadArgument" error, so no key can reach outside the root.
 *
 * @example
 * ```ts
 * const store = new FsStore("out/utm30_2024.zarr");
 * await store.set("zarr.json", jsonBytes(groupMetadata(attrs)));
 * const tail = await store.get("scales/c/0/0", { suffixLength: 16 * 16 + 4 });
 * ```
 */
export class FsStore {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /** Writes an object atomically (temporary file + rename), creating parent directories. */
  async set(key: string, bytes: Uint8Array): Promise<void> {
    await writeFileAtomic(this.#path(key), bytes);
  }

  /**
   * Reads an object, or a byte range of it; undefined when it does not exist. Like HTTP, a
   * range reaching past the end yields the bytes that exist and a suffix longer than the
   * object yields all of it.
   */
  async get(key: string, range?: ByteRange): Promise<Uint8Array | undefined> {
    const path = this.#path(key);
    if (!range) return await missingAsUndefined(() => Deno.readFile(path));
    checkRange(range);
    const file = await missingAsUndefined(() => Deno.open(path, { read: true }));
    if (!file) return undefined;
    try {
      const size = (await file.stat()).size;
      const start = "suffixLength" in range
        ? Math.max(0, size - range.suffixLength)
        : Math.min(range.offset, size);
      const end = "suffixLength" in range ? size : Math.min(range.offset + range.length, size);
      const out = new Uint8Array(end - start);
      await file.seek(start, Deno.SeekMode.Start);
      for (let at = 0; at < out.length;) {
        const n = await file.read(out.subarray(at));
        if (n === null) throw new TesseraError("BadStore", "object shrank while reading", path);
        at += n;
      }
      return out;
    } finally {
      file.close();
    }
  }

  /** True when the object exists. */
  async has(key: string): Promise<boolean> {
    const info = await missingAsUndefined(() => Deno.stat(this.#path(key)));
    return info?.isFile ?? false;
  }

  /** Deletes an object; false when it did not exist. */
  async delete(key: string): Promise<boolean> {
    const path = this.#path(key);
    return (await missingAsUndefined(() => Deno.remove(path).then(() => true))) ?? false;
  }

  /** Every key starting with `prefix` (plain string prefix, as in object stores), sorted. */
  async list(prefix = ""): Promise<string[]> {
    const keys = (await this.#walk(prefix)).filter((k) => !TEMP.test(k));
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }

  /** Removes temporaries a crashed writer left behind; returns how many. */
  async sweepTemps(): Promise<number> {
    const temps = (await this.#walk("")).filter((k) => TEMP.test(k));
    for (const k of temps) await Deno.remove(join(this.root, k)).catch(() => {});
    return temps.length;
  }

  async #walk(prefix: string): Promise<string[]> {
    // Only descend from the deepest directory the prefix names.
    const cut = prefix.lastIndexOf("/");
    const dir = cut < 0 ? "" : prefix.slice(0, cut);
    if (dir) checkKey(dir);
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      const entries = await missingAsUndefined(() =>
        Array.fromAsync(Deno.readDir(join(this.root, rel)))
      );
      for (const e of entries ?? []) {
        const key = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory) await walk(key);
        else if (e.isFile) out.push(key);
      }
    };
    await walk(dir);
    return out;
  }

  #path(key: string): string {
    checkKey(key);
    return join(this.root, key);
  }
}

/**
 * A zarrita-readable view of a local store directory (zarrita asks for keys like
 * "/embeddings/zarr.json" and needs `getRange` to read shards).
 *
 * @example
 * ```ts
 * const group = await zarr.open.v3(zarr.root(fsReadable(dir)), { kind: "group" });
 * ```
 */
export function fsReadable(root: string): AsyncReadable {
  const store = new FsStore(root);
  return {
    async get(key: AbsolutePath, opts?: GetOptions) {
      opts?.signal?.throwIfAborted();
      return await store.get(key.slice(1));
    },
    async getRange(key: AbsolutePath, range: RangeQuery, opts?: GetOptions) {
      opts?.signal?.throwIfAborted();
      return await store.get(key.slice(1), range);
    },
  };
}

function checkKey(key: string): void {
  const ok = typeof key === "string" && key !== "" && !key.includes("\\") &&
    !key.includes("\0") && !key.startsWith("/") &&
    key.split("/").every((s) => s !== "" && s !== "." && s !== "..");
  if (!ok) {
    throw new TesseraError(
      "BadArgument",
      `invalid store key ${JSON.stringify(key)}: use a relative "/"-separated path without ` +
        `".", ".." or empty segments and without backslashes`,
    );
  }
}

function checkRange(range: ByteRange): void {
  const nat = (n: number) => Number.isSafeInteger(n) && n >= 0;
  const ok = "suffixLength" in range
    ? nat(range.suffixLength)
    : nat(range.offset) && nat(range.length);
  if (!ok) throw new TesseraError("BadArgument", `invalid byte range ${JSON.stringify(range)}`);
}

async function missingAsUndefined<T>(f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    // A path through a file (ENOTDIR) is as absent as a missing one.
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw e;
  }
}
