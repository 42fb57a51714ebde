/**
 * Statistics for stores without build-time statistics: the same deterministic lattice the build
 * samples (every pixel whose zone row and column are multiples of SAMPLE_STEP_PX), read from
 * every shard with one small read per pixel instead of a pass over the embeddings. The vector
 * sample is then exactly the build's `stats/sample` (same candidates, priorities and bottom-k);
 * the sums cover that 64-px lattice instead of the build's 16-px one.
 */
import { join } from "node:path";
import { encodeStats, pixelPriority, SAMPLE_STEP_PX, type StatsPartial } from "../builder/stats.ts";
import { TesseraError } from "../errors.ts";
import { decodeChunk } from "../zarr/codecs.ts";
import { type ArrayLayout, chunkKey } from "../zarr/metadata.ts";
import { decodeShardIndex, shardIndexLength } from "../zarr/shard.ts";
import { readDenseShard, sanitiseScales, shardGrid } from "./store_io.ts";

/** What {@link sampleShard} needs to know about the store. */
export interface SampleContext {
  storePath: string;
  bands: number;
  maxValidScale: number;
  embeddings: ArrayLayout;
  scales: ArrayLayout;
}

/**
 * Statistics of the lattice pixels of shard (row, col): count, sums and sum of products over
 * the valid ones, and all of them as sample candidates with their priorities. Encoded with
 * encodeStats (so a worker can hand it over as bytes).
 *
 * @example
 * ```ts
 * const partial = decodeStats(sampleShard(ctx, 0, 1, scratch));
 * ```
 */
export function sampleShard(
  ctx: SampleContext,
  row: number,
  col: number,
  scratch: { buf: Uint8Array },
): Uint8Array {
  const B = ctx.bands;
  const { shard, inner, counts } = shardGrid(ctx.embeddings);
  const S = shard[0];
  const scales = readDenseShard(ctx.storePath, "scales", ctx.scales, [row, col], scratch)
    .data as Float32Array;
  sanitiseScales(scales, ctx.maxValidScale);
  const row0 = row * S, col0 = col * S;
  const first = (o: number) => (SAMPLE_STEP_PX - (o % SAMPLE_STEP_PX)) % SAMPLE_STEP_PX;
  const pixels: number[] = [];
  for (let y = first(row0); y < S; y += SAMPLE_STEP_PX) {
    for (let x = first(col0); x < S; x += SAMPLE_STEP_PX) {
      if (scales[y * S + x] === scales[y * S + x]) pixels.push(y * S + x);
    }
  }
  const st: StatsPartial = {
    bands: B,
    count: 0,
    sum: new Float64Array(B),
    sumProducts: new Float64Array(B * (B + 1) / 2),
    priorities: new Float64Array(pixels.length),
    vectors: new Float32Array(pixels.length * B),
  };
  if (pixels.length === 0) return encodeStats(st);
  const path = join(ctx.storePath, chunkKey("embeddings", [row, col, 0]));
  const vector = pixelReader(path, ctx.embeddings, inner, counts[1], B);
  const v = new Float64Array(B);
  try {
    pixels.forEach((p, n) => {
      const y = Math.floor(p / S), x = p % S;
      const e = vector(y, x);
      const s = scales[p];
      for (let b = 0; b < B; b++) v[b] = e[b] * s;
      st.count++;
      let k = 0;
      for (let i = 0; i < B; i++) {
        const vi = v[i];
        st.sum[i] += vi;
        for (let j = i; j < B; j++) st.sumProducts[k++] += vi * v[j];
      }
      st.priorities[n] = pixelPriority(row0 + y, col0 + x);
      for (let b = 0; b < B; b++) st.vectors[n * B + b] = Math.fround(v[b]);
    });
  } finally {
    vector.close();
  }
  return encodeStats(st);
}

/**
 * Reads single pixels' vectors from one embeddings shard: the index once, then for an
 * uncompressed inner chunk just the pixel's `bands` bytes, for a zstd one the decoded chunk.
 */
function pixelReader(
  path: string,
  layout: ArrayLayout,
  inner: number[],
  chunksPerRow: number,
  B: number,
): ((y: number, x: number) => Int8Array) & { close(): void } {
  const zeros = new Int8Array(B);
  let file: Deno.FsFile | undefined;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const nChunks = layout.chunkShape.reduce((a, n, i) => a * (n / inner[i]), 1);
  let index: ReturnType<typeof decodeShardIndex> | undefined;
  const readAt = (offset: number, length: number) => {
    const out = new Uint8Array(length);
    file!.seekSync(offset, Deno.SeekMode.Start);
    for (let at = 0; at < length;) {
      const n = file!.readSync(out.subarray(at));
      if (n === null || n === 0) {
        throw new TesseraError("BadStore", "embeddings shard is truncated", path);
      }
      at += n;
    }
    return out;
  };
  if (file) {
    const size = file.statSync().size;
    const len = shardIndexLength(nChunks);
    if (size < len) {
      throw new TesseraError("BadStore", "embeddings shard is shorter than its index", path);
    }
    index = decodeShardIndex(readAt(size - len, len), nChunks);
  }
  const chunkBytes = inner[0] * inner[1] * B;
  const read = (y: number, x: number): Int8Array => {
    const i = Math.floor(y / inner[0]) * chunksPerRow + Math.floor(x / inner[1]);
    const loc = index?.[i];
    if (!loc) return zeros;
    const within = ((y % inner[0]) * inner[1] + (x % inner[1])) * B;
    if (layout.compress === "none") {
      const b = readAt(loc.offset + within, B);
      return new Int8Array(b.buffer);
    }
    const raw = decodeChunk(readAt(loc.offset, loc.nbytes), layout, chunkBytes);
    return new Int8Array(raw.buffer, raw.byteOffset + within, B);
  };
  return Object.assign(read, { close: () => file?.close() });
}
