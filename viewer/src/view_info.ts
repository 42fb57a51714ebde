/**
 * What the panel says about the view: the info fields (zone, EPSG, grid size, shards with
 * data, the level drawn, tiles loaded) and the status line (the band budget, failures, ready
 * or loading). Pure: the Viewer hands the results to its events.
 */
import { shardGrid, type StoreInfo } from "./store.ts";
import type { TileSpec } from "./tiles.ts";
import { BAND_BYTES_PER_VIEW } from "./view_plan.ts";

export type StatusLevel = "info" | "warn" | "error";

/**
 * The info fields of the stores shown; `level` only when the view's `tiles` are given.
 *
 * @example
 * viewInfo(stores, tiles, [0, 1, 2], { done: 3, total: 4 }, 3).tiles; // "3/4 loaded, 3 shown"
 */
export function viewInfo(
  stores: readonly StoreInfo[],
  tiles: readonly TileSpec[] | undefined,
  bands: readonly number[],
  progress: { done: number; total: number },
  shown: number,
): Record<string, string> {
  const km = (px: number, s: StoreInfo) => (px * s.pixelSizeM / 1000).toFixed(1);
  const fields: Record<string, string> = {
    zone: stores.map((x) => x.zone).join(", "),
    epsg: stores.map((x) => x.epsg).join(", "),
    grid: stores.map((x) => {
      const { width, height } = x.geobox;
      return `${width}×${height} px (${km(width, x)}×${km(height, x)} km)`;
    }).join("; "),
    shards: stores.map((x) => {
      const [nr, nc] = shardGrid(x);
      return `${x.shards ? x.shards.size : "?"} with data / ${nr * nc}`;
    }).join("; "),
  };
  if (tiles) {
    const levels = new Map<string, string>();
    for (const t of tiles) {
      levels.set(
        t.store.name,
        t.source === "bands"
          ? `bands ${bands.join(",")} (${t.pixelSizeM} m)`
          : `${t.source} L${t.level} (${t.pixelSizeM} m)`,
      );
    }
    fields.level = [...levels.values()].join("; ") || "nothing in view";
  }
  fields.tiles = `${progress.done}/${progress.total} loaded, ${shown} shown`;
  return fields;
}

/** The status line: band tiles left out, else failures once idle, else loading. */
export function viewStatus(
  bandTiles: readonly [kept: number, all: number],
  idle: boolean,
  failed: number,
): { text: string; level: StatusLevel } {
  const [kept, all] = bandTiles;
  if (kept < all) {
    return {
      text:
        `Bands: showing the nearest ${kept} of ${all} tiles (${BAND_BYTES_PER_VIEW >> 20} MiB ` +
        "per view); zoom in, or build previews (deno task stats) for overviews.",
      level: "warn",
    };
  }
  if (idle) {
    return failed
      ? { text: `${failed} tile(s) failed (see console)`, level: "warn" }
      : { text: "Ready", level: "info" };
  }
  return { text: "Loading…", level: "info" };
}
