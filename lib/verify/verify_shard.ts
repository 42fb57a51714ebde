/**
 * Verifies one shard of a zone store (the I/O side): checks the shard objects' indexes, reads
 * the shard back through zarrita, opens the source tiles that overlap it and compares block by
 * block (expected_shard.ts). On the way it re-derives what the builder derives from the
 * shard — its statistics partial and defect-scale counts — from the expected pixels
 * (shard_derived.ts). Memory is one shard of store data plus a few rows per tile, so a zone
 * of any size verifies in bounded memory. Runs in a worker or in-process.
 */
import * as zarr from "../deps/zarrita.ts";
import type { WorkerPlan } from "../plan/build_plan.ts";
import { type ClosableReadable, fileReadable } from "./file_readable.ts";
import { type CandidateBlock, compareBlock, type Rect, type StoreShard } from "./expected_shard.ts";
import { emptyCounts, type ShardReport, type TileFailure } from "./report.ts";
import { countDefectScales, LatticeStats } from "./shard_derived.ts";
import { checkShardIndex } from "./store_checks.ts";
import {
  closeSourceTile,
  openSourceTile,
  readSourceBlock,
  type SourcePiece,
  sourcePiece,
  type SourceTile,
  tileFailure,
  tileRectIn,
} from "./source_tile.ts";

/** Zone rows compared at a time: bounds tile reads to rows × tile width × bands per tile. */
const ROWS_PER_BLOCK = 32;
/**
 * Inner chunks in flight per array read. zarrita's default queue starts every chunk at once,
 * which would hold a whole shard of raw chunk bytes besides the output array.
 */
const READ_CONCURRENCY = 16;

/** A sharded grid array whose shard objects get their index checked. */
export interface ShardedArray {
  name: "embeddings" | "scales";
  /** Rank 3 arrays have a trailing `/0` in their shard keys (one shard across all bands). */
  rank: number;
  /** Shard rows and columns in pixels. */
  shard: [number, number];
  /** Inner chunks per shard; undefined when the index layout is not the standard one. */
  indexChunks?: number;
}

/** Everything a verifier needs about a zone; plain data, so it can be posted to a worker. */
export interface VerifyContext {
  storePath: string;
  base: string;
  /**
   * The zone's plan with its band count (lib/plan/build_plan.ts); its grid equals the store's,
   * checked before any shard is verified.
   */
  plan: WorkerPlan;
  maxValidScale: number;
  /** Work unit: the embeddings shard shape (rows, cols). */
  shardPx: [number, number];
  arrays: readonly ShardedArray[];
  /** Mismatches listed per shard. */
  maxListed: number;
}

/** Verifies shards of one store; remembers tiles that failed validation. */
export class ShardVerifier {
  readonly #ctx: VerifyContext;
  readonly #failed = new Map<number, TileFailure>();

  constructor(ctx: VerifyContext) {
    this.#ctx = ctx;
  }

  /**
   * Verifies shard (row, col). `tiles` lists the plan tiles that may overlap it, in registry
   * order (from the plan's shard list); omitted, every tile is tested. Damage is reported,
   * never thrown: an unreadable shard counts as unverified pixels plus a problem.
   *
   * @example
   * const report = await new ShardVerifier(ctx).verify(0, 0);
   * report.counts.mismatched; // 0 for a correct shard
   */
  async verify(row: number, col: number, tiles?: readonly number[]): Promise<ShardReport> {
    const ctx = this.#ctx;
    const { plan } = ctx;
    const { width: W, height: H } = plan.geobox;
    const [sr, sc] = ctx.shardPx;
    const rect: Rect = {
      r0: row * sr,
      r1: Math.min(H, (row + 1) * sr),
      c0: col * sc,
      c1: Math.min(W, (col + 1) * sc),
    };
    const area = (rect.r1 - rect.r0) * (rect.c1 - rect.c0);
    const report: ShardReport = {
      row,
      col,
      counts: emptyCounts(),
      mismatches: [],
      problems: [],
      failures: [],
    };

    let present = false;
    for (const a of ctx.arrays) {
      for (const key of shardKeys(a, rect)) {
        if (a.indexChunks === undefined) {
          present = true; // cannot tell cheaply; read it
          continue;
        }
        const r = await checkShardIndex(ctx.storePath, key, a.indexChunks);
        present ||= r.present;
        if (r.problem) {
          report.problems.push({
            row,
            col,
            array: a.name,
            kind: "BadShardIndex",
            message: `${key}: ${r.problem}`,
          });
        }
      }
    }

    const opened: SourceTile[] = [];
    try {
      for (const i of tiles ?? plan.tiles.keys()) {
        const g = plan.grids[i].geobox, p = plan.placements[i];
        if (!tileRectIn({ ...p, width: g.width, height: g.height }, rect)) continue;
        const known = this.#failed.get(i);
        if (known) {
          report.failures.push(known);
          continue;
        }
        try {
          opened.push(
            await openSourceTile(ctx.base, plan.tiles[i], plan.grids[i], p, i, plan.bands),
          );
        } catch (e) {
          const f = tileFailure(plan.tiles[i], e);
          this.#failed.set(i, f);
          report.failures.push(f);
        }
      }
      if (opened.length === 0 && !present) {
        report.counts.empty += area; // no tile, no shard: fill, as it must be
        return report;
      }

      let store: StoreShard;
      try {
        store = await readStoreShard(ctx.storePath, rect, plan.bands);
      } catch (e) {
        report.problems.push({
          row,
          col,
          array: "embeddings+scales",
          // Whatever the reader threw (often a range error from a garbled index), for the
          // user this is one thing: the shard cannot be read back.
          kind: "UnreadableShard",
          message: `zarrita cannot read the shard back (${errorKind(e)}: ${(e as Error).message})`,
        });
        report.counts.unverified += area;
        report.derived = null;
        return report;
      }

      const lattice = new LatticeStats(plan.bands);
      const badScales: Record<string, number> = {};
      const sink = {
        counts: report.counts,
        mismatches: report.mismatches,
        maxListed: ctx.maxListed,
        lattice,
      };
      const rule = { geobox: plan.geobox, zone: plan.zone, maxValidScale: ctx.maxValidScale };
      let r0 = rect.r0;
      try {
        const pieces: SourcePiece[] = [];
        for (const t of opened) {
          const p = await sourcePiece(t, rect, plan.bands, ROWS_PER_BLOCK);
          if (p) pieces.push(p);
        }
        for (; r0 < rect.r1; r0 += ROWS_PER_BLOCK) {
          const r1 = Math.min(rect.r1, r0 + ROWS_PER_BLOCK);
          const candidates: CandidateBlock[] = [];
          for (const p of pieces) {
            const b = await readSourceBlock(p, r0, r1);
            if (!b) continue;
            candidates.push(b);
            const bad = countDefectScales(
              b.scales,
              b.zone.r1 - b.zone.r0,
              b.width,
              b.zone.c0 - b.colOffsetPx,
              b.zone.c1 - b.colOffsetPx,
              ctx.maxValidScale,
            );
            if (bad) badScales[b.name] = (badScales[b.name] ?? 0) + bad;
          }
          compareBlock(store, { r0, r1, c0: rect.c0, c1: rect.c1 }, candidates, rule, sink);
        }
        report.derived = { stats: lattice.partial(), badScales };
      } catch (e) {
        // A tile that validated but then failed to read: the builder could not have used it
        // either (its shard would have crashed), so say so and stop comparing this shard.
        report.problems.push({
          row,
          col,
          array: "source",
          kind: errorKind(e),
          message: (e as Error).message,
        });
        report.counts.unverified += (rect.r1 - r0) * (rect.c1 - rect.c0);
        report.derived = null;
      }
      return report;
    } finally {
      for (const t of opened) closeSourceTile(t);
    }
  }
}

