/**
 * Where the previews' statistics come from: the build-time statistics in the store (SPEC §5:
 * `stats/sum`, `stats/sum_products`, `stats/sample`, `stats_count`), read without touching the
 * embeddings; or, for a store without them, the merged lattice samples of its shards
 * (shard_sample.ts). Either way the result is one {@link PcaInput}, checked to be finite.
 */
import { mergeStats } from "../store/statistics.ts";
import { TesseraError } from "../errors.ts";
import { parseStatisticsAttributes } from "../store/attributes.ts";
import {
  decodeStats,
  emptyStats,
  fullSumProducts,
  readStatsGroup,
  SAMPLE_SIZE,
  type StatsPartial,
} from "../store/stats_codec.ts";
import { FsStore } from "../zarr/fs_store.ts";
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
  const attrs = parseStatisticsAttributes(attributes);
  if (!attrs) return undefined;
  const stored = await readStatsGroup(new FsStore(path), bands, path);
  if (!stored) return undefined;
  const input = { bands, count: attrs.count, ...stored };
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
  const input = {
    bands,
    count: st.count,
    sum: st.sum,
    sumProducts: fullSumProducts(st),
    sample: st.vectors,
  };
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
