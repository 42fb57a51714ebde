/**
 * `verify` for one store: recompute the zone plan from BASE (registry or directory walk), check
 * the attributes, array documents and coordinate arrays against it, then compare every shard
 * with its source tiles — in a pool of Web Workers, one shard each at a time, merged in shard
 * order so the report does not depend on scheduling.
 */
import { basename } from "node:path";
import { planZones, type ZonePlan } from "../build/zone_plan.ts";
import { TesseraError } from "../errors.ts";
import { tilePaths } from "../tiles/layout.ts";
import { openNpy } from "../tiles/npy.ts";
import { DEFAULT_MAX_VALID_SCALE } from "../tiles/scales.ts";
import { listTiles } from "../tiles/tile_list.ts";
import { FsStore } from "../zarr/fs_store.ts";
import {
  emptyCounts,
  mergeShardReports,
  type ShardReport,
  type ValueMismatch,
  type VerifyReport,
} from "./report.ts";
import {
  checkArrayDocs,
  checkCoordinates,
  compareAttributes,
  expectedAttributes,
  type NodeDoc,
  readDoc,
  shardIndexChunks,
} from "./store_checks.ts";
import {
  type ShardedArray,
  ShardVerifier,
  tilesByShard,
  type VerifyContext,
} from "./verify_shard.ts";

/** One shard to verify and the tiles that may overlap it. */
interface ShardJob {
  row: number;
  col: number;
  tiles: number[];
}

/** Options of {@link verifyStore}. */
export interface VerifyOptions {
  /** The dataset the store was built from. */
  base: string;
  /** Directory of registry.parquet (default: BASE, its parent or grandparent, else a walk). */
  registryDir?: string;
  /** Parallel shard verifiers (Web Workers); 1 verifies in this thread. Default 2. */
  workers?: number;
  /** How many pixel mismatches (and coordinate mismatches) to list; default 10. */
  maxListed?: number;
  /** The builder's `max_valid_scale`; default the builder's default. */
  maxValidScale?: number;
  /** Called once the shard list is known. */
  onPlanned?: (shards: number) => void;
  /** Called after each shard. */
  onShard?: (report: ShardReport) => void;
  signal?: AbortSignal;
}

const STORE_NAME = /^utm(\d{2})_(\d{4})\.zarr$/;

/**
 * Verifies the store at `storePath` against the tiles under `opts.base`.
 *
 * @example
 * const report = await verifyStore("data/zarr/utm30_2024.zarr", { base: "data" });
 * if (!report.ok) console.log(formatReport(report));
 */
export async function verifyStore(storePath: string, opts: VerifyOptions): Promise<VerifyReport> {
  const t0 = performance.now();
  const maxListed = opts.maxListed ?? 10;
  const store = new FsStore(storePath);
  const group = await readDoc(store, "zarr.json");
  if (!group || group.node_type !== "group") {
    throw new TesseraError(
      "BadArgument",
      `${storePath} is not a zone store (no group zarr.json); give a utm{ZZ}_{YYYY}.zarr directory`,
    );
  }
  const attrs = group.attributes ?? {};
  const { zone, year } = storeIdentity(storePath, attrs);
  const plan = await zonePlan(opts.base, zone, year, opts.registryDir);
  const bands = await detectBands(opts.base, plan) ?? (Number(attrs.n_bands) || 0);
  const maxValidScale = opts.maxValidScale ?? DEFAULT_MAX_VALID_SCALE;

  const metadata: ValueMismatch[] = compareAttributes(
    attrs,
    expectedAttributes(plan, bands, maxValidScale),
  );
  const arrays = await checkArrayDocs(store, plan, bands);
  metadata.push(...arrays.mismatches);
  const coords = await checkCoordinates(storePath, plan, bands, maxListed);
  metadata.push(...coords.mismatches);

  const { height: H, width: W } = plan.geobox;
  const emb = arrays.docs.embeddings, sc = arrays.docs.scales;
  const gridOk = emb !== undefined && sc !== undefined &&
    JSON.stringify(emb.shape) === JSON.stringify([H, W, bands]) && emb.data_type === "int8" &&
    JSON.stringify(sc.shape) === JSON.stringify([H, W]) && sc.data_type === "float32";
  const shards: ShardJob[] = [];
  let reports: ShardReport[] = [];
  if (gridOk) {
    const shardPx = shardShape(emb);
    const ctx: VerifyContext = {
      storePath,
      base: opts.base,
      zone: plan.zone,
      geobox: plan.geobox,
      bands,
      maxValidScale,
      tiles: plan.tiles,
      grids: plan.grids,
      placements: plan.placements.map((p) => ({
        rowOffsetPx: p.rowOffsetPx,
        colOffsetPx: p.colOffsetPx,
      })),
      shardPx,
      arrays: [sharded("embeddings", 3, emb), sharded("scales", 2, sc)],
      maxListed,
    };
    const byShard = tilesByShard(ctx);
    const cols = Math.ceil(W / shardPx[1]);
    for (let r = 0; r * shardPx[0] < H; r++) {
      for (let c = 0; c * shardPx[1] < W; c++) {
        shards.push({ row: r, col: c, tiles: byShard.get(r * cols + c) ?? [] });
      }
    }
    opts.onPlanned?.(shards.length);
    reports = await runShards(ctx, shards, opts);
  } else {
    opts.onPlanned?.(0);
  }

  const merged = mergeShardReports(reports, maxListed);
  const failedNames = merged.failedTiles.map((f) => f.tile);
  if (gridOk && JSON.stringify(attrs.failed_tiles ?? []) !== JSON.stringify(failedNames)) {
    metadata.push({
      what: "attribute failed_tiles",
      expected: failedNames,
      got: attrs.failed_tiles ?? null,
    });
  }
  const c = merged.counts;
  return {
    store: basename(storePath),
    path: storePath,
    base: opts.base,
    zone: plan.zone,
    year: plan.year,
    bands,
    tiles: plan.tiles.length,
    shards: shards.length,
    seconds: (performance.now() - t0) / 1000,
    counts: c,
    mismatches: merged.mismatches,
    shardProblems: merged.problems,
    metadata,
    coordinateMismatches: coords.count,
    failedTiles: merged.failedTiles,
    pixelsChecked: gridOk,
    ok: gridOk && c.mismatched === 0 && c.unverified === 0 && merged.problems.length === 0 &&
      metadata.length === 0,
  };
}

