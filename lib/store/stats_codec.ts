/**
 * How the build-time statistics (SPEC §5) are stored: the per-shard partial a build keeps as
 * each shard's completion marker (`encodeStats`/`decodeStats`), and the finished statistics as
 * the `stats` group — `sum`, the full symmetric `sum_products`, the vector `sample` — plus the
 * `stats_*` root attributes that describe them. Computing the statistics is the builder's
 * (lib/builder/stats.ts); this file only writes and reads them, through the narrow
 * get/set interfaces of documents.ts.
 */
import { TesseraError } from "../errors.ts";
import { decodeChunk, encodeChunk } from "../zarr/codecs.ts";
import { typedArray } from "../zarr/dtype.ts";
import { arrayLayout, type ArrayMetadata, chunkKey, jsonBytes } from "../zarr/metadata.ts";
import { STATS_GROUP_DESCRIPTION, statsArrays } from "./arrays.ts";
import { readDocument, type StoreReader, type StoreWriter, writeGroup } from "./documents.ts";
import { documentKey, STATS_GROUP } from "./layout.ts";

/** Lattice step of the pixels that feed the sums (`stats_lattice_px`). */
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

/**
 * An empty partial for `bands` bands.
 *
 * @example
 * ```ts
 * emptyStats(128).sumProducts.length; // 8256
 * ```
 */
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

/**
 * Serialises a partial to bytes: the per-shard marker of a build in progress, and what preview
 * workers hand back.
 *
 * @example
 * ```ts
 * decodeStats(encodeStats(st)).count === st.count; // true
 * ```
 */
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

/**
 * The full symmetric band × band sum of products (what `stats/sum_products` stores) from a
 * partial's upper triangle.
 *
 * @example
 * ```ts
 * fullSumProducts(st).length; // st.bands ** 2
 * ```
 */
export function fullSumProducts(st: StatsPartial): Float64Array {
  const B = st.bands;
  const full = new Float64Array(B * B);
  let k = 0;
  for (let i = 0; i < B; i++) {
    for (let j = i; j < B; j++) {
      full[i * B + j] = st.sumProducts[k];
      full[j * B + i] = st.sumProducts[k++];
    }
  }
  return full;
}

/**
 * Per-band percentile `q` (0..100) of the sample's dequantised values, linear interpolation
 * between order statistics (numpy's default); NaN-free by construction (only valid pixels are
 * sampled). Empty sample → zeros.
 *
 * @example
 * ```ts
 * bandPercentiles(st, 98).length; // st.bands
 * ```
 */
export function bandPercentiles(st: StatsPartial, q: number): number[] {
  const n = st.priorities.length, B = st.bands;
  const out: number[] = [];
  const col = new Float64Array(n);
  for (let b = 0; b < B; b++) {
    if (n === 0) {
      out.push(0);
      continue;
    }
    for (let i = 0; i < n; i++) col[i] = st.vectors[i * B + b];
    col.sort();
    const pos = (q / 100) * (n - 1);
    const lo = Math.floor(pos), hi = Math.min(n - 1, lo + 1);
    out.push(col[lo] + (col[hi] - col[lo]) * (pos - lo));
  }
  return out;
}

/**
 * The root attributes that describe merged statistics `st`, in their stored order.
 *
 * @example
 * ```ts
 * statsAttributes(st).stats_lattice_px; // 16
 * ```
 */
export function statsAttributes(st: StatsPartial): Record<string, unknown> {
  return {
    stats_count: st.count,
    stats_lattice_px: STATS_STEP_PX,
    stats_sample_lattice_px: SAMPLE_STEP_PX,
    stats_sample_size: st.priorities.length,
    // Store-wide per-band stretch for viewers, so none needs the sample to pick colours.
    stats_band_p2: bandPercentiles(st, 2),
    stats_band_p98: bandPercentiles(st, 98),
  };
}

