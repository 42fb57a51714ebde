/**
 * Checks one tile's files against its computed grid without reading pixel data: the .npy
 * headers and sizes (truncation, dtype, shape) and the landmask's CRS, size, origin and band
 * count; with `deep`, also every scale value.
 */
import { type ErrorKind, TesseraError } from "../errors.ts";
import type { TileGrid } from "../grid/tile_grid.ts";
import { openLandmask } from "../tiles/landmask.ts";
import { tileName, tilePaths } from "../tiles/layout.ts";
import { openNpy } from "../tiles/npy.ts";
import { DEFAULT_MAX_VALID_SCALE, readScaleRows } from "../tiles/scales.ts";
import type { TileRef } from "../tiles/tile_ref.ts";
import {
  allNaNScalesWarning,
  multiBandLandmaskWarning,
  type TileWarning,
} from "../tiles/tile_warning.ts";

export { ORIGIN_TOLERANCE_M } from "../tiles/open_tile.ts";
import { checkScalesShape, landmaskMismatches } from "../tiles/open_tile.ts";

/** One thing wrong with one tile. */
export interface TileProblem {
  /** Tile name, e.g. `grid_0.15_52.25`. */
  readonly tile: string;
  readonly year: number;
  readonly kind: ErrorKind;
  readonly path: string;
  readonly message: string;
}

/** What the landmask says versus what the grid maths computes. */
export interface GridMismatch {
  readonly tile: string;
  readonly what: "epsg" | "size" | "origin";
  readonly computed: string;
  readonly landmask: string;
}

/** Result of checking one tile's files. */
export interface TileCheck {
  problems: TileProblem[];
  mismatches: GridMismatch[];
  /** Odd but usable files: a multi-band landmask; with `deep`, scales that are all NaN. */
  warnings: TileWarning[];
  /** Band count of the embeddings, when readable. */
  bands?: number;
  /** Scale values by kind, when the scales were read (`deep`). */
  scaleCounts?: ScaleCounts;
}

/** How many scale values of a tile fall in each class (SPEC §4.3). */
export interface ScaleCounts {
  valid: number;
  /** NaN: no data (normal in small amounts). */
  nan: number;
  /** ±inf, FLT_MAX and other values ≥ max_valid_scale: defects. */
  huge: number;
  /** Zero or negative: defects. */
  nonPositive: number;
}

/** Classifies every scale value; pure. */
export function countScales(
  scales: Float32Array,
  maxValidScale = DEFAULT_MAX_VALID_SCALE,
): ScaleCounts {
  const c: ScaleCounts = { valid: 0, nan: 0, huge: 0, nonPositive: 0 };
  for (let i = 0; i < scales.length; i++) {
    const s = scales[i];
    if (s !== s) c.nan++;
    else if (s === Infinity || s === -Infinity || s >= maxValidScale) c.huge++;
    else if (s <= 0) c.nonPositive++;
    else c.valid++;
  }
  return c;
}

/**
 * Checks the embeddings and scales of `tile`, and its landmask when `landmask` is true (a
 * landmask serves every year, so callers check it once per cell).
 *
 * @example
 * const { problems } = await checkTileFiles("/data", tile, tileGrid(tile.lon, tile.lat));
 */
export async function checkTileFiles(
  base: string,
  tile: TileRef,
  grid: TileGrid,
  opts: { landmask?: boolean; deep?: boolean } = {},
): Promise<TileCheck> {
  const name = tileName(tile.lonI, tile.latI);
  const paths = tilePaths(base, tile);
  const { width: W, height: H } = grid.geobox;
  const out: TileCheck = { problems: [], mismatches: [], warnings: [] };
  const problem = (e: unknown, path: string) => {
    const te = e instanceof TesseraError ? e : undefined;
    out.problems.push({
      tile: name,
      year: tile.year,
      kind: te?.kind ?? "BadNpy",
      path,
      message: te ? te.message.replace(`${path}: `, "") : String(e),
    });
  };

  try {
    using npy = await openNpy(paths.embeddings, { dtype: "int8", ndim: 3, shape: [H, W, null] });
    out.bands = npy.shape[2];
  } catch (e) {
    problem(e, paths.embeddings);
  }
  try {
    using sc = await openNpy(paths.scales, { dtype: "float32" });
    checkScalesShape(sc, grid.geobox);
    const [h, w] = sc.shape;
    if (opts.deep) {
      const c = countScales(await readScaleRows(sc, 0, h));
      out.scaleCounts = c;
      if (h * w > 0 && c.nan === h * w) out.warnings.push(allNaNScalesWarning(tile, paths.scales));
      if (c.huge + c.nonPositive > 0) {
        problem(
          new TesseraError(
            "BadScales",
            `${c.huge} scale(s) non-finite or ≥ ${DEFAULT_MAX_VALID_SCALE} (inf/FLT_MAX sentinels) and ` +
              `${c.nonPositive} ≤ 0, of ${
                h * w
              }; builds treat these pixels as no data — re-download ` +
              "the tile if that is unexpected",
            paths.scales,
          ),
          paths.scales,
        );
      }
    }
  } catch (e) {
    problem(e, paths.scales);
  }
  if (opts.landmask) {
    try {
      const mask = await openLandmask(paths.landmask);
      mask.close();
      if (mask.bands > 1) {
        out.warnings.push(multiBandLandmaskWarning(tile, paths.landmask, mask.bands));
      }
      for (const m of landmaskMismatches(mask, grid.geobox)) {
        out.mismatches.push({ tile: name, ...m });
      }
    } catch (e) {
      problem(e, paths.landmask);
    }
  }
  return out;
}
