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
import { DEFAULT_MAX_VALID_SCALE } from "../tiles/scales.ts";
import { FsStore } from "../zarr/fs_store.ts";
import { groupMetadata, jsonBytes } from "../zarr/metadata.ts";
import type { TileFailure } from "./assemble.ts";
import { zoneBandCount } from "../tiles/band_count.ts";
import { acquireStoreLock } from "../store/lock.ts";
import { planShards, type ShardJob, shardSlice } from "../plan/shard_plan.ts";
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
import { storeName, type ZonePlan } from "../plan/zone_plan.ts";
import { collectTileWarnings, type TileWarning } from "./tile_warnings.ts";

/** Options of {@link buildZone}. */
export interface BuildOptions {
  base: string;
  outputDir: string;
  workers?: number;
  /** Continue an unfinished build: redo only shards without a completion marker. */
  resume?: boolean;
  /** Replace an existing store (previews included) instead of refusing. */
  overwrite?: boolean;
  /**
   * Re-derive every shard of an existing store and rewrite the ones whose files differ
   * (missing, truncated, corrupt, or present where the shard is empty), then the statistics
   * if they differ; everything else (previews included) is left as it is.
   */
  repair?: boolean;
  compress?: "none" | "zstd";
  datasetVersion?: string;
  maxValidScale?: number;
  /**
   * Embedding bands of the store (`--bands N`); default: the count most of the zone's tiles
   * have (lib/tiles/band_count.ts). Tiles with another count fail by name (ShapeMismatch).
   */
  bands?: number;
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
  /** With `repair`: shards whose files were rewritten or removed because they differed. */
  shardsRepaired: number;
  /** Unique failed tiles (a tile touching four shards is listed once). */
  failures: TileFailure[];
  /** Shards that crashed (not tile failures): the store is left resumable. */
  shardErrors: { row: number; col: number; message: string }[];
  /**
   * Tiles whose scales hold defect values (±inf, FLT_MAX, ≥ max_valid_scale, ≤ 0): those
   * pixels were stored as no data, the rest of the tile was used. Warnings, not failures.
   */
  badScales: BadScaleWarning[];
  /**
   * Tiles used although something is odd: scales all NaN (all pixels no data), a landmask
   * with more than one band (band 1 used). Warnings, not failures.
   */
  tileWarnings: TileWarning[];
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
    const bands = await zoneBandCount(opts.base, plan, {
      bands: opts.bands,
      signal: opts.signal,
    });
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
    const state = await prepareStore(path, info, storeMode(opts));
    const alreadyComplete = state === "complete";
    const repair = opts.repair === true;
    const store = new FsStore(path);
    // A finished store (and any preview passes run on it since) is left exactly as it is.
    if (!alreadyComplete) {
      await store.sweepTemps();
      await initZoneStore(store, info, await laterAttributes(store, info));
    }

    const all = planShards(plan);
    const mine = opts.slice ? shardSlice(all, opts.slice.k, opts.slice.n) : all;
    const todo: ShardJob[] = [];
    for (const job of alreadyComplete ? [] : mine) {
      const done = await store.has(markerKey(job.row, job.col));
      const failed = await store.has(failuresKey(job.row, job.col));
      if (repair || !done || failed) todo.push(job);
    }
    opts.onPlanned?.(todo.length, mine.length);
    const { shardErrors, bytesWritten, repaired } = await runPool(
      { ...shardWriterInit(plan, info, opts.base, path), compare: repair },
      todo,
      Math.max(1, Math.min(opts.workers ?? 2, todo.length || 1)),
      opts,
    );

    const failures = await collectFailures(store, mine);
    const badScales = await collectBadScales(store, mine, opts.base, info.maxValidScale);
    const tileWarnings = await collectTileWarnings(store, mine, plan.tiles, opts.base);
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
      shardsBuilt: repair ? repaired : todo.length - shardErrors.length,
      shardsReused: repair
        ? todo.length - shardErrors.length - repaired
        : mine.length - todo.length,
      shardsRepaired: repaired,
      failures,
      shardErrors,
      badScales,
      tileWarnings,
      complete,
      bytesWritten,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await lock.release();
  }
}

