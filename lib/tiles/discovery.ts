/**
 * Tile discovery without a registry (SPEC §2): walks
 * `{base}/global_0.1_degree_representation/{year}/grid_*` and returns the same tile list, in
 * the same (year, lat, lon) order, that the registry would give for the same files. Anything
 * that looks like a tile but cannot be used is returned in `skipped` with a reason, never
 * dropped silently.
 */

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { isTesseraError, TesseraError } from "../errors.ts";
import { EMBEDDINGS_DIR, parseTileName, tilePaths } from "./layout.ts";
import { compareTiles, type TileRef, tileRef } from "./tile_ref.ts";

/** A directory entry that looked like a tile but was not listed, and why. */
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
  /** Concurrent `stat` calls; bounded so 340k tiles do not open 680k requests at once. */
  concurrency?: number;
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

async function embeddingsDir(base: string): Promise<string> {
  const dir = join(base, EMBEDDINGS_DIR);
  if (!(await isDir(dir))) {
    throw new TesseraError(
      "MissingFile",
      `no ${EMBEDDINGS_DIR} directory and no registry.parquet; pass the dataset's base ` +
        `directory (the one containing ${EMBEDDINGS_DIR}/) or a registry directory`,
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
export async function discoverYears(base: string): Promise<number[]> {
  const dir = await embeddingsDir(base);
  const years: number[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (!YEAR_RE.test(e.name)) continue;
    if (e.isDirectory() || (e.isSymbolicLink() && await isDir(join(dir, e.name)))) {
      years.push(Number(e.name));
    }
  }
  return years.sort((a, b) => a - b);
}

/**
 * Size of a file, or undefined when it is missing or not a regular file. Async with bounded
 * concurrency rather than statSync: sync is ~2× faster on a warm local disk (20k tiles:
 * 0.56 s vs 1.05 s) but serialises every round trip on network storage.
 */
async function fileSize(path: string): Promise<number | undefined> {
  try {
    const s = await Deno.stat(path);
    return s.isFile ? s.size : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why a tile's files make it unusable, mirroring the registry rule (`file_size > 0` and
 * `scales_size > 0`, since `scan` records 0 for a missing file), or undefined if usable.
 */
async function unusableReason(base: string, tile: TileRef): Promise<string | undefined> {
  const p = tilePaths(base, tile);
  const [npy, scales] = await Promise.all([fileSize(p.embeddings), fileSize(p.scales)]);
  const name = (path: string) => path.slice(p.dir.length + 1);
  if (npy === undefined) return `missing ${name(p.embeddings)}`;
  if (npy === 0) return `${name(p.embeddings)} is empty (0 bytes)`;
  if (scales === undefined) return `missing ${name(p.scales)}`;
  if (scales === 0) return `${name(p.scales)} is empty (0 bytes)`;
  return undefined;
}

/** Runs `fn` over `items` with at most `limit` in flight, preserving result order. */
async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      signal?.throwIfAborted();
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function discoverYear(
  base: string,
  yearDir: string,
  year: number,
  options: DiscoverOptions,
  tiles: TileRef[],
  skipped: SkippedTile[],
): Promise<void> {
  const candidates: TileRef[] = [];
  for (const e of await readdir(yearDir, { withFileTypes: true })) {
    const path = join(yearDir, e.name);
    const dir = e.isDirectory() || (e.isSymbolicLink() && await isDir(path));
    // Stray files (checksums, notes) are not tiles; only directories are candidates.
    if (!dir) continue;
    try {
      const { lonI, latI } = parseTileName(e.name);
      candidates.push(tileRef(year, lonI, latI));
    } catch (err) {
      if (!isTesseraError(err, "BadTileName")) throw err;
      skipped.push({ path, reason: err.message });
    }
  }
  const reasons = await mapBounded(
    candidates,
    options.concurrency ?? 64,
    (t) => unusableReason(base, t),
    options.signal,
  );
  candidates.forEach((t, i) => {
    const reason = reasons[i];
    if (reason === undefined) tiles.push(t);
    else skipped.push({ path: tilePaths(base, t).dir, reason });
  });
}

/**
 * Lists tiles by walking the embeddings directory: directories named like tiles that hold a
 * non-empty `{name}.npy` and `{name}_scales.npy`. Tiles come back in registry order; badly
 * named directories and tiles with missing or empty files come back in `skipped`. A missing
 * year directory gives no tiles; a missing embeddings directory throws `MissingFile`.
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
  const dir = await embeddingsDir(base);
  const years = options.year === undefined ? await discoverYears(base) : [options.year];
  const tiles: TileRef[] = [];
  const skipped: SkippedTile[] = [];
  for (const year of years) {
    options.signal?.throwIfAborted();
    const yearDir = join(dir, String(year));
    if (!(await isDir(yearDir))) continue;
    await discoverYear(base, yearDir, year, options, tiles, skipped);
  }
  tiles.sort(compareTiles);
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { tiles, skipped };
}
