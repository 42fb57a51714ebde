/**
 * Warnings about tiles that are odd but still used: a scales file that is all NaN (every
 * pixel of the tile is no data) and a landmask GeoTIFF with more than one band (band 1 is
 * used). `build` and `scan` word them the same way, naming the file.
 */
import { tileName } from "./layout.ts";
import type { TileRef } from "./tile_ref.ts";

/** The kinds of tile warning. */
export type TileWarningKind = "AllNaNScales" | "MultiBandLandmask";

/** A tile that was used although something about it is odd. */
export interface TileWarning {
  readonly tile: string;
  readonly year: number;
  readonly kind: TileWarningKind;
  /** The odd file. */
  readonly path: string;
  readonly message: string;
}

/**
 * The warning for a tile whose scales are all NaN.
 *
 * @example
 * const w = allNaNScalesWarning(tileRef(2024, 15, 5225), scalesPath);
 * w.kind; // "AllNaNScales"
 */
export function allNaNScalesWarning(tile: TileRef, scalesPath: string): TileWarning {
  return {
    tile: tileName(tile.lonI, tile.latI),
    year: tile.year,
    kind: "AllNaNScales",
    path: scalesPath,
    message: "every scale is NaN, so all of the tile's pixels are no data (its neighbours' " +
      "pixels win wherever they overlap it); re-download the tile if that is unexpected",
  };
}

/**
 * The warning for a tile whose landmask has `bands` (> 1) bands.
 *
 * @example
 * multiBandLandmaskWarning(tileRef(2024, 15, 5225), landmaskPath, 3).message; // "… 3 bands …"
 */
export function multiBandLandmaskWarning(
  tile: TileRef,
  landmaskPath: string,
  bands: number,
): TileWarning {
  return {
    tile: tileName(tile.lonI, tile.latI),
    year: tile.year,
    kind: "MultiBandLandmask",
    path: landmaskPath,
    message: `landmask has ${bands} bands where one is expected; band 1 was used as the ` +
      "land/water mask — check the file, or re-download it",
  };
}
