/**
 * Which 0.1° cell contains a zone-grid pixel centre: the tie-break of the compositing rule
 * (SPEC §3.4). The answer must be the one the exact inverse projection gives, so every
 * worker and `verify` agree to the bit; it is computed with the cheaper series inverse and
 * recomputed exactly only when the pixel centre lies within MARGIN_DEG of a cell edge.
 */
import { type GeoBox, pixelCentre } from "../grid/geobox.ts";
import { utmInverse, utmInverseSeries } from "../grid/utm.ts";

/**
 * How close (in degrees) to a cell edge the series answer is not trusted: utmInverseSeries
 * differs from utmInverse by < 1e-13° anywhere in a zone, so 1e-9° (~0.1 mm) leaves a
 * 10 000× safety factor while sending about one pixel in ten million to the exact path.
 */
const MARGIN_DEG = 1e-9;

/**
 * Cell index (floor of degrees × 10) of the pixel centre at (row, col) of a zone grid, packed
 * as `lonCell * 4096 + (latCell + 2048)`; compare with {@link tileCellKey}.
 *
 * @example
 * pixelCellKey(zoneBox, 31, 0, 45) === tileCellKey(15, 5225); // true: that tile owns it
 */
export function pixelCellKey(zoneBox: GeoBox, zone: number, row: number, col: number): number {
  const [e, n] = pixelCentre(zoneBox, row, col);
  // Canonical (possibly negative) northings invert directly: latitudes come out negative.
  let [lon, lat] = utmInverseSeries(e, n, zone, false);
  if (nearEdge(lon) || nearEdge(lat)) [lon, lat] = utmInverse(e, n, zone, false);
  return Math.floor(lon * 10) * 4096 + (Math.floor(lat * 10) + 2048);
}

function nearEdge(deg: number): boolean {
  const x = deg * 10;
  return Math.abs(x - Math.round(x)) < MARGIN_DEG * 10;
}

/** The cell key of the tile centred at (lonI, latI) hundredths; see {@link pixelCellKey}. */
export function tileCellKey(lonI: number, latI: number): number {
  return ((lonI - 5) / 10) * 4096 + ((latI - 5) / 10 + 2048);
}
