/**
 * The one tile listing (upstream §1.8–§1.10), in either layout: from `registry.parquet` when
 * one is found (explicit directory, else BASE, its parent, its grandparent) or, in the public
 * layout, from `npy/{dataset}/manifest.parquet`; otherwise by walking the embeddings directory
 * — one year, several, or every year present; optionally restricted to some UTM zones. No tile
 * file is opened here: missing or broken files surface when the tile is read. The index
 * (2.7 million rows for the real data) is read once for all years. The BASE's layout is
 * detected on first use (layout_detect.ts) and remembered (layout_choice.ts) for `tilePaths`.
 */

import { utmZoneOfLonI } from "../grid/zone.ts";
import { TesseraError } from "../errors.ts";
import { discoverTiles, discoverYears, type SkippedTile } from "./discovery.ts";
import type { TileLayout } from "./layout.ts";
import { chooseLayout, chosenLayout } from "./layout_choice.ts";
import { detectLayout } from "./layout_detect.ts";
import { findManifest, readManifest } from "./manifest.ts";
import {
  findRegistry,
  readRegistry,
  type Registry,
  registryTiles,
  registryYears,
} from "./registry.ts";
import { compareTiles, type TileRef } from "./tile_ref.ts";
import { isUrl } from "./remote.ts";

/** Options for {@link listTiles}. */
export interface ListTilesOptions {
  /** One year. */
  year?: number;
  /** Several years (with neither `year` nor `years`: every year present). */
  years?: readonly number[];
  /**
   * Directory holding `registry.parquet` (public layout: `manifest.parquet`), or the file; it
   * must be there. Omit to auto-discover.
   */
  registryDir?: string;
  /** The BASE's layout (default: the one chosen for it, else detected from what is there). */
  layout?: TileLayout;
  /** Keep only tiles whose centre falls in these UTM zones (1..60). */
  zones?: readonly number[];
  signal?: AbortSignal;
}

/** Tiles of the years asked for, where they came from and what was passed over. */
export interface TileList {
  readonly source: "registry" | "manifest" | "directory";
  /** The registry read, when `source` is "registry" (its digests check the tiles). */
  readonly registryPath?: string;
  /** The manifest read, when `source` is "manifest" (public layout; it has no digests). */
  readonly manifestPath?: string;
  /** The layout the tiles are in. */
  readonly layout: TileLayout;
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
  const layout = options.layout ?? chosenLayout(base) ??
    await detectLayout(base, { registry: registryDir });
  if (options.layout || !chosenLayout(base)) chooseLayout(base, layout);
  const publicLayout = layout.kind === "public";
  const indexPath = publicLayout
    ? await findManifest(base, layout, registryDir)
    : await findRegistry(base, registryDir);
  let tiles: TileRef[] = [];
  const skipped: SkippedTile[] = [];
  let years: number[];
  if (indexPath) {
    const reg: Registry = publicLayout
      ? await readManifest(indexPath, layout.dataset!, { years: asked })
      : await readRegistry(indexPath, { years: asked });
    const gate = { publishedOnly: !publicLayout };
    years = asked ?? registryYears(reg, gate);
    for (const y of years) {
      const listed = registryTiles(reg, y, gate);
      // The manifest is sorted (lon, lat); stores composite in (lat, lon) order.
      if (publicLayout) listed.sort(compareTiles);
      tiles.push(...listed);
    }
  } else if (isUrl(base)) {
    throw new TesseraError(
      "BadArgument",
      `no ${publicLayout ? "manifest.parquet" : "registry.parquet"} at ${base}: over HTTP ` +
        "tiles cannot be found by walking folders; give --registry URL",
    );
  } else {
    years = asked ?? await discoverYears(base, layout);
    for (const year of years) {
      const d = await discoverTiles(base, { year, layout, signal });
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
  const common = { layout, years, tiles, skipped, zoneFilteredOut };
  if (!indexPath) return { source: "directory", ...common };
  return publicLayout
    ? { source: "manifest", manifestPath: indexPath, ...common }
    : { source: "registry", registryPath: indexPath, ...common };
}

/**
 * Where a listing came from, for a task's "Data:" line: `registry PATH`, `manifest PATH (no
 * digests: tiles are not hash-checked)` or `directory walk`.
 */
export function describeSource(list: TileList): string {
  if (list.source === "registry") return `registry ${list.registryPath}`;
  if (list.source === "manifest") {
    return `manifest ${list.manifestPath}, dataset ${list.layout.dataset}; it has no digests, ` +
      "so tiles are not hash-checked";
  }
  return "directory walk";
}
