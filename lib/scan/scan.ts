/**
 * The `scan` report: tiles per zone and EPSG with each zone's grid size, tiles on zone
 * edges, computed-grid vs landmask mismatches and broken files. Planning is pure and fast;
 * file checks read only headers.
 */
import { planZones, storeName, type ZonePlan } from "../plan/zone_plan.ts";
import { pixelSizeM } from "../grid/geobox.ts";
import { straddlesZoneBoundary, touchesZoneEdge } from "../grid/zone.ts";
import { tileName } from "../tiles/layout.ts";
import type { TileRef } from "../tiles/tile_ref.ts";
import type { TileWarning } from "../tiles/tile_warning.ts";
import { checkTileFiles, type GridMismatch, type TileProblem } from "./check_tile.ts";

/** One row of the zone table. */
export interface ZoneSummary {
  year: number;
  zone: number;
  /** Store CRS (326zz). */
  epsg: number;
  store: string;
  tiles: number;
  /** Tiles per native EPSG: 326zz north, 327zz south. */
  tilesPerEpsg: Record<string, number>;
  widthPx: number;
  heightPx: number;
  widthKm: number;
  heightKm: number;
}

/** The whole scan result; `ok` is true only when nothing is wrong. */
export interface ScanReport {
  base: string;
  source: string;
  years: number[];
  totalTiles: number;
  zones: ZoneSummary[];
  /** Cells (over all years) whose west or east edge is a zone boundary (informational: normal). */
  zoneEdgeTiles: number;
  /** Cells with a zone boundary strictly inside them (impossible on the 0.05 grid: bad names). */
  straddlers: { tile: string; year: number }[];
  mismatches: GridMismatch[];
  problems: TileProblem[];
  /**
   * Odd files a build uses with a warning: landmasks with more than one band (band 1 is used)
   * and, with `deep`, scales that are all NaN. They make `ok` false, like every finding.
   */
  warnings: TileWarning[];
  /** Band counts seen in the embeddings (should be one value, normally 128). */
  bands: number[];
  filesChecked: boolean;
  /** With `deep`: NaN scales over all tiles (no-data pixels; informational). */
  nanScales?: number;
  ok: boolean;
}

/** Options for {@link scanTiles}. */
export interface ScanOptions {
  /** Read file headers and landmasks (default true); false plans only. */
  files?: boolean;
  /** Also read every scale value and report invalid ones (reads ~5 MB per tile). */
  deep?: boolean;
  /** Concurrent tile checks (default 8). */
  concurrency?: number;
  onTile?: () => void;
  signal?: AbortSignal;
}

/** Zone table rows for plans. */
export function summarisePlan(p: ZonePlan): ZoneSummary {
  return {
    year: p.year,
    zone: p.zone,
    epsg: p.epsg,
    store: storeName(p.zone, p.year),
    tiles: p.tiles.length,
    tilesPerEpsg: Object.fromEntries([...p.tilesPerEpsg].sort((a, b) => a[0] - b[0])),
    widthPx: p.geobox.width,
    heightPx: p.geobox.height,
    widthKm: p.geobox.width * pixelSizeM(p.geobox) / 1000,
    heightKm: p.geobox.height * pixelSizeM(p.geobox) / 1000,
  };
}

/**
 * Scans `tiles` under `base`.
 *
 * @example
 * const report = await scanTiles("/data", tiles, "registry /data/registry.parquet");
 * if (!report.ok) Deno.exit(1);
 */
export async function scanTiles(
  base: string,
  tiles: readonly TileRef[],
  source: string,
  opts: ScanOptions = {},
): Promise<ScanReport> {
  const plans = planZones(tiles);
  const edgeCells = new Set<number>();
  const straddlers: ScanReport["straddlers"] = [];
  for (const t of tiles) {
    if (touchesZoneEdge(t.lonI)) edgeCells.add(t.lonI * 100000 + t.latI);
    if (straddlesZoneBoundary(t.lonI)) {
      straddlers.push({ tile: tileName(t.lonI, t.latI), year: t.year });
    }
  }
  const problems: TileProblem[] = [];
  const mismatches: GridMismatch[] = [];
  const warnings: TileWarning[] = [];
  const bands = new Set<number>();
  let nanScales = 0;
  const files = opts.files ?? true;
  if (files) {
    const jobs = plans.flatMap((p) => p.tiles.map((t, i) => ({ tile: t, grid: p.grids[i] })));
    const landmaskDone = new Set<string>();
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        opts.signal?.throwIfAborted();
        const { tile, grid } = jobs[next++];
        const cell = `${tile.lonI},${tile.latI}`;
        const landmask = !landmaskDone.has(cell);
        landmaskDone.add(cell);
        const r = await checkTileFiles(base, tile, grid, { landmask, deep: opts.deep });
        if (r.scaleCounts) nanScales += r.scaleCounts.nan;
        problems.push(...r.problems);
        mismatches.push(...r.mismatches);
        warnings.push(...r.warnings);
        if (r.bands !== undefined) bands.add(r.bands);
        opts.onTile?.();
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
    const order = (a: { tile: string }, b: { tile: string }) => a.tile.localeCompare(b.tile);
    problems.sort((a, b) => a.year - b.year || order(a, b) || a.path.localeCompare(b.path));
    mismatches.sort((a, b) => order(a, b) || a.what.localeCompare(b.what));
    warnings.sort((a, b) => a.year - b.year || order(a, b) || a.kind.localeCompare(b.kind));
  }
  return {
    base,
    source,
    years: [...new Set(tiles.map((t) => t.year))].sort((a, b) => a - b),
    totalTiles: tiles.length,
    zones: plans.map(summarisePlan),
    zoneEdgeTiles: edgeCells.size,
    straddlers,
    mismatches,
    problems,
    warnings,
    bands: [...bands].sort((a, b) => a - b),
    filesChecked: files,
    nanScales: opts.deep ? nanScales : undefined,
    ok: straddlers.length === 0 && mismatches.length === 0 && problems.length === 0 &&
      warnings.length === 0 && bands.size <= 1,
  };
}
