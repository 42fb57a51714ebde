/**
 * Builds one zone store: decide the band count, hand the plan's shards to a pool of Web
 * Workers (each holding one shard buffer, so memory is workers × one shard whatever the zone
 * size), then merge the per-shard statistics and finish the group attributes. Crash-safe:
 * every shard is written once via rename with a completion marker last, and `resume` redoes
 * only shards without a marker (or with failed tiles), giving a store byte-identical to an
 * uninterrupted build.
 */
import { join } from "node:path";
import { TesseraError } from "../errors.ts";
import { parseTileName, tilePaths } from "../tiles/layout.ts";
import { tileRef } from "../tiles/tile_ref.ts";
import { FsStore } from "../zarr/fs_store.ts";
import type { TileFailure } from "./assemble.ts";
import { zoneBandCount } from "../tiles/band_count.ts";
import { acquireStoreLock } from "../store/lock.ts";
import { type ShardPlan, shardSlice } from "../plan/shard_plan.ts";
import { type BuildPlan, withBands } from "../plan/build_plan.ts";
import { type ShardDone, shardWriterInit } from "./shard_writer.ts";
import { mergeStats } from "./stats.ts";
import { type StoreInfo, storeInfo, type StoreOptions } from "./store_info.ts";
import type { ZonePlan } from "../plan/zone_plan.ts";
import { attributesAddedLater, zoneGroupAttributes } from "../store/attributes.ts";
import { readGroupAttributes, writeGroup } from "../store/documents.ts";
import { initZoneStore } from "../store/init.ts";
import { badScalesKey, BUILD_DIR, failuresKey, markerKey } from "../store/layout.ts";
import { storeName } from "../store/names.ts";
import { decodeStats, emptyStats, writeStatsGroup } from "../store/stats_codec.ts";
import { collectTileWarnings, type TileWarning } from "./tile_warnings.ts";
import { WorkerPool } from "../workers/pool.ts";
import { prepareStore, storeMode } from "./existing_store.ts";
import { storeArrays } from "../store/arrays.ts";
import { withoutPreviews, withPreviews } from "../store/previews.ts";
import type { PreviewName } from "../store/previews.ts";
import {
  type BuildPreviewParams,
  type BuildPreviewRequest,
  chooseBuildPreviews,
  type ChosenPreviews,
  claimPreviewsRecord,
  finishBuildPreviews,
  previewNames,
  readPreviewsRecord,
  shardPreviewInit,
} from "../preview/in_build.ts";
import type { BuildWorkerInit } from "./shard_worker.ts";
import { startTileSpool } from "../remote/tile_spool.ts";

// What a build does with a store that exists (refuse, resume, repair, overwrite).
export {
  checkStoreMode,
  type ExistingStore,
  inspectStore,
  prepareStore,
  type StoreMode,
  storeMode,
} from "./existing_store.ts";

/** Options of {@link buildZone}, the store's parameters (version, max scale, codec) included. */
export interface BuildOptions extends StoreOptions {
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
  /**
   * Embedding bands of the store (`--bands N`); default: the count most of the zone's tiles
   * have (lib/tiles/band_count.ts). Tiles with another count fail by name (ShapeMismatch).
   */
  bands?: number;
  /** Build only slice k of n of the shard list (scale-out, SPEC §11); skips finalisation. */
  slice?: { k: number; n: number };
  /**
   * Previews to draw in the build's single pass (each shard coloured while it is assembled),
   * with their parameters when given (`--rgb-stretch`, `--pca-basis`), else chosen by a
   * pre-pass over the input tiles. Where that cannot be done (a resumed build whose earlier
   * shards were written without previews, a repair, a finished store) they are listed in
   * `previews.pending` for the caller to write with the preview pass.
   */
  previews?: BuildPreviewRequest;
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
  /** The previews drawn in this build's pass, and those left to the preview pass. */
  previews?: ZonePreviewsResult;
}