/** How a build treats an existing store. */
export type StoreMode = "fresh" | "resume" | "overwrite" | "repair";

/** The mode the options ask for; more than one of resume/overwrite/repair is a usage error. */
export function storeMode(opts: Pick<BuildOptions, "resume" | "overwrite" | "repair">): StoreMode {
  const asked = (["resume", "overwrite", "repair"] as const).filter((k) => opts[k]);
  if (asked.length > 1) {
    throw new TesseraError(
      "BadArgument",
      `--${asked.join(" and --")} cannot be combined: --resume continues an unfinished ` +
        "build, --repair re-checks a built store and rewrites what differs, --overwrite " +
        "replaces it",
    );
  }
  return asked[0] ?? "fresh";
}

/** What is at a store path before a build. */
export interface ExistingStore {
  exists: boolean;
  /** It has a zone store's group document (`utm_zone` attribute). */
  zoneStore: boolean;
  complete: boolean;
  /** Built, but some tiles failed: their shards' markers are kept for a --resume. */
  failedTiles: string[];
  attributes?: Record<string, unknown>;
  /** Arrays beyond the core ones (previews), which an overwrite would delete. */
  previews: string[];
}

/** Looks at what is at `path` without changing anything. */
export async function inspectStore(path: string): Promise<ExistingStore> {
  const exists = await Deno.lstat(path).then(() => true).catch(() => false);
  if (!exists) return { exists, zoneStore: false, complete: false, failedTiles: [], previews: [] };
  const doc = await Deno.readTextFile(join(path, "zarr.json")).then(JSON.parse).catch(() =>
    undefined
  );
  const attributes = doc?.attributes as Record<string, unknown> | undefined;
  const markers = await Deno.stat(join(path, BUILD_DIR)).then(() => true).catch(() => false);
  const previews = [["rgb", "has_rgb_preview"], ["pca_rgb", "has_pca_preview"]]
    .filter(([, flag]) => attributes?.[flag] === true).map(([name]) => name);
  return {
    exists,
    zoneStore: attributes?.utm_zone !== undefined,
    complete: attributes?.build_complete === true && !markers,
    failedTiles: attributes?.build_complete === true && Array.isArray(attributes.failed_tiles)
      ? attributes.failed_tiles.map(String)
      : [],
    attributes,
    previews,
  };
}

/**
 * Whether a build in `mode` may go ahead on what is at `path`: refuses to touch anything that
 * is not a zone store, and refuses to replace an existing zone store unless asked
 * (`--overwrite`), naming `--resume`, `--repair` and `--overwrite`. Changes nothing; a build of
 * several zones checks every store before it builds any.
 */
export function checkStoreMode(path: string, existing: ExistingStore, mode: StoreMode): void {
  if (!existing.exists) {
    if (mode === "repair") {
      throw new TesseraError(
        "BadArgument",
        "nothing to repair: no store here; build it without --repair",
        path,
      );
    }
    return;
  }
  if (!existing.zoneStore) {
    throw new TesseraError(
      "BadStore",
      "exists but is not a zone store; refusing to overwrite it — choose another --output-dir",
      path,
    );
  }
  if (mode !== "fresh") return;
  const previews = existing.previews.length
    ? ` and its previews (${existing.previews.join(", ")})`
    : "";
  throw new TesseraError(
    "StoreExists",
    existing.complete
      ? `is already built${previews}; leaving it as it is. Run again with --resume to keep ` +
        `it (and continue anything unfinished), --repair to re-check every shard and rewrite ` +
        `only what differs, or --overwrite to replace it${previews}`
      : existing.failedTiles.length
      ? `is built but ${existing.failedTiles.length} tile(s) failed (` +
        `${existing.failedTiles.slice(0, 3).join(", ")}${
          existing.failedTiles.length > 3 ? ", …" : ""
        }); leaving it as it is. Fix them and run again with --resume to redo only their ` +
        "shards, or --overwrite to replace the store"
      : "holds an unfinished build; leaving it as it is. Run again with --resume to continue " +
        "it (only unfinished shards are built), or --overwrite to start it again from nothing",
    path,
  );
}

