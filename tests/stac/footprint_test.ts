/**
 * Store footprints, table-driven over zone grids made from real tile grids (lib/grid): valid
 * RFC 7946 rings, every tile's outermost pixel centres and its cell centre inside, edges
 * densified to the chord tolerance, the band clip at high latitude, the antimeridian split —
 * and every vertex checked with PROJ (pyproj) to lie on the grid's outer edge or on a clip
 * meridian.
 */
import { assertEquals } from "../assert.ts";
import { pythonWith } from "../helpers/env.ts";
import { checkGeometry, inBbox, positions } from "./stac_checks.ts";
import { pixelCentre, pixelCorner } from "../../lib/grid/geobox.ts";
import { tileGrid } from "../../lib/grid/tile_grid.ts";
import { utmForward, utmInverse } from "../../lib/grid/utm.ts";
import { zoneBand } from "../../lib/grid/zone.ts";
import { zoneGrid } from "../../lib/grid/zone_grid.ts";
import {
  bandOverhangDeg,
  CHORD_TOLERANCE_M,
  type Footprint,
  storeFootprint,
} from "../../lib/stac/footprint.ts";

interface Case {
  name: string;
  tiles: [number, number][];
  /** The geometry type expected. */
  type: "Polygon" | "MultiPolygon";
  /** Largest bbox longitude span (degrees) allowed, when the band clip must act. */
  maxLonSpan?: number;
}

const CASES: Case[] = [
  { name: "greenwich zone 31", tiles: [[0.05, 51.45], [0.15, 51.55]], type: "Polygon" },
  { name: "greenwich zone 30", tiles: [[-0.05, 51.45], [-0.15, 51.55]], type: "Polygon" },
  { name: "equator zone 37", tiles: [[36.85, -0.05], [36.95, 0.05]], type: "Polygon" },
  { name: "arctic zone 35", tiles: [[25.05, 70.05], [25.15, 70.15]], type: "Polygon" },
  {
    name: "whole zone 31, equator to 80°N",
    tiles: [[0.05, 80.05], [5.95, 80.05], [0.05, 0.05], [5.95, 0.05]],
    type: "Polygon",
    maxLonSpan: 6.2, // the grid rectangle itself spans ~35° of longitude at 80°N
  },
  {
    name: "southern zone 19 at 55°S",
    tiles: [[-71.95, -55.05], [-66.05, -55.05], [-69.05, -54.95]],
    type: "Polygon",
    maxLonSpan: 6.2,
  },
  {
    name: "zone 60 over the antimeridian",
    tiles: [[179.95, 60.05], [174.05, 60.05], [179.95, 65.05]],
    type: "MultiPolygon",
  },
  { name: "zone 1 over the antimeridian", tiles: [[-179.95, -40.05]], type: "MultiPolygon" },
];

function build(c: Case) {
  const grids = c.tiles.map(([lon, lat]) => tileGrid(lon, lat));
  const zg = zoneGrid(grids);
  return { zg, footprint: storeFootprint(zg.geobox, zg.zone) };
}

/** Ray casting on each ring of each polygon (holes none here); `p` with lon in [-180, 180]. */
function inFootprint(f: Footprint, p: [number, number]): boolean {
  const polys = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
  return polys.some(([ring]) => {
    let inside = false;
    for (let i = 0, j = ring.length - 2; i < ring.length - 1; j = i++) {
      const [xi, yi] = ring[i], [xj, yj] = ring[j];
      if ((yi > p[1]) !== (yj > p[1]) && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) {
        inside = !inside;
      }
    }
    return inside;
  });
}

const wrap = (lon: number) => (lon > 180 ? lon - 360 : lon < -180 ? lon + 360 : lon);