/** Zone and year from the store's name (the builder's contract), else from its attributes. */
function storeIdentity(
  path: string,
  attrs: Record<string, unknown>,
): { zone: number; year: number } {
  const m = STORE_NAME.exec(basename(path.replace(/\/+$/, "")));
  if (m) return { zone: Number(m[1]), year: Number(m[2]) };
  const zone = attrs.utm_zone, year = attrs.year;
  if (Number.isInteger(zone) && Number.isInteger(year)) {
    return { zone: zone as number, year: year as number };
  }
  throw new TesseraError(
    "BadArgument",
    `cannot tell the zone and year of ${path}: its name is not utm{ZZ}_{YYYY}.zarr and its ` +
      "attributes have no utm_zone/year",
  );
}

/** The plan of one zone and year, recomputed from BASE exactly as `build` computes it. */
async function zonePlan(
  base: string,
  zone: number,
  year: number,
  registryDir?: string,
): Promise<ZonePlan> {
  const list = await listTiles(base, { year, zones: [zone], registryDir });
  const plan = planZones(list.tiles).find((p) => p.zone === zone && p.year === year);
  if (!plan) {
    throw new TesseraError(
      "BadArgument",
      `BASE ${base} has no tiles for zone ${zone} in ${year}; give the dataset the store was built from`,
    );
  }
  return plan;
}

/** Band count as the builder finds it: from the first tile whose embeddings header reads. */
async function detectBands(base: string, plan: ZonePlan): Promise<number | undefined> {
  for (const t of plan.tiles) {
    try {
      using npy = await openNpy(tilePaths(base, t).embeddings, { dtype: "int8", ndim: 3 });
      return npy.shape[2];
    } catch { /* a broken tile: try the next one */ }
  }
  return undefined;
}

function shardShape(doc: NodeDoc): [number, number] {
  const s = doc.chunk_grid?.configuration?.chunk_shape ?? [];
  return [s[0] || 1, s[1] || 1];
}

function sharded(name: "embeddings" | "scales", rank: number, doc: NodeDoc): ShardedArray {
  return { name, rank, shard: shardShape(doc), indexChunks: shardIndexChunks(doc) };
}

/** Verifies `shards` in-process (workers ≤ 1) or in a Web Worker pool; results in shard order. */
async function runShards(
  ctx: VerifyContext,
  shards: readonly ShardJob[],
  opts: VerifyOptions,
): Promise<ShardReport[]> {
  const n = Math.max(1, Math.min(opts.workers ?? 2, shards.length));
  const results: ShardReport[] = new Array(shards.length);
  if (n === 1) {
    const v = new ShardVerifier(ctx);
    for (let i = 0; i < shards.length; i++) {
      opts.signal?.throwIfAborted();
      results[i] = await v.verify(shards[i].row, shards[i].col, shards[i].tiles);
      opts.onShard?.(results[i]);
    }
    return results;
  }
  let next = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(Array.from({ length: n }, () =>
      new Promise<void>((resolve, reject) => {
        const w = new Worker(new URL("./verify_worker.ts", import.meta.url), { type: "module" });
        workers.push(w);
        const give = () => {
          if (opts.signal?.aborted || next >= shards.length) return resolve();
          const i = next++;
          w.postMessage({ type: "shard", index: i, ...shards[i] });
        };
        w.onerror = (e) => {
          e.preventDefault();
          reject(new Error(`verify worker crashed: ${e.message}`));
        };
        w.onmessage = (e: MessageEvent) => {
          const m = e.data;
          if (m.type === "ready") return give();
          if (m.type === "done") {
            results[m.index] = m.report;
            opts.onShard?.(m.report);
          } else if (m.type === "error") {
            results[m.index] = crashReport(ctx, m.row, m.col, m.message);
            opts.onShard?.(results[m.index]);
          }
          give();
        };
        w.postMessage({ type: "init", ctx });
      })));
  } finally {
    for (const w of workers) w.terminate();
  }
  opts.signal?.throwIfAborted();
  return results;
}

/** A shard whose verifier threw (a bug, not damage): all its pixels are unverified. */
function crashReport(ctx: VerifyContext, row: number, col: number, message: string): ShardReport {
  const { height: H, width: W } = ctx.geobox;
  const [sr, sc] = ctx.shardPx;
  const counts = emptyCounts();
  counts.unverified = (Math.min(H, (row + 1) * sr) - row * sr) *
    (Math.min(W, (col + 1) * sc) - col * sc);
  return {
    row,
    col,
    counts,
    mismatches: [],
    problems: [{ row, col, array: "embeddings+scales", kind: "VerifierError", message }],
    failures: [],
  };
}
