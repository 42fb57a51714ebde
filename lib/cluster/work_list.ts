/**
 * The work list of a scaled-out build (SPEC §11): every planned (zone, shard) pair of every
 * selected zone, split into N slices of about equal expected work, so that N array tasks
 * finish together whatever the zones' sizes. Pure and deterministic — every task computes
 * the same list from the same plans, with no coordination — and integer-valued, so no float
 * rounding can make two machines disagree.
 */
import { SHARD_PX, type ShardPlan } from "../plan/shard_plan.ts";
import type { ZonePlan } from "../plan/zone_plan.ts";
import { storeName } from "../store/names.ts";

/**
 * Fixed cost of a shard, in pixel units, on top of the tile pixels it reads: encoding and
 * writing its files, the marker and the statistics. A quarter of a full shard: a shard
 * touched by one tile corner is still not free.
 */
export const SHARD_OVERHEAD_PX = (SHARD_PX * SHARD_PX) / 4;

/**
 * Bumped whenever the assignment rule changes: stores record it (lib/cluster/plan_record.ts),
 * so slices of an older toolkit and a newer one can never mix in one store.
 */
export const WORK_LIST_VERSION = 1;

/** One shard of one zone and the slice that builds it. */
export interface WorkItem {
  readonly year: number;
  readonly zone: number;
  readonly row: number;
  readonly col: number;
  /** Expected work: tile pixels read (the pieces' areas) plus {@link SHARD_OVERHEAD_PX}. */
  readonly cost: number;
  /** The slice (0 ≤ slice < N) that builds it. */
  readonly slice: number;
}

/** A work list split into slices. */
export interface WorkList {
  readonly slices: number;
  /** Every item, in plan order (year, zone, then the zone's row-major shard order). */
  readonly items: readonly WorkItem[];
  /** Expected work per slice (sum of its items' costs). */
  readonly load: readonly number[];
}

/**
 * Expected work of one shard: the pixels of every tile piece it reads (overlaps count for
 * each tile, as each is read and composited) plus a fixed per-shard cost.
 *
 * @example
 * shardCost(plan.shards[0]); // e.g. 1_310_720 for a shard covered by one full tile
 */
export function shardCost(shard: ShardPlan): number {
  let px = SHARD_OVERHEAD_PX;
  for (const p of shard.pieces) px += (p.zone.r1 - p.zone.r0) * (p.zone.c1 - p.zone.c0);
  return px;
}

/**
 * Splits every planned shard of `plans` into `n` slices: largest expected work first, each
 * to the slice with the least work so far (lowest index on ties) — the classic
 * longest-processing-time rule, within 4/3 of the best possible makespan and in practice
 * within a few percent once there are several shards per slice. Ties between equal costs are
 * broken by (year, zone, row, col), so the result depends only on the plans and `n`.
 *
 * @example
 * const work = workList(planZones(tiles), 3);
 * work.items.filter((w) => w.slice === 0); // what task 0 builds
 */
export function workList(plans: readonly ZonePlan[], n: number): WorkList {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`slice count must be ≥ 1, got ${n}`);
  const items: Omit<WorkItem, "slice">[] = [];
  for (const plan of [...plans].sort((a, b) => a.year - b.year || a.zone - b.zone)) {
    for (const s of plan.shards) {
      items.push({ year: plan.year, zone: plan.zone, row: s.row, col: s.col, cost: shardCost(s) });
    }
  }
  const order = items.map((_, i) => i).sort((a, b) => items[b].cost - items[a].cost || a - b);
  const load = new Array<number>(n).fill(0);
  const sliceOf = new Array<number>(items.length);
  const heap = new LeastLoaded(n);
  for (const i of order) {
    const best = heap.take();
    sliceOf[i] = best;
    load[best] += items[i].cost;
    heap.put(best, load[best]);
  }
  return { slices: n, items: items.map((w, i) => ({ ...w, slice: sliceOf[i] })), load };
}

/**
 * The slice with the least work, lowest index on ties: a binary min-heap on (load, index), so
 * a year's ~10^5 shards over 10^3 slices is dealt in milliseconds.
 */
class LeastLoaded {
  #slice: number[];
  #load: number[];

  constructor(n: number) {
    this.#slice = Array.from({ length: n }, (_, k) => k);
    this.#load = new Array<number>(n).fill(0);
  }

  #less(a: number, b: number): boolean {
    return this.#load[a] < this.#load[b] ||
      (this.#load[a] === this.#load[b] && this.#slice[a] < this.#slice[b]);
  }

  #swap(a: number, b: number) {
    [this.#slice[a], this.#slice[b]] = [this.#slice[b], this.#slice[a]];
    [this.#load[a], this.#load[b]] = [this.#load[b], this.#load[a]];
  }

  /** Removes and returns the least-loaded slice. */
  take(): number {
    const top = this.#slice[0];
    const last = this.#slice.length - 1;
    this.#swap(0, last);
    this.#slice.pop();
    this.#load.pop();
    for (let i = 0;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < this.#slice.length && this.#less(l, m)) m = l;
      if (r < this.#slice.length && this.#less(r, m)) m = r;
      if (m === i) break;
      this.#swap(i, m);
      i = m;
    }
    return top;
  }

  /** Puts `slice` back with its new load. */
  put(slice: number, load: number) {
    this.#slice.push(slice);
    this.#load.push(load);
    for (let i = this.#slice.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.#less(i, p)) break;
      this.#swap(i, p);
      i = p;
    }
  }
}

/**
 * The items of slice `k`, grouped by store in plan order: what task k builds.
 *
 * @example
 * for (const [store, shards] of sliceItems(work, 0)) console.log(store, shards.length);
 */
export function sliceItems(work: WorkList, k: number): Map<string, WorkItem[]> {
  const out = new Map<string, WorkItem[]>();
  for (const w of work.items) {
    if (w.slice !== k) continue;
    const name = storeName(w.zone, w.year);
    let list = out.get(name);
    if (!list) out.set(name, list = []);
    list.push(w);
  }
  return out;
}

/**
 * How even the split is: the slowest slice's expected work over the mean (1 is perfect).
 *
 * @example
 * balance(workList(plans, 4)); // e.g. 1.02
 */
export function balance(work: WorkList): number {
  const total = work.load.reduce((a, b) => a + b, 0);
  if (total === 0) return 1;
  return Math.max(...work.load) / (total / work.slices);
}
