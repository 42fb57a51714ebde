/**
 * The tile list of one year (upstream §1.8–§1.9): from `registry.parquet` when one is found
 * (explicit directory, else BASE, its parent, its grandparent), otherwise by walking the
 * embeddings directory; optionally restricted to some UTM zones. No tile file is opened here:
 * missing or broken files surface when the tile is read.
 */

import { utmZoneOfLonI } from "../grid/zone.ts";
import { TesseraError } from "../errors.ts";
import { discoverTiles, type SkippedTile } from "./discovery.ts";
import { findRegistry, readRegistry, registryTiles } from "./registry.ts";
import type { TileRef } from "./tile_ref.ts";

/** Options for {@link listTiles}. */
export interface ListTilesOptions {
  year: number;
  /** Directory holding `registry.parquet`; it must be there. Omit to auto-discover. */
  registryDir?: string;
  /** Keep only tiles whose centre falls in these UTM zones (1..60). */
  zones?: readonly number[];
  signal?: AbortSignal;
}

/** A year's tiles, where they came from and what was passed over. */
export interface TileList {
  readonly source: "registry" | "directory";
  /** The registry read, when `source` is "registry". */
  readonly registryPath?: string;
  /** In registry order: lat, then lon, ascending. */
  readonly tiles: TileRef[];
  /**
   * Directories the walk passed over because their names are not tile names (always empty
   * for a registry). Tiles with broken files are in `tiles` and fail by name when read.
   */
  readonly skipped: SkippedTile[];
  /** How many tiles the `zones` filter removed (0 without `zones`). */
  readonly zoneFilteredOut: number;
}

/**
 * Lists one year's tiles from the registry if there is one, else from the directory tree.
 * A registry that is found but broken is an error (`BadRegistry`), not a silent fallback.
 *
 * @example
 * ```ts
 * const list = await listTiles("/data", { year: 2024, zones: [30, 31] });
 * console.log(`Found ${list.tiles.length} tiles for year 2024 (${list.source})`);
 * ```
 */
export async function listTiles(base: string, options: ListTilesOptions): Promise<TileList> {
  const { year, registryDir, zones, signal } = options;
  if (zones?.some((z) => !Number.isInteger(z) || z < 1 || z > 60)) {
    throw new TesseraError(
      "BadArgument",
      `UTM zones must be integers 1..60, got ${zones.join(",")}; fix the zones option`,
    );
  }
  const registryPath = await findRegistry(base, registryDir);
  let tiles: TileRef[];
  let skipped: SkippedTile[] = [];
  if (registryPath) {
    tiles = registryTiles(await readRegistry(registryPath, { years: [year] }), year);
  } else {
    ({ tiles, skipped } = await discoverTiles(base, { year, signal }));
  }
  let zoneFilteredOut = 0;
  if (zones) {
    const want = new Set(zones);
    const before = tiles.length;
    tiles = tiles.filter((t) => want.has(utmZoneOfLonI(t.lonI)));
    zoneFilteredOut = before - tiles.length;
  }
  return registryPath
    ? { source: "registry", registryPath, tiles, skipped, zoneFilteredOut }
    : { source: "directory", tiles, skipped, zoneFilteredOut };
}
