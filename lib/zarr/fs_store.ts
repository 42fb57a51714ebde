/**
 * A minimal local-directory key/value store for writing Zarr stores, plus a read adapter for
 * zarrita. Writes go to a temporary sibling and are renamed into place, so a crash or a kill
 * never leaves a partial object under a real key (SPEC §4.5).
 *
 * It also keeps the root's inline consolidated metadata (consolidated.ts) current, by
 * construction: every write or delete of a node document (`zarr.json`, `…/zarr.json`) through
 * it, and every {@link FsStore.deleteTree}, rewrites the root `zarr.json` with a block
 * collected from the node documents on disk at that moment, and a root group document written
 * through it gets the block before it reaches the disk. No pass has to remember to
 * consolidate; a node document written behind its back (not through `set`) is the only way
 * to make the block stale, and `deno task verify` reports that.
 */

import { join } from "node:path";
import type { AbsolutePath, AsyncReadable, GetOptions, RangeQuery } from "../deps/zarrita.ts";
import { TesseraError } from "../errors.ts";
import { TEMP_SUFFIX, writeFileAtomic } from "../fs_atomic.ts";
import { consolidatedBlock, isGroupDocument, withConsolidated } from "./consolidated.ts";
import { jsonBytes } from "./metadata.ts";

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

  /**
   * Writes an object atomically (temporary file + rename), creating parent directories. A
   * node document refreshes the root's consolidated metadata (the root's own document gets
   * it merged in before it is written).
   */
  async set(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.#path(key);
    if (key === ROOT_DOC) {
      await this.#serial(async () => {
        const doc = parseJson(bytes);
        const merged = isGroupDocument(doc)
          ? jsonBytes(withConsolidated(doc, consolidatedBlock(await nodeDocuments(this.root))))
          : bytes;
        await writeFileAtomic(path, merged);
      });
      return;
    }
    await writeFileAtomic(path, bytes);
    if (isNodeDocumentKey(key)) await this.consolidate();
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

  /** Deletes an object; false when it did not exist. A node document re-consolidates. */
  async delete(key: string): Promise<boolean> {
    const path = this.#path(key);
    const gone = (await missingAsUndefined(() => Deno.remove(path).then(() => true))) ?? false;
    if (gone && key !== ROOT_DOC && isNodeDocumentKey(key)) await this.consolidate();
    return gone;
  }

  /**
   * Deletes the node (array or group) at `prefix` with everything under it. The root's
   * consolidated metadata drops the node's entries first, so a reader never finds a node
   * listed that is gone (a crash in between leaves unlisted objects, never listed absent ones).
   *
   * @example
   * ```ts
   * await store.deleteTree("rgb_overviews");
   * ```
   */
  async deleteTree(prefix: string): Promise<void> {
    const path = this.#path(prefix);
    await this.consolidate(prefix);
    await Deno.remove(path, { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }

  /**
   * Rewrites the root `zarr.json` with inline consolidated metadata collected from the node
   * documents now on disk (nodes under `exclude` left out); nothing happens when the root is
   * not a group document, or when the block is already current.
   *
   * @example
   * ```ts
   * await new FsStore("out/utm30_2024.zarr").consolidate();
   * ```
   */
  async consolidate(exclude?: string): Promise<void> {
    await this.#serial(async () => {
      const path = join(this.root, ROOT_DOC);
      const old = await missingAsUndefined(() => Deno.readFile(path));
      const doc = old && parseJson(old);
      if (!isGroupDocument(doc)) return;
      const docs = await nodeDocuments(this.root, exclude);
      const next = jsonBytes(withConsolidated(doc, consolidatedBlock(docs)));
      if (!sameBytes(old!, next)) await writeFileAtomic(path, next);
    });
  }

  /** Runs root rewrites of this directory one at a time (within this process). */
  async #serial<T>(f: () => Promise<T>): Promise<T> {
    const before = ROOT_WRITES.get(this.root) ?? Promise.resolve();
    const run = before.then(f, f);
    const tail = run.then(() => {}, () => {});
    ROOT_WRITES.set(this.root, tail);
    try {
      return await run;
    } finally {
      if (ROOT_WRITES.get(this.root) === tail) ROOT_WRITES.delete(this.root);
    }
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

const ROOT_DOC = "zarr.json";
/** Pending root rewrites per store directory, so two in one process never interleave. */
const ROOT_WRITES = new Map<string, Promise<void>>();

function isNodeDocumentKey(key: string): boolean {
  return key === ROOT_DOC || key.endsWith(`/${ROOT_DOC}`);
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The documents of every node below the root of the hierarchy at `root` (path → document), as
 * zarr-python finds them: a child directory with a parseable `zarr.json` is a node; groups are
 * descended into, arrays are not (their chunks are never listed). Nodes at or under `exclude`
 * are left out.
 *
 * @example
 * ```ts
 * (await nodeDocuments("out/utm30_2024.zarr")).get("scales")?.shape; // [2280, 1476]
 * ```
 */
export async function nodeDocuments(
  root: string,
  exclude?: string,
): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  const walk = async (rel: string): Promise<void> => {
    const entries = await missingAsUndefined(() =>
      Array.fromAsync(Deno.readDir(rel ? join(root, rel) : root))
    );
    for (const e of (entries ?? []).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (!e.isDirectory || TEMP.test(e.name)) continue;
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (exclude !== undefined && (path === exclude || path.startsWith(`${exclude}/`))) continue;
      const bytes = await missingAsUndefined(() => Deno.readFile(join(root, path, ROOT_DOC)));
      const doc = bytes && parseJson(bytes);
      if (!doc || typeof doc !== "object" || Array.isArray(doc)) continue;
      const node = doc as Record<string, unknown>;
      if (node.node_type !== "array" && node.node_type !== "group") continue;
      out.set(path, node);
      if (node.node_type === "group") await walk(path);
    }
  };
  await walk("");
  return out;
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
