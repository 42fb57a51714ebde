/**
 * Shard planning (pure): which tiles overlap which 1024 × 1024 shard of a zone grid, and the
 * pixel rectangles involved. `planZones` calls this once per zone and keeps the result in
 * the plan (`ZonePlan.shards`); the builder assembles each planned shard from exactly these
 * slices, verify compares it with the same tiles; shards no tile touches are never planned
 * (an absent shard means fill).
 */
import { type GeoBox, sliceGeoBox } from "../grid/geobox.ts";
import type { TilePlacement } from "../grid/zone_grid.ts";
import { SHARD_PX, shardGridShape } from "../store/layout.ts";

// The shard size and grid are the store format's (lib/store/layout.ts); re-exported here.
export { SHARD_PX, shardGridShape };

import type { PixelRect } from "../grid/pixel_rect.ts";
export type { PixelRect } from "../grid/pixel_rect.ts";

/** One tile's contribution to one shard. */
export interface ShardPiece {
  /** Index into the plan's tiles (registry order). */
  readonly tile: number;
  /** The overlap in zone-grid pixels. */
  readonly zone: PixelRect;
}

/**
 * A planned shard: its index in the shard grid, its rectangle in the zone grid, its own
 * GeoBox (the zone box sliced to the rectangle) and the tiles touching it. Plain data: it is
 * posted to a worker as it is.
 */
export interface ShardPlan {
  readonly row: number;
  readonly col: number;
  readonly rect: PixelRect;
  /** `sliceGeoBox(zone geobox, rect)`: pixel (0, 0) is zone pixel (rect.r0, rect.c0). */
  readonly geobox: GeoBox;
  /** Pieces in registry order. */
  readonly pieces: readonly ShardPiece[];
}

/**
 * Lists the shards any tile touches, in row-major shard order, each with its pieces in
 * registry order (the placements' order). The zone plan's shard list: `planZones` calls it
 * once per zone; everything downstream reads `plan.shards`.
 *
 * @example
 * const zg = zoneGrid([tileGrid(0.15, 52.25), tileGrid(0.25, 52.25)]);
 * const shards = zoneShards(zg.geobox, zg.placements);
 * shards[0].pieces.length; // tiles overlapping shard (0, 0)
 */
export function zoneShards(
  zoneBox: GeoBox,
  placements: readonly TilePlacement[],
  shardPx = SHARD_PX,
): ShardPlan[] {
  const { height, width } = zoneBox;
  const [, cols] = shardGridShape(height, width, shardPx);
  const pieces = new Map<number, ShardPiece[]>();
  placements.forEach((p, tile) => {
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
  const shards: ShardPlan[] = [];
  for (const key of [...pieces.keys()].sort((a, b) => a - b)) {
    const row = Math.floor(key / cols), col = key % cols;
    const rect = {
      r0: row * shardPx,
      r1: Math.min(height, (row + 1) * shardPx),
      c0: col * shardPx,
      c1: Math.min(width, (col + 1) * shardPx),
    };
    shards.push({ row, col, rect, geobox: sliceGeoBox(zoneBox, rect), pieces: pieces.get(key)! });
  }
  return shards;
}

/**
 * A deterministic slice of the shard list for scale-out (`--shard k/N`, SPEC §11): every
 * N-th shard starting at k, so slices are balanced across the zone.
 */
export function shardSlice<T>(jobs: readonly T[], k: number, n: number): T[] {
  return jobs.filter((_, i) => i % n === k);
}
