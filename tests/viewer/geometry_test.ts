/** viewer/src/geometry.ts: proj4 UTM against the toolkit's own (PROJ-checked) series, footprints, clips. */
import { assertClose, assertEquals } from "../assert.ts";
import { utmForward } from "../../lib/grid/utm.ts";
import {
  type Affine,
  densifyBox,
  lonLatToUtm,
  meridianColumns,
  pixelToUtm,
  rectCorners,
  ringToPixelRect,
  utmToLonLat,
  zoneBand,
  zoneOfLon,
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

Deno.test("zones and bands", () => {
  assertEquals(zoneOfLon(-0.05), 30);
  assertEquals(zoneOfLon(0.05), 31);
  assertEquals(zoneOfLon(180), 60);
  assertEquals(zoneBand(30).join(), "-6,0");
  const ring = zoneOutline(37).coordinates[0];
  const lats = ring.map((p) => p[1]);
  // Both hemispheres: the upstream viewer never drew the southern half.
  assertEquals(Math.min(...lats), -80);
  assertEquals(Math.max(...lats), 84);
  assertEquals(new Set(ring.map((p) => p[0])).size, 2);
});

const T: Affine = [10, 0, 693910, 0, -10, 5720820];

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
    const [e, n] = lonLatToUtm(30, lon, lat);
    const r = (n - T[5]) / T[4], c = (e - T[2]) / T[0];
    assertEquals(r >= rect.r0 && r <= rect.r1 && c >= rect.c0 && c <= rect.c1, true);
  }
});

Deno.test("meridianColumns: the zone edge crosses each row where its longitude is the meridian", () => {
  // Tolerance: 1e-7° ≈ 1 cm; 1e-5° ≈ 1 m, 0.3 % of the 320 m pixel of the coarse case.
  for (
    const [t, zone, lon, tol] of [
      [T, 30, 0, 1e-7],
      [[10, 0, 291320, 0, -10, 5720820] as Affine, 31, 0, 1e-7],
      // A 1024-row tile of a coarse overview (327 km) across the equator.
      [[320, 0, 166000, 0, -320, 150000] as Affine, 37, 36, 1e-5],
    ] as [Affine, number, number, number][]
  ) {
    const rect = { r0: 0, r1: 1024, c0: 0, c1: 1024 };
    const cols = meridianColumns(zone, t, rect, lon);
    for (const i of [0, 1, 511, 1023]) {
      const [e, n] = pixelToUtm(t, i + 0.5, cols[i]);
      assertClose(utmToLonLat(zone, e, n)[0], lon, tol, `row ${i}`);
    }
  }
});
