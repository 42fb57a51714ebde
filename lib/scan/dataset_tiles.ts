/**
 * Every tile of a dataset over several years in one pass: the registry is read once (the
 * real one has 2.7 million rows), else the directory tree is walked year by year.
 */
import { utmZoneOfLonI } from "../grid/zone.ts";
import { discoverTiles, discoverYears, type SkippedTile } from "../tiles/discovery.ts";
import { findRegistry, readRegistry, registryTiles, registryYears } from "../tiles/registry.ts";
import type { TileRef } from "../tiles/tile_ref.ts";

/** Tiles of several years, where they came from, and what was passed over. */
export interface DatasetTiles {
  source: "registry" | "directory";
  registryPath?: string;
  years: number[];
  tiles: TileRef[];
  skipped: SkippedTile[];
}

/**
 * Lists the tiles of `years` (default: every year present), optionally only in `zones`.
 *
 * @example
 * const { tiles, source } = await listDatasetTiles("/data", { zones: [30] });
 */
export async function listDatasetTiles(
  base: string,
  opts: { years?: number[]; zones?: number[]; registryDir?: string; signal?: AbortSignal } = {},
): Promise<DatasetTiles> {
  const keep = opts.zones ? new Set(opts.zones) : undefined;
  const inZones = (t: TileRef) => !keep || keep.has(utmZoneOfLonI(t.lonI));
  const registryPath = await findRegistry(base, opts.registryDir);
  if (registryPath) {
    const reg = await readRegistry(registryPath, { years: opts.years });
    const years = opts.years ?? registryYears(reg);
    const tiles = years.flatMap((y) => registryTiles(reg, y).filter(inZones));
    return { source: "registry", registryPath, years, tiles, skipped: [] };
  }
  const years = opts.years ?? await discoverYears(base);
  const tiles: TileRef[] = [];
  const skipped: SkippedTile[] = [];
  for (const year of years) {
    const d = await discoverTiles(base, { year, signal: opts.signal });
    tiles.push(...d.tiles.filter(inZones));
    skipped.push(...d.skipped);
  }
  return { source: "directory", years, tiles, skipped };
}
