/**
 * Opens one tile's three files and validates them against the tile's computed grid before a
 * single pixel is used: embeddings int8 (H, W, bands), scales float32 (H, W[, B]), landmask
 * in the tile's EPSG with the grid's size and an origin within 0.5 m. The builder and `verify`
 * both open tiles through here, so a tile one of them refuses the other refuses too. In a
 * build whose main thread fetched or hash-checked the tiles (lib/remote/tile_spool.ts), a
 * `spool` says where each file is and what went wrong with it; errors then name the URL.
 */
import { TesseraError } from "../errors.ts";
import { type GeoBox, pixelCorner } from "../grid/geobox.ts";
import type { TileGrid } from "../grid/tile_grid.ts";
import { type Landmask, openLandmask } from "./landmask.ts";
import { tileName, type TilePaths, tilePaths } from "./layout.ts";
import { type NpyFile, openNpy } from "./npy.ts";
import { openScales } from "./scales.ts";
import type { TileRef } from "./tile_ref.ts";
import { hashesRequired, verifyTileHashes } from "./tile_hashes.ts";
import {
  readTileRecord,
  recordError,
  type SpoolRef,
  type TileRecord,
} from "../remote/tile_record.ts";

/** Largest landmask-vs-computed origin difference accepted, metres (SPEC scan rule). */
export const ORIGIN_TOLERANCE_M = 0.5;

/** A tile's open, validated files. */
export interface TileFiles {
  readonly emb: NpyFile;
  readonly scales: NpyFile;
  readonly mask: Landmask;
  close(): void;
}

/** A tile that could not be used, with its file and reason (reported by build and verify). */
export interface TileFailure {
  readonly tile: string;
  readonly year: number;
  readonly kind: string;
  readonly path?: string;
  readonly message: string;
}

/** One way a landmask's grid differs from the computed one. */
export interface LandmaskMismatch {
  readonly what: "epsg" | "size" | "origin";
  readonly computed: string;
  readonly landmask: string;
}

/**
 * Compares a landmask's grid with a tile's computed GeoBox; empty when they agree.
 *
 * @example
 * landmaskMismatches(mask, tileGrid(0.15, 52.25).geobox); // [] for a good landmask
 */
export function landmaskMismatches(mask: GeoBox, grid: GeoBox): LandmaskMismatch[] {
  const out: LandmaskMismatch[] = [];
  const [me, mn] = pixelCorner(mask, 0, 0);
  const [ce, cn] = pixelCorner(grid, 0, 0);
  if (mask.epsg !== grid.epsg) {
    out.push({ what: "epsg", computed: `EPSG:${grid.epsg}`, landmask: `EPSG:${mask.epsg}` });
  }
  if (mask.width !== grid.width || mask.height !== grid.height) {
    out.push({
      what: "size",
      computed: `${grid.width}x${grid.height}`,
      landmask: `${mask.width}x${mask.height}`,
    });
  }
  if (Math.abs(me - ce) > ORIGIN_TOLERANCE_M || Math.abs(mn - cn) > ORIGIN_TOLERANCE_M) {
    out.push({
      what: "origin",
      computed: `(${ce.toFixed(3)}, ${cn.toFixed(3)})`,
      landmask: `(${me.toFixed(3)}, ${mn.toFixed(3)})`,
    });
  }
  return out;
}

/** Throws ShapeMismatch unless scales are (H, W) or legacy (H, W, B) on the tile grid. */
export function checkScalesShape(scales: NpyFile, grid: GeoBox): void {
  const { width: W, height: H } = grid;
  const s = scales.shape;
  if (s.length < 2 || s.length > 3 || s[0] !== H || s[1] !== W) {
    throw new TesseraError(
      "ShapeMismatch",
      `scales shape (${
        s.join(", ")
      }) does not match the tile grid ${H} × ${W}; re-download the tile`,
      scales.path,
    );
  }
}

/**
 * Throws ShapeMismatch naming the file, its band count and the zone's, unless the embeddings
 * have `bands` bands (the zone's count: lib/tiles/band_count.ts).
 */
