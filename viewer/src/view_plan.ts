/// <reference lib="dom" />
/**
 * The tiles one view wants, across all stores shown: each store's tiles (tiles.ts) from its
 * colour source, nearest first, with band tiles cut to the bytes one view may load; and the
 * view itself, from the live map or from a camera (before the map exists). Pure apart from
 * reading the map's camera.
 */
import type { Map as MapLibreMap } from "maplibre-gl";
import { type Camera, cameraBounds } from "./camera.ts";
import { type Colouring, colourKey, sourceFor } from "./colour_source.ts";
import { densifyBox } from "./geometry.ts";
import type { StoreInfo } from "./store.ts";
import { BAND_TILE_PX, metresPerPixel, planTiles, type TileSpec, type ViewSpec } from "./tiles.ts";

/**
 * Bytes of embeddings one view may load for band colours: 256 MiB is 32 band tiles at 128
 * bands, a full 1280 × 800 screen at one data pixel per screen pixel with margin. Beyond it
 * the nearest tiles are loaded and the panel says to zoom in (or to build previews).
 */
export const BAND_BYTES_PER_VIEW = 256 << 20;

export interface ViewPlan {
  /** Wanted tiles, nearest first. */
  tiles: TileSpec[];
  /** Band tiles kept within {@link BAND_BYTES_PER_VIEW}, of all the view held. */
  bandTiles: [kept: number, all: number];
}

/** The tiles of all `stores` that `view` wants, coloured per `colouring`. */
export function planView(
  stores: readonly StoreInfo[],
  view: ViewSpec,
  colouring: Colouring,
  overviews: boolean,
): ViewPlan {
  const zonesShown = new Set(stores.map((s) => s.zone));
  let tiles = stores.flatMap((s) => {
    const source = sourceFor(s, colouring);
    return planTiles(s, source, view, {
      zonesShown,
      colourKey: colourKey(stores, s, source, colouring.bands),
      overviews,
      maxTiles: Math.ceil(BAND_BYTES_PER_VIEW / (BAND_TILE_PX * BAND_TILE_PX * (s.bands + 4))),
    });
  }).sort((a, b) => a.priority - b.priority);
  const bandTiles = tiles.filter((t) => t.source === "bands");
  let budget = BAND_BYTES_PER_VIEW, keep = 0;
  for (const t of bandTiles) {
    const bytes = (t.rect.r1 - t.rect.r0) * (t.rect.c1 - t.rect.c0) * (t.store.bands + 4);
    if (bytes > budget && keep > 0) break;
    budget -= bytes;
    keep++;
  }
  if (keep < bandTiles.length) {
    const drop = new Set(bandTiles.slice(keep).map((t) => t.key));
    tiles = tiles.filter((t) => !drop.has(t.key));
  }
  return { tiles, bandTiles: [keep, bandTiles.length] };
}

/** Ground metres per device pixel for a CSS-pixel resolution. */
function perDevicePixel(metresPerCssPx: number): number {
  return metresPerCssPx / (globalThis.devicePixelRatio || 1);
}

/** The view the map shows now. */
export function viewOfMap(map: MapLibreMap): ViewSpec {
  const b = map.getBounds(), c = map.getCenter();
  return {
    ring: densifyBox(b.getWest(), b.getSouth(), b.getEast(), b.getNorth()),
    centre: [c.lng, c.lat],
    metresPerPx: perDevicePixel(metresPerPixel(map.getZoom(), c.lat)),
  };
}

/** The view of a camera in a `width × height` viewport (before the map exists). */
export function viewOfCamera(cam: Camera, width: number, height: number): ViewSpec {
  const [w, s, e, n] = cameraBounds(cam, width, height);
  return {
    ring: densifyBox(w, s, e, n),
    centre: cam.center,
    metresPerPx: perDevicePixel(metresPerPixel(cam.zoom, cam.center[1])),
  };
}
