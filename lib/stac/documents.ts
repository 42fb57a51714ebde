/**
 * STAC 1.1 documents of zone stores, pure: one Item per store (footprint, the year as
 * start/end datetimes, projection extension v2 fields, the store as a Zarr asset, the preview
 * overviews as PNG thumbnails) and the Collection over them (extents, summaries, item assets,
 * links). What each field means and where it comes from: docs/stac.md.
 */
import { geoboxBounds, geoboxFromTransform } from "../grid/geobox.ts";
import type { PreviewName } from "../store/previews.ts";
import { type Footprint, storeFootprint } from "./footprint.ts";
import {
  catalogHref,
  COLLECTION_FILE,
  documentUrl,
  type HrefPlan,
  itemPath,
  thumbnailPath,
} from "./layout.ts";
import type { ThumbnailGrid } from "./thumbnail.ts";

/** The STAC version written. */
export const STAC_VERSION = "1.1.0";
/** The projection extension's schema (v2: `proj:code`). */
export const PROJECTION_EXTENSION =
  "https://stac-extensions.github.io/projection/v2.0.0/schema.json";
/** Media type of a Zarr store asset. */
export const ZARR_MEDIA_TYPE = "application/vnd+zarr";
/** Media type of STAC JSON documents in links. */
export const JSON_MEDIA_TYPE = "application/json";
/** Media type of GeoJSON (Items). */
export const GEOJSON_MEDIA_TYPE = "application/geo+json";

/** What an Item is made from: a store's grid, year and finished previews. */
export interface StacStoreInfo {
  /** Item id: the store name without `.zarr` (`utm30_2024`). */
  id: string;
  /** The store's directory name (`utm30_2024.zarr`). */
  store: string;
  zone: number;
  year: number;
  /** 326zz. */
  epsg: number;
  /** Affine `[a, b, c, d, e, f]` of the full-resolution grid. */
  transform: readonly number[];
  /** `[H, W]`. */
  shape: readonly [number, number];
  bands: number;
  /** The thumbnail grid of every finished preview, by name. */
  thumbnails: Partial<Record<PreviewName, ThumbnailGrid>>;
}

/** Options of {@link stacCollection}. */
export interface CollectionOptions {
  /** Collection id (default `tessera-zones`). */
  id?: string;
  /** SPDX license identifier or expression, or `other` (default `other`). */
  license?: string;
}

/** A STAC document as plain JSON. */
export type StacDocument = Record<string, unknown>;

/** Default Collection id. */
export const DEFAULT_COLLECTION_ID = "tessera-zones";

const PREVIEW_TITLES: Record<PreviewName, string> = {
  rgb: "RGB preview (three embedding bands, p2..p98 stretch)",
  pca_rgb: "PCA preview (first three principal components)",
};

/** Asset key of a preview's thumbnail. */
export function thumbnailKey(preview: PreviewName): string {
  return preview === "rgb" ? "rgb_thumbnail" : "pca_thumbnail";
}

/** `[start, end]` of a year as RFC 3339 UTC instants, both inclusive. */
export function yearInterval(year: number): [string, string] {
  const y = String(year).padStart(4, "0");
  return [`${y}-01-01T00:00:00Z`, `${y}-12-31T23:59:59Z`];
}

/**
 * The STAC Item of one store. `collectionId` is the id of the Collection it belongs to.
 *
 * @example
 * ```ts
 * const item = stacItem(info, "tessera-zones", { storesFromCatalog: ".." });
 * item.properties["proj:code"]; // "EPSG:32630"
 * ```
 */
export function stacItem(
  info: StacStoreInfo,
  collectionId: string,
  plan: HrefPlan,
  footprint: Footprint = itemFootprint(info),
): StacDocument & { properties: Record<string, unknown>; bbox: number[] } {
  const self = itemPath(info.id);
  const href = (to: string) => catalogHref(plan, self, to);
  const [start, end] = yearInterval(info.year);
  const gb = geoboxFromTransform(info.shape[1], info.shape[0], info.transform, info.epsg);
  const code = `EPSG:${info.epsg}`;
  const collection = { href: href(COLLECTION_FILE), type: JSON_MEDIA_TYPE };
  const links: StacDocument[] = [
    { rel: "root", ...collection, title: "TESSERA zone stores" },
    { rel: "parent", ...collection },
    { rel: "collection", ...collection },
  ];
  if (plan.catalogUrl !== undefined) {
    links.unshift({ rel: "self", href: documentUrl(plan, self), type: GEOJSON_MEDIA_TYPE });
  }
  const assets: Record<string, StacDocument> = {
    data: {
      href: href(`@stores/${info.store}`),
      type: ZARR_MEDIA_TYPE,
      roles: ["data"],
      title: "Zarr v3 store",
      description: `Embeddings (int8, ${info.bands} bands) and per-pixel float32 scales on the ` +
        "zone's 10 m grid; value = embeddings × scales, NaN scale = no data. Layout: " +
        "docs/format.md of tessera-zones.",
    },
  };
  for (const preview of ["rgb", "pca_rgb"] as const) {
    const grid = info.thumbnails[preview];
    if (!grid) continue;
    assets[thumbnailKey(preview)] = {
      href: href(thumbnailPath(info.id, preview)),
      type: "image/png",
      roles: ["thumbnail"],
      title: `${PREVIEW_TITLES[preview]}, ${grid.pixelSizeM} m pixels`,
      // The PNG is a coarser level of the store's grid: same CRS, its own shape and transform
      // (overriding the Item's, which describe the data asset).
      "proj:code": code,
      "proj:shape": [...grid.shape],
      "proj:transform": [...grid.transform],
    };
  }
  return {
    type: "Feature",
    stac_version: STAC_VERSION,
    stac_extensions: [PROJECTION_EXTENSION],
    id: info.id,
    collection: collectionId,
    geometry: footprint.geometry,
    bbox: footprint.bbox,
    properties: {
      title: `TESSERA embeddings ${info.year}, UTM zone ${info.zone}N`,
      datetime: null,
      start_datetime: start,
      end_datetime: end,
      gsd: gb.transform[0],
      "proj:code": code,
      "proj:bbox": geoboxBounds(gb),
      "proj:shape": [info.shape[0], info.shape[1]],
      "proj:transform": [...info.transform],
      "proj:centroid": footprint.centroid,
    },
    links,
    assets,
  };
}

