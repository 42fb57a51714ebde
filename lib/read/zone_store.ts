/**
 * Opening a zone store for reading: `openZoneStore(pathOrUrl)` reads the root, `embeddings`
 * and `scales` metadata (three requests, in parallel) and returns a typed, immutable handle —
 * zone, year, CRS, GeoBox, bands, array layouts, preview and statistics attributes — holding
 * one {@link ShardReader} per sharded array. Reads go through region.ts and point.ts.
 */
import { TesseraError } from "../errors.ts";
import { type GeoBox, geobox } from "../grid/geobox.ts";
import { storeEpsg } from "../grid/zone.ts";
import type { ArrayMetadata } from "../zarr/metadata.ts";
import { type ChunkCache, chunkCache } from "./cache.ts";
import { escapeHtml, htmlTable } from "./html.ts";
import { openStorage, type StorageOptions } from "./location.ts";
import { type IndexCache, indexCache, ShardReader } from "./shard_reader.ts";
import { getJson, type Storage } from "./storage.ts";

/**
 * The store format this reader understands (`tessera_zones_format`).
 *
 * @example
 * ```ts
 * store.attributes.tessera_zones_format === READABLE_FORMAT; // true
 * ```
 */
export const READABLE_FORMAT = 1;

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

/** The layout of one array, as its `zarr.json` describes it. */
export interface ArrayInfo {
  name: string;
  shape: number[];
  dataType: string;
  /** Outer chunk (shard) shape, and inner chunk shape when sharded. */
  chunkShape: number[];
  innerChunkShape?: number[];
  fillValue: number | string;
  dimensionNames: string[];
  codecs: string[];
}

/** Preview attributes (SPEC §6); `rgb`/`pcaRgb` are the done flags. */
export interface PreviewInfo {
  rgb: boolean;
  pcaRgb: boolean;
  rgbBands?: number[];
  rgbStretch?: { min: number[]; max: number[] };
  pcaExplainedVariance?: number[];
  multiscales?: unknown;
}

