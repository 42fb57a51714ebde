/**
 * The source side of `verify`: opens a tile's three files with the same validation the builder
 * applies (a tile failing any check may own no pixel), and reads what one shard needs of it —
 * embeddings and scales a block of whole tile rows at a time, the landmask window once per
 * shard — so memory stays at a few rows per tile.
 */
import type { TileGrid } from "../grid/tile_grid.ts";
import { openTileFiles } from "../tiles/open_tile.ts";
export { tileFailure } from "../tiles/open_tile.ts";
import type { Landmask } from "../tiles/landmask.ts";
import { tileName } from "../tiles/layout.ts";
import type { NpyFile } from "../tiles/npy.ts";
import { readScaleRows } from "../tiles/scales.ts";
import type { TileRef } from "../tiles/tile_ref.ts";
import type { CandidateBlock, Rect } from "./expected_shard.ts";

/** An opened, validated source tile and where it lies in the zone grid. */
export interface SourceTile {
  /** Index in the plan's tiles (registry order). */
  readonly index: number;
  readonly name: string;
  /** Native tile size. */
  readonly width: number;
  readonly height: number;
  /** Zone-grid offset of the tile's pixel (0, 0). */
  readonly rowOffsetPx: number;
  readonly colOffsetPx: number;
  /** The tile's own 0.1° cell as floor(degrees × 10). */
  readonly lonCell: number;
  readonly latCell: number;
  readonly emb: NpyFile;
  readonly scales: NpyFile;
  readonly mask: Landmask;
}

/**
 * Opens and validates one tile exactly as the builder does: embeddings int8 (H, W, bands) on
 * the computed grid, scales float32 (H, W[, B]), landmask in the tile's EPSG with the grid's
 * size and origin (within 0.5 m; lib/tiles/open_tile.ts). Throws the TesseraError of the first
 * failing check.
 *
 * @example
 * const t = await openSourceTile(base, plan.tiles[i], plan.grids[i], plan.placements[i], i, 128);
 * closeSourceTile(t);
 */
export async function openSourceTile(
  base: string,
  tile: TileRef,
  grid: TileGrid,
  place: { rowOffsetPx: number; colOffsetPx: number },
  index: number,
  bands: number,
): Promise<SourceTile> {
  const { emb, scales, mask } = await openTileFiles(base, tile, grid, bands);
  return {
    index,
    name: tileName(tile.lonI, tile.latI),
    width: grid.geobox.width,
    height: grid.geobox.height,
    rowOffsetPx: place.rowOffsetPx,
    colOffsetPx: place.colOffsetPx,
    // Centres are on the 0.05 grid, so (centre − 0.05) × 10 is an exact integer.
    lonCell: (tile.lonI - 5) / 10,
    latCell: (tile.latI - 5) / 10,
    emb,
    scales,
    mask,
  };
}

/** Closes a tile's files. */
export function closeSourceTile(t: SourceTile): void {
  t.emb.close();
  t.scales.close();
  t.mask.close();
}

/** The zone rectangle a tile covers, clipped to `within`; undefined when they do not meet. */
export function tileRectIn(
  t: { rowOffsetPx: number; colOffsetPx: number; width: number; height: number },
  within: Rect,
): Rect | undefined {
  const r = {
    r0: Math.max(within.r0, t.rowOffsetPx),
    r1: Math.min(within.r1, t.rowOffsetPx + t.height),
    c0: Math.max(within.c0, t.colOffsetPx),
    c1: Math.min(within.c1, t.colOffsetPx + t.width),
  };
  return r.r0 < r.r1 && r.c0 < r.c1 ? r : undefined;
}

/** A tile's part of one shard: its rectangle, its landmask (read once) and a row buffer. */
export interface SourcePiece {
  readonly tile: SourceTile;
  /** Zone pixels of the shard this tile covers. */
  readonly zone: Rect;
  /** Landmask of exactly `zone`: geotiff.js inflates each strip once, not once per block. */
  readonly land: Uint8Array;
  /** Reused for the embeddings rows of each block. */
  readonly buffer: Int8Array;
}

/**
 * The piece of `shard` that tile `t` covers, with its landmask window read; undefined when
 * the tile misses the shard. Memory: the window plus `rowsPerBlock` embedding rows.
 */
export async function sourcePiece(
  t: SourceTile,
  shard: Rect,
  bands: number,
  rowsPerBlock: number,
): Promise<SourcePiece | undefined> {
  const zone = tileRectIn(t, shard);
  if (!zone) return undefined;
  const land = await t.mask.readWindow(
    zone.r0 - t.rowOffsetPx,
    zone.r1 - t.rowOffsetPx,
    zone.c0 - t.colOffsetPx,
    zone.c1 - t.colOffsetPx,
  );
  return { tile: t, zone, land, buffer: new Int8Array(rowsPerBlock * t.width * bands) };
}

/**
 * Reads the rows of `piece` that fall in zone rows `r0..r1` (at most the piece's row buffer
 * size); undefined when the piece has none of them.
 */
export async function readSourceBlock(
  piece: SourcePiece,
  r0: number,
  r1: number,
): Promise<CandidateBlock | undefined> {
  const { tile: t, zone: p } = piece;
  const zone = { r0: Math.max(r0, p.r0), r1: Math.min(r1, p.r1), c0: p.c0, c1: p.c1 };
  if (zone.r0 >= zone.r1) return undefined;
  const tr0 = zone.r0 - t.rowOffsetPx, tr1 = zone.r1 - t.rowOffsetPx;
  const embeddings = await t.emb.readRowsInto(tr0, tr1, piece.buffer);
  const scales = await readScaleRows(t.scales, tr0, tr1);
  const cols = p.c1 - p.c0;
  return {
    name: t.name,
    lonCell: t.lonCell,
    latCell: t.latCell,
    width: t.width,
    colOffsetPx: t.colOffsetPx,
    zone,
    embeddings,
    scales,
    land: piece.land.subarray((zone.r0 - p.r0) * cols, (zone.r1 - p.r0) * cols),
  };
}