/** The footprint of a store's grid. */
export function itemFootprint(info: StacStoreInfo): Footprint {
  return storeFootprint(
    geoboxFromTransform(info.shape[1], info.shape[0], info.transform, info.epsg),
    info.zone,
  );
}

/**
 * The Collection over `items` (as {@link stacItem} made them, in order): the overall spatial
 * extent first, then each Item's bbox; the overall time span first, then each year's when
 * there are several; summaries of the CRS codes and GSD; the item assets; links to the Items.
 *
 * @example
 * ```ts
 * const collection = stacCollection(items, { storesFromCatalog: ".." }, { license: "CC-BY-4.0" });
 * ```
 */
export function stacCollection(
  items: readonly (StacDocument & { properties: Record<string, unknown>; bbox: number[] })[],
  plan: HrefPlan,
  opts: CollectionOptions = {},
): StacDocument {
  const id = opts.id ?? DEFAULT_COLLECTION_ID;
  const href = (to: string) => catalogHref(plan, COLLECTION_FILE, to);
  const years = [
    ...new Set(items.map((i) => Number(String(i.properties.start_datetime).slice(0, 4)))),
  ]
    .sort((a, b) => a - b);
  const intervals = years.map(yearInterval);
  const overall: [string, string] = [intervals[0][0], intervals[intervals.length - 1][1]];
  const bboxes = items.map((i) => i.bbox as [number, number, number, number]);
  const links: StacDocument[] = [
    {
      rel: "root",
      href: href(COLLECTION_FILE),
      type: JSON_MEDIA_TYPE,
      title: "TESSERA zone stores",
    },
    ...items.map((i) => ({
      rel: "item",
      href: href(itemPath(String(i.id))),
      type: GEOJSON_MEDIA_TYPE,
      title: String(i.properties.title),
    })),
  ];
  if (plan.catalogUrl !== undefined) {
    links.unshift({ rel: "self", href: documentUrl(plan, COLLECTION_FILE), type: JSON_MEDIA_TYPE });
  }
  const codes = [...new Set(items.map((i) => String(i.properties["proj:code"])))].sort();
  return {
    type: "Collection",
    stac_version: STAC_VERSION,
    stac_extensions: [PROJECTION_EXTENSION],
    id,
    title: "TESSERA embeddings: one Zarr store per UTM zone and year",
    description: "Annual TESSERA foundation-model embeddings (128 int8 bands with a float32 " +
      "scale per 10 m pixel), mosaicked from the published 0.1° tiles into one seamless, " +
      "sharded Zarr v3 store per UTM zone and year, in the zone's native grid (EPSG:326zz; " +
      "southern rows at negative northings). Built by tessera-zones.",
    keywords: ["TESSERA", "embeddings", "foundation model", "Zarr", "UTM"],
    license: opts.license ?? "other",
    extent: {
      spatial: { bbox: [unionBbox(bboxes), ...(bboxes.length > 1 ? bboxes : [])] },
      temporal: { interval: [overall, ...(intervals.length > 1 ? intervals : [])] },
    },
    summaries: { "proj:code": codes, gsd: [...new Set(items.map((i) => i.properties.gsd))] },
    item_assets: {
      data: { type: ZARR_MEDIA_TYPE, roles: ["data"], title: "Zarr v3 store" },
      rgb_thumbnail: { type: "image/png", roles: ["thumbnail"], title: PREVIEW_TITLES.rgb },
      pca_thumbnail: { type: "image/png", roles: ["thumbnail"], title: PREVIEW_TITLES.pca_rgb },
    },
    links,
  };
}

/**
 * The smallest `[west, south, east, north]` holding every bbox, antimeridian-aware: each box is
 * taken as a longitude interval starting in [−180, 180) (a crossing one runs past 180), the
 * union spans from the least west to the greatest east, and an east past 180 wraps (west > east).
 *
 * @example
 * ```ts
 * unionBbox([[170, 0, 175, 1], [179, 0, -178, 2]]); // [170, 0, -178, 2]
 * ```
 */
export function unionBbox(
  boxes: readonly (readonly [number, number, number, number])[],
): [number, number, number, number] {
  let w = Infinity, e = -Infinity, s = Infinity, n = -Infinity;
  for (const [bw, bs, be, bn] of boxes) {
    w = Math.min(w, bw);
    e = Math.max(e, be < bw ? be + 360 : be);
    s = Math.min(s, bs);
    n = Math.max(n, bn);
  }
  if (e - w >= 360) return [-180, s, 180, n];
  return [w, s, e > 180 ? e - 360 : e, n];
}
