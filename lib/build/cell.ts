/**
 * Which 0.1° cell contains a zone-grid pixel centre: the tie-break of the compositing rule
 * (SPEC §3.4). Exact inverse projection, so every worker and `verify` agree to the bit.
 */
import type { GeoBox } from "../grid/geobox.ts";
import { utmInverse } from "../grid/utm.ts";

/**
 * Cell index (floor of degrees × 10) of the pixel centre at (row, col) of a zone grid, packed
 * as `lonCell * 4096 + (latCell + 2048)`; compare with {@link tileCellKey}.
 *
 * @example
 * pixelCellKey(zoneBox, 31, 0, 45) === tileCellKey(15, 5225); // true: that tile owns it
 */
export function pixelCellKey(zoneBox: GeoBox, zone: number, row: number, col: number): number {
  const [, , e0, , , n0] = zoneBox.transform;
  // Canonical (possibly negative) northings invert directly: latitudes come out negative.
  const [lon, lat] = utmInverse(e0 + (col + 0.5) * 10, n0 - (row + 0.5) * 10, zone, false);
  return Math.floor(lon * 10) * 4096 + (Math.floor(lat * 10) + 2048);
}

/** The cell key of the tile centred at (lonI, latI) hundredths; see {@link pixelCellKey}. */
export function tileCellKey(lonI: number, latI: number): number {
  return ((lonI - 5) / 10) * 4096 + ((latI - 5) / 10 + 2048);
}
