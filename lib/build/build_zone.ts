/**
 * Builds one zone store: plan shards, hand them to a pool of Web Workers (each holding one
 * shard buffer, so memory is workers × one shard whatever the zone size), then merge the
 * per-shard statistics and finish the group attributes. Crash-safe: every shard is written
 * once via rename with a completion marker last, and `resume` redoes only shards without a
 * marker (or with failed tiles), giving a store byte-identical to an uninterrupted build.
 */
import { join } from "node:path";
import { TesseraError } from "../errors.ts";
import { parseTileName, tilePaths } from "../tiles/layout.ts";
import { tileRef } from "../tiles/tile_ref.ts";
import { openNpy } from "../tiles/npy.ts";
import { DEFAULT_MAX_VALID_SCALE } from "../tiles/scales.ts";
import { FsStore } from "../zarr/fs_store.ts";
import { groupMetadata, jsonBytes } from "../zarr/metadata.ts";
import type { TileFailure } from "./assemble.ts";
import { acquireStoreLock } from "./lock.ts";
import { planShards, type ShardJob, shardSlice } from "./shard_plan.ts";
import {
  badScalesKey,
  BUILD_DIR,
  failuresKey,
  markerKey,
  type ShardDone,
  type ShardWriterInit,
  shardWriterInit,
} from "./shard_writer.ts";
import { decodeStats, emptyStats, mergeStats } from "./stats.ts";
import { initZoneStore, storeAttributes, type StoreInfo, writeStats } from "./zone_store.ts";
import { storeName, type ZonePlan } from "./zone_plan.ts";

/** Options of {@link buildZone}. */
export interface BuildOptions {
  base: string;
  outputDir: string;
  workers?: number;
  resume?: boolean;
  compress?: "none" | "zstd";
  datasetVersion?: string;
  maxValidScale?: number;
  /** Build only slice k of n of the shard list (scale-out, SPEC §11); skips finalisation. */
  slice?: { k: number; n: number };
  onPlanned?: (shardsToBuild: number, shardsTotal: number) => void;
  onShard?: (done: ShardDone) => void;
  signal?: AbortSignal;
}

/** What a zone build did. */
export interface ZoneBuildResult {
  store: string;
  path: string;
  zone: number;
  year: number;
  tiles: number;
  bands: number;
  shardsPlanned: number;
  shardsBuilt: number;
  shardsReused: number;
  /** Unique failed tiles (a tile touching four shards is listed once). */
  failures: TileFailure[];
  /** Shards that crashed (not tile failures): the store is left resumable. */
  shardErrors: { row: number; col: number; message: string }[];
  /**
   * Tiles whose scales hold defect values (±inf, FLT_MAX, ≥ max_valid_scale, ≤ 0): those
   * pixels were stored as no data, the rest of the tile was used. Warnings, not failures.
   */
  badScales: BadScaleWarning[];
  complete: boolean;
  bytesWritten: number;
  seconds: number;
}

/** A tile whose scales file holds defect values, and how many pixels of the zone were affected. */
export interface BadScaleWarning {
  tile: string;
  year: number;
  kind: "BadScales";
  path: string;
  pixels: number;
  message: string;
}

/**
 * Builds (or resumes) the store of `plan` under `opts.outputDir`.
 *
 * @example
 * const r = await buildZone(planZones(tiles)[0], { base, outputDir: `${base}/zarr`, workers: 2 });
 * if (r.failures.length) Deno.exit(1);
 */
