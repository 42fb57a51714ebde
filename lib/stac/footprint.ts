/**
 * A zone store's WGS 84 footprint for STAC (RFC 7946 geometry + bbox), pure maths over lib/grid.
 *
 * The store's grid is a UTM rectangle; its outer edges are projected to lon/lat with the
 * Krüger series (lib/grid/utm.ts, agreeing with PROJ to well under a millimetre), each edge
 * densified until no chord strays more than {@link CHORD_TOLERANCE_M} from the true edge. At
 * high latitude that rectangle is far wider than the zone's 6° band (at 80°N a whole-zone grid
 * spans ~35° of longitude), yet data exists only where the zone's tiles are: inside the band,
 * plus the few hundred metres a tile raster overhangs its 0.1° cell. So the footprint is the
 * rectangle clipped to the band widened by that overhang, computed for the grid's latitudes
 * ({@link bandOverhangDeg}). Rings are counterclockwise; a footprint that crosses the
 * antimeridian (zones 1 and 60 overhang it) is cut there into a MultiPolygon and its bbox has
 * west > east, as RFC 7946 §3.1.9 and §5.2 ask.
 */
import { type GeoBox, pixelCorner } from "../grid/geobox.ts";
import { utmForward, utmInverse } from "../grid/utm.ts";
import { zoneBand } from "../grid/zone.ts";

/** A lon/lat position (degrees). */
export type Position = [number, number];

/** An RFC 7946 Polygon or MultiPolygon in WGS 84 lon/lat. */
export type FootprintGeometry =
  | { type: "Polygon"; coordinates: Position[][] }
  | { type: "MultiPolygon"; coordinates: Position[][][] };

/** A store's footprint: geometry, its `[west, south, east, north]` and the grid centre. */
export interface Footprint {
  geometry: FootprintGeometry;
  /** `[west, south, east, north]`; west > east when the footprint crosses the antimeridian. */
  bbox: [number, number, number, number];
  /** Lon/lat of the grid's centre (computed in UTM, then projected: `proj:centroid`). */
  centroid: { lat: number; lon: number };
}

/** Largest distance (m) a footprint chord may stray from the projected grid edge. */
export const CHORD_TOLERANCE_M = 0.5;

/** Decimal places kept in footprint coordinates (1e-8° is about 1 mm). */
const DECIMALS = 8;

/**
 * How far (degrees of longitude) a tile raster can reach beyond its zone's band at latitudes
 * `latMin..latMax`: a tile's grid is the UTM bounding box of its cell's projected corners,
 * which meridian convergence tilts, plus the zone grid's 10 m rounding. Evaluated for every
 * 0.1° cell row at the band's east edge in that range (the overhang is symmetric about the
 * central meridian).
 *
 * @example
 * bandOverhangDeg(31, 51.4, 51.6) < 0.01; // true: a few hundred metres at most
 */
export function bandOverhangDeg(zone: number, latMin: number, latMax: number): number {
  const east = zoneBand(zone)[1];
  let worst = 0;
  const k0 = Math.floor(Math.max(-90, latMin) * 10), k1 = Math.ceil(Math.min(90, latMax) * 10);
  for (let k = k0; k < k1; k++) {
    const s = k / 10, n = (k + 1) / 10;
    if (Math.abs(s) >= 90 || Math.abs(n) > 90) continue;
    const corners = [[east - 0.1, s], [east, s], [east, n], [east - 0.1, n]]
      .map(([lon, lat]) => utmForward(lon, lat, zone, false));
    const maxE = Math.max(...corners.map((c) => c[0])) + 20; // + the grid's 10 m rounding, twice
    const minN = Math.min(...corners.map((c) => c[1])) - 20;
    const maxN = Math.max(...corners.map((c) => c[1])) + 20;
    for (const y of [minN, maxN]) {
      worst = Math.max(worst, utmInverse(maxE, y, zone, false)[0] - east);
    }
  }
  return worst;
}

/**
 * The WGS 84 footprint of a zone store's grid (`gb` in the zone's EPSG:326zz, canonical
 * northings: negative south of the equator).
 *
 * @example
 * ```ts
 * const gb = geoboxFromTransform(1476, 2280, [10, 0, 693910, 0, -10, 5720820], 32630);
 * const f = storeFootprint(gb, 30);
 * f.geometry.type; // "Polygon"
 * f.bbox; // [-0.2…, 51.4…, 0.0…, 51.6…]
 * ```
 */
export function storeFootprint(gb: GeoBox, zone: number): Footprint {
  const inv = (row: number, col: number): Position => {
    const [x, y] = pixelCorner(gb, row, col);
    return utmInverse(x, y, zone, false);
  };
  const { height: h, width: w } = gb;
  // Outer corners counterclockwise in lon/lat: south-west, south-east, north-east, north-west.
  const corners: [number, number][] = [[h, 0], [h, w], [0, w], [0, 0]];
  const ring: Position[] = [];
  for (let i = 0; i < 4; i++) {
    const [r0, c0] = corners[i], [r1, c1] = corners[(i + 1) % 4];
    densifyEdge(gb, zone, r0, c0, r1, c1, ring);
  }
  ring.push(ring[0]);
  const lats = ring.map((p) => p[1]);
  const eps = bandOverhangDeg(zone, Math.min(...lats), Math.max(...lats));
  const [west, east] = zoneBand(zone);
  const clipped = clipLon(clipLon(ring, west - eps, +1), east + eps, -1);
  const centroid = inv(h / 2, w / 2);
  return {
    ...splitAtAntimeridian(clipped),
    centroid: { lat: round(centroid[1]), lon: round(wrapLon(centroid[0])) },
  };
}

