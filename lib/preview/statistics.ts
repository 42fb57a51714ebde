/**
 * Where the previews' statistics come from: the build-time statistics in the store (SPEC §5:
 * `stats/sum`, `stats/sum_products`, `stats/sample`, `stats_count`), read without touching the
 * embeddings; or, for a store without them, the merged lattice samples of its shards
 * (shard_sample.ts). Either way the result is one {@link PcaInput}, checked to be finite.
 */
import { join } from "node:path";
import {
  decodeStats,
  emptyStats,
  mergeStats,
  SAMPLE_SIZE,
  type StatsPartial,
} from "../builder/stats.ts";
import { TesseraError } from "../errors.ts";
import { decodeChunk } from "../zarr/codecs.ts";
import { typedArray } from "../zarr/dtype.ts";
import { arrayLayout, type ArrayMetadata, chunkKey } from "../zarr/metadata.ts";
import type { PcaInput } from "./pca.ts";
import { assertFinite } from "./stretch.ts";

/** Statistics for choosing a stretch and a basis, and where they came from. */
export interface PreviewStatistics {
  /** "build": the store's build-time statistics; "shards": sampled from its shards now. */
  source: "build" | "shards";
  input: PcaInput;
}

/**
 * The store's build-time statistics, or undefined when it has none (no `stats` group or no
 * `stats_count`). Non-finite values are a BadStore error naming the array.
 *
 * @example
 * ```ts
 * const input = await readBuildStatistics("out/utm30_2024.zarr", attrs, 128);
 * ```
 */
export async function readBuildStatistics(
  path: string,
  attributes: Record<string, unknown>,
  bands: number,
  maxValidScale: number,
): Promise<PcaInput | undefined> {
  const count = attributes.stats_count;
  if (typeof count !== "number") return undefined;
  const read = async (name: string) => await readSingleChunkArray(path, `stats/${name}`);
  const sum = await read("sum"),
    sumProducts = await read("sum_products"),
    sample = await read("sample");
  if (!sum || !sumProducts || !sample) return undefined;
  if (
    !(sum instanceof Float64Array && sumProducts instanceof Float64Array &&
      sample instanceof Float32Array)
  ) {
    throw new TesseraError("BadStore", "stats arrays have unexpected data types", path);
  }
  if (sum.length !== bands || sumProducts.length !== bands * bands || sample.length % bands) {
    throw new TesseraError(
      "BadStore",
      `stats arrays do not match the store's ${bands} bands`,
      path,
    );
  }
  const input = { bands, count, sum, sumProducts, sample };
  checkStatistics(input, maxValidScale, path);
  return input;
}

/**
 * Merges encoded per-shard partials (in shard order, so the sums are the same for any worker
 * count) into a {@link PcaInput}.
 *
 * @example
 * ```ts
 * const input = mergeShardSamples(results.map((r) => r.stats!), 128);
 * ```
 */
export function mergeShardSamples(
  partials: readonly Uint8Array[],
  bands: number,
  maxValidScale: number,
  path?: string,
): PcaInput {
  let st: StatsPartial = emptyStats(bands);
  for (const p of partials) st = mergeStats(st, decodeStats(p), SAMPLE_SIZE);
  const full = new Float64Array(bands * bands);
  let k = 0;
  for (let i = 0; i < bands; i++) {
    for (let j = i; j < bands; j++) {
      full[i * bands + j] = st.sumProducts[k];
      full[j * bands + i] = st.sumProducts[k++];
    }
  }
  const input = { bands, count: st.count, sum: st.sum, sumProducts: full, sample: st.vectors };
  checkStatistics(input, maxValidScale, path);
  return input;
}

/**
 * Throws BadStore unless the statistics are finite and within what valid pixels can produce:
 * a dequantised value is int8 × scale with scale < max_valid_scale, so |v| ≤ 128·max_valid_scale.
 * This catches an FLT_MAX scale that slipped into the sums (finite, yet absurd in float64).
 *
 * @example
 * ```ts
 * checkStatistics(input, 1.0, "out/utm30_2024.zarr");
 * ```
 */
export function checkStatistics(input: PcaInput, maxValidScale: number, path?: string): void {
  const { count, bands: B } = input;
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new TesseraError("BadStore", `stats_count ${count} is not a pixel count`, path);
  }
  assertFinite(input.sum, "stats/sum", path);
  assertFinite(input.sumProducts, "stats/sum_products", path);
  assertFinite(input.sample, "stats/sample", path);
  const vmax = 128 * maxValidScale;
  const over = (what: string, x: number, limit: number) => {
    throw new TesseraError(
      "BadStore",
      `${what} holds ${x}, more than valid pixels can produce (|value| ≤ 128 × max_valid_scale ` +
        `${maxValidScale} → limit ${limit}); a bad scale reached the statistics: rebuild the store`,
      path,
    );
  };
  // Indexed loops: this runs once per pass, cold, where iterators are ~50× slower.
  const { sample, sum } = input;
  for (let i = 0; i < sample.length; i++) {
    if (Math.abs(sample[i]) > vmax) over("stats/sample", sample[i], vmax);
  }
  for (let i = 0; i < sum.length; i++) {
    if (Math.abs(sum[i]) > vmax * count) over("stats/sum", sum[i], vmax * count);
  }
  for (let b = 0; b < B; b++) {
    const d = input.sumProducts[b * B + b];
    if (d < 0 || d > vmax * vmax * count) over("stats/sum_products", d, vmax * vmax * count);
  }
}

/**
 * Reads a small unsharded array stored as one chunk (the `stats/*` arrays): undefined when its
 * `zarr.json` is missing, fill when its chunk is. Direct, without zarrita: this runs once per
 * pass on the critical path, where zarrita's start-up cost would dominate.
 */
async function readSingleChunkArray(path: string, name: string) {
  const metaText = await Deno.readTextFile(join(path, name, "zarr.json")).catch(() => undefined);
  if (metaText === undefined) return undefined;
  const meta = JSON.parse(metaText) as ArrayMetadata;
  const layout = arrayLayout(meta);
  if (layout.innerChunkShape || layout.chunkShape.some((c, i) => c < meta.shape[i])) {
    throw new TesseraError("BadStore", `${name} is not a single-chunk array`, path);
  }
  const n = meta.shape.reduce((a, b) => a * b, 1);
  const chunkElems = layout.chunkShape.reduce((a, b) => a * b, 1);
  const out = typedArray(layout.dataType, chunkElems);
  if (layout.fill !== 0) out.fill(layout.fill);
  const bytes = await Deno.readFile(join(path, chunkKey(name, meta.shape.map(() => 0)))).catch(
    (e) => {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    },
  );
  if (bytes) {
    const raw = decodeChunk(bytes, layout, out.byteLength);
    new Uint8Array(out.buffer).set(raw);
  }
  return out.subarray(0, n);
}