/**
 * Makes `path` ready for this build and says what is there: "fresh" (a new or replaced store),
 * "resume" (an unfinished store to continue), "complete" (resuming a finished store: nothing
 * to do), or "repair". Resume and repair require the same grid and parameters.
 */
async function prepareStore(
  path: string,
  info: StoreInfo,
  mode: StoreMode,
): Promise<"fresh" | "resume" | "complete" | "repair"> {
  const existing = await inspectStore(path);
  checkStoreMode(path, existing, mode);
  if (!existing.exists) return "fresh";
  if (mode === "overwrite") {
    await Deno.remove(path, { recursive: true });
    return "fresh";
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
    const have = existing.attributes?.[k];
    if (JSON.stringify(have) !== JSON.stringify(want[k])) {
      throw new TesseraError(
        "BadStore",
        `cannot ${mode}: the store's ${k} is ${JSON.stringify(have)} but this build ` +
          `has ${JSON.stringify(want[k])}; run with --overwrite to rebuild it`,
        path,
      );
    }
  }
  if (mode === "repair") return "repair";
  return existing.complete ? "complete" : "resume";
}

async function runPool(
  init: ShardWriterInit,
  jobs: ShardJob[],
  n: number,
  opts: BuildOptions,
): Promise<
  { shardErrors: ZoneBuildResult["shardErrors"]; bytesWritten: number; repaired: number }
> {
  const shardErrors: ZoneBuildResult["shardErrors"] = [];
  let bytesWritten = 0;
  let repaired = 0;
  if (jobs.length === 0) return { shardErrors, bytesWritten, repaired };
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
            if (m.done.rewritten) repaired++;
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
  return { shardErrors, bytesWritten, repaired };
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

/** Attributes the build itself writes (their values are the build's to set). */
const BUILD_ATTRIBUTES = new Set([
  "failed_tiles",
  "bad_scale_pixels",
  "build_complete",
  "stats_count",
  "stats_lattice_px",
  "stats_sample_lattice_px",
  "stats_sample_size",
  "stats_band_p2",
  "stats_band_p98",
]);

/**
 * The group attributes that later passes (previews) added to the store at hand, in the order
 * they were written. A resumed or repaired build keeps them after its own attributes, so a
 * sound store's group document comes out byte-identical and no preview is orphaned.
 */
async function laterAttributes(store: FsStore, info: StoreInfo): Promise<Record<string, unknown>> {
  const bytes = await store.get("zarr.json").catch(() => undefined);
  let attrs: Record<string, unknown> = {};
  try {
    attrs = bytes ? JSON.parse(new TextDecoder().decode(bytes)).attributes ?? {} : {};
  } catch { /* an unreadable group document has nothing to keep */ }
  const own = storeAttributes(info);
  return Object.fromEntries(
    Object.entries(attrs).filter(([k]) => !(k in own) && !BUILD_ATTRIBUTES.has(k)),
  );
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
  const built: Record<string, unknown> = {
    ...storeAttributes(info),
    ...statsAttrs,
    failed_tiles: failedTiles,
    bad_scale_pixels: Object.fromEntries(badScales.map((w) => [w.tile, w.pixels])),
    build_complete: true,
  };
  Object.assign(built, await laterAttributes(store, info));
  await store.set("zarr.json", jsonBytes(groupMetadata(built)));
  if (failures.length === 0) {
    await Deno.remove(join(store.root, BUILD_DIR), { recursive: true }).catch(() => {});
  }
}