/**
 * Appends the projected points of the grid edge from pixel corner (r0, c0) towards (r1, c1),
 * excluding the end, bisecting each piece until its chord midpoint, projected back to UTM, is
 * within {@link CHORD_TOLERANCE_M} of the edge's true midpoint.
 */
function densifyEdge(
  gb: GeoBox,
  zone: number,
  r0: number,
  c0: number,
  r1: number,
  c1: number,
  out: Position[],
): void {
  const at = (t: number): [number, number] =>
    pixelCorner(gb, r0 + (r1 - r0) * t, c0 + (c1 - c0) * t);
  const lonlat = (t: number): Position => {
    const [x, y] = at(t);
    return utmInverse(x, y, zone, false);
  };
  const piece = (t0: number, p0: Position, t1: number, p1: Position, depth: number): void => {
    const tm = (t0 + t1) / 2;
    const [xm, ym] = at(tm);
    const [xc, yc] = utmForward((p0[0] + p1[0]) / 2, (p0[1] + p1[1]) / 2, zone, false);
    if (depth < 20 && Math.hypot(xc - xm, yc - ym) > CHORD_TOLERANCE_M) {
      const pm = lonlat(tm);
      piece(t0, p0, tm, pm, depth + 1);
      piece(tm, pm, t1, p1, depth + 1);
    } else {
      out.push(p0);
    }
  };
  piece(0, lonlat(0), 1, lonlat(1), 0);
}

/**
 * Sutherland–Hodgman clip of a closed ring to the half-plane `lon ≥ limit` (`side` +1) or
 * `lon ≤ limit` (−1). Crossing points are interpolated along the chord: chords are short
 * (densified), and the new edge along the meridian is exact in lon/lat.
 */
function clipLon(ring: Position[], limit: number, side: 1 | -1): Position[] {
  const inside = (p: Position) => side * (p[0] - limit) >= 0;
  const out: Position[] = [];
  for (let i = 0; i + 1 < ring.length; i++) {
    const a = ring[i], b = ring[i + 1];
    if (inside(a)) out.push(a);
    if (inside(a) !== inside(b)) {
      const t = (limit - a[0]) / (b[0] - a[0]);
      out.push([limit, a[1] + (b[1] - a[1]) * t]);
    }
  }
  if (out.length) out.push(out[0]);
  return out;
}

/**
 * The geometry and bbox of a ring whose longitudes may run past ±180°: one Polygon when it
 * stays within [−180, 180], else the two sides of the antimeridian as a MultiPolygon (the part
 * beyond shifted by 360°) with bbox west > east.
 */
function splitAtAntimeridian(ring: Position[]): Pick<Footprint, "geometry" | "bbox"> {
  const lons = ring.map((p) => p[0]), lats = ring.map((p) => p[1]);
  const south = round(Math.min(...lats)), north = round(Math.max(...lats));
  const minLon = Math.min(...lons), maxLon = Math.max(...lons);
  const clean = (r: Position[], shift = 0): Position[] =>
    dedupe(r.map(([lon, lat]) => [round(lon + shift), round(lat)]));
  if (minLon >= -180 && maxLon <= 180) {
    return {
      geometry: { type: "Polygon", coordinates: [clean(ring)] },
      bbox: [round(minLon), south, round(maxLon), north],
    };
  }
  const limit = maxLon > 180 ? 180 : -180;
  const near = clipLon(ring, limit, limit > 0 ? -1 : 1);
  const far = clipLon(ring, limit, limit > 0 ? 1 : -1);
  const shift = limit > 0 ? -360 : 360;
  const parts = limit > 0 ? [clean(near), clean(far, shift)] : [clean(far, shift), clean(near)];
  // West edge: the westernmost longitude of the part east of the antimeridian, and so on.
  const west = limit > 0 ? minLon : minLon + 360;
  const east = limit > 0 ? maxLon - 360 : maxLon;
  return {
    geometry: { type: "MultiPolygon", coordinates: parts.map((r) => [r]) },
    bbox: [round(west), south, round(east), north],
  };
}

/** Drops consecutive repeated positions (rounding can create them); keeps the ring closed. */
function dedupe(ring: Position[]): Position[] {
  const out: Position[] = [];
  for (const p of ring) {
    const q = out[out.length - 1];
    if (!q || q[0] !== p[0] || q[1] !== p[1]) out.push(p);
  }
  return out;
}

function wrapLon(lon: number): number {
  return lon > 180 ? lon - 360 : lon < -180 ? lon + 360 : lon;
}

function round(v: number): number {
  const f = 10 ** DECIMALS;
  return Math.round(v * f) / f + 0;
}
