import { assertClose, assertEquals, assertRejectsKind } from "../assert.ts";
import {
  geobox,
  geoboxBounds,
  geoboxFromTransform,
  pixelCentre,
  pixelCentres,
  pixelContaining,
  pixelCorner,
  pixelSizeM,
  worldToPixel,
} from "../../lib/grid/geobox.ts";
import { utmWkt } from "../../lib/grid/crs.ts";

Deno.test("GeoBox pixel centre vs pixel edge", () => {
  const gb = geobox(1454, 2278, 301370, 5798370, 32631);
  assertEquals(JSON.stringify(pixelCorner(gb, 0, 0)), JSON.stringify([301370, 5798370]));
  assertEquals(JSON.stringify(pixelCentre(gb, 0, 0)), JSON.stringify([301375, 5798365]));
  assertEquals(
    JSON.stringify(pixelCentre(gb, 2277, 1453)),
    JSON.stringify([301370 + 14535, 5798370 - 22775]),
  );
  const [c, r] = worldToPixel(gb, 301375, 5798365);
  assertClose(c, 0.5, 1e-12);
  assertClose(r, 0.5, 1e-12);
  assertEquals(
    JSON.stringify(geoboxBounds(gb)),
    JSON.stringify([301370, 5798370 - 22780, 301370 + 14540, 5798370]),
  );
});

Deno.test("a raw, unsnapped tile origin survives the round trip", () => {
  const gb = geobox(726, 1139, 301822.86261, 5798366.72759, 32631);
  const [x, y] = pixelCorner(gb, 10, 20);
  const [c, r] = worldToPixel(gb, x, y);
  assertClose(c, 20, 1e-9);
  assertClose(r, 10, 1e-9);
});

Deno.test("utmWkt names the zone, its central meridian and EPSG code", () => {
  const w = utmWkt(37);
  assertEquals(w.startsWith('PROJCRS["WGS 84 / UTM zone 37N"'), true);
  assertEquals(w.includes('PARAMETER["Longitude of natural origin",39,'), true);
  assertEquals(w.endsWith('ID["EPSG",32637]]'), true);
});

// Zone-like boxes: a snapped zone origin, a raw (unsnapped) tile origin, a southern zone at
// canonical negative northings, a coarse overview level.
const BOXES = [
  geobox(1454, 2278, 301370, 5798370, 32631),
  geobox(726, 1139, 301822.86261, 5798366.72759, 32631),
  geobox(1476, 4560, 166000, 150000 - 2 * 22800, 32637),
  geobox(369, 570, 693910, 5720820, 32630, 40),
];

Deno.test("pixelCentres equals upstream's origin + (i + 0.5) * step bit for bit", () => {
  for (const gb of BOXES) {
    const [px, , e0, , , n0] = gb.transform;
    const xs = pixelCentres(gb, "x"), ys = pixelCentres(gb, "y");
    assertEquals(xs.length, gb.width);
    assertEquals(ys.length, gb.height);
    for (let i = 0; i < gb.width; i++) {
      if (!Object.is(xs[i], e0 + (i + 0.5) * px)) throw new Error(`x[${i}] = ${xs[i]}`);
      if (!Object.is(xs[i], pixelCentre(gb, 7, i)[0])) throw new Error(`x[${i}] vs pixelCentre`);
    }
    for (let j = 0; j < gb.height; j++) {
      if (!Object.is(ys[j], n0 + (j + 0.5) * -px)) throw new Error(`y[${j}] = ${ys[j]}`);
      if (!Object.is(ys[j], n0 - (j + 0.5) * px)) throw new Error(`y[${j}] (minus form)`);
    }
  }
});

Deno.test("pixelCentres refuses a rotated box", async () => {
  const rotated = geoboxFromTransform(4, 4, [10, 1, 0, 0, -10, 0], 32631);
  await assertRejectsKind(() => pixelCentres(rotated, "x"), "BadGrid");
});

Deno.test("pixelContaining: edges go east and south, off-grid stays out of range", () => {
  const gb = BOXES[0];
  const cases: [x: number, y: number, row: number, col: number][] = [
    [301375, 5798365, 0, 0],
    [301370, 5798370, 0, 0], // the grid's outer corner
    [301379.999, 5798360.001, 0, 0],
    [301380, 5798360, 1, 1], // a pixel corner belongs to the pixel below-right
    [301370 + 14535, 5798370 - 22775, 2277, 1453], // the last pixel's centre
    [301370 + 14540, 5798370 - 22780, 2278, 1454], // the grid's lower-right corner: outside
    [301369.9, 5798370.1, -1, -1],
    [NaN, 5798365, 0, NaN],
  ];
  for (const [x, y, row, col] of cases) {
    const got = pixelContaining(gb, x, y);
    assertEquals(`${got.row},${got.col}`, `${row},${col}`, `(${x}, ${y})`);
  }
  // A point on the top edge is row 0, not -0 (which (y - f) / e would give).
  assertEquals(Object.is(pixelContaining(gb, 301375, 5798370).row, 0), true);
  // The same pixel as the hand-written north-up formula, for any point.
  for (const gb of BOXES) {
    const [px, , e0, , , n0] = gb.transform;
    for (let k = 0; k < 2000; k++) {
      const x = e0 + (k * 7.3 - 300) * px / 3, y = n0 - (k * 5.9 - 300) * px / 3;
      const { row, col } = pixelContaining(gb, x, y);
      if (row !== Math.floor((n0 - y) / px) || col !== Math.floor((x - e0) / px)) {
        throw new Error(`(${x}, ${y}): ${row}, ${col}`);
      }
    }
  }
});

Deno.test("geoboxFromTransform copies the transform and wants six numbers", async () => {
  const t = [10, 0, 693910, 0, -10, 5720820];
  const gb = geoboxFromTransform(1476, 2280, t, 32630);
  t[2] = 0;
  assertEquals(JSON.stringify(gb.transform), "[10,0,693910,0,-10,5720820]");
  assertEquals(JSON.stringify(gb), JSON.stringify(geobox(1476, 2280, 693910, 5720820, 32630)));
  assertEquals(pixelSizeM(gb), 10);
  await assertRejectsKind(() => geoboxFromTransform(1, 1, [10, 0, 0, 0, -10], 32630), "BadGrid");
});
