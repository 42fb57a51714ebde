import { assertClose, assertEquals } from "../assert.ts";
import { tileGrid } from "../../lib/grid/tile_grid.ts";
import { utmForward, utmInverse } from "../../lib/grid/utm.ts";
import { parseUtmEpsg } from "../../lib/grid/zone.ts";

// SPEC §3.2 test vectors: (lon, lat) → EPSG, origin (0.1 mm printed), W × H.
const SPEC_VECTORS: [number, number, number, number, number, number, number][] = [
  [0.15, 52.25, 32631, 301822.8626, 5798366.7276, 726, 1139],
  [-0.05, 51.45, 32630, 701277.6651, 5709696.9836, 739, 1140],
  [25.05, 70.05, 32635, 423669.3426, 7778271.7618, 416, 1127],
  [-47.95, -15.75, 32723, 178424.4572, 8262118.4361, 1088, 1122],
  [36.85, -1.25, 32737, 255187.8956, 9867274.0356, 1114, 1107],
  [2.95, 0.05, 32631, 488872.4980, 11053.0217, 1113, 1105],
  [-3.05, -0.05, 32730, 488872.4980, 10000000.0, 1113, 1105],
];

Deno.test("tileGrid reproduces every SPEC §3.2 test vector", () => {
  for (const [lon, lat, epsg, e0, n0, w, h] of SPEC_VECTORS) {
    const g = tileGrid(lon, lat);
    const where = `tile (${lon}, ${lat})`;
    assertEquals(g.epsg, epsg, where);
    assertClose(g.geobox.transform[2], e0, 1e-3, `${where} origin_e`);
    assertClose(g.geobox.transform[5], n0, 1e-3, `${where} origin_n`);
    assertEquals(g.geobox.width, w, `${where} width`);
    assertEquals(g.geobox.height, h, `${where} height`);
    assertEquals(g.geobox.transform[0], 10);
    assertEquals(g.geobox.transform[4], -10);
  }
});

Deno.test("canonical northing puts southern tiles below zero and the equator at 0", () => {
  assertEquals(tileGrid(-3.05, -0.05).originNCanonical, 0);
  assertClose(tileGrid(36.85, -1.25).originNCanonical, 9867274.0356 - 10_000_000, 1e-3);
  assertClose(tileGrid(2.95, 0.05).originNCanonical, 11053.0217, 1e-3);
});

interface ProjRow {
  lonI: number;
  latI: number;
  epsg: number;
  originE: number;
  originN: number;
  width: number;
  height: number;
  corners: [number, number][];
}

const table = JSON.parse(
  await Deno.readTextFile(new URL("../data/proj_tile_grids.json", import.meta.url)),
) as { proj: string; tiles: ProjRow[] };

Deno.test(`tileGrid agrees with PROJ ${table.proj} within 1 mm on ${table.tiles.length} tiles`, () => {
  let south = 0, north = 0, maxErr = 0;
  for (const r of table.tiles) {
    const g = tileGrid(r.lonI / 100, r.latI / 100);
    const where = `tile (${r.lonI / 100}, ${r.latI / 100})`;
    assertEquals(g.epsg, r.epsg, where);
    assertEquals(g.geobox.width, r.width, `${where} width`);
    assertEquals(g.geobox.height, r.height, `${where} height`);
    const de = Math.abs(g.geobox.transform[2] - r.originE);
    const dn = Math.abs(g.geobox.transform[5] - r.originN);
    maxErr = Math.max(maxErr, de, dn);
    assertClose(g.geobox.transform[2], r.originE, 1e-3, `${where} origin_e`);
    assertClose(g.geobox.transform[5], r.originN, 1e-3, `${where} origin_n`);
    if (r.latI < 0) south++;
    else north++;
  }
  // The table must really cover both hemispheres and the polar limits.
  assertEquals(south > 100 && north > 100, true, "both hemispheres covered");
  assertEquals(
    table.tiles.some((r) => r.latI >= 8395) && table.tiles.some((r) => r.latI <= -8395),
    true,
  );
  assertEquals(maxErr < 1e-3, true);
});

Deno.test("utmForward matches PROJ at every projected corner (< 1 mm) and inverts exactly", () => {
  for (const r of table.tiles) {
    const { zone, south } = parseUtmEpsg(r.epsg);
    const lon = r.lonI / 100, lat = r.latI / 100;
    const pts: [number, number][] = [
      [lon - 0.05, lat + 0.05],
      [lon + 0.05, lat + 0.05],
      [lon - 0.05, lat - 0.05],
      [lon + 0.05, lat - 0.05],
    ];
    pts.forEach(([x, y], i) => {
      const [e, n] = utmForward(x, y, zone, south);
      assertClose(e, r.corners[i][0], 1e-3, `corner ${i} of (${lon}, ${lat}) easting`);
      assertClose(n, r.corners[i][1], 1e-3, `corner ${i} of (${lon}, ${lat}) northing`);
      const [x2, y2] = utmInverse(e, n, zone, south);
      assertClose(x2, x, 1e-9, "inverse lon");
      assertClose(y2, y, 1e-9, "inverse lat");
    });
  }
});
