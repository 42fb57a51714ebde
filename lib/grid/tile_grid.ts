/**
 * The grid of one tile (SPEC §3.2), computed exactly as the landmask GeoTIFFs were made:
 * project the four cell corners into the tile's own UTM CRS, take the raw upper-left corner
 * (not snapped to 10 m) and round the extent to pixels with ties-to-even.
 */
import { type GeoBox, geobox } from "./geobox.ts";
import { roundHalfEven } from "./rounding.ts";
import { utmForward } from "./utm.ts";
import { canonicalNorthing, parseUtmEpsg, utmEpsg, utmZone } from "./zone.ts";

/** Pixel size of every TESSERA raster, in metres. */
export const PIXEL_SIZE_M = 10;
/** Half the size of a tile cell, in degrees. */
const HALF_CELL_DEG = 0.05;

/** A tile's native grid plus the bits of zone placement that follow from it. */
export interface TileGrid {
  /** Cell centre, degrees. */
  readonly lon: number;
  readonly lat: number;
  readonly zone: number;
  /** The tile's own CRS: 326zz north of the equator, 327zz south. */
  readonly epsg: number;
  /** Native grid (the landmask's): raw projected origin, rounded size. */
  readonly geobox: GeoBox;
  /** Upper-left corner in the zone store's northern CRS (canonical northing). */
  readonly originE: number;
  readonly originNCanonical: number;
}

/**
 * Computes the grid of the tile centred at (lon, lat).
 *
 * @example
 * const g = tileGrid(0.15, 52.25);
 * g.epsg; // 32631
 * [g.geobox.width, g.geobox.height]; // [726, 1139]
 */
export function tileGrid(lon: number, lat: number, pixelSize = PIXEL_SIZE_M): TileGrid {
  const zone = utmZone(lon);
  const epsg = utmEpsg(lon, lat);
  const { south } = parseUtmEpsg(epsg);
  const west = lon - HALF_CELL_DEG, east = lon + HALF_CELL_DEG;
  const south_ = lat - HALF_CELL_DEG, north = lat + HALF_CELL_DEG;
  const ul = utmForward(west, north, zone, south);
  const ur = utmForward(east, north, zone, south);
  const ll = utmForward(west, south_, zone, south);
  const lr = utmForward(east, south_, zone, south);
  const originE = Math.min(ul[0], ll[0]);
  const originN = Math.max(ul[1], ur[1]);
  const maxE = Math.max(ur[0], lr[0]);
  const minN = Math.min(ll[1], lr[1]);
  const width = roundHalfEven((maxE - originE) / pixelSize);
  const height = roundHalfEven((originN - minN) / pixelSize);
  return {
    lon,
    lat,
    zone,
    epsg,
    geobox: geobox(width, height, originE, originN, epsg, pixelSize),
    originE,
    originNCanonical: canonicalNorthing(originN, epsg),
  };
}
