/**
 * How a zone store tells geo tools where it is, in the conventions they read (docs/format.md
 * "Georeferencing"): the CF grid mapping (a scalar `spatial_ref` array whose attributes carry
 * the CRS as CF transverse-Mercator parameters, `crs_wkt`, GDAL's `spatial_ref` and
 * `GeoTransform`; `grid_mapping`/`coordinates` on the data arrays; CF attributes on the
 * coordinate arrays), the GeoZarr convention registrations (`zarr_conventions`: proj:,
 * spatial:, multiscales) and the geo-embeddings fields (`geoemb:`). Pure, browser-safe.
 */
import { utmWkt } from "../grid/crs.ts";
import type { GeoBox } from "../grid/geobox.ts";
import { centralMeridian } from "../grid/utm.ts";

/** The scalar array holding the CF grid mapping (rioxarray's and GDAL's name for it). */
export const GRID_MAPPING_ARRAY = "spatial_ref";

/** A `zarr_conventions` entry (Zarr Conventions spec: uuid, schema_url, spec_url, name, description). */
export interface ConventionMetadata {
  uuid: string;
  schema_url: string;
  spec_url: string;
  name: string;
  description: string;
}

/**
 * The conventions a store registers, exactly as each convention's README asks to be
 * registered (zarr-conventions/proj, zarr-conventions/spatial, zarr-conventions/multiscales,
 * geo-embeddings/embeddings-zarr-convention, all tag v1).
 */
export const CONVENTIONS: Readonly<
  Record<"proj" | "spatial" | "multiscales" | "geoemb", ConventionMetadata>
> = {
  proj: {
    uuid: "f17cb550-5864-4468-aeb7-f3180cfb622f",
    schema_url:
      "https://raw.githubusercontent.com/zarr-conventions/geo-proj/refs/tags/v1/schema.json",
    spec_url: "https://github.com/zarr-conventions/geo-proj/blob/v1/README.md",
    name: "proj:",
    description: "Coordinate reference system information for geospatial data",
  },
  spatial: {
    uuid: "689b58e2-cf7b-45e0-9fff-9cfc0883d6b4",
    schema_url:
      "https://raw.githubusercontent.com/zarr-conventions/spatial/refs/tags/v1/schema.json",
    spec_url: "https://github.com/zarr-conventions/spatial/blob/v1/README.md",
    name: "spatial:",
    description: "Spatial coordinate information",
  },
  multiscales: {
    uuid: "d35379db-88df-4056-af3a-620245f8e347",
    schema_url:
      "https://raw.githubusercontent.com/zarr-conventions/multiscales/refs/tags/v1/schema.json",
    spec_url: "https://github.com/zarr-conventions/multiscales/blob/v1/README.md",
    name: "multiscales",
    description: "Multiscale layout of zarr datasets",
  },
  geoemb: {
    uuid: "61c12cc5-0e28-4056-999a-480cf3fb7e4c",
    schema_url:
      "https://raw.githubusercontent.com/geo-embeddings/embeddings-zarr-convention/refs/tags/v1/schema.json",
    spec_url: "https://github.com/geo-embeddings/embeddings-zarr-convention/blob/v1/README.md",
    name: "geoemb:",
    description: "Geoembeddings convention for geospatial embedding arrays with model provenance",
  },
};

/**
 * `attrs` with `zarr_conventions` (kept at its position, else first) listing the conventions
 * the attributes use: proj:, spatial:, geoemb: always, multiscales once a preview pyramid is
 * recorded (its `multiscales.layout`). The one place the registry is decided, so it never
 * lists a convention the attributes lack.
 *
 * @example
 * ```ts
 * registerConventions({ "proj:code": "EPSG:32630" }).zarr_conventions.length; // 3
 * ```
 */
export function registerConventions(attrs: Record<string, unknown>): Record<string, unknown> {
  const ms = attrs.multiscales as { layout?: unknown } | undefined;
  const list = [CONVENTIONS.proj, CONVENTIONS.spatial, CONVENTIONS.geoemb];
  if (Array.isArray(ms?.layout)) list.push(CONVENTIONS.multiscales);
  const value = list.map((c) => ({ ...c }));
  if ("zarr_conventions" in attrs) return { ...attrs, zarr_conventions: value };
  return { zarr_conventions: value, ...attrs };
}

/**
 * The `geoemb:` fields of a store of `bands` int8 bands (geo-embeddings convention v1):
 * TESSERA pixel embeddings from Sentinel-1 and -2, quantised with a per-pixel scale held in
 * the `scales` array (NaN = no data), 10 m, one store per UTM zone.
 *
 * @example
 * ```ts
 * geoembAttributes(128, "0.1.0")["geoemb:dimensions"]; // 128
 * ```
 */
