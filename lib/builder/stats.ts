/**
 * Build-time statistics (SPEC §5), gathered while shards are written so previews never
 * re-read the embeddings. Deterministic and independent of scheduling:
 *
 * - sums: valid pixels on a zone-global lattice (every STATS_STEP_PX rows and columns) give
 *   count, per-band sum and the upper triangle of the band × band sum of products (float64);
 *   shard partials are merged in shard order, so the float sums are bit-identical for any
 *   worker count or resume pattern;
 * - sample: valid pixels on a sparser lattice carry a hash priority; the final sample is the
 *   SAMPLE_SIZE lowest priorities over the zone (bottom-k sampling: mergeable, uniform).
 */

import {
  emptyStats,
  SAMPLE_STEP_PX,
  STATS_STEP_PX,
  type StatsPartial,
} from "../store/stats_codec.ts";

// What the statistics are (their sample priority and merge rule) and how partials are stored
// (the shard markers, the `stats` group) is the store format's: lib/store/statistics.ts and
// lib/store/stats_codec.ts; re-exported for the modules that compute with them.
export { mergeStats, pixelPriority } from "../store/statistics.ts";
import { pixelPriority } from "../store/statistics.ts";
export {
  decodeStats,
  emptyStats,
  encodeStats,
  SAMPLE_SIZE,
  SAMPLE_STEP_PX,
  STATS_STEP_PX,
  type StatsPartial,
} from "../store/stats_codec.ts";

/**
 * Statistics of one assembled shard. `row0`/`col0` place the shard in the zone grid;
 * `rows`/`cols` is its extent inside the grid. `embeddings` is in chunks of `chunkPx`
 * pixels (ShardBuffer order; the default `size` means plain C order), `scales` in C order.
 */
export function shardStats(
  embeddings: Int8Array,
  scales: Float32Array,
  size: number,
  bands: number,
  row0: number,
  col0: number,
  rows: number,
  cols: number,
  chunkPx: number = size,
): StatsPartial {
  const st = emptyStats(bands);
  const pri: number[] = [];
  // The sample's pixels, as (scale, first embedding element) pairs.
  const sample: number[] = [];
  // Valid lattice pixels in row-major order, as (scale, first embedding element) pairs.
  // Lattice pixels are those whose zone row and column are multiples of the step.
  const lattice: number[] = [];
  const c = chunkPx;
  for (let y = firstOnLattice(row0, STATS_STEP_PX); y < rows; y += STATS_STEP_PX) {
    for (let x = firstOnLattice(col0, STATS_STEP_PX); x < cols; x += STATS_STEP_PX) {
      const s = scales[y * size + x];
      if (!(s === s)) continue; // NaN: no data
      const cr = Math.floor(y / c), cc = Math.floor(x / c);
      const e = (((cr * (size / c) + cc) * c + (y - cr * c)) * c + (x - cc * c)) * bands;
      lattice.push(s, e);
      if ((row0 + y) % SAMPLE_STEP_PX === 0 && (col0 + x) % SAMPLE_STEP_PX === 0) {
        pri.push(pixelPriority(row0 + y, col0 + x));
        sample.push(s, e);
      }
    }
  }
  st.count = lattice.length / 2;
  accumulateProducts(embeddings, lattice, bands, st.sum, st.sumProducts);
  st.priorities = Float64Array.from(pri);
  st.vectors = new Float32Array(pri.length * bands);
  // Float32Array stores round each float64 product to float32, as Math.fround would.
  for (let i = 0; i < pri.length; i++) {
    const s = sample[2 * i], e = sample[2 * i + 1];
    for (let b = 0; b < bands; b++) st.vectors[i * bands + b] = embeddings[e + b] * s;
  }
  return st;
}

/** The first offset ≥ 0 from `origin` that lies on a lattice of `step` (zone coordinates). */
function firstOnLattice(origin: number, step: number): number {
  return (step - (origin % step)) % step;
}

/** Vectors reused by {@link accumulateProducts} (four pixels at a time). */
let scratch: Float64Array[] = [];

/**
 * Adds each lattice pixel's dequantised vector (`lattice`: scale, first element pairs) to
 * `sum` and its outer product's upper triangle to `sumProducts`, in lattice order. Four pixels
 * per pass over the 128 × 128 triangle: a quarter of the loads and stores of the accumulators.
 * Each accumulator still adds the pixels one by one in lattice order (JS has no fused
 * multiply-add and evaluates a + b + c left to right), so the float sums are bit-identical to
 * a pixel-at-a-time loop. Module-level and closure-free, so its optimised code is compiled
 * once per worker, not once per shard.
 */
function accumulateProducts(
  embeddings: Int8Array,
  lattice: number[],
  bands: number,
  sum: Float64Array,
  sumProducts: Float64Array,
): void {
  if (scratch.length !== 4 || scratch[0].length !== bands) {
    scratch = [0, 1, 2, 3].map(() => new Float64Array(bands));
  }
  const [a, b, c, d] = scratch;
  const count = lattice.length / 2;
  let n = 0;
  for (; n + 4 <= count; n += 4) {
    dequantise(embeddings, lattice, n, bands, a);
    dequantise(embeddings, lattice, n + 1, bands, b);
    dequantise(embeddings, lattice, n + 2, bands, c);
    dequantise(embeddings, lattice, n + 3, bands, d);
    accumulate4(a, b, c, d, bands, sum, sumProducts);
  }
  for (; n < count; n++) {
    dequantise(embeddings, lattice, n, bands, a);
    accumulate1(a, bands, sum, sumProducts);
  }
}

function dequantise(
  embeddings: Int8Array,
  lattice: number[],
  n: number,
  bands: number,
  out: Float64Array,
): void {
  const s = lattice[2 * n], base = lattice[2 * n + 1];
  for (let b = 0; b < bands; b++) out[b] = embeddings[base + b] * s;
}

function accumulate4(
  a: Float64Array,
  b: Float64Array,
  c: Float64Array,
  d: Float64Array,
  bands: number,
  sum: Float64Array,
  sumProducts: Float64Array,
): void {
  let k = 0;
  for (let i = 0; i < bands; i++) {
    const ai = a[i], bi = b[i], ci = c[i], di = d[i];
    sum[i] = sum[i] + ai + bi + ci + di;
    for (let j = i; j < bands; j++, k++) {
      sumProducts[k] = sumProducts[k] + ai * a[j] + bi * b[j] + ci * c[j] + di * d[j];
    }
  }
}

function accumulate1(
  a: Float64Array,
  bands: number,
  sum: Float64Array,
  sumProducts: Float64Array,
): void {
  let k = 0;
  for (let i = 0; i < bands; i++) {
    const ai = a[i];
    sum[i] += ai;
    for (let j = i; j < bands; j++) sumProducts[k++] += ai * a[j];
  }
}
