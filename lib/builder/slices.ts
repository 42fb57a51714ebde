/**
 * One slice of a scaled-out build (`build --shard K/N`, SPEC §11): the shards the work list
 * (lib/cluster/work_list.ts) gives slice K, across every selected zone, written into the
 * zones' stores while any number of sibling slices write theirs. A slice holds only its own
 * slice locks (lib/cluster/slice_lock.ts), initialises a store idempotently (the same bytes
 * whichever slice gets there first; the plan record is claimed atomically, and a store from
 * another plan is refused naming the difference), touches only its own shards' files and
 * temporaries, and never finalises: `build --finalize` does (lib/builder/finalise.ts). A slice
 * killed and run again redoes only its shards without a completion marker.
 */
import { dirname, join } from "node:path";
import { TEMP_SUFFIX } from "../fs_atomic.ts";
import type { BuildPlan } from "../plan/build_plan.ts";
import { withBands } from "../plan/build_plan.ts";
import type { ShardPlan } from "../plan/shard_plan.ts";
import type { ZonePlan } from "../plan/zone_plan.ts";
import { initZoneStore } from "../store/init.ts";
import { badScalesKey, failuresKey, markerKey, shardKey, tileNotesKey } from "../store/layout.ts";
import { storeName } from "../store/names.ts";
import { zoneBandCount } from "../tiles/band_count.ts";
import { FsStore } from "../zarr/fs_store.ts";
import {
  collectBadScales,
  collectFailures,
  laterAttributes,
  prepareStore,
  runPool,
  type ZoneBuildResult,
} from "./build_zone.ts";
import { type ShardDone, shardWriterInit } from "./shard_writer.ts";
import { type StoreInfo, storeInfo, type StoreOptions } from "./store_info.ts";
import { collectTileWarnings } from "./tile_warnings.ts";
import {
  claimPlanRecord,
  differentPlan,
  planDifference,
  type PlanRecord,
  planRecord,
  readPlanRecord,
} from "../cluster/plan_record.ts";
import type { SliceSpec } from "../cluster/shard_flag.ts";
import { acquireSliceLocks } from "../cluster/slice_lock.ts";
import { sliceItems, type WorkItem, type WorkList, workList } from "../cluster/work_list.ts";

/** Options of {@link buildSlice}. */
export interface SliceBuildOptions extends StoreOptions {
  base: string;
  outputDir: string;
  slice: SliceSpec;
  workers?: number;
  /** Embedding bands (`--bands N`); default: each zone's majority count. */
  bands?: number;
  /**
   * Continue into a store that exists without a plan record — one a one-machine build left
   * unfinished, or one finalised with failed tiles that were fixed since (as `build --resume`).
   */
  resume?: boolean;
  onPlanned?: (store: string, shardsToBuild: number, shardsOfSlice: number) => void;
  onShard?: (store: string, done: ShardDone) => void;
  signal?: AbortSignal;
}

/** What a slice did to one store (the fields of a zone build's result, for this slice). */
export type SliceStoreResult = Omit<ZoneBuildResult, "shardsRepaired"> & {
  /** The store was already finalised (nothing to do). */
  alreadyComplete: boolean;
};

/** What a slice did. */
export interface SliceBuildResult {
  slice: SliceSpec;
  /** Expected work of this slice and the slowest slice (work-list units, tile pixels). */
  load: number;
  maxLoad: number;
  /** Stores this slice writes, in plan order (stores it has no shard of are not listed). */
  stores: SliceStoreResult[];
}

/** One store of the slice, prepared and checked before any store is written. */
interface Target {
  plan: BuildPlan;
  info: StoreInfo;
  record: PlanRecord;
  path: string;
  items: WorkItem[];
  /** "complete": finalised already; "claim": record it and build; "build": recorded already. */
  state: "complete" | "claim" | "build";
}

/**
 * Builds slice `opts.slice` of the work list of `plans` (every selected zone).
 *
 * @example
 * const r = await buildSlice(planZones(tiles), { base, outputDir, slice: { k: 0, n: 3 } });
 * r.stores.map((s) => `${s.store}: ${s.shardsBuilt} built`);
 */
export async function buildSlice(
  plans: readonly ZonePlan[],
  opts: SliceBuildOptions,
): Promise<SliceBuildResult> {
  const work = workList(plans, opts.slice.n);
  const mine = sliceItems(work, opts.slice.k);
  const ofSlice = plans.filter((p) => mine.has(storeName(p.zone, p.year)));
  const paths = ofSlice.map((p) => join(opts.outputDir, storeName(p.zone, p.year)));
  await Deno.mkdir(opts.outputDir, { recursive: true });
  const locks = await acquireSliceLocks(paths, opts.slice);
  try {
    // Every store is checked before any is written (as a one-machine build does).
    const targets: Target[] = [];
    for (const [i, planned] of ofSlice.entries()) {
      targets.push(await prepareTarget(planned, paths[i], work, mine, opts));
    }
    const stores: SliceStoreResult[] = [];
    for (const t of targets) stores.push(await buildTarget(t, opts));
    return {
      slice: opts.slice,
      load: work.load[opts.slice.k],
      maxLoad: Math.max(...work.load),
      stores,
    };
  } finally {
    await locks.release();
  }
}

