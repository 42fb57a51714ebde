/**
 * Tile discovery without a registry (SPEC §2): walks
 * `{base}/global_0.1_degree_representation/{year}/grid_*` (public layout:
 * `{base}/npy/{dataset}/{year}/grid_*`) and returns the same tile list, in the same
 * (year, lat, lon) order, that the registry would give for the same files. Every
 * correctly named entry is a tile, whatever state its files are in: a tile with a missing,
 * empty or non-regular file then fails by name when it is opened (build, verify, scan), as a
 * listed tile with broken files does on the registry path — it is never dropped here. Only
 * directories whose names are not tile names come back in `skipped`, with the reason.
 */

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { isTesseraError, TesseraError } from "../errors.ts";
import { layoutDirs, parseTileName, type TileLayout } from "./layout.ts";
import { layoutOf } from "./layout_choice.ts";
import { compareTiles, type TileRef, tileRef } from "./tile_ref.ts";

/** A directory under a year that is not a tile (its name is not a tile name), and why. */
export interface SkippedTile {
  readonly path: string;
  readonly reason: string;
}

/** Tiles found on disk plus what was passed over. */
export interface Discovered {
  /** In registry order ({@link compareTiles}). */
  readonly tiles: TileRef[];
  readonly skipped: SkippedTile[];
}

/** Options for {@link discoverTiles}. */
export interface DiscoverOptions {
  /** Only this year; all years when omitted. */
  year?: number;
  /** The layout to walk (default: the one chosen for `base`, else the seed's). */
  layout?: TileLayout;
  signal?: AbortSignal;
}

const YEAR_RE = /^\d{4}$/;

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function embeddingsDir(base: string, layout: TileLayout): Promise<string> {
  const segs = layoutDirs(layout).embeddings;
  const dir = join(base, ...segs);
  if (!(await isDir(dir))) {
    const index = layout.kind === "seed" ? "registry.parquet" : "manifest.parquet";
    throw new TesseraError(
      "MissingFile",
      `no ${segs.join("/")} directory and no ${index}; pass the dataset's base ` +
        `directory (the one containing ${segs[0]}/) or a registry directory`,
      base,
    );
  }
  return dir;
}

/**
 * The years present under the embeddings directory (four-digit directory names), ascending.
 * Throws `MissingFile` when `base` has no embeddings directory.
 *
 * @example
 * ```ts
 * await discoverYears("/data"); // e.g. [2023, 2024]
 * ```
 */
export async function discoverYears(
  base: string,
  layout: TileLayout = layoutOf(base),
): Promise<number[]> {
  const dir = await embeddingsDir(base, layout);
  const years: number[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (!YEAR_RE.test(e.name)) continue;
    if (e.isDirectory() || (e.isSymbolicLink() && await isDir(join(dir, e.name)))) {
      years.push(Number(e.name));
    }
  }
  return years.sort((a, b) => a - b);
}

async function discoverYear(
  yearDir: string,
  year: number,
  tiles: TileRef[],
  skipped: SkippedTile[],
  signal?: AbortSignal,
): Promise<void> {
  for (const e of await readdir(yearDir, { withFileTypes: true })) {
    signal?.throwIfAborted();
    const path = join(yearDir, e.name);
    let ref: { lonI: number; latI: number };
    try {
      ref = parseTileName(e.name);
    } catch (err) {
      if (!isTesseraError(err, "BadTileName")) throw err;
      // Stray files (checksums, notes) are not tiles; a badly named directory is reported.
      if (e.isDirectory() || (e.isSymbolicLink() && await isDir(path))) {
        skipped.push({ path, reason: err.message });
      }
      continue;
    }
    // A tile name is a tile even when its entry is broken (a dangling symlink, a file): its
    // files are then missing, which the tile's readers report by name.
    tiles.push(tileRef(year, ref.lonI, ref.latI));
  }
}

/**
 * Lists tiles by walking the embeddings directory: every entry named like a tile
 * (`grid_{lon:.2f}_{lat:.2f}`), in registry order, without opening its files — one with
 * missing, empty or unreadable files is still a tile and fails by name when read. Badly named
 * directories come back in `skipped`. A missing year directory gives no tiles; a missing
 * embeddings directory throws `MissingFile`.
 *
 * @example
 * ```ts
 * const { tiles, skipped } = await discoverTiles("/data", { year: 2024 });
 * for (const s of skipped) console.warn(`skipped ${s.path}: ${s.reason}`);
 * ```
 */
export async function discoverTiles(
  base: string,
  options: DiscoverOptions = {},
): Promise<Discovered> {
  const layout = options.layout ?? layoutOf(base);
  const dir = await embeddingsDir(base, layout);
  const years = options.year === undefined ? await discoverYears(base, layout) : [options.year];
  const tiles: TileRef[] = [];
  const skipped: SkippedTile[] = [];
  for (const year of years) {
    options.signal?.throwIfAborted();
    const yearDir = join(dir, String(year));
    if (!(await isDir(yearDir))) continue;
    await discoverYear(yearDir, year, tiles, skipped, options.signal);
  }
  tiles.sort(compareTiles);
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { tiles, skipped };
}