export function geoembAttributes(bands: number, builderVersion: string): Record<string, unknown> {
  return {
    "geoemb:type": "pixel",
    "geoemb:dimensions": bands,
    "geoemb:model": "https://github.com/ucam-eo/tessera",
    "geoemb:source_data": [
      "https://sentinel.esa.int/web/sentinel/missions/sentinel-1",
      "https://sentinel.esa.int/web/sentinel/missions/sentinel-2",
    ],
    "geoemb:data_type": "int8",
    "geoemb:gsd": 10,
    "geoemb:spatial_layout": "utm_zones",
    "geoemb:build_version": builderVersion,
    "geoemb:quantization": {
      method: "per_pixel_scale",
      original_dtype: "float32",
      quantized_dtype: "int8",
      scale: { type: "array", array_name: "scales", nodata: "NaN" },
    },
  };
}

/**
 * GDAL's GeoTransform text of a north-up affine `[a, b, c, d, e, f]`: `"c a b f d e"`.
 *
 * @example
 * ```ts
 * gdalGeoTransform([10, 0, 693910, 0, -10, 5720820]); // "693910 10 0 5720820 0 -10"
 * ```
 */
export function gdalGeoTransform(t: readonly number[]): string {
  const [a, b, c, d, e, f] = t;
  return [c, a, b, f, d, e].map(String).join(" ");
}

/**
 * The attributes of the `spatial_ref` array for zone `zone` and grid `geobox`: the CF grid
 * mapping of "WGS 84 / UTM zone {zone}N" in the keys and order pyproj's `CRS.to_cf()` writes,
 * then GDAL's `spatial_ref` (the same WKT) and `GeoTransform`, which rioxarray and odc-geo
 * read for the exact grid.
 *
 * @example
 * ```ts
 * gridMappingAttributes(30, gb).longitude_of_central_meridian; // -3
 * ```
 */
export function gridMappingAttributes(zone: number, geobox: GeoBox): Record<string, unknown> {
  const wkt = utmWkt(zone);
  return {
    crs_wkt: wkt,
    semi_major_axis: 6378137,
    semi_minor_axis: 6356752.314245179,
    inverse_flattening: 298.257223563,
    reference_ellipsoid_name: "WGS 84",
    longitude_of_prime_meridian: 0,
    prime_meridian_name: "Greenwich",
    geographic_crs_name: "WGS 84",
    horizontal_datum_name: "World Geodetic System 1984 ensemble",
    projected_crs_name: `WGS 84 / UTM zone ${zone}N`,
    grid_mapping_name: "transverse_mercator",
    latitude_of_projection_origin: 0,
    longitude_of_central_meridian: centralMeridian(zone),
    false_easting: 500000,
    false_northing: 0,
    scale_factor_at_central_meridian: 0.9996,
    spatial_ref: wkt,
    GeoTransform: gdalGeoTransform(geobox.transform),
  };
}

/**
 * CF attributes of a data array on the zone grid (`embeddings`, `scales`, level-0 previews):
 * its grid mapping, and `spatial_ref` as a coordinate so xarray keeps it one (rioxarray and
 * odc-geo then find the CRS with a default `open_zarr`).
 *
 * @example
 * ```ts
 * gridDataAttributes("per-pixel scale").grid_mapping; // "spatial_ref"
 * ```
 */
export function gridDataAttributes(longName: string): Record<string, unknown> {
  return { long_name: longName, grid_mapping: GRID_MAPPING_ARRAY, coordinates: GRID_MAPPING_ARRAY };
}

/**
 * CF attributes of a coordinate array (pixel centres, metres in the store's UTM CRS).
 *
 * @example
 * ```ts
 * coordinateAttributes("easting").standard_name; // "projection_x_coordinate"
 * ```
 */
export function coordinateAttributes(axis: "easting" | "northing"): Record<string, unknown> {
  const x = axis === "easting";
  return {
    standard_name: x ? "projection_x_coordinate" : "projection_y_coordinate",
    long_name: `${axis} of the pixel centre`,
    units: "m",
    axis: x ? "X" : "Y",
  };
}

/**
 * Attributes of preview level `k`'s array: level 0 (`rgb`, `pca_rgb`) is on the zone grid and
 * gets {@link gridDataAttributes}; overview levels are georeferenced by the root's
 * `multiscales.layout` (their own `spatial:transform`), so they get none.
 *
 * @example
 * ```ts
 * previewArrayAttributes(0).coordinates; // "spatial_ref"
 * ```
 */
export function previewArrayAttributes(k: number): Record<string, unknown> {
  return k === 0 ? gridDataAttributes("RGBA preview (alpha 0: no data)") : {};
}
