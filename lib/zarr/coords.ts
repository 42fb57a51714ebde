/**
 * Coordinate values of the zone grid: the pixel centres stored in the `easting` and `northing`
 * arrays (SPEC §4.1). The grid origin is the outer corner of pixel 0, so centres sit half a
 * pixel inside it. The maths is the GeoBox's ({@link pixelCentres}); this file names the
 * arrays.
 */
import { type GeoBox, geobox, pixelCentres } from "../grid/geobox.ts";

/**
 * The `easting` (one per column, west to east) and `northing` (one per row, north to south)
 * coordinate arrays of a store whose grid is `gb`: pixel centres, equal bit for bit to
 * upstream's NumPy `origin + (i + 0.5) * step`.
 *
 * @example
 * ```ts
 * const { easting, northing } = coordinateArrays(geobox(3, 2, 301370, 5798370, 32631));
 * easting;  // [301375, 301385, 301395]
 * northing; // [5798365, 5798355]
 * ```
 */
export function coordinateArrays(gb: GeoBox): { easting: Float64Array; northing: Float64Array } {
  return { easting: pixelCentres(gb, "x"), northing: pixelCentres(gb, "y") };
}

/**
 * Pixel-centre coordinates `origin ± (i + 0.5) · pixelSize` for i = 0..n−1: "increasing" for
 * easting (columns run east), "decreasing" for northing (rows run south); the same values as
 * {@link coordinateArrays} of a grid with that origin and pixel size.
 *
 * @deprecated Pass the store's GeoBox to {@link coordinateArrays} instead of an origin and a
 * pixel size taken out of its transform.
 *
 * @example
 * ```ts
 * coordinateValues(301370, 10, 3, "increasing");  // [301375, 301385, 301395]
 * coordinateValues(5798370, 10, 2, "decreasing"); // [5798365, 5798355]
 * ```
 */
export function coordinateValues(
  origin: number,
  pixelSize: number,
  n: number,
  direction: "increasing" | "decreasing",
): Float64Array {
  // A one-row (or one-column) grid with that origin; the EPSG code plays no part.
  return direction === "increasing"
    ? pixelCentres(geobox(n, 1, origin, 0, 0, pixelSize), "x")
    : pixelCentres(geobox(1, n, 0, origin, 0, pixelSize), "y");
}
