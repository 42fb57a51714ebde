/**
 * Opening a zone store for reading: `openZoneStore(pathOrUrl)` reads the root, `embeddings`
 * and `scales` metadata (three requests, in parallel) and returns a typed, immutable handle —
 * zone, year, CRS, GeoBox, bands, array layouts, preview and statistics attributes, as
 * lib/store parses and checks them (lib/store/open.ts) — holding one {@link ShardReader} per
 * sharded array. Reads go through region.ts and point.ts.
 */
import { TesseraError } from "../errors.ts";
import { type GeoBox, geoboxFromTransform, pixelCorner, pixelSizeM } from "../grid/geobox.ts";
import { type ArrayInfo, arrayInfo } from "../store/arrays.ts";
import { type StatisticsAttributes, STORE_FORMAT } from "../store/attributes.ts";
import { storeBasename } from "../store/names.ts";
import { openZoneMetadata, type ZoneMetadata } from "../store/open.ts";
import type { PreviewAttributes } from "../store/previews.ts";
import { type ChunkCache, chunkCache } from "./cache.ts";
import { escapeHtml, htmlTable } from "./html.ts";
import { openStorage, type StorageOptions } from "./location.ts";
import { type IndexCache, indexCache, ShardReader } from "./shard_reader.ts";
import type { Storage } from "./storage.ts";

export type { ArrayInfo };

/**
 * The store format this reader understands (`tessera_zones_format`).
 *
 * @example
 * ```ts
 * store.attributes.tessera_zones_format === READABLE_FORMAT; // true
 * ```
 */
export const READABLE_FORMAT = STORE_FORMAT;

/** Options of {@link openZoneStore}. */
export interface OpenZoneStoreOptions extends StorageOptions {
  /** Decoded-chunk cache; share one between stores to bound their total (default 256 MiB). */
  cache?: ChunkCache;
  /** Size of a new chunk cache when none is given, in bytes. */
  cacheBytes?: number;
  /** Shard-index cache (default a private 32 MiB one). */
  indexes?: IndexCache;
  /** Aborts opening. */
  signal?: AbortSignal;
}

/** Preview attributes (SPEC §6); `rgb`/`pcaRgb` are the done flags (lib/store/previews.ts). */
export type PreviewInfo = PreviewAttributes;

/** Build-time statistics attributes (SPEC §5, lib/store/attributes.ts). */
export type StatisticsInfo = StatisticsAttributes;

/**
 * An open zone store (`utm{ZZ}_{YYYY}.zarr`). Immutable; safe to share between concurrent
 * reads.
 *
 * @example
 * ```ts
 * const store = await openZoneStore("http://127.0.0.1:8000/utm30_2024.zarr");
 * store.zone; store.year; store.geobox; // 30, 2024, { width, height, transform, epsg }
 * const p = await readPoint(store, -0.1, 51.5);
 * ```
 */
export class ZoneStore {
  /** Where it was opened from (absolute path or URL ending in "/"). */
  readonly location: string;
  /** Last path segment, e.g. "utm30_2024.zarr". */
  readonly name: string;
  readonly zone: number;
  readonly year: number;
  /** Store CRS: always the northern UTM code 326zz. */
  readonly epsg: number;
  readonly crs: string;
  /** The store grid: shape, affine transform (outer corner of pixel 0,0), CRS. */
  readonly geobox: GeoBox;
  readonly bands: number;
  /** A pixel's scale must be finite, > 0 and below this to count as valid. */
  readonly maxValidScale: number;
  readonly buildComplete: boolean;
  readonly failedTiles: string[];
  readonly nTiles?: number;
  readonly arrays: { embeddings: ArrayInfo; scales: ArrayInfo };
  readonly preview: PreviewInfo;
  readonly statistics: StatisticsInfo | null;
  /** Root group attributes, as stored. */
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly storage: Storage;
  readonly embeddings: ShardReader;
  readonly scales: ShardReader;

