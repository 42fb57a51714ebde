/**
 * UTM zone and EPSG rules (SPEC §3.1). The zone comes from the tile-centre longitude; the
 * store CRS is always the northern code, with southern tiles at canonical (negative)
 * northings so a zone has one continuous northing axis. Pure: the viewer bundles it too.
 */
import { TesseraError } from "../errors.ts";

/** False northing of the southern-hemisphere UTM codes (327zz). */
export const SOUTH_FALSE_NORTHING_M = 10_000_000;

/**
 * UTM zone (1..60) of a longitude in degrees.
 *
 * @example
 * utmZone(-0.05); // 30
 * utmZone(0.05); // 31
 */
export function utmZone(lon: number): number {
  return Math.min(60, Math.max(1, Math.floor((lon + 180) / 6) + 1));
}

/**
 * UTM zone of a tile centre given in integer hundredths of a degree (the registry's `lon_i`):
 * integer arithmetic, so no float rounding can move a tile across a zone edge.
 *
 * @example
 * utmZoneOfLonI(-5); // 30
 */
export function utmZoneOfLonI(lonI: number): number {
  return Math.min(60, Math.max(1, Math.floor((lonI + 18000) / 600) + 1));
}

/**
 * EPSG code of the UTM zone of a point: 326zz north (lat ≥ 0), 327zz south.
 *
 * @example
 * utmEpsg(36.85, -1.25); // 32737
 */
export function utmEpsg(lon: number, lat: number): number {
  return (lat >= 0 ? 32600 : 32700) + utmZone(lon);
}

/**
 * West and east longitude (degrees) of a zone's band: the zone is `west ≤ lon < east`
 * ({@link utmZone}), 6° wide.
 *
 * @example
 * zoneBand(30); // [-6, 0]
 * zoneBand(31); // [0, 6]
 */
export function zoneBand(zone: number): [number, number] {
  return [(zone - 1) * 6 - 180, zone * 6 - 180];
}

/** The store's (northern) EPSG code for a zone. */
export function storeEpsg(zone: number): number {
  return 32600 + zone;
}

/** Zone and hemisphere of a UTM EPSG code; throws BadGrid for anything else. */
export function parseUtmEpsg(epsg: number): { zone: number; south: boolean } {
  if (epsg >= 32601 && epsg <= 32660) return { zone: epsg - 32600, south: false };
  if (epsg >= 32701 && epsg <= 32760) return { zone: epsg - 32700, south: true };
  throw new TesseraError(
    "BadGrid",
    `EPSG:${epsg} is not a WGS 84 UTM code (32601–32660, 32701–32760)`,
  );
}

/**
 * Northing in the zone's northern CRS: southern (327zz) northings minus 10 000 km.
 *
 * @example
 * canonicalNorthing(10_000_000, 32730); // 0
 */
export function canonicalNorthing(northing: number, epsg: number): number {
  return parseUtmEpsg(epsg).south ? northing - SOUTH_FALSE_NORTHING_M : northing;
}

/**
 * Whether a 0.1° cell centred at `lonI/100` has a UTM zone boundary strictly inside it.
 * On the published 0.05-centred grid this never happens (boundaries fall on cell edges), so a
 * true result means a mis-named tile. Cells that merely touch a boundary are `touchesZoneEdge`.
 */
export function straddlesZoneBoundary(lonI: number): boolean {
  const west = lonI - 5 + 18000, east = lonI + 5 + 18000; // hundredths of a degree from -180
  return Math.floor(west / 600) !== Math.ceil(east / 600) - 1;
}

/** Whether a 0.1° cell's west or east edge lies exactly on a UTM zone boundary. */
export function touchesZoneEdge(lonI: number): boolean {
  return (lonI - 5 + 18000) % 600 === 0 || (lonI + 5 + 18000) % 600 === 0;
}
