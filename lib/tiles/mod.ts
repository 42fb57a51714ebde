/**
 * The published tiles (SPEC §2) in either layout (seed or public, detected per BASE): names and
 * paths, the tile list (registry, manifest or directory walk),
 * `.npy` embeddings and scales with row reads, landmask GeoTIFFs, the zone's band count, and
 * the typed failures a broken tile gives. Import as `@tessera/zones/tiles`.
 *
 * ```ts
 * import { listTiles, openNpy, tilePaths } from "./lib/tiles/mod.ts";
 * const { tiles } = await listTiles("/data", { year: 2024, zones: [30] });
 * using npy = await openNpy(tilePaths("/data", tiles[0]).embeddings, { dtype: "int8", ndim: 3 });
 * const rows = await npy.readRows(0, 32); // 32 × W × 128 int8
 * ```
 *
 * @module
 */
export { compareTiles, type TileRef, tileRef } from "./tile_ref.ts";
export {
  EMBEDDINGS_DIR,
  LANDMASKS_DIR,
  type LayoutKind,
  NPY_DIR,
  parseTileName,
  PUBLIC_LANDMASKS_DIR,
  publicLayout,
  SEED_LAYOUT,
  type TileLayout,
  tileName,
  type TilePaths,
  tilePaths,
} from "./layout.ts";
export { chooseLayout, layoutOf } from "./layout_choice.ts";
export { detectLayout, type LayoutRequest } from "./layout_detect.ts";
export { type DatasetId, datasetId, DEFAULT_DATASET } from "./dataset_name.ts";
export {
  checkLandmaskIndex,
  findManifest,
  LANDMASK_INDEX_FILE,
  MANIFEST_FILE,
  readManifest,
} from "./manifest.ts";
export { describeSource, listTiles, type ListTilesOptions, type TileList } from "./tile_list.ts";
export { discoverTiles, discoverYears, type SkippedTile } from "./discovery.ts";
export {
  findRegistry,
  readRegistry,
  type Registry,
  REGISTRY_FILE,
  registryTiles,
  registryYears,
} from "./registry.ts";
export { type NpyExpect, type NpyFile, openNpy, readNpyHeader } from "./npy.ts";
export { type NpyDtype, type NpyHeader, parseNpyHeader } from "./npy_header.ts";
export { DEFAULT_MAX_VALID_SCALE, isValidScale, openScales, readScaleRows } from "./scales.ts";
export { type Landmask, openLandmask } from "./landmask.ts";
export { DEFAULT_BANDS, zoneBandCount } from "./band_count.ts";
export { openTileFiles, type TileFailure, tileFailure, type TileFiles } from "./open_tile.ts";
export { type TileWarning, type TileWarningKind } from "./tile_warning.ts";