export function checkBands(emb: NpyFile, bands: number): void {
  const b = emb.shape[2];
  if (b !== bands) {
    throw new TesseraError(
      "ShapeMismatch",
      `embeddings have ${b} bands (shape (${emb.shape.join(", ")})) but the zone's store has ` +
        `${bands} (the count most of its tiles have, or build --bands); the tile is left ` +
        "out — re-download it, or build with --bands " + b + " if that is the right count",
      emb.path,
    );
  }
}

/**
 * Opens and validates `tile`'s files; throws the TesseraError of the first failing check
 * (MissingFile, TruncatedNpy, WrongDtype, ShapeMismatch, BadLandmask, LandmaskMismatch, then
 * HashMismatch). With `spool` the files are read where the build's main thread put them, and
 * a file it could not fetch fails here, in the same order.
 *
 * @example
 * const files = await openTileFiles(base, tile, tileGrid(tile.lon, tile.lat), 128);
 * try { … } finally { files.close(); }
 */
export async function openTileFiles(
  base: string,
  tile: TileRef,
  grid: TileGrid,
  bands: number,
  spool?: SpoolRef,
): Promise<TileFiles> {
  const record = spool ? await readTileRecord(spool, tile) : undefined;
  try {
    return await openChecked(base, tile, grid, bands, record);
  } catch (e) {
    throw record ? nameSource(e, record) : e;
  }
}

async function openChecked(
  base: string,
  tile: TileRef,
  grid: TileGrid,
  bands: number,
  record: TileRecord | undefined,
): Promise<TileFiles> {
  const paths = record ? spooledPaths(record) : tilePaths(base, tile);
  const unavailable = (role: keyof TileRecord["files"]) => {
    const err = record?.files[role].error;
    if (err) throw recordError(err);
  };
  const { width: W, height: H } = grid.geobox;
  const opened: { close(): void }[] = [];
  try {
    unavailable("embeddings");
    const emb = await openNpy(paths.embeddings, { dtype: "int8", ndim: 3, shape: [H, W, null] });
    opened.push(emb);
    checkBands(emb, bands);
    unavailable("scales");
    const scales = await openScales(paths.scales);
    opened.push(scales);
    checkScalesShape(scales, grid.geobox);
    unavailable("landmask");
    const mask = await openLandmask(paths.landmask);
    opened.push(mask);
    const bad = landmaskMismatches(mask, grid.geobox);
    if (bad.length) {
      throw new TesseraError(
        "LandmaskMismatch",
        `landmask grid differs from the computed one (${
          bad.map((m) => `${m.what}: landmask ${m.landmask}, computed ${m.computed}`).join("; ")
        }); the tile is skipped — re-download the landmask`,
        paths.landmask,
      );
    }
    // After the format checks (so a defect keeps its own kind), before any pixel is read.
    if (record?.hashError) throw recordError(record.hashError);
    if (!record && hashesRequired(base)) await verifyTileHashes(base, tile, paths);
    return { emb, scales, mask, close: () => opened.forEach((f) => f.close()) };
  } catch (e) {
    for (const f of opened) f.close();
    throw e;
  }
}

/** The local paths a record gives, in the shape of {@link tilePaths}. */
function spooledPaths(record: TileRecord): TilePaths {
  const { embeddings, scales, landmask } = record.files;
  return {
    dir: embeddings.local.slice(0, embeddings.local.lastIndexOf("/")),
    embeddings: embeddings.local,
    scales: scales.local,
    sha256: "",
    landmask: landmask.local,
  };
}

/** An error about a spooled copy, re-addressed to the URL (or path) the copy stands for. */
function nameSource(e: unknown, record: TileRecord): unknown {
  if (!(e instanceof TesseraError) || !e.path) return e;
  const file = Object.values(record.files).find((f) => f.local === e.path);
  if (!file || file.local === file.source) return e;
  const message = e.message.slice(e.path.length + 2);
  return new TesseraError(e.kind, message, file.source, { cause: e.cause });
}

/** A TileFailure describing why `tile` could not be opened. */
export function tileFailure(tile: TileRef, e: unknown): TileFailure {
  const te = e instanceof TesseraError ? e : undefined;
  return {
    tile: tileName(tile.lonI, tile.latI),
    year: tile.year,
    kind: te?.kind ?? (e as Error)?.name ?? "Error",
    path: te?.path,
    message: (e as Error)?.message ?? String(e),
  };
}
