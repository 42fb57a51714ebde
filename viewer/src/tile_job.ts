/**
 * The decode job for one planned tile: the array and pixel rectangle to read, how to colour it
 * (bands and their shared stretch, or a preview and its re-stretch tables), the per-row columns
 * at which to clip it at a zone edge shared with a zone shown, and the worker affinity that
 * keeps a band block's jobs on the worker holding its raw bytes. Pure.
 */
import { zoneBand } from "../../lib/grid/zone.ts";
import { bandStretch, previewTables } from "./colour_source.ts";
import { meridianColumns } from "./geometry.ts";
import type { Job } from "./protocol.ts";
import type { StoreInfo } from "./store.ts";
import type { TileSpec } from "./tiles.ts";

/** The job rendering `tile` with the current `stores` and `bands`. */
export function tileJob(
  tile: TileSpec,
  stores: readonly StoreInfo[],
  bands: readonly number[],
): { job: Job; affinity?: string } {
  const clip = (on: boolean, lon: number) =>
    on ? meridianColumns(tile.store.zone, tile.geobox, tile.rect, lon) : null;
  const [west, east] = zoneBand(tile.store.zone);
  const clipWest = clip(tile.clipWest, west), clipEast = clip(tile.clipEast, east);
  if (tile.source === "bands") {
    const { r0, c0 } = tile.rect;
    return {
      job: {
        kind: "bands",
        storeUrl: tile.store.url,
        rect: tile.rect,
        bands: [...bands],
        stretch: bandStretch(stores, bands),
        clipWest,
        clipEast,
      },
      affinity: `${tile.store.url}|${r0}|${c0}`,
    };
  }
  return {
    job: {
      kind: "preview",
      storeUrl: tile.store.url,
      path: tile.path,
      rect: tile.rect,
      tables: tile.source === "rgb" ? previewTables(stores, tile.store) : null,
      clipWest,
      clipEast,
    },
  };
}
