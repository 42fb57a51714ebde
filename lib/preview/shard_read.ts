/**
 * Reading whole shards of a local store for the preview passes, through the read API's
 * {@link ShardReader} over {@link FsStorage}: the shard index once, then the stored inner
 * chunks in a few large coalesced reads (a 128 MiB embeddings shard in 16 MiB requests, not
 * zarrita's one request per inner chunk). A shard comes back as its inner chunks (embeddings,
 * walked chunk by chunk) or densely in one shard-sized buffer (scales, preview levels).
 */
import { TesseraError } from "../errors.ts";
import { chunkCache } from "../read/cache.ts";
import { FsStorage } from "../read/fs_storage.ts";
import { indexCache, ShardReader } from "../read/shard_reader.ts";
import type { ArrayLayout, ArrayMetadata } from "../zarr/metadata.ts";
import { byteView, type NumericArray, typedArray } from "../zarr/dtype.ts";

/** A shard's inner-chunk grid: the shard's shape, the inner shape and chunks per axis. */
export interface ShardGrid {
  shard: readonly number[];
  inner: readonly number[];
  counts: readonly number[];
  nChunks: number;
}

/** One shard's stored inner chunks: raw bytes of chunk `i` (C order), null where absent. */
export interface ShardChunks {
  grid: ShardGrid;
  raw(i: number): Uint8Array | null;
}

/**
 * A reader of array `array` of the store at `storePath` for reading each shard once, whole:
 * it caches neither chunks nor indexes, so a shard written since is read as it is now.
 *
 * @example
 * ```ts
 * const scales = wholeShardReader("out/utm30_2024.zarr", "scales", info.scales);
 * ```
 */
export function wholeShardReader(
  storePath: string,
  array: string,
  meta: ArrayMetadata,
): ShardReader {
  return new ShardReader(new FsStorage(storePath), array, meta, {
    cache: chunkCache(0),
    indexes: indexCache(0),
  });
}

/**
 * The inner-chunk grid of a reader's shards.
 *
 * @example
 * ```ts
 * shardGrid(embeddings).counts; // [32, 32, 1]
 * ```
 */
export function shardGrid(reader: ShardReader): ShardGrid {
  return {
    shard: reader.shardShape,
    inner: reader.innerShape,
    counts: reader.innerPerShard,
    nChunks: reader.nInner,
  };
}

/**
 * Every stored inner chunk of shard (row, col), or undefined when the shard holds none (an
 * absent shard is fill). Uncompressed chunks are views of the read buffers, without a copy.
 *
 * @example
 * ```ts
 * const emb = await readShardChunks(embeddings, 0, 1);
 * emb?.raw(0); // Uint8Array | null
 * ```
 */
export async function readShardChunks(
  reader: ShardReader,
  row: number,
  col: number,
): Promise<ShardChunks | undefined> {
  const shard = reader.shardShape.length === 3 ? [row, col, 0] : [row, col];
  const all = Array.from({ length: reader.nInner }, (_, i) => i);
  let raws: (Uint8Array | null)[];
  try {
    raws = await reader.chunks(shard, all, undefined, { store: false });
  } catch (e) {
    if (!(e instanceof TesseraError) || e.path) throw e;
    throw new TesseraError(e.kind, e.message, reader.shardKey(shard), { cause: e });
  }
  if (raws.every((r) => r === null)) return undefined;
  return { grid: shardGrid(reader), raw: (i) => raws[i] };
}

/**
 * Shard (row, col) densely, in C order of the full shard shape, the fill value where chunks
 * (or the whole shard) are absent; `exists` says whether it held any stored chunk. For the
 * small shards of scales and previews (4 MiB), not embeddings. `into`, when it has the right
 * type and size, is reused instead of allocating.
 *
 * @example
 * ```ts
 * const { data } = await readDenseShard(scales, 0, 1);
 * ```
 */
export async function readDenseShard(
  reader: ShardReader,
  row: number,
  col: number,
  into?: NumericArray,
): Promise<{ data: NumericArray; exists: boolean }> {
  const chunks = await readShardChunks(reader, row, col);
  const data = denseShard(chunks, reader.layout, into);
  return { data, exists: chunks !== undefined };
}

/**
 * Assembles a shard's inner chunks into a dense C-order buffer of the shard's shape (fill
 * where a chunk, or the whole shard, is absent). Every axis after the second must be whole in
 * each inner chunk (`[rows, cols]` or `[rows, cols, k]`, as for every array here).
 *
 * @example
 * ```ts
 * const dense = denseShard(await readShardChunks(scales, 0, 0), scales.layout) as Float32Array;
 * ```
 */
export function denseShard(
  chunks: ShardChunks | undefined,
  layout: ArrayLayout,
  into?: NumericArray,
): NumericArray {
  const shape = layout.chunkShape;
  const inner = layout.innerChunkShape ?? shape;
  const total = shape.reduce((a, b) => a * b, 1);
  const fresh = typedArray(layout.dataType, 0);
  const reuse = into && into.length === total && into.constructor === fresh.constructor;
  const out = reuse ? into : typedArray(layout.dataType, total);
  if (reuse || layout.fill !== 0) out.fill(layout.fill);
  if (!chunks) return out;
  if (shape.length > 2 && inner.slice(2).some((n, i) => n !== shape[i + 2])) {
    throw new TesseraError("BadStore", "inner chunks must span every axis after the second");
  }
  const outBytes = byteView(out);
  const tail = shape.slice(2).reduce((a, b) => a * b, 1);
  const [ih, iw] = inner, sw = shape[1];
  const cols = sw / iw;
  const runBytes = iw * tail * out.BYTES_PER_ELEMENT;
  for (let i = 0; i < chunks.grid.nChunks; i++) {
    const raw = chunks.raw(i);
    if (!raw) continue;
    const cy = Math.floor(i / cols), cx = i % cols;
    for (let y = 0; y < ih; y++) {
      const dst = ((cy * ih + y) * sw + cx * iw) * tail * out.BYTES_PER_ELEMENT;
      outBytes.set(raw.subarray(y * runBytes, (y + 1) * runBytes), dst);
    }
  }
  return out;
}
