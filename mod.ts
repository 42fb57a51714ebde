/**
 * tessera-zones: turn TESSERA embedding tiles (0.1° tiles, int8 × 128 bands, 10 m pixels)
 * into one seamless, sharded Zarr v3 store per UTM zone and year.
 *
 * The public API, in the order data flows through it:
 *
 * ```ts
 * import { listTiles, planZones, buildZone, tileGrid } from "./mod.ts";
 *
 * const { tiles } = await listTiles("/data", { year: 2024, zones: [30] });
 * const [plan] = planZones(tiles);           // pure: zone GeoBox + tile placements
 * const result = await buildZone(plan, { base: "/data", outputDir: "/data/zarr" });
 * tileGrid(0.15, 52.25).geobox;              // { width: 726, height: 1139, transform, epsg }
 * ```
 *
 * @module
 */

// Errors
export { type ErrorKind, isTesseraError, TesseraError } from "./lib/errors.ts";

// Grid maths (pure)
export { roundHalfEven } from "./lib/grid/rounding.ts";
export { centralMeridian, utmForward, utmInverse } from "./lib/grid/utm.ts";
export {
  canonicalNorthing,
  parseUtmEpsg,
  storeEpsg,
  straddlesZoneBoundary,
  touchesZoneEdge,
  utmEpsg,
  utmZone,
} from "./lib/grid/zone.ts";
export {
  type Affine,
  type GeoBox,
  geobox,
  geoboxBounds,
  pixelCentre,
  pixelCorner,
  worldToPixel,
} from "./lib/grid/geobox.ts";
export { PIXEL_SIZE_M, type TileGrid, tileGrid } from "./lib/grid/tile_grid.ts";
export { type TilePlacement, type ZoneGrid, zoneGrid } from "./lib/grid/zone_grid.ts";
export { utmWkt } from "./lib/grid/crs.ts";

// Tiles: identity, layout, readers
export { compareTiles, type TileRef, tileRef } from "./lib/tiles/tile_ref.ts";
export {
  EMBEDDINGS_DIR,
  LANDMASKS_DIR,
  parseTileName,
  tileName,
  tilePaths,
} from "./lib/tiles/layout.ts";
export { type NpyFile, type NpyHeader, openNpy, parseNpyHeader } from "./lib/tiles/npy.ts";
export { DEFAULT_MAX_VALID_SCALE, isValidScale, readScaleRows } from "./lib/tiles/scales.ts";
export { type Landmask, openLandmask } from "./lib/tiles/landmask.ts";
export {
  findRegistry,
  readRegistry,
  type Registry,
  registryTiles,
  registryYears,
} from "./lib/tiles/registry.ts";
export { discoverTiles, discoverYears } from "./lib/tiles/discovery.ts";
export { listTiles, type TileList } from "./lib/tiles/tile_list.ts";

// Planning and building
export { planZones, storeName, type ZonePlan } from "./lib/plan/zone_plan.ts";
export { planShards, SHARD_PX, type ShardJob } from "./lib/plan/shard_plan.ts";
export { type BuildOptions, buildZone, type ZoneBuildResult } from "./lib/builder/build_zone.ts";

// Scanning and sample data
export { type ScanReport, scanTiles } from "./lib/scan/scan.ts";
export { listDatasetTiles } from "./lib/scan/dataset_tiles.ts";
export { type FixtureOptions, generateFixtures } from "./lib/sample_data/generate.ts";
export { defaultOutputDir, resolveBase, SAMPLE_DIR } from "./lib/data_location.ts";

// Manifests and serving
export {
  CHUNK_MANIFEST_FILE,
  type ChunkManifest,
  chunkManifest,
  formatManifestReport,
  type ManifestReport,
  STORES_FILE,
  writeManifests,
} from "./lib/manifest/manifest.ts";
export {
  browserUrl,
  type RunningServer,
  type ServeOptions,
  startServer,
} from "./lib/serve/server.ts";
export { staticHandler, type StaticOptions } from "./lib/serve/static.ts";
export { planRange, type RangePlan } from "./lib/serve/ranges.ts";

// Verification
export { type VerifyOptions, verifyStore } from "./lib/verify/verify_store.ts";
export {
  formatReport,
  type PixelCounts,
  type PixelMismatch,
  type PixelState,
  reportJson,
  type VerifyReport,
} from "./lib/verify/report.ts";

// Jupyter display of zone plans
export { displayZonePlan, displayZonePlans, zonePlanHtml } from "./lib/plan/display.ts";

// Reading stores: regions, points and probes, local or over HTTP
export {
  type BBox,
  chunkCache,
  Limiter,
  openZoneStore,
  type PixelState as ReadPixelState,
  type PointRead,
  probe,
  readPoint,
  readRegion,
  type RegionRead,
  samplePoints,
  ZoneCollection,
  ZoneStore,
} from "./lib/read/mod.ts";

// Previews: RGB and PCA with overview pyramids
export {
  type PreviewRequest,
  type PreviewResult,
  writePreviews,
} from "./lib/preview/preview_pass.ts";
export { type PcaBasis, pcaBasis, type PcaInput } from "./lib/preview/pca.ts";
export { bandStretch, channel, percentileSorted } from "./lib/preview/stretch.ts";
export { type LevelInfo, pyramidLevels } from "./lib/preview/overviews.ts";
export { pcaFromAttributes } from "./lib/preview/pca_pass.ts";
export { encodePng, readPreviewLevel, writePreviewPng } from "./lib/preview/png.ts";
export { findStores } from "./lib/preview/stores.ts";