/**
 * Writes merged statistics as the `stats` group (sum, full symmetric sum of products and the
 * vector sample) and returns the root attributes that describe them.
 *
 * @example
 * ```ts
 * const attrs = await writeStatsGroup(new FsStore(path), merged);
 * ```
 */
export async function writeStatsGroup(
  sink: StoreWriter,
  st: StatsPartial,
): Promise<Record<string, unknown>> {
  const arrays = statsArrays(st.bands, st.priorities.length);
  await writeGroup(sink, { description: STATS_GROUP_DESCRIPTION }, STATS_GROUP);
  const write = async (name: keyof typeof arrays, data: Float64Array | Float32Array) => {
    const meta = arrays[name];
    const path = `${STATS_GROUP}/${name}`;
    await sink.set(documentKey(path), jsonBytes(meta));
    if (data.length === 0) return;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    await sink.set(chunkKey(path, meta.shape.map(() => 0)), encodeChunk(bytes, arrayLayout(meta)));
  };
  await write("sum", st.sum);
  await write("sum_products", fullSumProducts(st));
  await write("sample", st.vectors);
  return statsAttributes(st);
}

/** The arrays of a `stats` group as read back. */
export interface StoredStatistics {
  sum: Float64Array;
  /** Full symmetric B × B, row-major. */
  sumProducts: Float64Array;
  /** K × B dequantised vectors, row-major. */
  sample: Float32Array;
}

/**
 * Reads the `stats` group of a store with `bands` bands: undefined when any of its arrays is
 * missing (an older build); arrays of the wrong type or size are a "BadStore" error.
 *
 * @example
 * ```ts
 * const stats = await readStatsGroup(new FsStorage(path), 128, path);
 * stats?.sample.length; // 8192 * 128
 * ```
 */
export async function readStatsGroup(
  source: StoreReader,
  bands: number,
  where?: string,
): Promise<StoredStatistics | undefined> {
  const read = (name: string) => readSingleChunkArray(source, `${STATS_GROUP}/${name}`, where);
  const [sum, sumProducts, sample] = await Promise.all(
    ["sum", "sum_products", "sample"].map(read),
  );
  if (!sum || !sumProducts || !sample) return undefined;
  if (
    !(sum instanceof Float64Array && sumProducts instanceof Float64Array &&
      sample instanceof Float32Array)
  ) {
    throw new TesseraError("BadStore", "stats arrays have unexpected data types", where);
  }
  if (sum.length !== bands || sumProducts.length !== bands * bands || sample.length % bands) {
    throw new TesseraError(
      "BadStore",
      `stats arrays do not match the store's ${bands} bands`,
      where,
    );
  }
  return { sum, sumProducts, sample };
}

/**
 * Reads a small unsharded array stored as one chunk: undefined when its `zarr.json` is missing,
 * fill when its chunk is. Direct, without zarrita: this runs once per preview pass on the
 * critical path, where zarrita's start-up cost would dominate.
 */
async function readSingleChunkArray(source: StoreReader, name: string, where?: string) {
  const doc = await readDocument(source, documentKey(name), where);
  if (!doc) return undefined;
  const meta = doc as ArrayMetadata;
  const layout = arrayLayout(meta);
  if (layout.innerChunkShape || layout.chunkShape.some((c, i) => c < meta.shape[i])) {
    throw new TesseraError("BadStore", `${name} is not a single-chunk array`, where);
  }
  const n = meta.shape.reduce((a, b) => a * b, 1);
  const chunkElems = layout.chunkShape.reduce((a, b) => a * b, 1);
  const out = typedArray(layout.dataType, chunkElems);
  if (layout.fill !== 0) out.fill(layout.fill);
  const bytes = await source.get(chunkKey(name, meta.shape.map(() => 0)));
  if (bytes) {
    const raw = decodeChunk(bytes, layout, out.byteLength);
    new Uint8Array(out.buffer).set(raw);
  }
  return out.subarray(0, n);
}
