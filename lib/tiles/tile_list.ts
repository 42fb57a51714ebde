/**
 * The one tile listing (upstream §1.8–§1.9): from `registry.parquet` when one is found
 * (explicit directory, else BASE, its parent, its grandparent), otherwise by walking the
 * embeddings directory — one year, several, or every year present; optionally restricted to
 * some UTM zones. No tile file is opened here: missing or broken files surface when the tile
 * is read. The registry (2.7 million rows for the real data) is read once for all years.
 */

import { utmZoneOfLonI } from "../grid/zone.ts";
import { TesseraError } from "../errors.ts";
import { discoverTiles, discoverYears, type SkippedTile } from "./discovery.ts";
import { findRegistry, readRegistry, registryTiles, registryYears } from "./registry.ts";
import type { TileRef } from "./tile_ref.ts";
import { isUrl } from "./remote.ts";

/** Options for {@link listTiles}. */
export interface ListTilesOptions {
  /** One year. */
  year?: number;
  /** Several years (with neither `year` nor `years`: every year present). */
  years?: readonly number[];
  /** Directory holding `registry.parquet`; it must be there. Omit to auto-discover. */
  registryDir?: string;
  /** Keep only tiles whose centre falls in these UTM zones (1..60). */
  zones?: readonly number[];
  signal?: AbortSignal;
}

/** Tiles of the years asked for, where they came from and what was passed over. */
export interface TileList {
  readonly source: "registry" | "directory";
  /** The registry read, when `source` is "registry". */
  readonly registryPath?: string;
  /** The years listed, ascending. */
  readonly years: number[];
  /** In registry order: year, then lat, then lon, ascending. */
  readonly tiles: TileRef[];
  /** Directory entries that were not usable tiles (always empty for a registry). */
  readonly skipped: SkippedTile[];
  /** How many tiles the `zones` filter removed (0 without `zones`). */
  readonly zoneFilteredOut: number;
}

/**
 * Lists tiles from the registry if there is one, else from the directory tree. A registry
 * that is found but broken is an error (`BadRegistry`), not a silent fallback.
 *
 * @example
 * ```ts
 * const list = await listTiles("/data", { year: 2024, zones: [30, 31] });
 * console.log(`Found ${list.tiles.length} tiles for year 2024 (${list.source})`);
 * const all = await listTiles("/data"); // every year
 * ```
 */
export async function listTiles(base: string, options: ListTilesOptions = {}): Promise<TileList> {
  const { registryDir, zones, signal } = options;
  if (zones?.some((z) => !Number.isInteger(z) || z < 1 || z > 60)) {
    throw new TesseraError(
      "BadArgument",
      `UTM zones must be integers 1..60, got ${zones.join(",")}; fix the zones option`,
    );
  }
  const asked = options.year !== undefined ? [options.year] : options.years?.slice();
  const registryPath = await findRegistry(base, registryDir);
  let tiles: TileRef[] = [];
  const skipped: SkippedTile[] = [];
  let years: number[];
  if (registryPath) {
    const reg = await readRegistry(registryPath, { years: asked });
    years = asked ?? registryYears(reg);
    for (const y of years) tiles.push(...registryTiles(reg, y));
  } else if (isUrl(base)) {
    throw new TesseraError(
      "BadArgument",
      `no registry.parquet at ${base}: over HTTP tiles cannot be found by walking folders; ` +
        "give --registry URL",
    );
  } else {
    years = asked ?? await discoverYears(base);
    for (const year of years) {
      const d = await discoverTiles(base, { year, signal });
      tiles.push(...d.tiles);
      skipped.push(...d.skipped);
    }
  }
  let zoneFilteredOut = 0;
  if (zones) {
    const want = new Set(zones);
    const before = tiles.length;
    tiles = tiles.filter((t) => want.has(utmZoneOfLonI(t.lonI)));
    zoneFilteredOut = before - tiles.length;
  }
  return registryPath
    ? { source: "registry", registryPath, years, tiles, skipped, zoneFilteredOut }
    : { source: "directory", years, tiles, skipped, zoneFilteredOut };
}
