/**
 * The preview pass (SPEC §6): choose the RGB stretch and/or the PCA basis from statistics,
 * then write `rgb` and/or `pca_rgb` whole shard by whole shard (both from one read of the
 * embeddings when both are asked for), then their overview pyramids level by level, then the
 * attributes — each done flag strictly last. Holds the store's lock throughout, so it never
 * runs beside a build or another pass on the same store.
 *
 * A crash at any moment leaves the store without the preview's attributes and flag (they are
 * removed before anything is rewritten); re-running the pass gives the same bytes as an
 * uninterrupted run.
 */
import { basename, join } from "node:path";
import { acquireStoreLock } from "../store/lock.ts";
import type { Progress } from "../cli/progress.ts";
import { TesseraError } from "../errors.ts";
import { FsStore } from "../zarr/fs_store.ts";
import { arrayLayout, type ArrayMetadata, groupMetadata, jsonBytes } from "../zarr/metadata.ts";
import { doneFlag, withoutPreviews, withPreviews } from "./attributes.ts";
import {
  type LevelInfo,
  overviewShards,
  previewArrayMetadata,
  type PreviewName,
  pyramidLevels,
} from "./overviews.ts";
import { type PcaBasis, pcaBasis } from "./pca.ts";
import { pcaAttributes } from "./pca_pass.ts";
import { PreviewPool } from "./pool.ts";
import { chooseRgb, DEFAULT_RGB_BANDS, rgbAttributes } from "./rgb_pass.ts";
import type { JobContext, JobResult, LevelRef, PreviewJob } from "./shard_jobs.ts";
import { mergeShardSamples, type PreviewStatistics, readBuildStatistics } from "./statistics.ts";
import { listShards, openZoneStore, updateRootAttributes } from "./store_io.ts";
import type { RgbParams } from "./stretch.ts";

