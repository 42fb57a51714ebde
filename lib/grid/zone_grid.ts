/**
 * The grid of a whole zone store and where each tile lands in it (SPEC §3.3). Pure: a list
 * of tile grids in, a GeoBox and integer pixel offsets out.
 */
import { TesseraError } from "../errors.ts";
import { type GeoBox, geobox } from "./geobox.ts";
import { roundHalfEven } from "./rounding.ts";
import { PIXEL_SIZE_M, type TileGrid } from "./tile_grid.ts";
import { storeEpsg } from "./zone.ts";

/** Where one tile's native raster lands in the zone grid. */
export interface TilePlacement {
  /** Index of the tile in the input list (registry order). */
  readonly index: number;
  readonly rowOffsetPx: number;
  readonly colOffsetPx: number;
  readonly height: number;
  readonly width: number;
}

/** A zone's grid (canonical northern CRS, origin snapped outward to 10 m) and placements. */
export interface ZoneGrid {
  readonly zone: number;
  readonly epsg: number;
  readonly geobox: GeoBox;
  readonly placements: readonly TilePlacement[];
}

/**
 * Computes the zone grid for tiles that all share one zone.
 *
 * @example
 * const zg = zoneGrid([tileGrid(0.15, 52.25), tileGrid(0.25, 52.25)]);
 * zg.placements[1]; // { rowOffsetPx: 27, colOffsetPx: 729 - 45, … }
 */
export function zoneGrid(tiles: readonly TileGrid[], pixelSize = PIXEL_SIZE_M): ZoneGrid {
  if (tiles.length === 0) throw new TesseraError("BadGrid", "no tiles to build a zone grid from");
  const zone = tiles[0].zone;
  let minE = Infinity, maxE = -Infinity, minN = Infinity, maxN = -Infinity;
  for (const t of tiles) {
    if (t.zone !== zone) {
      throw new TesseraError(
        "BadGrid",
        `mixed zones: tile (${t.lon}, ${t.lat}) is in zone ${t.zone}, expected ${zone}`,
      );
    }
    const e0 = t.originE, n0 = t.originNCanonical;
    minE = Math.min(minE, e0);
    maxE = Math.max(maxE, e0 + t.geobox.width * pixelSize);
    maxN = Math.max(maxN, n0);
    minN = Math.min(minN, n0 - t.geobox.height * pixelSize);
  }
  const originE = Math.floor(minE / pixelSize) * pixelSize;
  const originN = Math.ceil(maxN / pixelSize) * pixelSize;
  const right = Math.ceil(maxE / pixelSize) * pixelSize;
  const bottom = Math.floor(minN / pixelSize) * pixelSize;
  const width = roundHalfEven((right - originE) / pixelSize);
  const height = roundHalfEven((originN - bottom) / pixelSize);
  const placements = tiles.map((t, index) => ({
    index,
    rowOffsetPx: roundHalfEven((originN - t.originNCanonical) / pixelSize),
    colOffsetPx: roundHalfEven((t.originE - originE) / pixelSize),
    height: t.geobox.height,
    width: t.geobox.width,
  }));
  return {
    zone,
    epsg: storeEpsg(zone),
    geobox: geobox(width, height, originE, originN, storeEpsg(zone), pixelSize),
    placements,
  };
}
