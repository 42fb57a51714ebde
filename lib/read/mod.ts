/**
 * Reading zone stores (SPEC §4) locally or over HTTP: open a store or a collection, then
 * read regions, points, probes and point batches. Storage and its wrappers are exported for
 * callers who compose their own transport.
 *
 * ```ts
 * import { openZoneStore, readPoint, readRegion } from "./lib/read/mod.ts";
 * const store = await openZoneStore("http://127.0.0.1:8000/utm30_2024.zarr");
 * const p = await readPoint(store, -0.1, 51.5);
 * const r = await readRegion(store, [-0.12, 51.48, -0.1, 51.5]);
 * ```
 *
 * @module
 */
export * from "./storage.ts";
export { FsStorage } from "./fs_storage.ts";
export { HttpStorage, type HttpStorageOptions } from "./http_storage.ts";
export { Limiter, withLimiter } from "./limiter.ts";
export { backoffDelay, DEFAULT_RETRY, type RetryOptions, withRetry } from "./retry.ts";
export { withTimeout } from "./timeout.ts";
export {
  type ChunkCache,
  chunkCache,
  DEFAULT_CHUNK_CACHE_BYTES,
  LruCache,
  type LruOptions,
} from "./cache.ts";
export { isHttpUrl, type Location, openStorage, type StorageOptions } from "./location.ts";
export {
  type ChunkRequest,
  type IndexCache,
  indexCache,
  planRuns,
  type ShardIndex,
  ShardReader,
  type ShardReaderOptions,
} from "./shard_reader.ts";
export {
  type ArrayInfo,
  openZoneStore,
  type OpenZoneStoreOptions,
  type PreviewInfo,
  READABLE_FORMAT,
  type StatisticsInfo,
  ZoneStore,
} from "./zone_store.ts";
export {
  type BBox,
  type PixelWindow,
  readRegion,
  readWindow,
  type RegionOptions,
  type RegionRead,
  regionWindow,
} from "./region.ts";
export {
  type InputCrs,
  locatePixel,
  type PixelLocation,
  type PointOptions,
  type PointRead,
  type PointSamples,
  probe,
  readPoint,
  samplePoints,
} from "./point.ts";
export { type PixelState, pixelState } from "../store/pixel_state.ts";
export {
  type CollectionOptions,
  type CollectionPointRead,
  type CollectionSamples,
  SEAM_DEGREES,
  seamNeighbours,
  type StoreEntry,
  type YearOptions,
  ZoneCollection,
  zoneOfPoint,
} from "./collection.ts";
