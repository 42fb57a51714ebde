/**
 * The finalise step of a scaled-out build (`build --finalize`): once every slice has run, it
 * checks that every planned shard of every selected store has its completion marker, then
 * does exactly what the end of a one-machine build does — merge the per-shard statistics in
 * shard order, write the statistics group and the group attributes with `build_complete`,
 * drop the markers — so the store comes out byte-identical to a one-machine build of the same
 * input. If shards are missing it writes nothing to that store and says which shards, and
 * which slices to run again. It holds `{store}.lock` and refuses while a slice still runs.
 */
import { join } from "node:path";
import type { TileFailure } from "./assemble.ts";
import { withBands } from "../plan/build_plan.ts";
import type { ZonePlan } from "../plan/zone_plan.ts";
import { parseBuildState } from "../store/attributes.ts";
import { markerKey } from "../store/layout.ts";
import { acquireStoreLocks } from "../store/lock.ts";
import { storeName } from "../store/names.ts";
import { zoneBandCount } from "../tiles/band_count.ts";
import { FsStore } from "../zarr/fs_store.ts";
import {
  type BadScaleWarning,
  collectBadScales,
  collectFailures,
  finalise,
  inspectStore,
  prepareStore,
} from "./build_zone.ts";
import { storeInfo, type StoreOptions } from "./store_info.ts";
import { collectTileWarnings, type TileWarning } from "./tile_warnings.ts";
import {
  differentPlan,
  PLAN_RECORD_KEY,
  planDifference,
  planRecord,
  readPlanRecord,
} from "../cluster/plan_record.ts";
import { assertNoSliceRunning } from "../cluster/slice_lock.ts";
import { type WorkList, workList } from "../cluster/work_list.ts";

/** Options of {@link finaliseBuild}. */
export interface FinaliseOptions extends StoreOptions {
  base: string;
  outputDir: string;
  bands?: number;
  /**
   * The slice count (`--tasks N`), to name the slices of shards in stores no slice has
   * reached yet; stores a slice initialised record it themselves.
   */
  tasks?: number;
  signal?: AbortSignal;
}

/** A planned shard without its completion marker, and the slice that builds it. */
export interface MissingShard {
  row: number;
  col: number;
  /** Undefined when the slice count is unknown (no slice reached the store, no --tasks). */
  slice?: number;
}

/** What the finalise step found and did for one store. */
export interface FinaliseStoreResult {
  store: string;
  path: string;
  zone: number;
  year: number;
  /**
   * "finalised": written now; "complete": finalised before, left as it is; "incomplete":
   * shards are missing, nothing written; "absent": no slice has written the store.
   */
  state: "finalised" | "complete" | "incomplete" | "absent";
  shardsPlanned: number;
  missing: MissingShard[];
  /** The slice count the store was initialised with (undefined if not a sliced build). */
  slices?: number;
  failures: TileFailure[];
  badScales: BadScaleWarning[];
  tileWarnings: TileWarning[];
}

/** What the finalise step did, and which slices must run again. */
export interface FinaliseResult {
  stores: FinaliseStoreResult[];
  /** Slices owning missing shards, ascending (run them again, then finalise again). */
  slicesToRerun: number[];
  /** Missing shards whose slice is unknown (no slice count known for their store). */
  unassignedMissing: number;
}

/**
 * Finalises every store of `plans` whose shards are all built.
 *
 * @example
 * const r = await finaliseBuild(planZones(tiles), { base, outputDir });
 * if (r.slicesToRerun.length) console.log(`run slices ${r.slicesToRerun} again`);
 */
export async function finaliseBuild(
  plans: readonly ZonePlan[],
  opts: FinaliseOptions,
): Promise<FinaliseResult> {
  const paths = plans.map((p) => join(opts.outputDir, storeName(p.zone, p.year)));
  await Deno.mkdir(opts.outputDir, { recursive: true });
  const locks = await acquireStoreLocks(paths);
  try {
    for (const path of paths) await assertNoSliceRunning(path, "the finalise step");
    const works = new Map<number, WorkList>();
    const workOf = (n: number) => {
      let w = works.get(n);
      if (!w) works.set(n, w = workList(plans, n));
      return w;
    };
    const stores: FinaliseStoreResult[] = [];
    for (const [i, planned] of plans.entries()) {
      stores.push(await finaliseStore(planned, paths[i], workOf, opts));
    }
    const missing = stores.flatMap((s) => s.missing);
    return {
      stores,
      slicesToRerun: [...new Set(missing.flatMap((m) => m.slice ?? []))].sort((a, b) => a - b),
      unassignedMissing: missing.filter((m) => m.slice === undefined).length,
    };
  } finally {
    await locks.release();
  }
}