/** Distance (m) from UTM point (x, y) to the rectangle [x0, x1] × [y0, y1]'s boundary. */
function toBoundary(x: number, y: number, [x0, y0, x1, y1]: number[]): number {
  const dx = Math.min(Math.abs(x - x0), Math.abs(x - x1));
  const dy = Math.min(Math.abs(y - y0), Math.abs(y - y1));
  const inX = x >= x0 - 1e-3 && x <= x1 + 1e-3, inY = y >= y0 - 1e-3 && y <= y1 + 1e-3;
  if (inX && inY) return Math.min(dx, dy);
  return inX ? dy : inY ? dx : Math.hypot(dx, dy);
}

function rect(c: Case): number[] {
  const gb = build(c).zg.geobox;
  const [x0, y1] = pixelCorner(gb, 0, 0), [x1, y0] = pixelCorner(gb, gb.height, gb.width);
  return [x0, y0, x1, y1];
}

/** The clip meridians of a case's footprint (band ± overhang, and the antimeridian). */
function clipLons(c: Case, f: Footprint): number[] {
  const zone = build(c).zg.zone;
  const eps = bandOverhangDeg(zone, f.bbox[1], f.bbox[3]);
  const [w, e] = zoneBand(zone);
  return [w - eps, e + eps, wrap(w - eps), wrap(e + eps), 180, -180];
}

Deno.test("footprints are valid counterclockwise RFC 7946 geometry of the expected type", () => {
  for (const c of CASES) {
    const { footprint } = build(c);
    assertEquals(footprint.geometry.type, c.type, c.name);
    assertEquals(checkGeometry(footprint.geometry, "geometry").join("; "), "", c.name);
    for (const p of positions(footprint.geometry)) {
      if (!inBbox(footprint.bbox, p)) throw new Error(`${c.name}: [${p}] outside the bbox`);
    }
    if (c.type === "MultiPolygon") {
      if (!(footprint.bbox[0] > footprint.bbox[2])) {
        throw new Error(`${c.name}: an antimeridian bbox has west > east, got ${footprint.bbox}`);
      }
    }
    if (c.maxLonSpan !== undefined) {
      const span = footprint.bbox[2] - footprint.bbox[0];
      if (!(span <= c.maxLonSpan)) throw new Error(`${c.name}: lon span ${span}° not clipped`);
    }
  }
});

Deno.test("every tile's cell centre and outermost pixel centres lie inside its store's footprint", () => {
  let checked = 0;
  for (const c of CASES) {
    const { zg, footprint } = build(c);
    for (const [i, pl] of zg.placements.entries()) {
      const [lon, lat] = c.tiles[i];
      const points: [number, number][] = [[lon, lat]];
      for (
        const [r, col] of [[0, 0], [0, pl.width - 1], [pl.height - 1, 0], [
          pl.height - 1,
          pl.width - 1,
        ]]
      ) {
        const [x, y] = pixelCentre(zg.geobox, pl.rowOffsetPx + r, pl.colOffsetPx + col);
        const [plon, plat] = utmInverse(x, y, zg.zone, false);
        points.push([wrap(plon), plat]);
      }
      for (const p of points) {
        checked++;
        if (!inFootprint(footprint, p)) {
          throw new Error(`${c.name}: tile ${c.tiles[i]} point [${p}] outside the footprint`);
        }
      }
    }
  }
  assertEquals(checked, 5 * CASES.reduce((n, c) => n + c.tiles.length, 0));
});

