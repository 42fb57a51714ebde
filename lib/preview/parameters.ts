/**
 * Phase 1 of a preview pass, before anything in the store changes: the statistics (the
 * store's build-time ones, else the lattice sample of its shards, statistics.ts) and from
 * them the RGB stretch and the PCA basis.
 */
import type { PcaBasis } from "./pca.ts";
import { pcaBasis } from "./pca.ts";
import type { RunPhase } from "./phase_runner.ts";
import { chooseRgb, DEFAULT_RGB_BANDS } from "./rgb_pass.ts";
import { mergeShardSamples, type PreviewStatistics, readBuildStatistics } from "./statistics.ts";
import type { PreviewStoreInfo } from "./store_info.ts";
import type { RgbParams } from "./stretch.ts";
import { TesseraError } from "../errors.ts";
import { listArrayShards } from "../store/shard_files.ts";
import type { PreviewSource } from "../store/previews.ts";
import type { ParameterSource } from "./parameter_files.ts";
import { PhaseRunner } from "./phase_runner.ts";
import type { JobContext } from "./shard_jobs.ts";
import { readPreviewStoreInfo } from "./store_info.ts";

/** Which previews to write. */
export interface PreviewRequest {
  /**
   * Write the RGB preview of these bands (default 0, 1, 2), with the stretch `given` (a saved
   * stretch file, parameter_files.ts) instead of one chosen from the statistics.
   */
  rgb?: { bands?: readonly number[]; given?: RgbParams; source?: PreviewSource };
  /**
   * Write the PCA preview; with `given`, of that basis instead of one from the statistics.
   * `source` says where given parameters came from (default `{from: "given"}`; a sliced
   * build's finalise hands over the pre-pass's, `{from: "input", …}`).
   */
  pca?: boolean | { given?: PcaBasis; source?: PreviewSource };
}

/** Where each requested preview's parameters come from (recorded as `rgb_source`/`pca_source`). */
export function requestSources(
  request: PreviewRequest,
): { rgb?: PreviewSource; pca?: PreviewSource } {
  const of = (r: { given?: unknown; source?: PreviewSource } | undefined): PreviewSource =>
    r?.source ?? (r?.given ? { from: "given" } : { from: "statistics" });
  const pca = typeof request.pca === "object" ? request.pca : undefined;
  return {
    ...(request.rgb ? { rgb: of(request.rgb) } : {}),
    ...(request.pca ? { pca: of(pca) } : {}),
  };
}

/** What the previews are drawn with, and where the statistics came from. */
export interface PreviewParameters {
  /** "given": every parameter was handed over, no statistics were read. */
  statistics: PreviewStatistics["source"] | "given";
  rgb?: RgbParams;
  pca?: PcaBasis;
}

/**
 * The parameters of `request`'s previews of the store `info`; `shards` (the existing scales
 * shards) are sampled through `run` only when the store has no build-time statistics.
 *
 * @example
 * ```ts
 * const { rgb, pca } = await choosePreviewParameters(info, shards, { pca: true }, runner.run);
 * ```
 */
export async function choosePreviewParameters(
  info: PreviewStoreInfo,
  shards: readonly [number, number][],
  request: PreviewRequest,
  run: RunPhase,
): Promise<PreviewParameters> {
  const { path, bands, maxValidScale } = info;
  const givenPca = typeof request.pca === "object" ? request.pca.given : undefined;
  const givenRgb = request.rgb?.given;
  if (givenRgb) {
    const out = givenRgb.bands.find((b) => b >= bands);
    if (out !== undefined) {
      throw new TesseraError(
        "BadArgument",
        `the given RGB stretch shows band ${out}; the store has ${bands} bands`,
        path,
      );
    }
  }
  if (givenPca && givenPca.mean.length !== bands) {
    throw new TesseraError(
      "BadArgument",
      `the given PCA basis is of ${givenPca.mean.length}-band vectors; the store has ${bands} bands`,
      path,
    );
  }
  if ((!request.rgb || givenRgb) && (!request.pca || givenPca)) {
    return { statistics: "given", rgb: givenRgb, pca: givenPca };
  }
  let stats: PreviewStatistics;
  const built = await readBuildStatistics(path, info.attributes, bands, maxValidScale);
  if (built) {
    stats = { source: "build", input: built };
  } else {
    const res = await run("sample", shards.map(([row, col]) => ({ type: "sample", row, col })));
    stats = {
      source: "shards",
      input: mergeShardSamples(res.map((r) => r.stats!), bands, maxValidScale, path),
    };
  }
  return {
    statistics: stats.source,
    rgb: request.rgb
      ? givenRgb ?? chooseRgb(stats.input, request.rgb.bands ?? DEFAULT_RGB_BANDS)
      : undefined,
    pca: request.pca ? givenPca ?? pcaBasis(stats.input, path) : undefined,
  };
}

/**
 * The parameters `request` would draw the store at `path` with, without writing anything
 * (`stats`/`pca --dry-run`): its build-time statistics, else a lattice sample of its shards.
 *
 * @example
 * ```ts
 * const { pca } = await choosePreviewParametersOf("out/utm30_2024.zarr", { pca: true });
 * ```
 */
export async function choosePreviewParametersOf(
  path: string,
  request: PreviewRequest,
): Promise<PreviewParameters> {
  const info = await readPreviewStoreInfo(path);
  const shards = await listArrayShards(path, "scales");
  const ctx: JobContext = {
    storePath: path,
    bands: info.bands,
    maxValidScale: info.maxValidScale,
    embeddings: info.embeddings,
    scales: info.scales,
  };
  using runner = new PhaseRunner(ctx, 1);
  return await choosePreviewParameters(info, shards, request, runner.run);
}

/**
 * Where parameters chosen for the store at `path` came from, for a parameter file.
 *
 * @example
 * ```ts
 * sourceOf("out/utm30_2024.zarr", params); // { from: "build statistics", data: "out/…" }
 * ```
 */
export function sourceOf(path: string, p: PreviewParameters): ParameterSource {
  return { from: `${p.statistics} statistics`, data: path };
}