/** Build-time statistics attributes (SPEC §5, docs/format.md). */
export interface StatisticsInfo {
  count: number;
  latticePx?: number;
  sampleLatticePx?: number;
  sampleSize?: number;
  /** Per-band 2nd and 98th percentiles of dequantised values: a store-wide stretch. */
  bandP2?: number[];
  bandP98?: number[];
}

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
    attributes: Record<string, unknown>;
    embeddings: ArrayMetadata;
    scales: ArrayMetadata;
    cache: ChunkCache;
    indexes: IndexCache;
  }) {
    const a = init.attributes;
    const where = init.location;
    const bad = (msg: string) => new TesseraError("BadStore", msg, where);
    const int = (k: string) => {
      if (!Number.isInteger(a[k])) throw bad(`root attribute "${k}" is missing or not an integer`);
      return a[k] as number;
    };
    const format = a.tessera_zones_format;
    if (format !== undefined && format !== READABLE_FORMAT) {
      throw bad(
        `store format ${format} is not readable by this version (reads format ${READABLE_FORMAT}); ` +
          "update tessera-zones",
      );
    }
    this.location = where;
    this.name = where.replace(/\/+$/, "").split(/[\\/]/).at(-1) ?? where;
    this.zone = int("utm_zone");
    this.year = int("year");
    this.epsg = int("crs_epsg");
    if (this.zone < 1 || this.zone > 60 || this.epsg !== storeEpsg(this.zone)) {
      throw bad(`zone ${this.zone} with EPSG:${this.epsg}: expected EPSG:326zz of a zone 1..60`);
    }
    this.crs = `EPSG:${this.epsg}`;
    const t = a.transform as number[];
    const shape = a["spatial:shape"] as number[];
    if (
      !Array.isArray(t) || t.length !== 6 || !t.every(Number.isFinite) || t[1] !== 0 ||
      t[3] !== 0 || !(t[0] > 0) || t[4] !== -t[0]
    ) {
      throw bad(`root attribute "transform" must be a north-up [a, 0, c, 0, -a, f], got ${t}`);
    }
    const [H, W, B] = init.embeddings.shape;
    if (
      !Array.isArray(shape) || shape[0] !== H || shape[1] !== W ||
      JSON.stringify(init.scales.shape) !== JSON.stringify([H, W])
    ) {
      throw bad(
        `shapes disagree: spatial:shape ${JSON.stringify(shape)}, embeddings ` +
          `${JSON.stringify(init.embeddings.shape)}, scales ${JSON.stringify(init.scales.shape)}`,
      );
    }
    this.geobox = geobox(W, H, t[2], t[5], this.epsg, t[0]);
    this.bands = B;
    this.maxValidScale = typeof a.max_valid_scale === "number" ? a.max_valid_scale : 1;
    this.buildComplete = a.build_complete === true;
    this.failedTiles = Array.isArray(a.failed_tiles) ? a.failed_tiles as string[] : [];
    this.nTiles = typeof a.n_tiles === "number" ? a.n_tiles : undefined;
    this.attributes = Object.freeze({ ...a });
    this.arrays = {
      embeddings: arrayInfo("embeddings", init.embeddings),
      scales: arrayInfo("scales", init.scales),
    };
    this.preview = {
      rgb: a.has_rgb_preview === true,
      pcaRgb: a.has_pca_preview === true,
      rgbBands: a.rgb_bands as number[] | undefined,
      rgbStretch: a.rgb_stretch as PreviewInfo["rgbStretch"],
      pcaExplainedVariance: a.pca_explained_variance as number[] | undefined,
      multiscales: a.multiscales,
    };
    this.statistics = typeof a.stats_count === "number"
      ? {
        count: a.stats_count,
        latticePx: a.stats_lattice_px as number | undefined,
        sampleLatticePx: a.stats_sample_lattice_px as number | undefined,
        sampleSize: a.stats_sample_size as number | undefined,
        bandP2: a.stats_band_p2 as number[] | undefined,
        bandP98: a.stats_band_p98 as number[] | undefined,
      }
      : null;
    this.storage = init.storage;
    const shared = { cache: init.cache, indexes: init.indexes, cacheId: where };
    this.embeddings = new ShardReader(init.storage, "embeddings", init.embeddings, shared);
    this.scales = new ShardReader(init.storage, "scales", init.scales, shared);
    const e = this.embeddings;
    if (e.innerShape.length !== 3 || e.innerShape[2] !== B || e.shardShape[2] !== B) {
      throw bad(`embeddings chunks must hold all ${B} bands, got [${e.innerShape}]`);
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

function arrayInfo(name: string, meta: ArrayMetadata): ArrayInfo {
  const outer = meta.codecs[0];
  const cfg = outer?.configuration as { chunk_shape?: number[]; codecs?: { name: string }[] };
  const sharded = outer?.name === "sharding_indexed";
  return {
    name,
    shape: [...meta.shape],
    dataType: meta.data_type,
    chunkShape: [...meta.chunk_grid.configuration.chunk_shape],
    innerChunkShape: sharded ? [...cfg.chunk_shape!] : undefined,
    fillValue: meta.fill_value,
    dimensionNames: [...(meta.dimension_names ?? [])],
    codecs: sharded
      ? ["sharding_indexed", ...(cfg.codecs ?? []).map((c) => c.name)]
      : meta.codecs.map((c) => c.name),
  };
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
    ["origin (E, N)", `${s.geobox.transform[2]}, ${s.geobox.transform[5]}`],
    ["pixel size", `${s.geobox.transform[0]} m`],
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
  const [root, embeddings, scales] = await Promise.all(
    ["zarr.json", "embeddings/zarr.json", "scales/zarr.json"].map((k) =>
      getJson(storage, k, opts.signal)
    ),
  ) as [Record<string, unknown>?, ArrayMetadata?, ArrayMetadata?];
  if (!root) {
    throw new TesseraError(
      "BadStore",
      "no zarr.json here: not a Zarr store (expected a utm{ZZ}_{YYYY}.zarr directory)",
      location,
    );
  }
  if (root.node_type !== "group" || root.zarr_format !== 3) {
    throw new TesseraError("BadStore", "zarr.json is not a Zarr v3 group", location);
  }
  for (const [name, meta] of [["embeddings", embeddings], ["scales", scales]] as const) {
    if (!meta || meta.node_type !== "array") {
      throw new TesseraError("BadStore", `no "${name}" array: not a zone store`, location);
    }
  }
  return new ZoneStore({
    location,
    storage,
    attributes: (root.attributes ?? {}) as Record<string, unknown>,
    embeddings: embeddings!,
    scales: scales!,
    cache: opts.cache ?? chunkCache(opts.cacheBytes),
    indexes: opts.indexes ?? indexCache(),
  });
}
