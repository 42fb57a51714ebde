/**
 * Zone planning, pure: a tile list becomes one plan per (year, zone) — the zone GeoBox, where
 * each tile lands, and the shards any tile touches, each with its own GeoBox (a slice of the
 * zone's) and the tile pieces that fill it. Computed once and passed whole to the builder,
 * verify, the display and scale-out. Import as `@tessera/zones/plan`.
 *
 * ```ts
 * import { planZones, withBands } from "./lib/plan/mod.ts";
 * const [plan] = planZones(tiles);
 * plan.shards[0].geobox;        // the first shard's GeoBox
 * const built = withBands(plan, 128); // what a build passes to its workers
 * ```
 *
 * @module
 */
export { planZones, storeName, type ZonePlan } from "./zone_plan.ts";
export {
  type PixelRect,
  SHARD_PX,
  shardGridShape,
  type ShardPiece,
  type ShardPlan,
  shardSlice,
} from "./shard_plan.ts";
export { type BuildPlan, withBands, type WorkerPlan, workerPlan } from "./build_plan.ts";
export { displayZonePlan, displayZonePlans, zonePlanHtml, zonePlanText } from "./display.ts";
