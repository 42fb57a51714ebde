/**
 * Shard planning (pure): which tiles overlap which 1024 × 1024 shard of a zone grid, and the
 * pixel rectangles involved. The builder assembles each planned shard from exactly these
 * slices; shards no tile touches are never planned (an absent shard means fill).
 */
import type { ZonePlan } from "./zone_plan.ts";

/** Shard edge in pixels on every 2-D array of a zone store (SPEC §4.2). */
export const SHARD_PX = 1024;

/** A pixel rectangle, half-open: rows r0..r1-1, columns c0..c1-1. */
export interface PixelRect {
  readonly r0: number;
  readonly r1: number;
  readonly c0: number;
  readonly c1: number;
}

/** One tile's contribution to one shard. */
export interface ShardPiece {
  /** Index into the plan's tiles (registry order). */
  readonly tile: number;
  /** The overlap in zone-grid pixels. */
  readonly zone: PixelRect;
}

/** A shard to build: its index, its rectangle in the zone grid and the tiles touching it. */
export interface ShardJob {
  readonly row: number;
  readonly col: number;
  readonly rect: PixelRect;
  /** Pieces in registry order. */
  readonly pieces: readonly ShardPiece[];
}

/** Number of shard rows and columns of a zone grid. */
export function shardGridShape(
  height: number,
  width: number,
  shardPx = SHARD_PX,
): [number, number] {
  return [Math.ceil(height / shardPx), Math.ceil(width / shardPx)];
}

/**
 * Lists the shards any tile touches, in row-major shard order.
 *
 * @example
 * const jobs = planShards(planZones(tiles)[0]);
 * jobs[0].pieces.length; // tiles overlapping shard (0, 0)
 */
export function planShards(plan: ZonePlan, shardPx = SHARD_PX): ShardJob[] {
  const { height, width } = plan.geobox;
  const [, cols] = shardGridShape(height, width, shardPx);
  const pieces = new Map<number, ShardPiece[]>();
  plan.placements.forEach((p, tile) => {
    const r0 = p.rowOffsetPx, r1 = Math.min(height, p.rowOffsetPx + p.height);
    const c0 = p.colOffsetPx, c1 = Math.min(width, p.colOffsetPx + p.width);
    for (let sr = Math.floor(r0 / shardPx); sr * shardPx < r1; sr++) {
      for (let sc = Math.floor(c0 / shardPx); sc * shardPx < c1; sc++) {
        const zone = {
          r0: Math.max(r0, sr * shardPx),
          r1: Math.min(r1, (sr + 1) * shardPx),
          c0: Math.max(c0, sc * shardPx),
          c1: Math.min(c1, (sc + 1) * shardPx),
        };
        const key = sr * cols + sc;
        let list = pieces.get(key);
        if (!list) pieces.set(key, list = []);
        list.push({ tile, zone });
      }
    }
  });
  const jobs: ShardJob[] = [];
  for (const key of [...pieces.keys()].sort((a, b) => a - b)) {
    const row = Math.floor(key / cols), col = key % cols;
    jobs.push({
      row,
      col,
      rect: {
        r0: row * shardPx,
        r1: Math.min(height, (row + 1) * shardPx),
        c0: col * shardPx,
        c1: Math.min(width, (col + 1) * shardPx),
      },
      pieces: pieces.get(key)!,
    });
  }
  return jobs;
}

/**
 * A deterministic slice of the shard list for scale-out (`--shard k/N`, SPEC §11): every
 * N-th shard starting at k, so slices are balanced across the zone.
 */
export function shardSlice<T>(jobs: readonly T[], k: number, n: number): T[] {
  return jobs.filter((_, i) => i % n === k);
}
