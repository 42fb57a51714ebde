/**
 * STAC thumbnails of a store's previews: the coarsest overview level (≤ 1024 px a side),
 * halved further with the overviews' own alpha-aware 2 × 2 reduction until the longest side
 * is ≤ {@link THUMBNAIL_MAX_PX}, so a catalog page loads a few hundred kilobytes, not
 * megabytes. The grid of the result (shape, transform) is exact: it is level k + j of the
 * same pyramid rule, so the PNG can be placed on a map from its asset's `proj:` fields.
 */
import { reduce2x2 } from "../preview/overviews.ts";
import type { LevelInfo } from "../store/previews.ts";

/** Longest side of a thumbnail, in pixels. */
export const THUMBNAIL_MAX_PX = 512;

/** A thumbnail's grid: which overview level it starts from and what it ends up as. */
export interface ThumbnailGrid {
  /** The overview level read (its `multiscales` entry). */
  level: number;
  /** Further 2× reductions applied. */
  reductions: number;
  /** `[H, W]` of the PNG. */
  shape: [number, number];
  /** Affine transform of the PNG's pixels in the store's CRS. */
  transform: number[];
  pixelSizeM: number;
}

/**
 * The grid of the thumbnail made from overview level `info`.
 *
 * @example
 * ```ts
 * thumbnailGrid({ level: 2, path: "rgb_overviews/2", pixel_size_m: 40,
 *   transform: [40, 0, 693910, 0, -40, 5720820], shape: [570, 369, 4] }).shape; // [285, 185]
 * ```
 */
export function thumbnailGrid(info: LevelInfo, maxPx = THUMBNAIL_MAX_PX): ThumbnailGrid {
  let [h, w] = info.shape;
  let j = 0;
  while (Math.max(h, w) > maxPx) {
    h = Math.ceil(h / 2);
    w = Math.ceil(w / 2);
    j++;
  }
  const [a, b, c, d, e, f] = info.transform;
  const k = 2 ** j;
  return {
    level: info.level,
    reductions: j,
    shape: [h, w],
    transform: [a * k, b * k, c, d * k, e * k, f],
    pixelSizeM: info.pixel_size_m * k,
  };
}

/**
 * `rgba` (`height × width × 4`) halved `times` times with the overview reduction.
 *
 * @example
 * ```ts
 * const t = reduceRgba(level.rgba, level.width, level.height, 1); // { rgba, width, height }
 * ```
 */
export function reduceRgba(
  rgba: Uint8Array,
  width: number,
  height: number,
  times: number,
): { rgba: Uint8Array; width: number; height: number } {
  let cur = { rgba, width, height };
  for (let i = 0; i < times; i++) {
    const dh = Math.ceil(cur.height / 2), dw = Math.ceil(cur.width / 2);
    const dst = new Uint8Array(dh * dw * 4);
    reduce2x2(cur.rgba, cur.height, cur.width, cur.width, dst, dh, dw, dw);
    cur = { rgba: dst, width: dw, height: dh };
  }
  return cur;
}
