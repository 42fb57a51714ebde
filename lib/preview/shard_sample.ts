/**
 * Statistics for stores without build-time statistics: the same deterministic lattice the build
 * samples (every pixel whose zone row and column are multiples of SAMPLE_STEP_PX), read from
 * every shard with one small read per pixel instead of a pass over the embeddings. The vector
 * sample is then exactly the build's `stats/sample` (same candidates, priorities and bottom-k);
 * the sums cover that 64-px lattice instead of the build's 16-px one.
 */
import { encodeStats, SAMPLE_STEP_PX, type StatsPartial } from "../store/stats_codec.ts";
import { pixelPriority } from "../store/statistics.ts";
import type { ShardReader } from "../read/shard_reader.ts";
import { maskInvalidScales } from "../store/pixel_state.ts";
import type { NumericArray } from "../zarr/dtype.ts";
import { readDenseShard } from "./shard_read.ts";

/** What {@link sampleShard} needs to know about the store. */
export interface SampleContext {
  bands: number;
  maxValidScale: number;
  /** The embeddings, read pixel by pixel (the read API's reader, over FsStorage). */
  embeddings: ShardReader;
  /** The scales, read a whole shard at a time. */
  scales: ShardReader;
}

/**
 * Statistics of the lattice pixels of shard (row, col): count, sums and sum of products over
 * the valid ones, and all of them as sample candidates with their priorities. Encoded with
 * encodeStats (so a worker can hand it over as bytes).
 *
 * @example
 * ```ts
 * const partial = decodeStats(await sampleShard(ctx, 0, 1, scratch));
 * ```
 */
export async function sampleShard(
  ctx: SampleContext,
  row: number,
  col: number,
  scratch: { dense?: NumericArray },
): Promise<Uint8Array> {
  const B = ctx.bands;
  const S = ctx.embeddings.shardShape[0];
  const read = await readDenseShard(ctx.scales, row, col, scratch.dense);
  const scales = (scratch.dense = read.data) as Float32Array;
  maskInvalidScales(scales, ctx.maxValidScale);
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
  const vector = pixelVector(ctx.embeddings, [row, col, 0], B);
  const v = new Float64Array(B);
  for (let n = 0; n < pixels.length; n++) {
    const p = pixels[n];
    const y = Math.floor(p / S), x = p % S;
    const e = await vector(y, x);
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
  }
  return encodeStats(st);
}

/**
 * Reads single pixels' vectors from one embeddings shard: the index once (the reader's
 * cache), then for an uncompressed inner chunk just the pixel's `bands` bytes, for a zstd one
 * the decoded chunk. An absent shard or chunk is all zeros.
 */
function pixelVector(
  reader: ShardReader,
  shard: readonly number[],
  B: number,
): (y: number, x: number) => Promise<Int8Array> {
  const zeros = new Int8Array(B);
  const [ih, iw] = reader.innerShape;
  return async (y, x) => {
    const chunk = reader.innerIndex([Math.floor(y / ih), Math.floor(x / iw), 0]);
    const within = ((y % ih) * iw + (x % iw)) * B;
    const bytes = await reader.chunkSlice(shard, chunk, within, B);
    return bytes ? new Int8Array(bytes.buffer, bytes.byteOffset, B) : zeros;
  };
}
