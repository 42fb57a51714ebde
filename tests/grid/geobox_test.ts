import { assertClose, assertEquals } from "../assert.ts";
import {
  geobox,
  geoboxBounds,
  pixelCentre,
  pixelCorner,
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