export async function buildZone(plan: ZonePlan, opts: BuildOptions): Promise<ZoneBuildResult> {
  const t0 = performance.now();
  const name = storeName(plan.zone, plan.year);
  const path = join(opts.outputDir, name);
  await Deno.mkdir(opts.outputDir, { recursive: true });
  const lock = await acquireStoreLock(path);
  try {
    const bands = await detectBands(opts.base, plan);
    const info: StoreInfo = {
      zone: plan.zone,
      year: plan.year,
      epsg: plan.epsg,
      geobox: plan.geobox,
      nTiles: plan.tiles.length,
      bands,
      datasetVersion: opts.datasetVersion ?? "v1",
      maxValidScale: opts.maxValidScale ?? DEFAULT_MAX_VALID_SCALE,
      compress: opts.compress ?? "none",
    };
    const alreadyComplete = await prepareStore(path, info, opts.resume ?? false);
    const store = new FsStore(path);
    // A finished store (and any preview passes run on it since) is left exactly as it is.
    if (!alreadyComplete) {
      await store.sweepTemps();
      await initZoneStore(store, info);
    }

    const all = planShards(plan);
    const mine = opts.slice ? shardSlice(all, opts.slice.k, opts.slice.n) : all;
    const todo: ShardJob[] = [];
    for (const job of alreadyComplete ? [] : mine) {
      const done = await store.has(markerKey(job.row, job.col));
      const failed = await store.has(failuresKey(job.row, job.col));
      if (!done || failed) todo.push(job);
    }
    opts.onPlanned?.(todo.length, mine.length);
    const { shardErrors, bytesWritten } = await runPool(
      shardWriterInit(plan, info, opts.base, path),
      todo,
      Math.max(1, Math.min(opts.workers ?? 2, todo.length || 1)),
      opts,
    );

    const failures = await collectFailures(store, mine);
    const badScales = await collectBadScales(store, mine, opts.base, info.maxValidScale);
    let complete = alreadyComplete;
    if (shardErrors.length === 0 && !opts.slice && !alreadyComplete) {
      await finalise(store, info, all, failures, badScales);
      complete = true;
    }
    return {
      store: name,
      path,
      zone: plan.zone,
      year: plan.year,
      tiles: plan.tiles.length,
      bands,
      shardsPlanned: mine.length,
      shardsBuilt: todo.length - shardErrors.length,
      shardsReused: mine.length - todo.length,
      failures,
      shardErrors,
      badScales,
      complete,
      bytesWritten,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await lock.release();
  }
}

/** Band count of the zone: from the first tile whose embeddings header reads. */
async function detectBands(base: string, plan: ZonePlan): Promise<number> {
  for (const t of plan.tiles) {
    try {
      using npy = await openNpy(tilePaths(base, t).embeddings, { dtype: "int8", ndim: 3 });
      return npy.shape[2];
    } catch { /* a broken tile: try the next one */ }
  }
  throw new TesseraError(
    "BadArgument",
    `none of the ${plan.tiles.length} tiles of zone ${plan.zone} (${plan.year}) has a readable ` +
      "embeddings .npy; run `deno task scan` to see what is wrong",
  );
}

/**
 * Makes sure `path` can take this build: a fresh build replaces an existing zone store (as
 * upstream did) but refuses to delete anything that is not one; a resume requires the same
 * grid and parameters. Returns true when resuming a store that is already complete.
 */
async function prepareStore(path: string, info: StoreInfo, resume: boolean): Promise<boolean> {
  const existing = await Deno.readTextFile(join(path, "zarr.json")).then(JSON.parse).catch(() =>
    undefined
  );
  const exists = await Deno.stat(path).then(() => true).catch(() => false);
  if (!exists) return false;
  if (!existing?.attributes?.utm_zone) {
    throw new TesseraError(
      "BadStore",
      "exists but is not a zone store; refusing to overwrite it — choose another --output-dir",
      path,
    );
  }
  if (!resume) {
    await Deno.remove(path, { recursive: true });
    return false;
  }
  const want = storeAttributes(info);
  for (
    const k of [
      "utm_zone",
      "year",
      "transform",
      "n_bands",
      "n_tiles",
      "max_valid_scale",
      "embeddings_compression",
    ]
  ) {
    if (JSON.stringify(existing.attributes[k]) !== JSON.stringify(want[k])) {
      throw new TesseraError(
        "BadStore",
        `cannot resume: the store's ${k} is ${
          JSON.stringify(existing.attributes[k])
        } but this build ` +
          `has ${JSON.stringify(want[k])}; run without --resume to rebuild it`,
        path,
      );
    }
  }
  const markers = await Deno.stat(join(path, BUILD_DIR)).then(() => true).catch(() => false);
  return existing.attributes.build_complete === true && !markers;
}

async function runPool(
  init: ShardWriterInit,
  jobs: ShardJob[],
  n: number,
  opts: BuildOptions,
): Promise<{ shardErrors: ZoneBuildResult["shardErrors"]; bytesWritten: number }> {
  const shardErrors: ZoneBuildResult["shardErrors"] = [];
  let bytesWritten = 0;
  if (jobs.length === 0) return { shardErrors, bytesWritten };
  let next = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(Array.from({ length: n }, () =>
      new Promise<void>((resolve, reject) => {
        const w = new Worker(new URL("./shard_worker.ts", import.meta.url), { type: "module" });
        workers.push(w);
        const give = () => {
          if (opts.signal?.aborted || next >= jobs.length) return resolve();
          w.postMessage({ type: "shard", job: jobs[next++] });
        };
        w.onerror = (e) => {
          e.preventDefault();
          reject(new Error(`build worker crashed: ${e.message}`));
        };
        w.onmessage = (e: MessageEvent) => {
          const m = e.data;
          if (m.type === "ready") return give();
          if (m.type === "done") {
            bytesWritten += m.done.bytesWritten;
            opts.onShard?.(m.done);
          } else if (m.type === "error") {
            shardErrors.push({ row: m.row, col: m.col, message: m.message });
          }
          give();
        };
        w.postMessage({ type: "init", init });
      })));
  } finally {
    for (const w of workers) w.terminate();
  }
  opts.signal?.throwIfAborted();
  return { shardErrors, bytesWritten };
}

