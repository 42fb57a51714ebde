/**
 * Reading a zone store for the preview passes: its metadata, whole shards read straight from
 * their files (one sequential read into a reused buffer, then the shard index; ~5× faster than
 * zarrita's one range request per inner chunk for a 128 MiB embeddings shard, see
 * docs/benchmarks.md), dense decoding of small shards, and read-modify-write of the root
 * attributes. Only the codecs this toolkit writes (`bytes` [+ `zstd`]) are supported.
 */
import { join } from "node:path";
import { TesseraError } from "../errors.ts";
import { DEFAULT_MAX_VALID_SCALE, isValidScale } from "../tiles/scales.ts";
import { decodeChunk } from "../zarr/codecs.ts";
import { byteView, type NumericArray, typedArray } from "../zarr/dtype.ts";
import type { FsStore } from "../zarr/fs_store.ts";
import {
  type ArrayLayout,
  arrayLayout,
  type ArrayMetadata,
  chunkKey,
  groupMetadata,
  jsonBytes,
} from "../zarr/metadata.ts";
import { type ChunkLocation, decodeShardIndex } from "../zarr/shard.ts";

/** What the preview passes need to know about a zone store. */
export interface ZoneStoreInfo {
  path: string;
  attributes: Record<string, unknown>;
  height: number;
  width: number;
  bands: number;
  /** Affine transform of level 0 `[a, b, c, d, e, f]`. */
  transform: number[];
  maxValidScale: number;
  embeddings: ArrayMetadata;
  scales: ArrayMetadata;
}

/**
 * Reads a zone store's root and core array metadata. Refuses a store whose build has not
 * finished (`build_complete: false`): its previews would silently miss shards.
 *
 * @example
 * ```ts
 * const info = await openZoneStore("out/utm30_2024.zarr");
 * info.bands; // 128
 * ```
 */
export async function openZoneStore(path: string): Promise<ZoneStoreInfo> {
  const read = async (key: string) => {
    try {
      return JSON.parse(await Deno.readTextFile(join(path, key)));
    } catch (e) {
      throw new TesseraError("BadStore", `cannot read ${key}: is this a zone store?`, path, {
        cause: e,
      });
    }
  };
  const root = await read("zarr.json");
  const attributes = (root.attributes ?? {}) as Record<string, unknown>;
  if (attributes.build_complete === false) {
    throw new TesseraError(
      "BadStore",
      "its build has not finished (build_complete is false); finish it with `deno task build --resume` first",
      path,
    );
  }
  const embeddings = await read("embeddings/zarr.json") as ArrayMetadata;
  const scales = await read("scales/zarr.json") as ArrayMetadata;
  const [height, width, bands] = embeddings.shape;
  const transform = (attributes.transform as number[] | undefined) ?? [10, 0, 0, 0, -10, 0];
  if (JSON.stringify(scales.shape) !== JSON.stringify([height, width])) {
    throw new TesseraError(
      "BadStore",
      `scales shape [${scales.shape}] does not match embeddings`,
      path,
    );
  }
  // Both layouts must be ones this toolkit writes (throws BadStore otherwise).
  arrayLayout(embeddings);
  arrayLayout(scales);
  return {
    path,
    attributes,
    height,
    width,
    bands,
    transform,
    maxValidScale: typeof attributes.max_valid_scale === "number"
      ? attributes.max_valid_scale
      : DEFAULT_MAX_VALID_SCALE,
    embeddings,
    scales,
  };
}

/**
 * Reads a whole object synchronously into `scratch` (grown when too small) in 4 MiB reads.
 * Reusing one buffer per worker avoids a fresh 128 MiB allocation (and its page faults) per
 * shard. Returns undefined when the object does not exist; the bytes are valid until the next
 * call with the same scratch.
 *
 * @example
 * ```ts
 * const scratch = { buf: new Uint8Array(0) };
 * const bytes = readObjectSync(join(store, "embeddings/c/0/0/0"), scratch);
 * ```
 */
