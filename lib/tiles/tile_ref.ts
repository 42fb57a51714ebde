/**
 * A tile's identity: which 0.1° cell and which year. Everything else about a tile (its grid,
 * its files) is derived from this value, so it is the currency of the tile list.
 */

/** One published tile of one year. `lon`/`lat` are the cell centre (on the 0.05 grid). */
export interface TileRef {
  readonly year: number;
  /** Cell-centre longitude, exactly `lonI / 100`. */
  readonly lon: number;
  /** Cell-centre latitude, exactly `latI / 100`. */
  readonly lat: number;
  /** `round(lon * 100)`, the registry's integer key. */
  readonly lonI: number;
  /** `round(lat * 100)`, the registry's integer key. */
  readonly latI: number;
}

/** Builds a TileRef from integer hundredths of a degree (the exact, registry-native form). */
export function tileRef(year: number, lonI: number, latI: number): TileRef {
  return { year, lon: lonI / 100, lat: latI / 100, lonI, latI };
}

/** Registry order: year, then latitude, then longitude, ascending. Used as a sort comparator. */
export function compareTiles(a: TileRef, b: TileRef): number {
  return a.year - b.year || a.latI - b.latI || a.lonI - b.lonI;
}