async function collectFailures(store: FsStore, jobs: readonly ShardJob[]): Promise<TileFailure[]> {
  const seen = new Map<string, TileFailure>();
  for (const job of jobs) {
    const bytes = await store.get(failuresKey(job.row, job.col));
    if (!bytes) continue;
    for (const f of JSON.parse(new TextDecoder().decode(bytes)) as TileFailure[]) {
      const key = `${f.year}/${f.tile}/${f.path}/${f.kind}`;
      if (!seen.has(key)) seen.set(key, f);
    }
  }
  return [...seen.values()].sort((a, b) =>
    a.tile.localeCompare(b.tile) || (a.path ?? "").localeCompare(b.path ?? "")
  );
}

/** Sums the per-shard bad-scale counts per tile, in tile-name order. */
async function collectBadScales(
  store: FsStore,
  jobs: readonly ShardJob[],
  base: string,
  maxValidScale: number,
): Promise<BadScaleWarning[]> {
  const pixels = new Map<string, number>();
  for (const job of jobs) {
    const bytes = await store.get(badScalesKey(job.row, job.col));
    if (!bytes) continue;
    const byTile = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, number>;
    for (const [key, n] of Object.entries(byTile)) pixels.set(key, (pixels.get(key) ?? 0) + n);
  }
  return [...pixels].sort((a, b) => a[0].localeCompare(b[0])).map(([key, n]) => {
    const [year, tile] = key.split("/");
    const { lonI, latI } = parseTileName(tile);
    return {
      tile,
      year: Number(year),
      kind: "BadScales" as const,
      path: tilePaths(base, tileRef(Number(year), lonI, latI)).scales,
      pixels: n,
      message: `${n} pixel(s) with scales that are ±inf, FLT_MAX, ≥ ${maxValidScale} or ≤ 0 ` +
        "were stored as no data; re-download the tile if that is unexpected",
    };
  });
}

/** Merges statistics in shard order, writes them and the final attributes, drops markers. */
async function finalise(
  store: FsStore,
  info: StoreInfo,
  jobs: readonly ShardJob[],
  failures: TileFailure[],
  badScales: BadScaleWarning[],
) {
  let st = emptyStats(info.bands);
  for (const job of jobs) {
    const bytes = await store.get(markerKey(job.row, job.col));
    if (!bytes) {
      throw new TesseraError("BadStore", `shard ${job.row},${job.col} has no marker`, store.root);
    }
    st = mergeStats(st, decodeStats(bytes));
  }
  const statsAttrs = await writeStats(store, st);
  const failedTiles = [...new Set(failures.map((f) => f.tile))].sort();
  await store.set(
    "zarr.json",
    jsonBytes(groupMetadata({
      ...storeAttributes(info),
      ...statsAttrs,
      failed_tiles: failedTiles,
      bad_scale_pixels: Object.fromEntries(badScales.map((w) => [w.tile, w.pixels])),
      build_complete: true,
    })),
  );
  if (failures.length === 0) {
    await Deno.remove(join(store.root, BUILD_DIR), { recursive: true }).catch(() => {});
  }
}