/** What a build did about its previews. */
export interface ZonePreviewsResult {
  /** Previews coloured shard by shard in the build, with their parameters. */
  params: BuildPreviewParams;
  /** Where the parameters came from. */
  source: "pre-pass" | "given" | "recorded" | "none";
  /** The pre-pass over the input, when it ran. */
  sample?: ChosenPreviews["sample"];
  /** Seconds spent choosing the parameters. */
  chooseSeconds: number;
  /** Requested previews this build could not draw in its pass (write them with writePreviews). */
  pending: PreviewName[];
  /** Preview bytes written when the store was finished (overview levels). */
  finishBytes: number;
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
 * Builds (or resumes) the store of `planned` under `opts.outputDir`: its band count is
 * decided once (lib/tiles/band_count.ts), then that plan goes to the workers whole.
 *
 * @example
 * const r = await buildZone(planZones(tiles)[0], { base, outputDir: `${base}/zarr`, workers: 2 });
 * if (r.failures.length) Deno.exit(1);
 */
export async function buildZone(planned: ZonePlan, opts: BuildOptions): Promise<ZoneBuildResult> {
  const t0 = performance.now();
  const name = storeName(planned.zone, planned.year);
  const path = join(opts.outputDir, name);
  await Deno.mkdir(opts.outputDir, { recursive: true });
  const lock = await acquireStoreLock(path);
  try {
    const bands = await zoneBandCount(opts.base, planned, {
      bands: opts.bands,
      signal: opts.signal,
    });
    const plan = withBands(planned, bands);
    const info = storeInfo(plan, opts);
    const state = await prepareStore(path, info, storeMode(opts));
    const alreadyComplete = state === "complete";
    const repair = opts.repair === true;
    const store = new FsStore(path);

    const all = plan.shards;
    const mine = opts.slice ? shardSlice(all, opts.slice.k, opts.slice.n) : all;
    const todo: ShardPlan[] = [];
    let marked = 0;
    for (const job of alreadyComplete ? [] : mine) {
      const done = await store.has(markerKey(job.row, job.col));
      const failed = await store.has(failuresKey(job.row, job.col));
      if (done) marked++;
      if (repair || !done || failed) todo.push(job);
    }
    const recorded = alreadyComplete || repair ? undefined : await readPreviewsRecord(store);
    // A finished store (and any preview passes run on it since) is left exactly as it is.
    if (!alreadyComplete) {
      await store.sweepTemps();
      let later = await laterAttributes(store, info);
      // Previews being redrawn in this pass are not complete until it finishes.
      if (recorded) later = withoutPreviews(later, previewNames(recorded));
      await initZoneStore(store, info, later);
    }
    const previews = await planPreviews(store, plan, info, opts, {
      recorded,
      fresh: !alreadyComplete && !repair && marked === 0,
    });
    opts.onPlanned?.(todo.length, mine.length);
    const init: BuildWorkerInit = {
      ...shardWriterInit(plan, info, opts.base, path),
      compare: repair,
    };
    if (previews?.source !== "none" && previews) {
      init.previews = shardPreviewInit(path, plan.geobox, bands, previews.params);
    }
    const { shardErrors, bytesWritten, repaired } = await runPool(
      init,
      todo,
      Math.max(1, Math.min(opts.workers ?? 2, todo.length || 1)),
      opts,
    );

    const failures = await collectFailures(store, mine);
    const badScales = await collectBadScales(store, mine, opts.base, info.maxValidScale);
    const tileWarnings = await collectTileWarnings(store, mine, plan.tiles, opts.base);
    let complete = alreadyComplete;
    if (shardErrors.length === 0 && !opts.slice && !alreadyComplete) {
      const finished = await finalise(store, info, all, failures, badScales, opts.signal);
      if (previews) previews.finishBytes = finished.previewBytes;
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
      ...(previews ? { previews } : {}),
    };
  } finally {
    await lock.release();
  }
}

/**
 * Decides how this build draws its previews: with the parameters an earlier, interrupted run
 * recorded (a resume continues exactly what it started), or — on a fresh store — with the
 * given or pre-pass-chosen ones, recorded before any shard is written. Anything requested
 * that cannot be drawn in the pass is left pending for the preview pass.
 */
async function planPreviews(
  store: FsStore,
  plan: BuildPlan,
  info: StoreInfo,
  opts: BuildOptions,
  state: { recorded?: BuildPreviewParams; fresh: boolean },
): Promise<ZonePreviewsResult | undefined> {
  const req = opts.previews;
  const wanted: PreviewName[] = [
    ...(req?.rgb ? ["rgb" as const] : []),
    ...(req?.pca ? ["pca_rgb" as const] : []),
  ];
  const base = { chooseSeconds: 0, finishBytes: 0 };
  if (state.recorded) {
    checkRecorded(store.root, state.recorded, req);
    const drawn = previewNames(state.recorded);
    return {
      ...base,
      params: state.recorded,
      source: "recorded",
      pending: wanted.filter((n) => !drawn.includes(n)),
    };
  }
  if (!req || wanted.length === 0) return undefined;
  if (!state.fresh) return { ...base, params: {}, source: "none", pending: wanted };
  checkGivenFits(req, plan.bands, store.root);
  const chosen = await chooseBuildPreviews(opts.base, plan, req, info.maxValidScale, opts.signal);
  const params = await claimPreviewsRecord(store, chosen.params);
  const given = (!req.rgb || req.rgb.given) && (!req.pca || req.pca.given);
  return {
    ...base,
    params,
    source: given ? "given" : "pre-pass",
    sample: chosen.sample,
    chooseSeconds: chosen.seconds,
    pending: [],
  };
}

/** Refuses given parameters that differ from those an unfinished build recorded. */
function checkRecorded(
  path: string,
  recorded: BuildPreviewParams,
  req: BuildPreviewRequest | undefined,
): void {
  const differs = (what: string, flag: string) =>
    new TesseraError(
      "BadArgument",
      `this unfinished build draws its ${what} with the parameters it recorded when it started ` +
        `(_build/previews.json), and ${flag} asks for others: continue without ${flag}, or ` +
        "start again with --overwrite",
      path,
    );
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (recorded.rgb && req?.rgb?.given && !same(req.rgb.given, recorded.rgb)) {
    throw differs("RGB preview", "--rgb-stretch");
  }
  if (recorded.rgb && req?.rgb?.bands && !same([...req.rgb.bands], recorded.rgb.bands)) {
    throw differs("RGB preview", "--bands");
  }
  if (recorded.pca && req?.pca?.given && !same(req.pca.given, recorded.pca)) {
    throw differs("PCA preview", "--pca-basis");
  }
}

/** Refuses a given stretch or basis that does not fit the zone's band count. */
function checkGivenFits(req: BuildPreviewRequest, bands: number, path: string): void {
  const rgb = req.rgb?.given;
  const bad = rgb?.bands.find((b) => b >= bands);
  if (bad !== undefined) {
    throw new TesseraError(
      "BadArgument",
      `the RGB stretch (--rgb-stretch) shows band ${bad}; the store has ${bands} bands`,
      path,
    );
  }
  const pca = req.pca?.given;
  if (pca && pca.mean.length !== bands) {
    throw new TesseraError(
      "BadArgument",
      `the PCA basis (--pca-basis) is of ${pca.mean.length}-band vectors; the store has ` +
        `${bands} bands`,
      path,
    );
  }
}

/**
 * Writes `jobs` in a pool of `n` shard workers. A shard that throws is a shard error (listed
 * in job order), not a crash; on abort the shards in hand are finished, then the abort
 * reason is thrown.
 */
export async function runPool(
  init: BuildWorkerInit,
  jobs: ShardPlan[],
  n: number,
  opts: BuildOptions,
): Promise<
  { shardErrors: ZoneBuildResult["shardErrors"]; bytesWritten: number; repaired: number }
> {
  const shardErrors: ZoneBuildResult["shardErrors"] = [];
  let bytesWritten = 0;
  let repaired = 0;
  if (jobs.length === 0) return { shardErrors, bytesWritten, repaired };
  // Remote (or hash-checked) tiles: fetched and verified once, in the main thread, before
  // the shards that read them are handed out (lib/remote/tile_spool.ts).
  await using spool = await startTileSpool({ ...init.ctx, jobs, workers: n, signal: opts.signal });
  if (spool) init = { ...init, ctx: { ...init.ctx, spool: spool.ref } };
  using pool = WorkerPool.start<ShardPlan, ShardDone>({
    module: new URL("./shard_worker.ts", import.meta.url),
    size: n,
    init,
    name: "build",
    describe: (job) => `shard ${job.row},${job.col}`,
  });
  const ready = spool && ((i: number) => spool.ready(i));
  const outcomes = await pool.runSettled(jobs, { signal: opts.signal, ready }, (o, i) => {
    spool?.done(i);
    if (!o.ok) return;
    bytesWritten += o.result.bytesWritten;
    if (o.result.rewritten) repaired++;
    opts.onShard?.(o.result);
  });
  outcomes.forEach((o, i) => {
    if (!o.ok) shardErrors.push({ row: jobs[i].row, col: jobs[i].col, message: o.detail });
  });
  return { shardErrors, bytesWritten, repaired };
}

export async function collectFailures(
  store: FsStore,
  jobs: readonly ShardPlan[],
): Promise<TileFailure[]> {
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
export async function collectBadScales(
  store: FsStore,
  jobs: readonly ShardPlan[],
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

/**
 * The group attributes that later passes (previews) added to the store at hand, in the order
 * they were written. A resumed or repaired build keeps them after its own attributes, so a
 * sound store's group document comes out byte-identical and no preview is orphaned.
 */
export async function laterAttributes(
  store: FsStore,
  info: StoreInfo,
): Promise<Record<string, unknown>> {
  // An unreadable group document has nothing to keep.
  const attrs = await readGroupAttributes(store).catch(() => undefined);
  return attributesAddedLater(attrs ?? {}, info);
}

/**
 * Merges statistics in shard order, writes them, finishes the previews drawn in the build's
 * pass (their recorded parameters, lib/preview/in_build.ts), writes the final attributes (the
 * previews' done flags among them) and drops the markers.
 */
export async function finalise(
  store: FsStore,
  info: StoreInfo,
  jobs: readonly ShardPlan[],
  failures: TileFailure[],
  badScales: BadScaleWarning[],
  signal?: AbortSignal,
): Promise<{ previewBytes: number }> {
  let st = emptyStats(info.bands);
  for (const job of jobs) {
    const bytes = await store.get(markerKey(job.row, job.col));
    if (!bytes) {
      throw new TesseraError("BadStore", `shard ${job.row},${job.col} has no marker`, store.root);
    }
    st = mergeStats(st, decodeStats(bytes));
  }
  const statistics = await writeStatsGroup(store, st);
  const outcome = {
    statistics,
    failedTiles: [...new Set(failures.map((f) => f.tile))].sort(),
    badScalePixels: Object.fromEntries(badScales.map((w) => [w.tile, w.pixels])),
  };
  let attrs = zoneGroupAttributes(info, outcome, await laterAttributes(store, info));
  let previewBytes = 0;
  const drawn = await readPreviewsRecord(store);
  if (drawn) {
    const arrays = storeArrays(info);
    const done = await finishBuildPreviews(store, info.geobox, drawn, {
      bands: info.bands,
      maxValidScale: info.maxValidScale,
      embeddings: arrays.embeddings,
      scales: arrays.scales,
    }, signal);
    attrs = withPreviews(attrs, done.attributes, done.levels);
    previewBytes = done.bytesWritten;
  }
  await writeGroup(store, attrs);
  if (failures.length === 0) {
    await Deno.remove(join(store.root, BUILD_DIR), { recursive: true }).catch(() => {});
  }
  return { previewBytes };
}
