/**
 * UTM ↔ WGS 84 for the viewer (proj4) and the shapes it draws: pixel rectangles of a store's
 * grid as four reprojected corners, UTM zone bands (both hemispheres: stores use the northern
 * code with negative northings south of the equator), and where a zone's edge meridian crosses
 * each pixel row, so neighbouring zones can be clipped at their common edge.
 *
 * Pixel ↔ UTM goes through the toolkit's own GeoBox (lib/grid, bundled as is): the same maths
 * that wrote the stores' transforms and coordinate arrays.
 *
 * Pure maths, no DOM: unit-tested in Deno as well as used in the page and the decode worker.
 */
import proj4 from "proj4";
import { type GeoBox, pixelCentre, pixelCorner, worldToPixel } from "../../lib/grid/geobox.ts";
import { boundsToPixelRect, type PixelRect } from "../../lib/grid/pixel_rect.ts";
import { zoneBand } from "../../lib/grid/zone.ts";

export type LonLat = [number, number];
/** Corners top-left, top-right, bottom-right, bottom-left: MapLibre's image-source order. */
export type Quad = [LonLat, LonLat, LonLat, LonLat];

const converters = new Map<number, proj4.Converter>();

function converter(zone: number): proj4.Converter {
  let c = converters.get(zone);
  if (!c) {
    // Always the northern definition: southern data sits at negative northings (SPEC §3.1).
    c = proj4("EPSG:4326", `+proj=utm +zone=${zone} +datum=WGS84 +units=m +no_defs +type=crs`);
    converters.set(zone, c);
  }
  return c;
}

/**
 * UTM (zone, northern code, canonical northing) to lon/lat in degrees.
 *
 * @example
 * utmToLonLat(31, 500000, 0); // [3, 0]
 */
export function utmToLonLat(zone: number, easting: number, northing: number): LonLat {
  const [lon, lat] = converter(zone).inverse([easting, northing]);
  return [lon, lat];
}

/**
 * Lon/lat in degrees to UTM easting/northing (northern code; negative northings south).
 *
 * @example
 * lonLatToUtm(31, 3, -1); // [500000, ≈ -110575]
 */
export function lonLatToUtm(zone: number, lon: number, lat: number): [number, number] {
  const [e, n] = converter(zone).forward([lon, lat]);
  return [e, n];
}

/**
 * The four corners of a pixel rectangle of `gb` (outer pixel edges) as lon/lat: TL, TR, BR,
 * BL.
 *
 * @example
 * rectCorners(30, store.geobox, { r0: 0, r1: 1024, c0: 0, c1: 1024 }); // shard (0, 0)
 */
export function rectCorners(zone: number, gb: GeoBox, rect: PixelRect): Quad {
  const at = (r: number, c: number): LonLat => utmToLonLat(zone, ...pixelCorner(gb, r, c));
  return [at(rect.r0, rect.c0), at(rect.r0, rect.c1), at(rect.r1, rect.c1), at(rect.r1, rect.c0)];
}

/**
 * `[west, south, east, north]` around whole grids (a store: its zone and GeoBox), from their
 * four reprojected corners.
 */