  constructor(init: {
    location: string;
    storage: Storage;
    metadata: ZoneMetadata;
    cache: ChunkCache;
    indexes: IndexCache;
  }) {
    const { zone: z, arrays } = init.metadata;
    const where = init.location;
    this.location = where;
    this.name = storeBasename(where);
    this.zone = z.zone;
    this.year = z.year;
    this.epsg = z.epsg;
    this.crs = z.crs;
    const { height: H, width: W, bands: B } = init.metadata;
    this.geobox = geoboxFromTransform(W, H, z.transform, this.epsg);
    this.bands = B;
    this.maxValidScale = z.maxValidScale;
    this.buildComplete = z.build.complete;
    this.failedTiles = z.build.failedTiles;
    this.nTiles = z.nTiles;
    this.attributes = Object.freeze({ ...init.metadata.attributes });
    this.arrays = {
      embeddings: arrayInfo("embeddings", arrays.embeddings!),
      scales: arrayInfo("scales", arrays.scales!),
    };
    this.preview = z.previews;
    this.statistics = z.statistics;
    this.storage = init.storage;
    const shared = { cache: init.cache, indexes: init.indexes, cacheId: where };
    this.embeddings = new ShardReader(init.storage, "embeddings", arrays.embeddings!, shared);
    this.scales = new ShardReader(init.storage, "scales", arrays.scales!, shared);
    const e = this.embeddings;
    if (e.innerShape.length !== 3 || e.innerShape[2] !== B || e.shardShape[2] !== B) {
      throw new TesseraError(
        "BadStore",
        `embeddings chunks must hold all ${B} bands, got [${e.innerShape}]`,
        where,
      );
    }
  }

  /** Shape as [height, width, bands]. */
  get shape(): [number, number, number] {
    return [this.geobox.height, this.geobox.width, this.bands];
  }

  /** Rich display in Jupyter (Deno kernel): a small table, and the one-line text form. */
  [Symbol.for("Jupyter.display")](): Record<string, string> {
    return { "text/html": storeHtml(this), "text/plain": this.toString() };
  }

  toString(): string {
    const [h, w, b] = this.shape;
    return `ZoneStore(${this.name}: zone ${this.zone}, ${this.year}, ${h}×${w}×${b}, ${this.crs})`;
  }
}

function storeHtml(s: ZoneStore): string {
  const [h, w, b] = s.shape;
  const e = s.arrays.embeddings;
  const previews = [s.preview.rgb && "rgb", s.preview.pcaRgb && "pca_rgb"].filter(Boolean);
  const rows: unknown[][] = [
    ["zone", s.zone],
    ["year", s.year],
    ["CRS", s.crs],
    ["shape (rows × cols × bands)", `${h} × ${w} × ${b}`],
    ["origin (E, N)", pixelCorner(s.geobox, 0, 0).join(", ")],
    ["pixel size", `${pixelSizeM(s.geobox)} m`],
    ["chunks", `shard ${e.chunkShape.join("×")}, inner ${e.innerChunkShape?.join("×")}`],
    ["codecs", e.codecs.join(" → ")],
    ["previews", previews.length ? previews.join(", ") : "none"],
    ["statistics", s.statistics ? `${s.statistics.count} pixels` : "none"],
    ["build complete", s.buildComplete ? "yes" : "NO"],
    ["failed tiles", s.failedTiles.length ? s.failedTiles.join(", ") : "none"],
  ];
  return htmlTable(s.name, [], rows).replace(
    "</caption>",
    `<br><small>${escapeHtml(s.location)}</small></caption>`,
  );
}

/**
 * Opens a zone store at a local path, a file: URL or an http(s) base URL. Costs three requests
 * (root, `embeddings` and `scales` metadata). A missing or malformed store is a "BadStore"
 * error that names it.
 *
 * @example
 * ```ts
 * const local = await openZoneStore("fixtures/sample/zarr/utm30_2024.zarr");
 * const remote = await openZoneStore("https://example.org/zarr/utm31_2024.zarr", {
 *   concurrency: 8, timeoutMs: 10_000, retry: { retries: 5 },
 * });
 * ```
 */
export async function openZoneStore(
  where: string | URL,
  opts: OpenZoneStoreOptions = {},
): Promise<ZoneStore> {
  const { storage, location } = openStorage(where, opts);
  const metadata = await openZoneMetadata(
    { get: (key) => storage.get(key, undefined, opts.signal) },
    { where: location, name: storeBasename(location) },
  );
  return new ZoneStore({
    location,
    storage,
    metadata,
    cache: opts.cache ?? chunkCache(opts.cacheBytes),
    indexes: opts.indexes ?? indexCache(),
  });
}
