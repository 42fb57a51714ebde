/**
 * The root group attributes of a zone store (SPEC §4.4, docs/format.md "Group attributes"):
 * encoding them from a {@link StoreInfo} — upstream-compatible, builder and GeoZarr keys, then
 * the build's state and statistics in their fixed order — and parsing any store's attributes
 * back into one typed {@link ZoneAttributes} with the format's defaults. Pure, browser-safe.
 */
import { TesseraError } from "../errors.ts";
import { utmWkt } from "../grid/crs.ts";
import { type GeoBox, geoboxBounds, pixelSizeM } from "../grid/geobox.ts";
import { storeEpsg } from "../grid/zone.ts";
import { geoembAttributes, registerConventions } from "./georef.ts";
import { parseStoreName } from "./names.ts";
import { DEFAULT_MAX_VALID_SCALE } from "./pixel_state.ts";
import { parsePreviewAttributes, type PreviewAttributes } from "./previews.ts";

/** Store format version written in `tessera_zones_format` (and the one version readable). */
export const STORE_FORMAT = 1;
/** Builder name and version written into every store. */
export const BUILDER = { name: "tessera-zones", version: "0.1.0" };
/** `tessera_dataset_version` when none is given. */
export const DEFAULT_DATASET_VERSION = "v1";

/** The embeddings codec a store records in `embeddings_compression`. */
export type EmbeddingsCompression = "none" | "zstd";

/** What the group attributes describe (lib/builder/store_info.ts makes one from a plan). */
export interface StoreInfo {
  readonly zone: number;
  readonly year: number;
  readonly epsg: number;
  readonly geobox: GeoBox;
  readonly nTiles: number;
  readonly bands: number;
  readonly datasetVersion: string;
  readonly maxValidScale: number;
  readonly compress: EmbeddingsCompression;
}

/**
 * Group attributes of SPEC §4.4 that describe the store itself (before any build state,
 * statistics or preview), in their fixed order.
 *
 * @example
 * ```ts
 * storeAttributes(info)["proj:code"]; // "EPSG:32630"
 * ```
 */
export function storeAttributes(info: StoreInfo): Record<string, unknown> {
  const { geobox } = info;
  const [minX, minY, maxX, maxY] = geoboxBounds(geobox);
  const attrs: Record<string, unknown> = {
    utm_zone: info.zone,
    year: info.year,
    crs_epsg: info.epsg,
    crs_wkt: utmWkt(info.zone),
    transform: [...geobox.transform],
    pixel_size_m: pixelSizeM(geobox),
    n_tiles: info.nTiles,
    n_bands: info.bands,
    tessera_dataset_version: info.datasetVersion,
    builder: BUILDER.name,
    builder_version: BUILDER.version,
    tessera_zones_format: STORE_FORMAT,
    max_valid_scale: info.maxValidScale,
    embeddings_compression: info.compress,
    zarr_conventions: [],
    "proj:code": `EPSG:${info.epsg}`,
    "spatial:dimensions": ["northing", "easting"],
    "spatial:transform": [...geobox.transform],
    "spatial:shape": [geobox.height, geobox.width],
    "spatial:bbox": [minX, minY, maxX, maxY],
    "spatial:registration": "pixel",
    ...geoembAttributes(info.bands, BUILDER.version),
  };
  return registerConventions(attrs);
}

/** Attributes whose values a build sets itself when it finishes (or marks false as it starts). */
export const BUILD_STATE_ATTRIBUTES: ReadonlySet<string> = new Set([
  "failed_tiles",
  "bad_scale_pixels",
  "build_complete",
  "stats_count",
  "stats_lattice_px",
  "stats_sample_lattice_px",
  "stats_sample_size",
  "stats_band_p2",
  "stats_band_p98",
]);

/** What a finished build records besides {@link storeAttributes}. */
export interface BuildOutcome {
  /** The statistics' attributes (stats_codec.ts `statsAttributes`). */
  statistics: Record<string, unknown>;
  /** Names of the tiles that failed, sorted. */
  failedTiles: string[];
  /** Tile name → pixels stored as no data because their scale was a defect. */
  badScalePixels: Record<string, number>;
}

/**
 * The root attributes of a store, in the one order that keeps rebuilt stores byte-identical:
 * the store's own, then — without `outcome` — `build_complete: false`, or the outcome's
 * statistics, `failed_tiles`, `bad_scale_pixels` and `build_complete: true`; then `later`,
 * attributes passes run since added (previews), in their order.
 *
 * @example
 * ```ts
 * zoneGroupAttributes(info).build_complete; // false: a build under way
 * zoneGroupAttributes(info, { statistics, failedTiles: [], badScalePixels: {} }, later);
 * ```
 */
