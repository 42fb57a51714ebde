/** viewer/src/geometry.ts: proj4 UTM against the toolkit's own (PROJ-checked) series, footprints, clips. */
import { assertClose, assertEquals } from "../assert.ts";
import {
  type GeoBox,
  geobox,
  pixelCorner,
  pixelSizeM,
  worldToPixel,
} from "../../lib/grid/geobox.ts";
import { utmForward } from "../../lib/grid/utm.ts";
import {
  densifyBox,
  gridsBounds,
  lonLatToUtm,
  meridianColumns,
  rectCorners,
  ringToPixelRect,
  utmToLonLat,
  zoneOutline,
} from "../../viewer/src/geometry.ts";

// Points either side of the equator and of zone edges; southern points use the stores'
// canonical northing (northern code, n − 10 000 km).
const POINTS: [lon: number, lat: number, zone: number][] = [
  [0.15, 52.25, 31],
  [-0.05, 51.45, 30],
  [25.05, 70.05, 35],
  [36.85, -1.25, 37],
  [-47.95, -15.75, 23],
  [2.95, 0.05, 31],
  [-3.05, -0.05, 30],
];

Deno.test("lonLatToUtm matches the toolkit's UTM series to 1 mm, south as negative northing", () => {
  for (const [lon, lat, zone] of POINTS) {
    const [e, n] = lonLatToUtm(zone, lon, lat);
    const south = lat < 0;
    const [re, rn] = utmForward(lon, lat, zone, south);
    assertClose(e, re, 1e-3, `easting ${lon},${lat}`);
    assertClose(n, south ? rn - 10_000_000 : rn, 1e-3, `northing ${lon},${lat}`);
  }
});

Deno.test("utmToLonLat inverts lonLatToUtm to 1e-9 degrees", () => {
  for (const [lon, lat, zone] of POINTS) {
    const [e, n] = lonLatToUtm(zone, lon, lat);
    const [lon2, lat2] = utmToLonLat(zone, e, n);
    assertClose(lon2, lon, 1e-9);
    assertClose(lat2, lat, 1e-9);
  }
});

Deno.test("zone outlines", () => {
  const ring = zoneOutline(37).coordinates[0];
  const lats = ring.map((p) => p[1]);
  // Both hemispheres: the upstream viewer never drew the southern half.
  assertEquals(Math.min(...lats), -80);
  assertEquals(Math.max(...lats), 84);
  assertEquals(new Set(ring.map((p) => p[0])).size, 2);
});

const T: GeoBox = geobox(1476, 2280, 693910, 5720820, 32630);

Deno.test("rectCorners: TL, TR, BR, BL at outer pixel edges", () => {
  const q = rectCorners(30, T, { r0: 0, r1: 1024, c0: 0, c1: 1024 });
  const [tl, tr, br, bl] = q;
  const [e, n] = lonLatToUtm(30, tl[0], tl[1]);
  assertClose(e, 693910, 1e-4);
  assertClose(n, 5720820, 1e-4);
  const [e2, n2] = lonLatToUtm(30, br[0], br[1]);
  assertClose(e2, 693910 + 10240, 1e-4);
  assertClose(n2, 5720820 - 10240, 1e-4);
  assertEquals(tl[1] > bl[1] && tr[1] > br[1], true);
  assertEquals(tl[0] < tr[0] && bl[0] < br[0], true);
});

Deno.test("ringToPixelRect bounds every point of the ring", () => {
  const ring = densifyBox(-0.2, 51.4, -0.05, 51.5);
  const rect = ringToPixelRect(30, T, ring)!;
  for (const [lon, lat] of ring) {
    const [c, r] = worldToPixel(T, ...lonLatToUtm(30, lon, lat));
    assertEquals(r >= rect.r0 && r <= rect.r1 && c >= rect.c0 && c <= rect.c1, true);
  }
  // Padding widens it by whole pixels; a ring that does not project is no rectangle.
  const padded = ringToPixelRect(30, T, ring, 2)!;
  assertEquals(
    [padded.r0, padded.r1, padded.c0, padded.c1].join(),
    [rect.r0 - 2, rect.r1 + 2, rect.c0 - 2, rect.c1 + 2].join(),
  );
  assertEquals(ringToPixelRect(30, T, []), null);
});

Deno.test("gridsBounds: the lon/lat box around whole grids", () => {
  const q = rectCorners(30, T, { r0: 0, r1: 2280, c0: 0, c1: 1476 });
  const lons = q.map((p) => p[0]), lats = q.map((p) => p[1]);
  assertEquals(
    gridsBounds([{ zone: 30, geobox: T }]).join(),
    [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)].join(),
  );
});

Deno.test("meridianColumns: the zone edge crosses each row where its longitude is the meridian", () => {
  // Tolerance: 1e-7° ≈ 1 cm; 1e-5° ≈ 1 m, 0.3 % of the 320 m pixel of the coarse case.
  for (
    const [t, zone, lon, tol] of [
      [T, 30, 0, 1e-7],
      [geobox(1024, 1024, 291320, 5720820, 32631), 31, 0, 1e-7],
      // A 1024-row tile of a coarse overview (327 km) across the equator.
      [geobox(1024, 1024, 166000, 150000, 32637, 320), 37, 36, 1e-5],
    ] as [GeoBox, number, number, number][]
  ) {
    const rect = { r0: 0, r1: 1024, c0: 0, c1: 1024 };
    const cols = meridianColumns(zone, t, rect, lon);
    for (const i of [0, 1, 511, 1023]) {
      const [e, n] = pixelCorner(t, i + 0.5, cols[i]);
      assertClose(utmToLonLat(zone, e, n)[0], lon, tol, `row ${i} (${pixelSizeM(t)} m)`);
    }
  }
});