Deno.test("footprint edges follow the projected grid edge within the chord tolerance", () => {
  for (const c of CASES) {
    const { zg, footprint } = build(c);
    const box = rect(c), clips = clipLons(c, footprint);
    const polys = footprint.geometry.type === "Polygon"
      ? [footprint.geometry.coordinates]
      : footprint.geometry.coordinates;
    let onEdge = 0;
    for (const [ring] of polys) {
      for (let i = 0; i + 1 < ring.length; i++) {
        const a = ring[i], b = ring[i + 1];
        const onClip = (p: number[]) => clips.some((m) => Math.abs(p[0] - m) < 1e-7);
        if (onClip(a) && onClip(b)) continue; // a meridian edge: exact in lon/lat
        const [xa, ya] = utmForward(a[0], a[1], zg.zone, false);
        const [xb, yb] = utmForward(b[0], b[1], zg.zone, false);
        if (!onClip(a) && toBoundary(xa, ya, box) > 2e-3) {
          throw new Error(
            `${c.name}: vertex [${a}] is ${toBoundary(xa, ya, box)} m off the grid edge`,
          );
        }
        if (onClip(a) || onClip(b)) continue;
        // Unwrap across the antimeridian before taking the chord's midpoint.
        const bl = Math.abs(b[0] - a[0]) > 180 ? b[0] - Math.sign(b[0] - a[0]) * 360 : b[0];
        const [xm, ym] = utmForward((a[0] + bl) / 2, (a[1] + b[1]) / 2, zg.zone, false);
        const d = toBoundary(xm, ym, box);
        if (d > CHORD_TOLERANCE_M + 2e-3) {
          throw new Error(`${c.name}: chord [${a}]–[${b}] strays ${d} m from the grid edge`);
        }
        void xb, yb;
        onEdge++;
      }
    }
    if (onEdge < 3) throw new Error(`${c.name}: only ${onEdge} edge chords checked`);
  }
});

Deno.test("the band overhang covers real tile rasters at the zone edge from 0° to 84°", () => {
  for (const zone of [1, 31, 60]) {
    const [, east] = zoneBand(zone);
    for (let lat = -83.95; lat < 84; lat += 4) {
      const g = tileGrid(east - 0.05, lat);
      const gb = g.geobox;
      const south = g.epsg > 32700;
      let reach = 0;
      for (const [r, c] of [[0, gb.width], [gb.height, gb.width]]) {
        const [x, y] = pixelCorner(gb, r, c);
        reach = Math.max(reach, utmInverse(x, y, zone, south)[0] - east);
      }
      const eps = bandOverhangDeg(zone, lat - 0.05, lat + 0.05);
      if (!(reach <= eps && eps < reach + 0.01)) {
        throw new Error(`zone ${zone} lat ${lat}: raster reaches ${reach}°, overhang ${eps}°`);
      }
    }
  }
});

Deno.test("footprint vertices agree with PROJ: on the grid's outer edge or a clip meridian", async () => {
  const py = await pythonWith("pyproj");
  if (!py) {
    console.warn("pyproj not installed: PROJ cross-check skipped (scripts/setup.sh installs it)");
    return;
  }
  const input = CASES.map((c) => {
    const { zg, footprint } = build(c);
    return { epsg: zg.epsg, points: positions(footprint.geometry) };
  });
  const script = `
import json, sys
from pyproj import Transformer
out = []
for case in json.load(sys.stdin):
    t = Transformer.from_crs("EPSG:4326", "EPSG:%d" % case["epsg"], always_xy=True)
    out.append([list(t.transform(lon, lat)) for lon, lat in case["points"]])
print(json.dumps(out))
`;
  const child = new Deno.Command(py, { args: ["-c", script], stdin: "piped", stdout: "piped" })
    .spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(input)));
  await w.close();
  const { stdout, success } = await child.output();
  if (!success) throw new Error("pyproj script failed");
  const projected: number[][][] = JSON.parse(new TextDecoder().decode(stdout));
  let n = 0;
  CASES.forEach((c, i) => {
    const { footprint } = build(c);
    const box = rect(c), clips = clipLons(c, footprint);
    const pts = positions(footprint.geometry);
    projected[i].forEach(([x, y], j) => {
      const onClip = clips.some((m) => Math.abs(pts[j][0] - m) < 1e-7);
      // PROJ's northing south of the equator is the canonical one plus 0 (EPSG:326zz, no
      // false northing), as the store's; 2 mm covers the 1e-8° rounding of the coordinates.
      if (!onClip && toBoundary(x, y, box) > 2e-3) {
        throw new Error(`${c.name}: PROJ puts [${pts[j]}] ${toBoundary(x, y, box)} m off the edge`);
      }
      n++;
    });
  });
  if (n < 40) throw new Error(`only ${n} vertices cross-checked`);
});
