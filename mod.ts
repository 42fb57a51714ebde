/**
 * tessera-zones: turn TESSERA embedding tiles (0.1° tiles, int8 × 128 bands, 10 m pixels)
 * into one seamless, sharded Zarr v3 store per UTM zone and year — and read them back.
 *
 * This is the pipeline's public API, in the order data flows through it: where the data is,
 * the tile list, the zone plans, the build, previews, verification, manifests and serving,
 * and reading stores. Everything else has its own entry point (JSDoc on each):
 * `@tessera/zones/grid` (pure grid maths and GeoBoxes), `/tiles` (tile readers), `/plan`,
 * `/store` (the store format), `/read` (the read API with its storage layers), `/preview`,
 * `/verify`, `/serve`, `/sample-data` — in this repository `lib/{name}/mod.ts`.
 *
 * ```ts
 * import { buildZone, listTiles, openZoneStore, planZones, readPoint } from "./mod.ts";
 *
 * const { tiles } = await listTiles("/data", { year: 2024, zones: [30] });
 * const [plan] = planZones(tiles);          // pure: zone GeoBox, tile placements, shards
 * await buildZone(plan, { base: "/data", outputDir: "/data/zarr" });
 * const store = await openZoneStore("/data/zarr/utm30_2024.zarr");
 * const p = await readPoint(store, -0.05, 51.45); // { state, vector (128 floats), scale, … }
 * ```
 *
 * @module
 */

// Errors: every defect is a TesseraError with a kind and the file it concerns.
export { type ErrorKind, isTesseraError, TesseraError } from "./lib/errors.ts";

// Where the data is: $TESSERA_DATA, else the bundled sample (made on first use).
export { resolveBase } from "./lib/data_location.ts";

// The tiles of a year, from the registry or a directory walk.
export { listTiles, type TileList } from "./lib/tiles/tile_list.ts";
export type { TileRef } from "./lib/tiles/tile_ref.ts";

// Grids: a tile's exact grid (SPEC §3.2); GeoBox is the currency of every stage.
export { tileGrid } from "./lib/grid/tile_grid.ts";
export type { GeoBox } from "./lib/grid/geobox.ts";

// Planning (pure) and building.
export { planZones, type ZonePlan } from "./lib/plan/zone_plan.ts";
export { displayZonePlans } from "./lib/plan/display.ts";
export { storeName } from "./lib/store/names.ts";
export { type BuildOptions, buildZone, type ZoneBuildResult } from "./lib/builder/build_zone.ts";
export { type ScanReport, scanTiles } from "./lib/scan/scan.ts";

// Previews, verification, manifests and serving.
export {
  type PreviewRequest,
  type PreviewResult,
  writePreviews,
} from "./lib/preview/preview_pass.ts";
export { type VerifyOptions, verifyStore } from "./lib/verify/verify_store.ts";
export { formatReport, type VerifyReport } from "./lib/verify/report.ts";
export { writeManifests } from "./lib/manifest/manifest.ts";
export { type ServeOptions, startServer } from "./lib/serve/server.ts";

// Reading stores, local or over HTTP: regions, points, probes, batches, zone collections.
export {
  type BBox,
  openZoneStore,
  type PointRead,
  probe,
  readPoint,
  readRegion,
  type RegionRead,
  samplePoints,
  ZoneCollection,
  ZoneStore,
} from "./lib/read/mod.ts";

// A realistic sample dataset in the published layout.
export { generateFixtures } from "./lib/sample_data/generate.ts";
