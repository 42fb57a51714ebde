/**
 * Pixel rectangles of a grid (half-open row and column ranges) and how a world box maps onto
 * them through a GeoBox. Shared by the region reader, the shard planner's rectangles and the
 * browser viewer's tiles: pure, no I/O.
 */
import { type GeoBox, worldToPixel } from "./geobox.ts";

/** Rows `r0 ≤ r < r1`, columns `c0 ≤ c < c1` of a pixel grid. */
export interface PixelRect {
  readonly r0: number;
  readonly r1: number;
  readonly c0: number;
  readonly c1: number;
}

/**
 * The pixel rectangle covering the world box `[minX, minY, maxX, maxY]` of a north-up box,
 * not clamped to the grid (rows and columns may be negative or past the edge). Edges are
 * rounded outward after moving each one `insetPx` pixels inward: a small positive inset keeps
 * a box edge lying on a pixel edge (to float noise) from pulling in the next pixel; a negative
 * one pads the rectangle. A degenerate box gives an empty rectangle.
 *
 * @example
 * const gb = geobox(1454, 2278, 301370, 5798370, 32631);
 * boundsToPixelRect(gb, [301370, 5798270, 301400, 5798370]); // { r0: 0, r1: 10, c0: 0, c1: 3 }
 * boundsToPixelRect(gb, [301371, 5798368, 301372, 5798369], -1);
 * // { r0: -1, r1: 2, c0: -1, c1: 2 }: pixel (0, 0) padded by one pixel
 */
export function boundsToPixelRect(
  gb: GeoBox,
  [minX, minY, maxX, maxY]: readonly [number, number, number, number],
  insetPx = 0,
): PixelRect {
  // North-up: the upper-left pixel is the one at (minX, maxY), the lower-right at (maxX, minY).
  const [colW, rowN] = worldToPixel(gb, minX, maxY);
  const [colE, rowS] = worldToPixel(gb, maxX, minY);
  // `+ 0`: an edge exactly on the grid origin gives -0 through (y - f) / e; report it as 0.
  return {
    r0: Math.floor(rowN + insetPx) + 0,
    r1: Math.ceil(rowS - insetPx) + 0,
    c0: Math.floor(colW + insetPx) + 0,
    c1: Math.ceil(colE - insetPx) + 0,
  };
}

/**
 * The intersection of two pixel rectangles, or null when they do not overlap.
 *
 * @example
 * intersectPixelRect({ r0: 0, r1: 10, c0: 0, c1: 10 }, { r0: 5, r1: 20, c0: -5, c1: 3 });
 * // { r0: 5, r1: 10, c0: 0, c1: 3 }
 */
export function intersectPixelRect(a: PixelRect, b: PixelRect): PixelRect | null {
  const r = {
    r0: Math.max(a.r0, b.r0),
    r1: Math.min(a.r1, b.r1),
    c0: Math.max(a.c0, b.c0),
    c1: Math.min(a.c1, b.c1),
  };
  return r.r0 < r.r1 && r.c0 < r.c1 ? r : null;
}
