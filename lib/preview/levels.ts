/**
 * Phases 3 and 4 of a preview pass: the full-resolution level, coloured shard by shard (both
 * previews from one read of the embeddings when both are asked for), then the overview
 * pyramids level by level, each shard of level k reduced from the shard-aligned block of
 * level k − 1 below it. Only shards that were written feed the next level.
 */
import type { FsStore } from "../zarr/fs_store.ts";
import { arrayLayout, type ArrayMetadata, groupMetadata, jsonBytes } from "../zarr/metadata.ts";
import {
  type LevelInfo,
  overviewShards,
  previewArrayMetadata,
  type PreviewName,
  pyramidLevels,
} from "./overviews.ts";
import type { PcaBasis } from "./pca.ts";
import type { PhaseRunner } from "./phase_runner.ts";
import type { JobResult, LevelRef, PreviewJob } from "./shard_jobs.ts";
import type { PreviewStoreInfo } from "./store_info.ts";
import type { RgbParams } from "./stretch.ts";

/** The levels of each preview being written, and each level's array document. */
export interface PreviewLevels {
  names: PreviewName[];
  levels: Record<PreviewName, LevelInfo[]>;
  refs: Map<string, LevelRef>;
}

/**
 * The pyramid levels of previews `names` for the store `info` (pure).
 *
 * @example
 * ```ts
 * previewLevels(info, ["rgb"]).levels.rgb.length; // 1 + number of overviews
 * ```
 */
export function previewLevels(
  info: Pick<PreviewStoreInfo, "height" | "width" | "transform">,
  names: PreviewName[],
): PreviewLevels {
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
  }
  return { names, levels, refs };
}

/** The shards written per level path, and the bytes written in all. */
export class WrittenShards {
  bytes = 0;
  readonly #byPath = new Map<string, [number, number][]>();

  /** Records what the jobs of one phase wrote (results in job order). */
  record(jobs: readonly PreviewJob[], results: readonly JobResult[]): void {
    results.forEach((r, i) => {
      for (const [p, n] of Object.entries(r.written)) {
        this.bytes += n;
        if (!this.#byPath.has(p)) this.#byPath.set(p, []);
        this.#byPath.get(p)!.push([jobs[i].row, jobs[i].col]);
      }
    });
  }

  /** The shards written of the level at `path`, in job order. */
  of(path: string): [number, number][] {
    return this.#byPath.get(path) ?? [];
  }
}

/**
 * Writes level 0 of every preview: the array documents, then one render job per existing
 * scales shard (`shards`), with the parameters sent to the workers first.
 *
 * @example
 * ```ts
 * await writeLevel0(store, levels, shards, { rgb, pca }, runner, written);
 * ```
 */
export async function writeLevel0(
  store: FsStore,
  p: PreviewLevels,
  shards: readonly [number, number][],
  params: { rgb?: RgbParams; pca?: PcaBasis },
  runner: PhaseRunner,
  written: WrittenShards,
): Promise<void> {
  for (const name of p.names) {
    await store.set(`${name}/zarr.json`, jsonBytes(p.refs.get(name)!.meta));
  }
  if (shards.length) runner.setParams(params);
  const jobs: PreviewJob[] = shards.map(([row, col]) => ({
    type: "render",
    row,
    col,
    previews: {
      rgb: params.rgb ? p.refs.get("rgb") : undefined,
      pca: params.pca ? p.refs.get("pca_rgb") : undefined,
    },
  }));
  written.record(jobs, await runner.run(p.names.join("+"), jobs));
}

/**
 * Writes the overview levels, level by level: level k of each preview from the shards of
 * level k − 1 that were written.
 *
 * @example
 * ```ts
 * await writeOverviews(store, levels, runner, written);
 * ```
 */
export async function writeOverviews(
  store: FsStore,
  p: PreviewLevels,
  runner: PhaseRunner,
  written: WrittenShards,
): Promise<void> {
  const depth = Math.max(...p.names.map((n) => p.levels[n].length));
  for (let k = 1; k < depth; k++) {
    const jobs: PreviewJob[] = [];
    for (const name of p.names) {
      if (k >= p.levels[name].length) continue;
      if (k === 1) await writeOverviewsGroup(store, name);
      const src = p.refs.get(p.levels[name][k - 1].path)!;
      const dst = p.refs.get(p.levels[name][k].path)!;
      await store.set(`${dst.path}/zarr.json`, jsonBytes(dst.meta));
      const targets = overviewShards(
        written.of(src.path),
        chunk(src.meta),
        src.meta.shape,
        chunk(dst.meta),
      );
      for (const [row, col] of targets) jobs.push({ type: "reduce", row, col, src, dst });
    }
    written.record(jobs, await runner.run(`overview ${k}`, jobs));
  }
}

/**
 * Writes the group document of preview `name`'s overview levels.
 *
 * @example
 * ```ts
 * await writeOverviewsGroup(store, "rgb"); // rgb_overviews/zarr.json
 * ```
 */
export async function writeOverviewsGroup(store: FsStore, name: PreviewName): Promise<void> {
  await store.set(
    `${name}_overviews/zarr.json`,
    jsonBytes(groupMetadata({
      description: `2× overview levels of ${name} (alpha-aware mean); see the root multiscales`,
    })),
  );
}

function chunk(meta: ArrayMetadata): number[] {
  return arrayLayout(meta).chunkShape;
}