export function zoneGroupAttributes(
  info: StoreInfo,
  outcome?: BuildOutcome,
  later: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  const state = outcome
    ? {
      ...outcome.statistics,
      failed_tiles: outcome.failedTiles,
      bad_scale_pixels: outcome.badScalePixels,
      build_complete: true,
    }
    : { build_complete: false };
  return registerConventions({ ...storeAttributes(info), ...state, ...later });
}

/**
 * The attributes of `attrs` that are neither the store's own nor the build's state: those later
 * passes (previews) added, in the order they were written. A resumed or repaired build keeps
 * them after its own, so no preview is orphaned.
 *
 * @example
 * ```ts
 * attributesAddedLater({ utm_zone: 30, has_rgb_preview: true }, info); // { has_rgb_preview: true }
 * ```
 */
export function attributesAddedLater(
  attrs: Readonly<Record<string, unknown>>,
  info: StoreInfo,
): Record<string, unknown> {
  const own = storeAttributes(info);
  return Object.fromEntries(
    Object.entries(attrs).filter(([k]) => !(k in own) && !BUILD_STATE_ATTRIBUTES.has(k)),
  );
}

/** A build's state as the attributes record it. */
export interface BuildState {
  /** `build_complete` is true: every shard is written and the statistics are final. */
  complete: boolean;
  /** `build_complete` is false: a build started and has not finished (absent: neither). */
  unfinished: boolean;
  failedTiles: string[];
  badScalePixels: Record<string, number>;
}

/**
 * The build state of `attrs`. Never throws: missing values are an unknown (not complete, not
 * unfinished) state with no failures.
 *
 * @example
 * ```ts
 * parseBuildState({ build_complete: false }).unfinished; // true
 * ```
 */
export function parseBuildState(attrs: Readonly<Record<string, unknown>>): BuildState {
  const bad = attrs.bad_scale_pixels;
  return {
    complete: attrs.build_complete === true,
    unfinished: attrs.build_complete === false,
    failedTiles: Array.isArray(attrs.failed_tiles) ? attrs.failed_tiles.map(String) : [],
    badScalePixels: bad && typeof bad === "object" && !Array.isArray(bad)
      ? Object.fromEntries(
        Object.entries(bad).filter((e): e is [string, number] => typeof e[1] === "number"),
      )
      : {},
  };
}

/** The build-time statistics attributes (SPEC §5); the arrays are in the `stats` group. */
export interface StatisticsAttributes {
  count: number;
  latticePx?: number;
  sampleLatticePx?: number;
  sampleSize?: number;
  /** Per-band 2nd and 98th percentiles of dequantised values: a store-wide stretch. */
  bandP2?: number[];
  bandP98?: number[];
}

/**
 * The statistics attributes of `attrs`, or null when the store has none (`stats_count` is
 * missing: an older or unfinished build).
 *
 * @example
 * ```ts
 * parseStatisticsAttributes({ stats_count: 12 })?.count; // 12
 * ```
 */
export function parseStatisticsAttributes(
  attrs: Readonly<Record<string, unknown>>,
): StatisticsAttributes | null {
  if (typeof attrs.stats_count !== "number") return null;
  const num = (k: string) => typeof attrs[k] === "number" ? attrs[k] as number : undefined;
  return {
    count: attrs.stats_count,
    latticePx: num("stats_lattice_px"),
    sampleLatticePx: num("stats_sample_lattice_px"),
    sampleSize: num("stats_sample_size"),
    bandP2: numbers(attrs.stats_band_p2),
    bandP98: numbers(attrs.stats_band_p98),
  };
}

/**
 * Zone and year as the attributes record them (integers), or undefined — without checking
 * anything else, for callers that judge a possibly damaged store (verify).
 *
 * @example
 * ```ts
 * parseZoneIdentity({ utm_zone: 30, year: 2024 }); // { zone: 30, year: 2024 }
 * ```
 */
export function parseZoneIdentity(
  attrs: Readonly<Record<string, unknown>>,
): { zone: number; year: number } | undefined {
  const { utm_zone: zone, year } = attrs;
  return Number.isInteger(zone) && Number.isInteger(year)
    ? { zone: zone as number, year: year as number }
    : undefined;
}

/** A zone store's root attributes, parsed and checked, with the format's defaults filled in. */
export interface ZoneAttributes {
  zone: number;
  year: number;
  /** Store CRS: always the northern UTM code 326zz. */
  epsg: number;
  /** "EPSG:326zz". */
  crs: string;
  /** North-up affine `[a, 0, c, 0, −a, f]`: the outer corner of pixel (0, 0). */
  transform: number[];
  pixelSizeM: number;
  /** `spatial:shape` `[H, W]`, when recorded. */
  shape?: [number, number];
  nTiles?: number;
  /** `n_bands`, when recorded (else the embeddings array's last axis says). */
  bands?: number;
  datasetVersion: string;
  /** `tessera_zones_format`, when recorded (only {@link STORE_FORMAT} gets this far). */
  format?: number;
  builder?: { name: string; version?: string };
  /** `max_valid_scale`, default {@link DEFAULT_MAX_VALID_SCALE}. */
  maxValidScale: number;
  embeddingsCompression?: EmbeddingsCompression;
  build: BuildState;
  statistics: StatisticsAttributes | null;
  /** `stats_band_p2`/`stats_band_p98`: a store-wide per-band stretch, when recorded. */
  bandPercentiles?: { p2: number[]; p98: number[] };
  previews: PreviewAttributes;
}