/** Keys of the shard objects of `a` that cover `rect`. */
function shardKeys(a: ShardedArray, rect: Rect): string[] {
  const keys: string[] = [];
  for (let r = Math.floor(rect.r0 / a.shard[0]); r * a.shard[0] < rect.r1; r++) {
    for (let c = Math.floor(rect.c0 / a.shard[1]); c * a.shard[1] < rect.c1; c++) {
      keys.push(a.rank === 3 ? `${a.name}/c/${r}/${c}/0` : `${a.name}/c/${r}/${c}`);
    }
  }
  return keys;
}

/**
 * Reads `rect` of `embeddings` and `scales` with zarrita. The arrays are opened afresh for
 * every shard because zarrita caches every shard index it has read for the array's lifetime
 * (16 KiB per embeddings shard): one array object for a whole zone would grow without bound.
 */
async function readStoreShard(storePath: string, rect: Rect, bands: number): Promise<StoreShard> {
  const files = fileReadable(storePath);
  try {
    return await readShardFrom(files, rect, bands);
  } finally {
    files.close();
  }
}

async function readShardFrom(
  files: ClosableReadable,
  rect: Rect,
  bands: number,
): Promise<StoreShard> {
  const root = zarr.root(files);
  const opts = { createQueue: () => boundedQueue(READ_CONCURRENCY) };
  const rows = zarr.slice(rect.r0, rect.r1), cols = zarr.slice(rect.c0, rect.c1);
  const emb = await zarr.open.v3(root.resolve("embeddings"), { kind: "array" });
  const e = await zarr.get(emb, [rows, cols, null], opts);
  const sc = await zarr.open.v3(root.resolve("scales"), { kind: "array" });
  const s = await zarr.get(sc, [rows, cols], opts);
  if (!(e.data instanceof Int8Array) || !(s.data instanceof Float32Array)) {
    throw new Error(`unexpected data types ${e.data.constructor.name}, ${s.data.constructor.name}`);
  }
  const n = (rect.r1 - rect.r0) * (rect.c1 - rect.c0);
  if (e.data.length !== n * bands || s.data.length !== n) {
    throw new Error(
      `read ${e.data.length} embedding and ${s.data.length} scale values, expected ${
        n * bands
      } and ${n}`,
    );
  }
  return { rect, bands, embeddings: e.data, scales: s.data };
}

/** A zarrita chunk queue running at most `limit` reads at once. */
function boundedQueue(limit: number) {
  const all: Promise<void>[] = [];
  const waiting: (() => void)[] = [];
  let active = 0;
  return {
    add(fn: () => Promise<void>) {
      all.push((async () => {
        while (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
        active++;
        try {
          await fn();
        } finally {
          active--;
          waiting.shift()?.();
        }
      })());
    },
    onIdle: () => Promise.all(all),
  };
}

function errorKind(e: unknown): string {
  return (e as { kind?: string })?.kind ?? (e as Error)?.name ?? "Error";
}