export function gridsBounds(
  grids: readonly { zone: number; geobox: GeoBox }[],
): [number, number, number, number] {
  const pts = grids.flatMap(({ zone, geobox: gb }) =>
    rectCorners(zone, gb, { r0: 0, r1: gb.height, c0: 0, c1: gb.width })
  );
  const lons = pts.map((p) => p[0]), lats = pts.map((p) => p[1]);
  return [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
}

/**
 * The pixel rectangle of `gb` (not clamped to the grid) bounding a lon/lat ring, padded by
 * `padPx`. Null when no point of the ring projects. Rings should be densified: a viewport edge
 * is curved in UTM.
 */
export function ringToPixelRect(
  zone: number,
  gb: GeoBox,
  ring: LonLat[],
  padPx = 0,
): PixelRect | null {
  let minE = Infinity, maxE = -Infinity, minN = Infinity, maxN = -Infinity;
  for (const [lon, lat] of ring) {
    const [e, n] = lonLatToUtm(zone, lon, lat);
    if (!Number.isFinite(e) || !Number.isFinite(n)) continue;
    minE = Math.min(minE, e);
    maxE = Math.max(maxE, e);
    minN = Math.min(minN, n);
    maxN = Math.max(maxN, n);
  }
  if (minE > maxE) return null;
  return boundsToPixelRect(gb, [minE, minN, maxE, maxN], -padPx);
}

/** Points along the edges of a lon/lat box (`perSide` segments per side), as a closed ring. */
export function densifyBox(
  west: number,
  south: number,
  east: number,
  north: number,
  perSide = 8,
): LonLat[] {
  const ring: LonLat[] = [];
  for (let i = 0; i < perSide; i++) ring.push([west + (east - west) * i / perSide, north]);
  for (let i = 0; i < perSide; i++) ring.push([east, north - (north - south) * i / perSide]);
  for (let i = 0; i < perSide; i++) ring.push([east - (east - west) * i / perSide, south]);
  for (let i = 0; i < perSide; i++) ring.push([west, south + (north - south) * i / perSide]);
  ring.push(ring[0]);
  return ring;
}

/**
 * The UTM zone band as a GeoJSON polygon from 80°S to 84°N, the latitudes UTM is defined for.
 * One polygon across the equator: a store covers both hemispheres of its zone (the upstream
 * viewer only ever drew the northern half).
 */
export function zoneOutline(zone: number): { type: "Polygon"; coordinates: LonLat[][] } {
  const [w, e] = zoneBand(zone);
  const ring: LonLat[] = [];
  // Meridians and parallels are straight in Web Mercator, but densify so other projections
  // (and MapLibre's globe) draw the band correctly.
  for (let lat = -80; lat <= 84; lat += 4) ring.push([w, lat]);
  for (let lat = 84; lat >= -80; lat -= 4) ring.push([e, lat]);
  ring.push(ring[0]);
  return { type: "Polygon", coordinates: [ring] };
}

/**
 * For each pixel row of `rect`, the fractional column (pixel-edge units, grid coordinates) at
 * which the meridian `lon` crosses the row's centre line. The meridian is sampled at 17
 * latitudes spanning the rows and interpolated linearly in northing: about a centimetre of
 * error for a 10 km shard, under a metre for a 1024-row tile of a 320 m overview level.
 */
export function meridianColumns(
  zone: number,
  gb: GeoBox,
  rect: PixelRect,
  lon: number,
): Float64Array {
  const rows = rect.r1 - rect.r0;
  const out = new Float64Array(rows);
  const cMid = (rect.c0 + rect.c1) / 2;
  const latOf = (r: number) => utmToLonLat(zone, ...pixelCorner(gb, r, cMid))[1];
  const latA = latOf(rect.r0), latB = latOf(rect.r1);
  const lo = Math.min(latA, latB) - 0.05, hi = Math.max(latA, latB) + 0.05;
  const K = 16;
  const ns: number[] = [], es: number[] = [];
  for (let k = 0; k <= K; k++) {
    const [e, n] = lonLatToUtm(zone, lon, lo + (hi - lo) * k / K);
    ns.push(n);
    es.push(e);
  }
  // ns increases with latitude and rows run north to south, so walk the segments downward.
  let k = K - 1;
  for (let i = 0; i < rows; i++) {
    const n = pixelCentre(gb, rect.r0 + i, 0)[1];
    while (k > 0 && ns[k] > n) k--;
    const f = (n - ns[k]) / (ns[k + 1] - ns[k]);
    out[i] = worldToPixel(gb, es[k] + f * (es[k + 1] - es[k]), n)[0];
  }
  return out;
}

/** Squared distance between two points of one UTM plane (for nearest-first ordering). */
export function dist2(a: [number, number], b: [number, number]): number {
  const dx = a[0] - b[0], dy = a[1] - b[1];
  return dx * dx + dy * dy;
}
