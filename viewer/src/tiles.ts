/**
 * Which tiles a view needs: the level of detail for the view's resolution, the tiles of that
 * level that intersect the viewport (projected into the store's UTM grid) and hold data per the
 * manifest, their footprints, and their distance to the view centre (nearest first).
 *
 * A tile is one shard of a preview level (shards are 1024 px: one request burst, one texture),
 * or a 256 × 256 block of `embeddings` (8 × 8 inner chunks, 8 MiB of int8 at 128 bands) when
 * colours are computed from bands. Pure functions; no DOM.
 */
import { type GeoBox, pixelCorner, worldToPixel } from "../../lib/grid/geobox.ts";
import { intersectPixelRect, type PixelRect } from "../../lib/grid/pixel_rect.ts";
import { zoneBand } from "../../lib/grid/zone.ts";
import {
  dist2,
  type LonLat,
  lonLatToUtm,
  type Quad,
  rectCorners,
  ringToPixelRect,
} from "./geometry.ts";
import type { Task } from "./scheduler.ts";
import { anyShardIn, type LevelInfo, type PreviewKind, type StoreInfo } from "./store.ts";

/** Where a tile's colours come from: three embedding bands, or a preview array. */
export type Source = "bands" | PreviewKind;

export interface TileSpec extends Task {
  store: StoreInfo;
  source: Source;
  level: number;
  /** Array path inside the store (`embeddings`, `rgb`, `rgb_overviews/2`, …). */
  path: string;
  pixelSizeM: number;
  /** Grid of the tile's level. */
  geobox: GeoBox;
  /** Pixel rectangle in the level's grid. */
  rect: PixelRect;
  corners: Quad;
  /** Clip at the west / east edge of the store's zone (a neighbouring zone is shown). */
  clipWest: boolean;
  clipEast: boolean;
}

export interface ViewSpec {
  /** The viewport as a densified lon/lat ring. */
  ring: LonLat[];
  centre: LonLat;
  /** Ground metres per screen (device) pixel at the centre. */
  metresPerPx: number;
}

/** Preferred side of a band tile: 8 × 8 inner chunks of 32 px. */
export const BAND_TILE_PX = 256;

/** Ground metres per CSS pixel of Web Mercator at `zoom` and latitude (512-px world tiles). */
export function metresPerPixel(zoom: number, lat: number): number {
  return 2 * Math.PI * 6378137 * Math.cos(lat * Math.PI / 180) / (512 * 2 ** zoom);
}

/**
 * The coarsest level still at least as fine as the screen (pixel size ≤ metres per screen
 * pixel), else the finest level.
 */
export function chooseLevel(levels: readonly LevelInfo[], metresPerPx: number): LevelInfo {
  let best = levels[0];
  for (const l of levels) {
    if (l.pixelSizeM <= metresPerPx * 1.0001 && l.pixelSizeM > best.pixelSizeM) best = l;
  }
  return best;
}

/** The level the bands source reads: `embeddings` itself, tiled in band tiles. */
export function bandLevel(store: StoreInfo): LevelInfo & { tileShape: [number, number] } {
  const tile = (shard: number) =>
    shard <= BAND_TILE_PX || shard % BAND_TILE_PX !== 0 ? shard : BAND_TILE_PX;
  return {
    level: 0,
    path: "embeddings",
    pixelSizeM: store.pixelSizeM,
    geobox: store.geobox,
    shardShape: store.shardShape,
    tileShape: [tile(store.shardShape[0]), tile(store.shardShape[1])],
  };
}

export interface PlanOptions {
  /** Zones shown at the same time: a tile is clipped at an edge shared with one of them. */
  zonesShown: ReadonlySet<number>;
  /** Extra text for the key: whatever changes the tile's colours (bands, stretch). */
  colourKey: string;
  /** False: full resolution only, no overview levels (for comparisons). */
  overviews?: boolean;
  /**
   * At most about this many tiles are wanted (the caller keeps the nearest): when the view
   * holds far more (band tiles of a whole real zone: hundreds of thousands), only a window
   * around the view centre is looked at.
   */
  maxTiles?: number;
}

