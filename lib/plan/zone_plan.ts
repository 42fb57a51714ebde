/**
 * Zone planning (pure): a tile list in registry order becomes one plan per (year, zone) —
 * the zone GeoBox, where each tile lands and the shard list (each shard's rectangle, GeoBox
 * and tile pieces). Computed once; the build, verify and the display read it and never
 * re-plan. No file is touched, so a whole registry can be planned in seconds.
 */
import type { GeoBox } from "../grid/geobox.ts";
import { type TileGrid, tileGrid } from "../grid/tile_grid.ts";
import { type TilePlacement, zoneGrid } from "../grid/zone_grid.ts";
import { compareTiles, type TileRef } from "../tiles/tile_ref.ts";
import { type ShardPlan, zoneShards } from "./shard_plan.ts";

/** Everything needed to build one zone store, before any file is read. */
export interface ZonePlan {
  readonly year: number;
  readonly zone: number;
  /** Store CRS (always the northern 326zz code). */
  readonly epsg: number;
  readonly geobox: GeoBox;
  /** Tiles in registry order (the compositing tie-break order). */
  readonly tiles: readonly TileRef[];
  readonly grids: readonly TileGrid[];
  readonly placements: readonly TilePlacement[];
  /** Tile count per native EPSG (326zz north, 327zz south). */
  readonly tilesPerEpsg: ReadonlyMap<number, number>;
  /**
   * The shards any tile touches, row-major, each with its GeoBox and its pieces in registry
   * order (lib/plan/shard_plan.ts). Shards not listed are empty: never written.
   */
  readonly shards: readonly ShardPlan[];
}

// A plan's store is named by lib/store (re-exported: the plan display and tasks name stores).
export { storeName } from "../store/names.ts";

/**
 * Plans every (year, zone) present in `tiles`. Plans come out sorted by year then zone; the
 * tiles inside each keep registry order.
 *
 * @example
 * const [plan] = planZones([tileRef(2024, 15, 5225), tileRef(2024, 25, 5225)]);
 * plan.geobox.width; // zone grid width in pixels
 * plan.shards[0].pieces; // the tiles overlapping the first shard
 */
export function planZones(tiles: readonly TileRef[]): ZonePlan[] {
  // One grid per cell, shared by every year of that cell.
  const gridCache = new Map<number, TileGrid>();
  const groups = new Map<
    string,
    { year: number; zone: number; tiles: TileRef[]; grids: TileGrid[] }
  >();
  for (const t of tiles) {
    const cellKey = t.lonI * 100000 + t.latI;
    let g = gridCache.get(cellKey);
    if (!g) gridCache.set(cellKey, g = tileGrid(t.lon, t.lat));
    const key = `${t.year}/${g.zone}`;
    let group = groups.get(key);
    if (!group) groups.set(key, group = { year: t.year, zone: g.zone, tiles: [], grids: [] });
    group.tiles.push(t);
    group.grids.push(g);
  }
  const plans: ZonePlan[] = [];
  for (const group of groups.values()) {
    const sorted = isSorted(group.tiles) ? group : sortGroup(group);
    const zg = zoneGrid(sorted.grids);
    const tilesPerEpsg = new Map<number, number>();
    for (const g of sorted.grids) tilesPerEpsg.set(g.epsg, (tilesPerEpsg.get(g.epsg) ?? 0) + 1);
    // The shard list is computed on first use and kept: planning a whole registry
    // (`scan --plan-only`, 2.7 M tiles) never needs it, a build needs it once.
    let shards: readonly ShardPlan[] | undefined;
    plans.push({
      year: group.year,
      zone: group.zone,
      epsg: zg.epsg,
      geobox: zg.geobox,
      tiles: sorted.tiles,
      grids: sorted.grids,
      placements: zg.placements,
      tilesPerEpsg,
      get shards() {
        return shards ??= zoneShards(zg.geobox, zg.placements);
      },
    });
  }
  return plans.sort((a, b) => a.year - b.year || a.zone - b.zone);
}

function isSorted(tiles: readonly TileRef[]): boolean {
  for (let i = 1; i < tiles.length; i++) if (compareTiles(tiles[i - 1], tiles[i]) > 0) return false;
  return true;
}

function sortGroup(g: { tiles: TileRef[]; grids: TileGrid[] }) {
  const order = g.tiles.map((_, i) => i).sort((a, b) => compareTiles(g.tiles[a], g.tiles[b]));
  return { tiles: order.map((i) => g.tiles[i]), grids: order.map((i) => g.grids[i]) };
}
