/**
 * The preview pass (SPEC §6), in five phases, each in the file that holds it: (1) choose the
 * RGB stretch and/or the PCA basis from statistics (parameters.ts); (2) withdraw the old
 * previews (publish.ts); (3) write `rgb` and/or `pca_rgb` whole shard by whole shard and
 * (4) their overview pyramids level by level (levels.ts); (5) publish the attributes, each
 * done flag strictly last (publish.ts). Holds the store's lock throughout, so it never runs
 * beside a build or another pass on the same store.
 *
 * A crash at any moment leaves the store without the preview's attributes and flag (they are
 * removed before anything is rewritten); re-running the pass gives the same bytes as an
 * uninterrupted run.
 */
import { basename } from "node:path";
import { acquireStoreLock } from "../store/lock.ts";
import type { Progress } from "../cli/progress.ts";
import { TesseraError } from "../errors.ts";
import { listArrayShards } from "../store/shard_files.ts";
import { FsStore } from "../zarr/fs_store.ts";
import { previewLevels, writeLevel0, writeOverviews, WrittenShards } from "./levels.ts";
import type { LevelInfo, PreviewName } from "./overviews.ts";
import {
  choosePreviewParameters,
  type PreviewParameters,
  type PreviewRequest,
  requestSources,
} from "./parameters.ts";
import type { PcaBasis } from "./pca.ts";
import { PhaseRunner } from "./phase_runner.ts";
import { publishPreviews, withdrawPreviews } from "./publish.ts";
import type { JobContext } from "./shard_jobs.ts";
import { readPreviewStoreInfo } from "./store_info.ts";
import type { RgbParams } from "./stretch.ts";

export type { PreviewRequest } from "./parameters.ts";

/** Options of {@link writePreviews}. */
export interface PreviewOptions {
  /** Parallel shard workers (default 2). */
  workers?: number;
  signal?: AbortSignal;
  /** Makes a progress reporter for a phase ("sample", "previews", "overview k"). */
  progress?: (label: string, total: number) => Progress;
}

/** What a preview pass did. */
export interface PreviewResult {
  store: string;
  path: string;
  /** Where the stretch and basis came from ("given": handed over, no statistics read). */
  statistics: PreviewParameters["statistics"];
  rgb?: RgbParams & { levels: LevelInfo[] };
  pca?: PcaBasis & { levels: LevelInfo[] };
  /** Full-resolution shards coloured (shards with any valid pixel). */
  shards: number;
  bytesWritten: number;
  /** Seconds spent choosing parameters, colouring level 0, building overviews, in all. */
  seconds: { choose: number; render: number; overviews: number; total: number };
}

/**
 * Writes the requested previews of the zone store at `path`.
 *
 * @example
 * ```ts
 * const r = await writePreviews("out/utm30_2024.zarr", { rgb: {}, pca: true }, { workers: 2 });
 * r.rgb?.stretch; // { min: [...], max: [...] }
 * ```
 */
export async function writePreviews(
  path: string,
  request: PreviewRequest,
  opts: PreviewOptions = {},
): Promise<PreviewResult> {
  const t0 = performance.now();
  if (!request.rgb && !request.pca) throw new TesseraError("BadArgument", "no preview requested");
  const lock = await acquireStoreLock(path);
  try {
    const info = await readPreviewStoreInfo(path);
    const store = new FsStore(path);
    const ctx: JobContext = {
      storePath: path,
      bands: info.bands,
      maxValidScale: info.maxValidScale,
      embeddings: info.embeddings,
      scales: info.scales,
    };
    const shards = await listArrayShards(path, "scales");
    const workers = Math.max(1, Math.min(opts.workers ?? 2, shards.length || 1));
    using runner = new PhaseRunner(ctx, workers, opts);
    // Workers load their modules on the other cores while this thread chooses the parameters.
    if (shards.length) runner.start();

    const params = await choosePreviewParameters(info, shards, request, runner.run);
    const tChosen = performance.now();

    const names: PreviewName[] = [];
    if (params.rgb) names.push("rgb");
    if (params.pca) names.push("pca_rgb");
    await withdrawPreviews(store, names);

    const levels = previewLevels(info, names);
    const written = new WrittenShards();
    await writeLevel0(store, levels, shards, params, runner, written);
    const tRendered = performance.now();
    await writeOverviews(store, levels, runner, written);
    const tOverviews = performance.now();

    await publishPreviews(store, params, levels.levels, requestSources(request));

    const s = (a: number, b: number) => (b - a) / 1000;
    return {
      store: basename(path),
      path,
      statistics: params.statistics,
      rgb: params.rgb && { ...params.rgb, levels: levels.levels.rgb },
      pca: params.pca && { ...params.pca, levels: levels.levels.pca_rgb },
      shards: shards.length,
      bytesWritten: written.bytes,
      seconds: {
        choose: s(t0, tChosen),
        render: s(tChosen, tRendered),
        overviews: s(tRendered, tOverviews),
        total: s(t0, performance.now()),
      },
    };
  } finally {
    await lock.release();
  }
}
