/**
 * UTM ↔ WGS 84 for the viewer (proj4) and the shapes it draws: pixel rectangles of a store's
 * grid as four reprojected corners, UTM zone bands (both hemispheres: stores use the northern
 * code with negative northings south of the equator), and where a zone's edge meridian crosses
 * each pixel row, so neighbouring zones can be clipped at their common edge.
 *
 * Pure maths, no DOM: unit-tested in Deno as well as used in the page and the decode worker.
 */
import proj4 from "proj4";

/** Affine transform in GDAL order `[a, b, c, d, e, f]`: x = a·col + c, y = e·row + f. */
export type Affine = readonly [number, number, number, number, number, number];
export type LonLat = [number, number];
/** Corners top-left, top-right, bottom-right, bottom-left: MapLibre's image-source order. */
export type Quad = [LonLat, LonLat, LonLat, LonLat];

/** Rows `r0 ≤ r < r1`, columns `c0 ≤ c < c1` of a pixel grid. */
export interface PixelRect {
  r0: number;
  r1: number;
  c0: number;
  c1: number;
}

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

/** UTM zone (1..60) of a longitude: SPEC §3.1, no Norway/Svalbard exceptions. */
export function zoneOfLon(lon: number): number {
  return Math.min(60, Math.max(1, Math.floor((lon + 180) / 6) + 1));
}

/** West and east longitude of a zone's band. */
export function zoneBand(zone: number): [number, number] {
  return [(zone - 1) * 6 - 180, zone * 6 - 180];
}

/** UTM coordinates of a pixel-edge position (fractional row/col allowed). */
export function pixelToUtm(t: Affine, row: number, col: number): [number, number] {
  return [t[0] * col + t[1] * row + t[2], t[3] * col + t[4] * row + t[5]];
}

/** Fractional pixel-edge position (row, col) of a UTM point; exact for north-up grids. */
export function utmToPixel(t: Affine, easting: number, northing: number): [number, number] {
  return [(northing - t[5]) / t[4], (easting - t[2]) / t[0]];
}

/** The four corners of a pixel rectangle (outer pixel edges) as lon/lat: TL, TR, BR, BL. */
export function rectCorners(zone: number, t: Affine, rect: PixelRect): Quad {
  const at = (r: number, c: number): LonLat => {
    const [e, n] = pixelToUtm(t, r, c);
    return utmToLonLat(zone, e, n);
  };
  return [at(rect.r0, rect.c0), at(rect.r0, rect.c1), at(rect.r1, rect.c1), at(rect.r1, rect.c0)];
}

/**
 * The pixel rectangle (not clamped to the grid) bounding a lon/lat ring, padded by `padPx`.
 * Null when the ring is empty. Rings should be densified: a viewport edge is curved in UTM.
 */
export function ringToPixelRect(
  zone: number,
  t: Affine,
  ring: LonLat[],
  padPx = 0,
): PixelRect | null {
  let rMin = Infinity, rMax = -Infinity, cMin = Infinity, cMax = -Infinity;
  for (const [lon, lat] of ring) {
    const [e, n] = lonLatToUtm(zone, lon, lat);
    const [r, c] = utmToPixel(t, e, n);
    if (!Number.isFinite(r) || !Number.isFinite(c)) continue;
    rMin = Math.min(rMin, r);
    rMax = Math.max(rMax, r);
    cMin = Math.min(cMin, c);
    cMax = Math.max(cMax, c);
  }
  if (rMin > rMax) return null;
  return {
    r0: Math.floor(rMin - padPx),
    r1: Math.ceil(rMax + padPx),
    c0: Math.floor(cMin - padPx),
    c1: Math.ceil(cMax + padPx),
  };
}

/** Intersection of two pixel rectangles, or null when they do not overlap. */
export function intersectRect(a: PixelRect, b: PixelRect): PixelRect | null {
  const r = {
    r0: Math.max(a.r0, b.r0),
    r1: Math.min(a.r1, b.r1),
    c0: Math.max(a.c0, b.c0),
    c1: Math.min(a.c1, b.c1),
  };
  return r.r0 < r.r1 && r.c0 < r.c1 ? r : null;
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
  t: Affine,
  rect: PixelRect,
  lon: number,
): Float64Array {
  const rows = rect.r1 - rect.r0;
  const out = new Float64Array(rows);
  const cMid = (rect.c0 + rect.c1) / 2;
  const latOf = (r: number) => {
    const [e, n] = pixelToUtm(t, r, cMid);
    return utmToLonLat(zone, e, n)[1];
  };
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
    const n = t[4] * (rect.r0 + i + 0.5) + t[5];
    while (k > 0 && ns[k] > n) k--;
    const f = (n - ns[k]) / (ns[k + 1] - ns[k]);
    out[i] = (es[k] + f * (es[k + 1] - es[k]) - t[2]) / t[0];
  }
  return out;
}

/** Squared distance between two points of one UTM plane (for nearest-first ordering). */
export function dist2(a: [number, number], b: [number, number]): number {
  const dx = a[0] - b[0], dy = a[1] - b[1];
  return dx * dx + dy * dy;
}