/**
 * The tiles of `store` that the view needs for `source`, sorted nearest first. Tiles whose
 * level-0 shards are all absent from the manifest are skipped (no 404 flood), and so are tiles
 * lying wholly beyond a zone edge shared with a zone that is shown.
 */
export function planTiles(
  store: StoreInfo,
  source: Source,
  view: ViewSpec,
  opts: PlanOptions,
): TileSpec[] {
  let level: LevelInfo, tileShape: [number, number];
  if (source === "bands") {
    const b = bandLevel(store);
    level = b;
    tileShape = b.tileShape;
  } else {
    const levels = store.previews[source];
    if (!levels?.length) return [];
    level = opts.overviews === false ? levels[0] : chooseLevel(levels, view.metresPerPx);
    tileShape = level.shardShape;
  }
  const gb = level.geobox;
  const h = gb.height, w = gb.width;
  const seen = ringToPixelRect(store.zone, gb, view.ring, 1);
  const rect = seen && intersectPixelRect(seen, { r0: 0, r1: h, c0: 0, c1: w });
  if (!rect) return [];
  const [th, tw] = tileShape;
  const factor = level.pixelSizeM / store.pixelSizeM;
  const [west, east] = zoneBand(store.zone);
  const westShown = opts.zonesShown.has(store.zone - 1);
  const eastShown = opts.zonesShown.has(store.zone + 1);
  const centre = lonLatToUtm(store.zone, view.centre[0], view.centre[1]);
  let tr0 = Math.floor(rect.r0 / th), tr1 = Math.ceil(rect.r1 / th);
  let tc0 = Math.floor(rect.c0 / tw), tc1 = Math.ceil(rect.c1 / tw);
  if (opts.maxTiles && (tr1 - tr0) * (tc1 - tc0) > 4 * opts.maxTiles) {
    const half = Math.ceil(Math.sqrt(4 * opts.maxTiles) / 2);
    const [cc, cr] = worldToPixel(gb, centre[0], centre[1]);
    const r = Math.floor(cr / th), c = Math.floor(cc / tw);
    [tr0, tr1] = [Math.max(tr0, r - half), Math.min(tr1, r + half + 1)];
    [tc0, tc1] = [Math.max(tc0, c - half), Math.min(tc1, c + half + 1)];
  }
  const tiles: TileSpec[] = [];
  for (let tr = tr0; tr < tr1; tr++) {
    for (let tc = tc0; tc < tc1; tc++) {
      const t: PixelRect = {
        r0: tr * th,
        r1: Math.min(h, (tr + 1) * th),
        c0: tc * tw,
        c1: Math.min(w, (tc + 1) * tw),
      };
      const r0 = Math.floor(t.r0 * factor), c0 = Math.floor(t.c0 * factor);
      const r1 = Math.min(store.geobox.height, Math.ceil(t.r1 * factor));
      const c1 = Math.min(store.geobox.width, Math.ceil(t.c1 * factor));
      if (!anyShardIn(store, r0, r1, c0, c1)) continue;
      const corners = rectCorners(store.zone, gb, t);
      const lons = corners.map((p) => p[0]);
      const minLon = Math.min(...lons), maxLon = Math.max(...lons);
      if ((westShown && maxLon <= west) || (eastShown && minLon >= east)) continue;
      const clipWest = westShown && minLon < west;
      const clipEast = eastShown && maxLon > east;
      const mid = pixelCorner(gb, (t.r0 + t.r1) / 2, (t.c0 + t.c1) / 2);
      tiles.push({
        key: [store.name, source, level.level, tr, tc, opts.colourKey, +clipWest, +clipEast]
          .join("|"),
        priority: dist2(mid, centre),
        store,
        source,
        level: level.level,
        path: level.path,
        pixelSizeM: level.pixelSizeM,
        geobox: gb,
        rect: t,
        corners,
        clipWest,
        clipEast,
      });
    }
  }
  return tiles.sort((a, b) => a.priority - b.priority);
}
