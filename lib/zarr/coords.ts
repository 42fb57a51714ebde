/**
 * Coordinate values of the zone grid: the pixel centres stored in the `easting` and `northing`
 * arrays (SPEC §4.1). The grid origin is the outer corner of pixel 0, so centres sit half a
 * pixel inside it.
 */

/**
 * Pixel-centre coordinates `origin ± (i + 0.5) · pixelSize` for i = 0..n−1: "increasing" for
 * easting (columns run east), "decreasing" for northing (rows run south). Computed as
 * `origin + (i + 0.5) * pixelSize`, the same float operations as upstream's NumPy code, so the
 * values agree bit for bit.
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
  const out = new Float64Array(n);
  const step = direction === "increasing" ? pixelSize : -pixelSize;
  for (let i = 0; i < n; i++) out[i] = origin + (i + 0.5) * step;
  return out;
}