export function readObjectSync(path: string, scratch: { buf: Uint8Array }): Uint8Array | undefined {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw e;
  }
  try {
    const size = file.statSync().size;
    if (scratch.buf.length < size) scratch.buf = new Uint8Array(size);
    const out = scratch.buf.subarray(0, size);
    for (let at = 0; at < size;) {
      const n = file.readSync(out.subarray(at, Math.min(size, at + READ_BYTES)));
      if (n === null || n === 0) {
        throw new TesseraError("BadStore", "object shrank while reading", path);
      }
      at += n;
    }
    return out;
  } finally {
    file.close();
  }
}

const READ_BYTES = 4 * 2 ** 20;

/** A shard's inner-chunk grid: the shard's shape, the inner shape and chunks per axis. */
export interface ShardGrid {
  shard: number[];
  inner: number[];
  counts: number[];
  nChunks: number;
}

/**
 * The inner-chunk grid of a sharded array layout.
 *
 * @example
 * ```ts
 * shardGrid(arrayLayout(embeddingsMeta)).counts; // [32, 32, 1]
 * ```
 */
export function shardGrid(layout: ArrayLayout): ShardGrid {
  const inner = layout.innerChunkShape;
  if (!inner) throw new TesseraError("BadStore", "expected a sharded array");
  const counts = layout.chunkShape.map((s, i) => s / inner[i]);
  return { shard: layout.chunkShape, inner, counts, nChunks: counts.reduce((a, b) => a * b, 1) };
}

/**
 * The stored inner chunks of a shard's bytes: its index, and a decoder that returns chunk
 * `i`'s raw bytes (a view into `bytes` when uncompressed) or null when it is absent (fill).
 *
 * @example
 * ```ts
 * const chunks = shardChunks(bytes, layout);
 * const raw = chunks.raw(0); // Uint8Array | null
 * ```
 */
export function shardChunks(bytes: Uint8Array, layout: ArrayLayout) {
  const grid = shardGrid(layout);
  const index: (ChunkLocation | null)[] = decodeShardIndex(bytes, grid.nChunks);
  const elems = grid.inner.reduce((a, b) => a * b, 1);
  const chunkBytes = elems * typedArray(layout.dataType, 0).BYTES_PER_ELEMENT;
  return {
    grid,
    index,
    raw(i: number): Uint8Array | null {
      const loc = index[i];
      if (!loc) return null;
      return decodeChunk(bytes.subarray(loc.offset, loc.offset + loc.nbytes), layout, chunkBytes);
    },
  };
}

/**
 * Decodes a shard into a dense C-order buffer of the full shard shape; absent inner chunks are
 * the fill value. For the small shards of previews and scales (4 MiB), not embeddings. `into`,
 * when it has the right type and size, is reused instead of allocating.
 *
 * @example
 * ```ts
 * const dense = decodeDenseShard(bytes, arrayLayout(meta)) as Float32Array;
 * ```
 */
export function decodeDenseShard(
  bytes: Uint8Array | undefined,
  layout: ArrayLayout,
  into?: NumericArray,
): NumericArray {
  const grid = shardGrid(layout);
  const total = grid.shard.reduce((a, b) => a * b, 1);
  const fresh = typedArray(layout.dataType, 0);
  const reuse = into && into.length === total && into.constructor === fresh.constructor;
  const out = reuse ? into : typedArray(layout.dataType, total);
  if (reuse || layout.fill !== 0) out.fill(layout.fill);
  if (!bytes) return out;
  const chunks = shardChunks(bytes, layout);
  const outBytes = byteView(out);
  const bpe = out.BYTES_PER_ELEMENT;
  const rank = grid.shard.length;
  // Rows of an inner chunk are runs along the last axes: all axes but the first two are whole
  // for every array here ([rows, cols] or [rows, cols, k] with k unchunked).
  if (rank > 2 && grid.inner.slice(2).some((n, i) => n !== grid.shard[i + 2])) {
    throw new TesseraError("BadStore", "inner chunks must span every axis after the second");
  }
  const tail = grid.shard.slice(2).reduce((a, b) => a * b, 1);
  const [ih, iw] = grid.inner;
  const sw = grid.shard[1];
  const runBytes = iw * tail * bpe;
  for (let i = 0; i < grid.nChunks; i++) {
    const raw = chunks.raw(i);
    if (!raw) continue;
    const cy = Math.floor(i / grid.counts[1]), cx = i % grid.counts[1];
    for (let y = 0; y < ih; y++) {
      const dst = ((cy * ih + y) * sw + cx * iw) * tail * bpe;
      outBytes.set(raw.subarray(y * runBytes, (y + 1) * runBytes), dst);
    }
  }
  return out;
}