async function finaliseStore(
  planned: ZonePlan,
  path: string,
  workOf: (n: number) => WorkList,
  opts: FinaliseOptions,
): Promise<FinaliseStoreResult> {
  const name = storeName(planned.zone, planned.year);
  const base = {
    store: name,
    path,
    zone: planned.zone,
    year: planned.year,
    shardsPlanned: planned.shards.length,
    failures: [],
    badScales: [],
    tileWarnings: [],
  };
  const existing = await inspectStore(path);
  const sliceOf = (n: number | undefined) => {
    if (n === undefined) return () => undefined;
    const bySlice = new Map(
      workOf(n).items.filter((w) => w.zone === planned.zone && w.year === planned.year)
        .map((w) => [`${w.row}.${w.col}`, w.slice]),
    );
    return (row: number, col: number) => bySlice.get(`${row}.${col}`);
  };
  if (!existing.exists) {
    const of = sliceOf(opts.tasks);
    return {
      ...base,
      state: "absent",
      slices: opts.tasks,
      missing: planned.shards.map((s) => ({ row: s.row, col: s.col, slice: of(s.row, s.col) })),
    };
  }
  const recorded = await readPlanRecord(path);
  if (!recorded) {
    // Not a sliced build (or finalised already): finished means finished.
    if (existing.zoneStore && parseBuildState(existing.attributes ?? {}).complete) {
      return { ...base, state: "complete", missing: [] };
    }
  }
  const bands = await zoneBandCount(opts.base, planned, { bands: opts.bands, signal: opts.signal });
  const plan = withBands(planned, bands);
  const info = storeInfo(plan, opts);
  const slices = recorded?.slices ?? opts.tasks;
  if (recorded) {
    if (opts.tasks !== undefined && opts.tasks !== recorded.slices) {
      throw differentPlan(
        path,
        `it was initialised by a ${recorded.slices}-slice build, --tasks says ${opts.tasks}`,
      );
    }
    const diff = planDifference(recorded, planRecord(plan, info, workOf(recorded.slices)));
    if (diff) throw differentPlan(path, diff);
  } else {
    // An unfinished one-machine build: the same checks as its --resume.
    await prepareStore(path, info, "resume");
  }
  const store = new FsStore(path);
  const of = sliceOf(slices);
  const missing: MissingShard[] = [];
  for (const s of plan.shards) {
    if (!await store.has(markerKey(s.row, s.col))) {
      missing.push({ row: s.row, col: s.col, slice: of(s.row, s.col) });
    }
  }
  if (missing.length) return { ...base, state: "incomplete", slices, missing };
  opts.signal?.throwIfAborted();
  // No slice runs now (checked under the store lock): every temporary is a dead one.
  await store.sweepTemps();
  const failures = await collectFailures(store, plan.shards);
  const badScales = await collectBadScales(store, plan.shards, opts.base, info.maxValidScale);
  const tileWarnings = await collectTileWarnings(store, plan.shards, plan.tiles, opts.base);
  await finalise(store, info, plan.shards, failures, badScales);
  // With failed tiles the markers stay for a resume; the plan record goes either way, so the
  // store holds exactly what a one-machine build leaves.
  await Deno.remove(join(path, PLAN_RECORD_KEY)).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  return {
    ...base,
    state: "finalised",
    slices,
    missing: [],
    failures,
    badScales,
    tileWarnings,
  };
}

/**
 * The lines that say what is missing and what to run: per store, its missing shards and their
 * slices; then the slices to run again. `rerun` turns slice numbers into a command.
 *
 * @example
 * describeMissing(result, (ks) => `sbatch --array=${ks.join(",")} out/cluster/build.sbatch`);
 */
export function describeMissing(
  result: FinaliseResult,
  rerun: (slices: number[]) => string,
): string[] {
  const lines: string[] = [];
  for (const s of result.stores) {
    if (!s.missing.length) continue;
    const list = s.missing.slice(0, 12).map((m) =>
      `${m.row}.${m.col}${m.slice === undefined ? "" : ` (slice ${m.slice})`}`
    ).join(", ") + (s.missing.length > 12 ? `, … ${s.missing.length - 12} more` : "");
    lines.push(
      `  ${s.store}: ${s.missing.length} of ${s.shardsPlanned} shard(s) not built` +
        `${s.state === "absent" ? " (no slice has written this store)" : ""}: ${list}`,
    );
  }
  if (result.slicesToRerun.length) {
    lines.push(
      `Run slice${result.slicesToRerun.length > 1 ? "s" : ""} ` +
        `${result.slicesToRerun.join(",")} again, then finalise again: ` +
        rerun(result.slicesToRerun),
    );
  }
  if (result.unassignedMissing) {
    lines.push(
      "The slice count of some stores is unknown (no slice reached them): give --tasks N to " +
        "name their slices, or run every slice",
    );
  }
  return lines;
}
