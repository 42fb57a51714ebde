/**
 * Progress of a build across a running array (`deno task status OUTPUT_DIR`): per store, the
 * planned shards that have their completion marker, the tiles that failed so far, and per
 * slice how far it got and whether it is running (a live slice lock) — from the files alone,
 * without the tiles: a sliced store's plan record lists its shards and their slices.
 */
import { join } from "node:path";
import { parseBuildState } from "../store/attributes.ts";
import { readGroupAttributes } from "../store/documents.ts";
import { BUILD_DIR, failuresKey, markerKey } from "../store/layout.ts";
import { FsStore } from "../zarr/fs_store.ts";
import { readPlanRecord } from "./plan_record.ts";
import { sliceLocks } from "./slice_lock.ts";

/** How far one slice got in one store (or in all of them). */
export interface SliceProgress {
  slice: number;
  done: number;
  total: number;
  /** A live process holds this slice's lock. */
  running: boolean;
}

/** One store's state. */
export interface StoreStatus {
  store: string;
  /**
   * "complete": finalised; "ready": every shard built, waiting for the finalise step;
   * "building": shards missing; "unknown": an unfinished store that records no plan (a
   * one-machine build in progress): its shard total is not known.
   */
  state: "complete" | "ready" | "building" | "unknown";
  shardsDone: number;
  /** Undefined when the store records no plan. */
  shardsTotal?: number;
  slices?: number;
  failedTiles: string[];
  perSlice: SliceProgress[];
}

/** Every store's state and the slices that are behind. */
export interface BuildStatus {
  stores: StoreStatus[];
  /** Slices with shards still to build (over every store), slowest first. */
  behind: SliceProgress[];
}

async function markerCount(path: string): Promise<number> {
  let n = 0;
  try {
    for await (const e of Deno.readDir(join(path, BUILD_DIR, "shards"))) {
      if (e.name.endsWith(".stats")) n++;
    }
  } catch { /* no markers */ }
  return n;
}

/**
 * The state of one store at `path` (a `utm{ZZ}_{YYYY}.zarr` directory).
 *
 * @example
 * (await storeStatus("out/utm30_2024.zarr")).shardsDone;
 */
export async function storeStatus(path: string, name: string): Promise<StoreStatus> {
  const store = new FsStore(path);
  const record = await readPlanRecord(path);
  const attrs = await readGroupAttributes(store).catch(() => undefined);
  const build = parseBuildState(attrs ?? {});
  const locks = await sliceLocks(path);
  const running = new Set(locks.filter((l) => l.live).map((l) => l.k));
  const failed = new Set<string>(build.complete ? build.failedTiles : []);
  if (!record) {
    const done = await markerCount(path);
    const complete = build.complete;
    // Before finalisation, the failures are in the markers' files.
    if (!complete) await collectFailedTiles(store, path, failed);
    return {
      store: name,
      state: complete ? "complete" : "unknown",
      shardsDone: done,
      failedTiles: [...failed].sort(),
      perSlice: [],
    };
  }
  const perSlice = Array.from(
    { length: record.slices },
    (_, k) => ({ slice: k, done: 0, total: 0, running: running.has(k) }),
  );
  let done = 0;
  for (const [row, col, k] of record.shards) {
    perSlice[k].total++;
    if (await store.has(markerKey(row, col))) {
      perSlice[k].done++;
      done++;
    }
    const bytes = await store.get(failuresKey(row, col));
    if (bytes) {
      for (const f of JSON.parse(new TextDecoder().decode(bytes)) as { tile: string }[]) {
        failed.add(f.tile);
      }
    }
  }
  return {
    store: name,
    state: done === record.shards.length ? "ready" : "building",
    shardsDone: done,
    shardsTotal: record.shards.length,
    slices: record.slices,
    failedTiles: [...failed].sort(),
    perSlice: perSlice.filter((s) => s.total > 0),
  };
}

async function collectFailedTiles(store: FsStore, path: string, into: Set<string>) {
  try {
    for await (const e of Deno.readDir(join(path, BUILD_DIR, "shards"))) {
      if (!e.name.endsWith(".failures.json")) continue;
      const bytes = await store.get(`${BUILD_DIR}/shards/${e.name}`);
      for (const f of JSON.parse(new TextDecoder().decode(bytes!)) as { tile: string }[]) {
        into.add(f.tile);
      }
    }
  } catch { /* none */ }
}

/**
 * The state of every store in `dir` (names from `stores`), and the slices behind.
 *
 * @example
 * const s = await buildStatus("out", ["utm30_2024.zarr"]);
 * s.behind.map((b) => `slice ${b.slice}: ${b.done}/${b.total}`);
 */
export async function buildStatus(dir: string, stores: readonly string[]): Promise<BuildStatus> {
  const out: StoreStatus[] = [];
  for (const name of stores) out.push(await storeStatus(join(dir, name), name));
  const bySlice = new Map<number, SliceProgress>();
  for (const s of out) {
    for (const p of s.perSlice) {
      const agg = bySlice.get(p.slice) ?? { slice: p.slice, done: 0, total: 0, running: false };
      agg.done += p.done;
      agg.total += p.total;
      agg.running ||= p.running;
      bySlice.set(p.slice, agg);
    }
  }
  const behind = [...bySlice.values()].filter((p) => p.done < p.total)
    .sort((a, b) => a.done / a.total - b.done / b.total || a.slice - b.slice);
  return { stores: out, behind };
}