/**
 * Reads shard `idx` of array `name` densely (fill where absent, or everywhere when the shard
 * does not exist). Returns the buffer and whether the shard file exists. The buffer is
 * `scratch.dense`, reused by the next call with the same scratch.
 *
 * @example
 * ```ts
 * const { data } = readDenseShard(storePath, "scales", layout, [0, 1], scratch);
 * ```
 */
export function readDenseShard(
  storePath: string,
  name: string,
  layout: ArrayLayout,
  idx: readonly number[],
  scratch: { buf: Uint8Array; dense?: NumericArray },
): { data: NumericArray; exists: boolean } {
  const key = chunkKey(name, layout.shape.length === 3 ? [idx[0], idx[1], 0] : [idx[0], idx[1]]);
  const bytes = readObjectSync(join(storePath, key), scratch);
  try {
    scratch.dense = decodeDenseShard(bytes, layout, scratch.dense);
    return { data: scratch.dense, exists: bytes !== undefined };
  } catch (e) {
    if (e instanceof TesseraError) {
      throw new TesseraError(e.kind, e.message, join(storePath, key), { cause: e });
    }
    throw e;
  }
}

/**
 * Replaces every scale that cannot dequantise a pixel (NaN, ±inf, ≤ 0, ≥ maxValidScale) by NaN,
 * in place, and returns the number of valid pixels. Stores this toolkit builds already hold
 * NaN there; this keeps a foreign or damaged store's inf/FLT_MAX scales out of the maths.
 *
 * @example
 * ```ts
 * const valid = sanitiseScales(scales, info.maxValidScale);
 * ```
 */
export function sanitiseScales(scales: Float32Array, maxValidScale: number): number {
  let valid = 0;
  for (let i = 0; i < scales.length; i++) {
    const s = scales[i];
    if (s === s && isValidScale(s, maxValidScale)) valid++;
    else scales[i] = NaN;
  }
  return valid;
}

/**
 * Shard indices `[row, col]` of the existing shards of a 2-D or 3-D sharded array, in
 * row-major order (from the directory listing: an absent shard is fill).
 *
 * @example
 * ```ts
 * await listShards(store, "scales"); // [[0, 0], [0, 1], …]
 * ```
 */
export async function listShards(store: FsStore, name: string): Promise<[number, number][]> {
  const out: [number, number][] = [];
  for (const key of await store.list(`${name}/c/`)) {
    const m = /^(\d+)\/(\d+)(\/0)?$/.exec(key.slice(name.length + 3));
    if (m) out.push([Number(m[1]), Number(m[2])]);
  }
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/**
 * Rewrites the root `zarr.json` with `update(attributes)` (atomic rename). The group document
 * is re-read first, so attributes written meanwhile by anyone else are kept.
 *
 * @example
 * ```ts
 * await updateRootAttributes(store, (a) => ({ ...a, has_rgb_preview: true }));
 * ```
 */
export async function updateRootAttributes(
  store: FsStore,
  update: (attrs: Record<string, unknown>) => Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const bytes = await store.get("zarr.json");
  if (!bytes) throw new TesseraError("BadStore", "no root zarr.json", store.root);
  const doc = JSON.parse(new TextDecoder().decode(bytes));
  const attrs = update({ ...(doc.attributes ?? {}) });
  await store.set("zarr.json", jsonBytes(groupMetadata(attrs)));
  return attrs;
}
