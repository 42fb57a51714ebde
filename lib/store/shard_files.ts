/**
 * Which shards of a local store's grid array exist, from the directory listing (an absent
 * shard is fill, so this is the set of shards with data): for the manifests and the preview
 * passes. Handles the Zarr v3 `default` (`c/r/c`, `c.r.c`) and `v2` (`r/c`, `r.c`) chunk key
 * encodings. Local files only (Deno); everything else in lib/store is storage-agnostic.
 */
import { join } from "node:path";
import { FsStore } from "../zarr/fs_store.ts";
import { type NodeDocument, readDocument } from "./documents.ts";
import { documentKey, shardGridShape } from "./layout.ts";

/** Canonical chunk-key integers only (no "01", no temporaries). */
const INDEX = /^(0|[1-9]\d*)$/;

/**
 * `[row, col]` of every shard file of the 2-D array (or 3-D array whose shards span the last
 * axis) at `arrayDir` whose document is `doc`, inside the shard grid, in row-major order.
 * Strays — temporaries, non-canonical or out-of-grid names, directories where a shard file
 * would be — are ignored.
 *
 * @example
 * ```ts
 * await listShardFiles("out/utm30_2024.zarr/scales", scalesDoc); // [[0, 0], [0, 1], …]
 * ```
 */
export async function listShardFiles(
  arrayDir: string,
  doc: NodeDocument,
): Promise<[number, number][]> {
  const shape = doc.shape ?? [];
  const chunk = doc.chunk_grid?.configuration?.chunk_shape ?? [];
  if (shape.length < 2 || chunk.length !== shape.length) return [];
  const [rows, cols] = shardGridShape(shape[0], shape[1], [chunk[0], chunk[1]]);
  // Axes after the second have one chunk each (shards span them): their index is always 0.
  const tail = shape.slice(2).map(() => "0");
  const encoding = doc.chunk_key_encoding as
    | { name?: string; configuration?: { separator?: string } }
    | undefined;
  const v2 = encoding?.name === "v2";
  const sep = encoding?.configuration?.separator ?? (v2 ? "." : "/");
  const out: [number, number][] = [];
  const add = (r: string, c: string) => {
    if (INDEX.test(r) && INDEX.test(c) && +r < rows && +c < cols) out.push([+r, +c]);
  };
  if (sep === "/") {
    const base = v2 ? arrayDir : join(arrayDir, "c");
    for (const r of await entries(base)) {
      if (!r.isDirectory || !INDEX.test(r.name)) continue;
      for (const c of await entries(join(base, r.name))) {
        if (tail.length === 0 ? c.isFile : await isFile(join(base, r.name, c.name, ...tail))) {
          add(r.name, c.name);
        }
      }
    }
  } else {
    const prefix = v2 ? "" : `c${sep}`;
    for (const e of await entries(arrayDir)) {
      if (!e.isFile || !e.name.startsWith(prefix)) continue;
      const parts = e.name.slice(prefix.length).split(sep);
      if (parts.length === 2 + tail.length && parts.slice(2).every((p) => p === "0")) {
        add(parts[0], parts[1]);
      }
    }
  }
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

async function entries(dir: string): Promise<Deno.DirEntry[]> {
  try {
    return await Array.fromAsync(Deno.readDir(dir));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return [];
    throw e;
  }
}

async function isFile(path: string): Promise<boolean> {
  return (await Deno.lstat(path).catch(() => undefined))?.isFile === true;
}

/**
 * `[row, col]` of every shard file of array `array` of the local store at `storeDir` (see
 * {@link listShardFiles}); empty when the array has no document.
 *
 * @example
 * ```ts
 * await listArrayShards("out/utm30_2024.zarr", "scales"); // [[0, 0], [0, 1], …]
 * ```
 */
export async function listArrayShards(
  storeDir: string,
  array: string,
): Promise<[number, number][]> {
  const doc = await readDocument(new FsStore(storeDir), documentKey(array), storeDir);
  return doc ? await listShardFiles(join(storeDir, array), doc) : [];
}