async function prepareTarget(
  planned: ZonePlan,
  path: string,
  work: WorkList,
  mine: Map<string, WorkItem[]>,
  opts: SliceBuildOptions,
): Promise<Target> {
  const bands = await zoneBandCount(opts.base, planned, { bands: opts.bands, signal: opts.signal });
  const plan = withBands(planned, bands);
  const info = storeInfo(plan, opts);
  const record = planRecord(plan, info, work);
  const items = mine.get(storeName(plan.zone, plan.year))!;
  const target = { plan, info, record, path, items };
  if (await beingInitialised(path)) return { ...target, state: "claim" };
  // A group document is there. A slice records the plan before it writes the group document,
  // so a record read now is conclusive.
  const recorded = await readPlanRecord(path);
  if (recorded) {
    const diff = planDifference(recorded, record);
    if (diff) throw differentPlan(path, diff);
    return { ...target, state: "build" };
  }
  // A store without a plan record: a one-machine build's, or one finalised already. The
  // one-machine rules apply: refused without --resume; a finished store is left as it is.
  const state = await prepareStore(path, info, opts.resume ? "resume" : "fresh");
  return { ...target, state: state === "complete" ? "complete" : "claim" };
}

/**
 * True when nothing is at `path` yet, or only what a sibling slice creates first (the store
 * directory and its `_build/` with the plan record on its way): no group document yet.
 */
async function beingInitialised(path: string): Promise<boolean> {
  try {
    for await (const e of Deno.readDir(path)) if (e.name !== "_build") return false;
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return true;
    throw e;
  }
}

async function buildTarget(t: Target, opts: SliceBuildOptions): Promise<SliceStoreResult> {
  const t0 = performance.now();
  const name = storeName(t.plan.zone, t.plan.year);
  const byKey = new Map(t.plan.shards.map((s) => [`${s.row}.${s.col}`, s]));
  const shards = t.items.map((w) => byKey.get(`${w.row}.${w.col}`)!);
  const store = new FsStore(t.path);
  const todo: ShardPlan[] = [];
  let shardErrors: ZoneBuildResult["shardErrors"] = [];
  let bytesWritten = 0;
  if (t.state !== "complete") {
    await claimPlanRecord(t.path, t.record);
    await sweepShardTemps(t.path, shards);
    // Same bytes whichever slice writes them, and however often.
    await initZoneStore(store, t.info, await laterAttributes(store, t.info));
    for (const s of shards) {
      const done = await store.has(markerKey(s.row, s.col));
      const failed = await store.has(failuresKey(s.row, s.col));
      if (!done || failed) todo.push(s);
    }
    opts.onPlanned?.(name, todo.length, shards.length);
    const n = Math.max(1, Math.min(opts.workers ?? 2, todo.length || 1));
    ({ shardErrors, bytesWritten } = await runPool(
      { ...shardWriterInit(t.plan, t.info, opts.base, t.path), compare: false },
      todo,
      n,
      {
        base: opts.base,
        outputDir: opts.outputDir,
        signal: opts.signal,
        onShard: (d) => opts.onShard?.(name, d),
      },
    ));
  } else {
    opts.onPlanned?.(name, 0, shards.length);
  }
  return {
    store: name,
    path: t.path,
    zone: t.plan.zone,
    year: t.plan.year,
    tiles: t.plan.tiles.length,
    bands: t.plan.bands,
    shardsPlanned: shards.length,
    shardsBuilt: todo.length - shardErrors.length,
    shardsReused: shards.length - todo.length,
    failures: await collectFailures(store, shards),
    shardErrors,
    badScales: await collectBadScales(store, shards, opts.base, t.info.maxValidScale),
    tileWarnings: await collectTileWarnings(store, shards, t.plan.tiles, opts.base),
    complete: t.state === "complete",
    alreadyComplete: t.state === "complete",
    bytesWritten,
    seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * Removes the temporaries a killed run of this slice left for its own shards — and only
 * those: a sibling slice's temporaries are files it is writing right now.
 */
async function sweepShardTemps(root: string, shards: readonly ShardPlan[]): Promise<void> {
  const keys = new Set<string>();
  for (const { row, col } of shards) {
    keys.add(shardKey("embeddings", 3, row, col));
    keys.add(shardKey("scales", 2, row, col));
    for (const k of [markerKey, failuresKey, badScalesKey, tileNotesKey]) keys.add(k(row, col));
  }
  for (const dir of new Set([...keys].map((k) => dirname(k)))) {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(join(root, dir)));
    } catch {
      continue;
    }
    for (const e of entries) {
      if (!e.isFile || !TEMP_SUFFIX.test(e.name)) continue;
      if (keys.has(`${dir}/${e.name.replace(TEMP_SUFFIX, "")}`)) {
        await Deno.remove(join(root, dir, e.name)).catch(() => {});
      }
    }
  }
}
