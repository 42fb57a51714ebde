/**
 * Web Mercator camera maths for a north-up map with MapLibre's 512-px world: the centre and
 * zoom that fit a lon/lat box into a viewport (as `map.fitBounds` does), and the lon/lat box a
 * camera sees. The viewer uses it to plan the first tiles before MapLibre exists: the map's
 * start-up then overlaps with decoding them instead of preceding it.
 */
import type { LonLat } from "./geometry.ts";

export interface Camera {
  center: LonLat;
  zoom: number;
}

export interface Padding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

const TILE = 512;

function mercX(lon: number): number {
  return (lon + 180) / 360;
}

function mercY(lat: number): number {
  const phi = lat * Math.PI / 180;
  return (1 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / Math.PI) / 2;
}

function lonOf(x: number): number {
  return x * 360 - 180;
}

function latOf(y: number): number {
  return Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180 / Math.PI;
}

/**
 * The camera showing `[west, south, east, north]` as large as fits in `width × height` CSS px
 * inside `padding`, capped at `maxZoom`.
 *
 * @example
 * fitCamera([-1, 51, 0, 52], 1280, 800, { top: 30, bottom: 30, left: 30, right: 30 });
 */
export function fitCamera(
  [west, south, east, north]: [number, number, number, number],
  width: number,
  height: number,
  padding: Padding,
  maxZoom = 19,
): Camera {
  const x0 = mercX(west), x1 = mercX(east), y0 = mercY(north), y1 = mercY(south);
  const aw = Math.max(1, width - padding.left - padding.right);
  const ah = Math.max(1, height - padding.top - padding.bottom);
  const scale = Math.min(aw / Math.max(x1 - x0, 1e-12), ah / Math.max(y1 - y0, 1e-12));
  const zoom = Math.min(maxZoom, Math.log2(scale / TILE));
  const world = TILE * 2 ** zoom;
  // The box is centred in the padded area, so the screen centre is offset from the box's.
  const cx = (x0 + x1) / 2 + (padding.right - padding.left) / 2 / world;
  const cy = (y0 + y1) / 2 + (padding.bottom - padding.top) / 2 / world;
  return { center: [lonOf(cx), latOf(cy)], zoom };
}

/** The `[west, south, east, north]` box a camera sees in a `width × height` viewport. */
export function cameraBounds(
  cam: Camera,
  width: number,
  height: number,
): [number, number, number, number] {
  const world = TILE * 2 ** cam.zoom;
  const cx = mercX(cam.center[0]), cy = mercY(cam.center[1]);
  return [
    lonOf(cx - width / 2 / world),
    latOf(cy + height / 2 / world),
    lonOf(cx + width / 2 / world),
    latOf(cy - height / 2 / world),
  ];
}
