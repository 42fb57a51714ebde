/**
 * sliceGeoBox (odc-geo's `gbox[roi]`): the sub-box keeps CRS and pixel size, moves the
 * origin to the window's corner, and is clipped to the box like numpy slicing. Table-driven.
 */
import { assertClose, assertDeepEquals, assertEquals } from "../assert.ts";
import { geobox, pixelCentre, pixelCorner, sliceGeoBox } from "../../lib/grid/geobox.ts";

// The SPEC §3.3 zone grid: origin (301370, 5798370), 1454 × 2278 px.
const zone = geobox(1454, 2278, 301370, 5798370, 32631);

const CASES: {
  what: string;
  rect: { r0: number; r1: number; c0: number; c1: number };
  width: number;
  height: number;
  origin: [number, number];
}[] = [
  {
    what: "whole box",
    rect: { r0: 0, r1: 2278, c0: 0, c1: 1454 },
    width: 1454,
    height: 2278,
    origin: [301370, 5798370],
  },
  {
    what: "first shard",
    rect: { r0: 0, r1: 1024, c0: 0, c1: 1024 },
    width: 1024,
    height: 1024,
    origin: [301370, 5798370],
  },
  {
    what: "edge shard, clipped",
    rect: { r0: 2048, r1: 3072, c0: 1024, c1: 2048 },
    width: 430,
    height: 230,
    origin: [311610, 5777890],
  },
  {
    what: "one pixel",
    rect: { r0: 5, r1: 6, c0: 7, c1: 8 },
    width: 1,
    height: 1,
    origin: [301440, 5798320],
  },
  {
    what: "start below 0",
    rect: { r0: -10, r1: 3, c0: -1, c1: 2 },
    width: 2,
    height: 3,
    origin: [301370, 5798370],
  },
  {
    what: "inverted: empty",
    rect: { r0: 9, r1: 4, c0: 3, c1: 3 },
    width: 0,
    height: 0,
    origin: [301400, 5798280],
  },
  {
    what: "past the edge: empty",
    rect: { r0: 3000, r1: 4000, c0: 0, c1: 10 },
    width: 10,
    height: 0,
    origin: [301370, 5775590],
  },
];

Deno.test("sliceGeoBox: size, origin and CRS of each window", () => {
  for (const c of CASES) {
    const s = sliceGeoBox(zone, c.rect);
    assertEquals([s.width, s.height].join(" × "), `${c.width} × ${c.height}`, c.what);
    assertDeepEquals(pixelCorner(s, 0, 0), c.origin, c.what);
    assertDeepEquals([s.transform[0], s.transform[1], s.transform[3], s.transform[4]], [
      10,
      0,
      0,
      -10,
    ], c.what);
    assertEquals(s.epsg, 32631, c.what);
  }
});

Deno.test("sliceGeoBox: pixel (row, col) of the slice is pixel (r0 + row, c0 + col) of the box", () => {
  // A raw, unsnapped tile origin: equal to well under a micrometre (float rounding only).
  const tile = geobox(726, 1139, 301822.8626, 5798366.7276, 32631);
  const s = sliceGeoBox(tile, { r0: 100, r1: 400, c0: 50, c1: 700 });
  const close = (a: number[], b: number[], what: string) =>
    a.forEach((v, i) => assertClose(v, b[i], 1e-6, what));
  for (const [row, col] of [[0, 0], [1, 2], [299, 649], [150, 300]]) {
    const at = `pixel ${row}, ${col}`;
    close(pixelCentre(s, row, col), pixelCentre(tile, 100 + row, 50 + col), at);
    close(pixelCorner(s, row, col), pixelCorner(tile, 100 + row, 50 + col), at);
  }
  // Slicing a slice is slicing once.
  const twice = sliceGeoBox(s, { r0: 10, r1: 20, c0: 30, c1: 60 });
  const once = sliceGeoBox(tile, { r0: 110, r1: 120, c0: 80, c1: 110 });
  assertEquals(
    [twice.width, twice.height, twice.epsg].join(),
    [once.width, once.height, once.epsg].join(),
  );
  close([...twice.transform], [...once.transform], "transform");
});