/** Options of {@link parseZoneAttributes}. */
export interface ParseAttributesOptions {
  /** The store's name: its year stands in for a missing `year` attribute. */
  name?: string;
  /** Where the store is, for error messages. */
  where?: string;
}

/**
 * Parses and checks a zone store's root attributes. `utm_zone` (1..60) and a north-up
 * `transform` are required; `year` falls back to the store name's; `crs_epsg`, when present,
 * must be the zone's 326zz code; a `tessera_zones_format` other than {@link STORE_FORMAT} is
 * refused. Anything wrong is a "BadStore" error naming the attribute.
 *
 * @example
 * ```ts
 * const a = parseZoneAttributes(root.attributes, { name: "utm30_2024.zarr" });
 * a.maxValidScale; // 1 unless the store says otherwise
 * ```
 */
export function parseZoneAttributes(
  attrs: Readonly<Record<string, unknown>>,
  opts: ParseAttributesOptions = {},
): ZoneAttributes {
  const bad = (msg: string) => new TesseraError("BadStore", msg, opts.where);
  const format = attrs.tessera_zones_format;
  if (format !== undefined && format !== STORE_FORMAT) {
    throw bad(
      `store format ${format} is not readable by this version (reads format ${STORE_FORMAT}); ` +
        "update tessera-zones",
    );
  }
  const zone = attrs.utm_zone;
  if (!Number.isInteger(zone) || (zone as number) < 1 || (zone as number) > 60) {
    throw bad(
      zone === undefined
        ? `no root attribute "utm_zone": not a zone store (rebuild it with \`deno task build\`)`
        : `root attribute "utm_zone" must be a zone 1..60, got ${JSON.stringify(zone)}`,
    );
  }
  const z = zone as number;
  const year = Number.isInteger(attrs.year)
    ? attrs.year as number
    : parseStoreName(opts.name ?? "")?.year;
  if (year === undefined) throw bad(`root attribute "year" is missing or not an integer`);
  const epsg = attrs.crs_epsg ?? storeEpsg(z);
  if (epsg !== storeEpsg(z)) {
    throw bad(`zone ${z} with EPSG:${epsg}: expected EPSG:${storeEpsg(z)} (always 326zz)`);
  }
  const t = attrs.transform as number[];
  if (
    !Array.isArray(t) || t.length !== 6 || !t.every(Number.isFinite) || t[1] !== 0 ||
    t[3] !== 0 || !(t[0] > 0) || t[4] !== -t[0]
  ) {
    throw bad(
      `root attribute "transform" must be a north-up [a, 0, c, 0, -a, f], got ${JSON.stringify(t)}`,
    );
  }
  const shape = numbers(attrs["spatial:shape"]);
  const int = (k: string) => Number.isInteger(attrs[k]) ? attrs[k] as number : undefined;
  const compression = attrs.embeddings_compression;
  const p2 = numbers(attrs.stats_band_p2), p98 = numbers(attrs.stats_band_p98);
  return {
    zone: z,
    year,
    epsg: storeEpsg(z),
    crs: `EPSG:${storeEpsg(z)}`,
    transform: [...t],
    pixelSizeM: t[0],
    shape: shape?.length === 2 ? [shape[0], shape[1]] : undefined,
    nTiles: int("n_tiles"),
    bands: int("n_bands"),
    datasetVersion: typeof attrs.tessera_dataset_version === "string"
      ? attrs.tessera_dataset_version
      : DEFAULT_DATASET_VERSION,
    format: format as number | undefined,
    builder: typeof attrs.builder === "string"
      ? {
        name: attrs.builder,
        version: typeof attrs.builder_version === "string" ? attrs.builder_version : undefined,
      }
      : undefined,
    maxValidScale: typeof attrs.max_valid_scale === "number" && attrs.max_valid_scale > 0
      ? attrs.max_valid_scale
      : DEFAULT_MAX_VALID_SCALE,
    embeddingsCompression: compression === "none" || compression === "zstd"
      ? compression
      : undefined,
    build: parseBuildState(attrs),
    statistics: parseStatisticsAttributes(attrs),
    bandPercentiles: p2 && p98 ? { p2, p98 } : undefined,
    previews: parsePreviewAttributes(attrs),
  };
}

function numbers(v: unknown): number[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === "number") ? v as number[] : undefined;
}