/** Which previews to write. */
export interface PreviewRequest {
  /** Write the RGB preview of these bands (default 0, 1, 2). */
  rgb?: { bands?: readonly number[] };
  /** Write the PCA preview. */
  pca?: boolean;
}

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
  /** Where the stretch and basis came from. */
  statistics: PreviewStatistics["source"];
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
  let pool: PreviewPool | undefined;
  try {
    const info = await openZoneStore(path);
    const store = new FsStore(path);
    const ctx: JobContext = {
      storePath: path,
      bands: info.bands,
      maxValidScale: info.maxValidScale,
      embeddings: info.embeddings,
      scales: info.scales,
    };
    const shards = await listShards(store, "scales");
    const workers = Math.max(1, Math.min(opts.workers ?? 2, shards.length || 1));
    const startPool = () => pool ??= PreviewPool.start(ctx, workers, opts.signal);
    const phase = async (label: string, jobs: PreviewJob[]): Promise<JobResult[]> => {
      if (jobs.length === 0) return [];
      const bar = opts.progress?.(label, jobs.length);
      try {
        return await startPool().run(jobs, () => bar?.tick());
      } finally {
        bar?.stop();
      }
    };

    // Workers load their modules on the other cores while this thread chooses the parameters.
    if (shards.length) startPool();

    // 1. Statistics and parameters, before anything in the store changes.
    let stats: PreviewStatistics;
    const built = await readBuildStatistics(path, info.attributes, info.bands, info.maxValidScale);
    if (built) {
      stats = { source: "build", input: built };
    } else {
      const res = await phase("sample", shards.map(([row, col]) => ({ type: "sample", row, col })));
      stats = {
        source: "shards",
        input: mergeShardSamples(res.map((r) => r.stats!), info.bands, info.maxValidScale, path),
      };
    }
    const rgb = request.rgb
      ? chooseRgb(stats.input, request.rgb.bands ?? DEFAULT_RGB_BANDS)
      : undefined;
    const pca = request.pca ? pcaBasis(stats.input, path) : undefined;
    const tChosen = performance.now();

    // 2. Withdraw the old previews: attributes and flags first, then their arrays.
    const names: PreviewName[] = [];
    if (rgb) names.push("rgb");
    if (pca) names.push("pca_rgb");
    await updateRootAttributes(store, (a) => withoutPreviews(a, names));
    for (const name of names) {
      for (const dir of [name, `${name}_overviews`]) {
        await Deno.remove(join(path, dir), { recursive: true }).catch((e) => {
          if (!(e instanceof Deno.errors.NotFound)) throw e;
        });
      }
    }
    await store.sweepTemps();

    // 3. Level 0, one job per shard with data.
    const levels = Object.fromEntries(
      names.map((n) => [n, pyramidLevels(n, info.height, info.width, info.transform)]),
    ) as Record<PreviewName, LevelInfo[]>;
    const refs = new Map<string, LevelRef>();
    for (const name of names) {
      for (const l of levels[name]) {
        refs.set(l.path, {
          path: l.path,
          meta: previewArrayMetadata(l.shape[0], l.shape[1], l.level),
        });
      }
      await store.set(`${name}/zarr.json`, jsonBytes(refs.get(name)!.meta));
    }
    let bytesWritten = 0;
    const written = new Map<string, [number, number][]>(names.map((n) => [n, []]));
    const record = (jobs: PreviewJob[], results: JobResult[]) => {
      results.forEach((r, i) => {
        for (const [p, n] of Object.entries(r.written)) {
          bytesWritten += n;
          if (!written.has(p)) written.set(p, []);
          written.get(p)!.push([jobs[i].row, jobs[i].col]);
        }
      });
    };
    if (shards.length) startPool().setParams({ rgb, pca });
    const renderJobs: PreviewJob[] = shards.map(([row, col]) => ({
      type: "render",
      row,
      col,
      previews: {
        rgb: rgb ? refs.get("rgb") : undefined,
        pca: pca ? refs.get("pca_rgb") : undefined,
      },
    }));
    record(renderJobs, await phase(names.join("+"), renderJobs));
    const tRendered = performance.now();

    // 4. Overviews, level by level: level k is read back shard-aligned block by block.
    const depth = Math.max(...names.map((n) => levels[n].length));
    for (let k = 1; k < depth; k++) {
      const jobs: PreviewJob[] = [];
      for (const name of names) {
        if (k >= levels[name].length) continue;
        if (k === 1) {
          await store.set(
            `${name}_overviews/zarr.json`,
            jsonBytes(groupMetadata({
              description:
                `2× overview levels of ${name} (alpha-aware mean); see the root multiscales`,
            })),
          );
        }
        const src = refs.get(levels[name][k - 1].path)!, dst = refs.get(levels[name][k].path)!;
        await store.set(`${dst.path}/zarr.json`, jsonBytes(dst.meta));
        const targets = overviewShards(
          written.get(src.path) ?? [],
          chunk(src.meta),
          src.meta.shape,
          chunk(dst.meta),
        );
        for (const [row, col] of targets) jobs.push({ type: "reduce", row, col, src, dst });
      }
      record(jobs, await phase(`overview ${k}`, jobs));
    }
    const tOverviews = performance.now();

    // 5. Attributes, done flags last.
    const added: Record<string, unknown> = {};
    if (rgb) Object.assign(added, rgbAttributes(rgb), { [doneFlag("rgb")]: true });
    if (pca) Object.assign(added, pcaAttributes(pca), { [doneFlag("pca_rgb")]: true });
    await updateRootAttributes(store, (a) => withPreviews(a, added, levels));

    const s = (a: number, b: number) => (b - a) / 1000;
    return {
      store: basename(path),
      path,
      statistics: stats.source,
      rgb: rgb && { ...rgb, levels: levels.rgb },
      pca: pca && { ...pca, levels: levels.pca_rgb },
      shards: shards.length,
      bytesWritten,
      seconds: {
        choose: s(t0, tChosen),
        render: s(tChosen, tRendered),
        overviews: s(tRendered, tOverviews),
        total: s(t0, performance.now()),
      },
    };
  } finally {
    pool?.close();
    await lock.release();
  }
}

function chunk(meta: ArrayMetadata): number[] {
  return arrayLayout(meta).chunkShape;
}
