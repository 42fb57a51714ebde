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

/** Lattice step of the pixels that feed the sums. */
export const STATS_STEP_PX = 16;
/** Lattice step of the pixels that are candidates for the vector sample. */
export const SAMPLE_STEP_PX = 64;
/** Number of dequantised vectors kept for percentiles. */
export const SAMPLE_SIZE = 8192;

/** Statistics of one shard or of a merged set of shards. */
export interface StatsPartial {
  bands: number;
  count: number;
  sum: Float64Array;
  /** Upper triangle, row-major: (i, j) for j ≥ i at i·bands − i(i−1)/2 + (j − i). */
  sumProducts: Float64Array;
  /** Sample priorities (ascending after merge) and their vectors (`bands` floats each). */
  priorities: Float64Array;
  vectors: Float32Array;
}

/** An empty partial for `bands` bands. */
export function emptyStats(bands: number): StatsPartial {
  return {
    bands,
    count: 0,
    sum: new Float64Array(bands),
    sumProducts: new Float64Array(bands * (bands + 1) / 2),
    priorities: new Float64Array(0),
    vectors: new Float32Array(0),
  };
}

/** A stable hash of a zone pixel in [0, 1): the sample priority. */
export function pixelPriority(row: number, col: number): number {
  let h = Math.imul(row ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(col ^ 0xc2b2ae35, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

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
  const vecs: number[][] = [];
  // Valid lattice pixels in row-major order, as (scale, first embedding element) pairs.
  // Lattice pixels are those whose zone row and column are multiples of the step.
  const lattice: number[] = [];
  const first = (o: number, step: number) => (step - (o % step)) % step;
  const c = chunkPx;
  for (let y = first(row0, STATS_STEP_PX); y < rows; y += STATS_STEP_PX) {
    for (let x = first(col0, STATS_STEP_PX); x < cols; x += STATS_STEP_PX) {
      const s = scales[y * size + x];
      if (!(s === s)) continue; // NaN: no data
      const cr = Math.floor(y / c), cc = Math.floor(x / c);
      const e = (((cr * (size / c) + cc) * c + (y - cr * c)) * c + (x - cc * c)) * bands;
      lattice.push(s, e);
      if ((row0 + y) % SAMPLE_STEP_PX === 0 && (col0 + x) % SAMPLE_STEP_PX === 0) {
        pri.push(pixelPriority(row0 + y, col0 + x));
        vecs.push(Array.from(embeddings.subarray(e, e + bands), (v) => Math.fround(v * s)));
      }
    }
  }
  const count = lattice.length / 2;
  st.count = count;
  // Four pixels per pass over the 128 × 128 triangle: a quarter of the loads and stores of
  // the accumulators. Each accumulator still adds the pixels one by one in lattice order
  // (JS has no fused multiply-add and evaluates a + b + c left to right), so the float sums
  // are bit-identical to a pixel-at-a-time loop.
  const v = [0, 1, 2, 3].map(() => new Float64Array(bands));
  const dequantise = (n: number, out: Float64Array) => {
    const s = lattice[2 * n], base = lattice[2 * n + 1];
    for (let b = 0; b < bands; b++) out[b] = embeddings[base + b] * s;
  };
  const { sum, sumProducts } = st;
  let n = 0;
  for (; n + 4 <= count; n += 4) {
    const [a, b, c, d] = v;
    dequantise(n, a);
    dequantise(n + 1, b);
    dequantise(n + 2, c);
    dequantise(n + 3, d);
    let k = 0;
    for (let i = 0; i < bands; i++) {
      const ai = a[i], bi = b[i], ci = c[i], di = d[i];
      sum[i] = sum[i] + ai + bi + ci + di;
      for (let j = i; j < bands; j++, k++) {
        sumProducts[k] = sumProducts[k] + ai * a[j] + bi * b[j] + ci * c[j] + di * d[j];
      }
    }
  }
  for (; n < count; n++) {
    const a = v[0];
    dequantise(n, a);
    let k = 0;
    for (let i = 0; i < bands; i++) {
      const ai = a[i];
      sum[i] += ai;
      for (let j = i; j < bands; j++) sumProducts[k++] += ai * a[j];
    }
  }
  st.priorities = Float64Array.from(pri);
  st.vectors = new Float32Array(vecs.length * bands);
  vecs.forEach((vec, i) => st.vectors.set(vec, i * bands));
  return st;
}

/** Adds `b` into `a` (in place) and keeps the SAMPLE_SIZE lowest-priority vectors. */
export function mergeStats(
  a: StatsPartial,
  b: StatsPartial,
  sampleSize = SAMPLE_SIZE,
): StatsPartial {
  a.count += b.count;
  for (let i = 0; i < a.sum.length; i++) a.sum[i] += b.sum[i];
  for (let i = 0; i < a.sumProducts.length; i++) a.sumProducts[i] += b.sumProducts[i];
  const n = a.priorities.length + b.priorities.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const pr = (i: number) =>
    i < a.priorities.length ? a.priorities[i] : b.priorities[i - a.priorities.length];
  order.sort((i, j) => pr(i) - pr(j) || i - j);
  const keep = order.slice(0, sampleSize);
  const priorities = new Float64Array(keep.length);
  const vectors = new Float32Array(keep.length * a.bands);
  keep.forEach((i, k) => {
    priorities[k] = pr(i);
    const src = i < a.priorities.length ? a.vectors : b.vectors;
    const off = (i < a.priorities.length ? i : i - a.priorities.length) * a.bands;
    vectors.set(src.subarray(off, off + a.bands), k * a.bands);
  });
  a.priorities = priorities;
  a.vectors = vectors;
  return a;
}

/** Serialises a partial to bytes (the per-shard sidecar of a build in progress). */
export function encodeStats(st: StatsPartial): Uint8Array {
  const n = st.priorities.length;
  const floats = 2 + st.sum.length + st.sumProducts.length + n;
  const buf = new ArrayBuffer(floats * 8 + n * st.bands * 4);
  const f64 = new Float64Array(buf, 0, floats);
  f64[0] = st.bands;
  f64[1] = st.count;
  f64.set(st.sum, 2);
  f64.set(st.sumProducts, 2 + st.sum.length);
  f64.set(st.priorities, 2 + st.sum.length + st.sumProducts.length);
  new Float32Array(buf, floats * 8).set(st.vectors);
  return new Uint8Array(buf);
}

/** Inverse of {@link encodeStats}. */
export function decodeStats(bytes: Uint8Array): StatsPartial {
  const copy = bytes.slice().buffer;
  const head = new Float64Array(copy, 0, 2);
  const bands = head[0];
  const tri = bands * (bands + 1) / 2;
  const fixed = 2 + bands + tri;
  const n = Math.round((copy.byteLength - fixed * 8) / (8 + bands * 4));
  const f64 = new Float64Array(copy, 0, fixed + n);
  return {
    bands,
    count: f64[1],
    sum: f64.slice(2, 2 + bands),
    sumProducts: f64.slice(2 + bands, fixed),
    priorities: f64.slice(fixed, fixed + n),
    vectors: new Float32Array(copy, (fixed + n) * 8, n * bands).slice(),
  };
}
