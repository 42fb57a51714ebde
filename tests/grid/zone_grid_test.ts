import { assertEquals, assertRejectsKind } from "../assert.ts";
import { tileGrid } from "../../lib/grid/tile_grid.ts";
import { zoneGrid } from "../../lib/grid/zone_grid.ts";
import {
  canonicalNorthing,
  parseUtmEpsg,
  straddlesZoneBoundary,
  touchesZoneEdge,
  utmEpsg,
  utmZone,
  zoneBand,
} from "../../lib/grid/zone.ts";

Deno.test("SPEC §3.3 four-tile zone grid: origin, size and offsets", () => {
  const tiles = [[0.15, 52.25], [0.25, 52.25], [0.15, 52.15], [0.25, 52.15]].map(([lo, la]) =>
    tileGrid(lo, la)
  );
  const zg = zoneGrid(tiles);
  assertEquals(zg.zone, 31);
  assertEquals(zg.epsg, 32631);
  assertEquals(zg.geobox.transform[2], 301370);
  assertEquals(zg.geobox.transform[5], 5798370);
  assertEquals(zg.geobox.width, 1454);
  assertEquals(zg.geobox.height, 2278);
  const offsets = zg.placements.map((p) => [p.rowOffsetPx, p.colOffsetPx]);
  assertEquals(
    JSON.stringify(offsets),
    JSON.stringify([[0, 45], [27, 729], [1112, 1], [1139, 686]]),
  );
});

Deno.test("an equator-straddling zone has one continuous northing axis", () => {
  const zg = zoneGrid([tileGrid(2.95, 0.05), tileGrid(2.95, -0.05)]);
  assertEquals(zg.epsg, 32631);
  // North tile's top at 11053.02 → ceil to 11060; south tile bottom below zero.
  assertEquals(zg.geobox.transform[5], 11060);
  const [north, south] = zg.placements;
  assertEquals(north.rowOffsetPx, 1);
  // The southern tile starts at canonical northing 0: row (11060 - 0) / 10.
  assertEquals(south.rowOffsetPx, 1106);
  assertEquals(zg.geobox.height >= 1106 + south.height, true);
});

Deno.test("zoneGrid rejects mixed zones and empty input", async () => {
  await assertRejectsKind(
    () => zoneGrid([tileGrid(-0.05, 51.45), tileGrid(0.05, 51.45)]),
    "BadGrid",
  );
  await assertRejectsKind(() => zoneGrid([]), "BadGrid");
});

Deno.test("zone and EPSG rules (SPEC §3.1)", async () => {
  assertEquals(utmZone(-0.05), 30);
  assertEquals(utmZone(0.05), 31);
  assertEquals(utmZone(-179.95), 1);
  assertEquals(utmZone(179.95), 60);
  assertEquals(utmZone(180), 60);
  assertEquals(utmEpsg(36.85, -1.25), 32737);
  assertEquals(utmEpsg(2.95, 0.05), 32631);
  assertEquals(canonicalNorthing(10_000_000, 32730), 0);
  assertEquals(canonicalNorthing(5, 32630), 5);
  assertEquals(parseUtmEpsg(32760).south, true);
  await assertRejectsKind(() => parseUtmEpsg(4326), "BadGrid");
});

Deno.test("zone-boundary cells touch an edge but never straddle on the 0.05 grid", () => {
  // (-0.05) spans -0.1..0.0: its east edge is the 30/31 boundary.
  assertEquals(touchesZoneEdge(-5), true);
  assertEquals(touchesZoneEdge(5), true);
  assertEquals(touchesZoneEdge(15), false);
  for (let lonI = -17995; lonI < 18000; lonI += 10) {
    assertEquals(straddlesZoneBoundary(lonI), false, `lonI ${lonI}`);
  }
  // Off-grid names (a corrupt registry) can straddle.
  assertEquals(straddlesZoneBoundary(0), true);
});

Deno.test("zoneBand: 6° bands that utmZone maps back to the zone", () => {
  assertEquals(zoneBand(1).join(), "-180,-174");
  assertEquals(zoneBand(30).join(), "-6,0");
  assertEquals(zoneBand(31).join(), "0,6");
  assertEquals(zoneBand(60).join(), "174,180");
  for (let zone = 1; zone <= 60; zone++) {
    const [west, east] = zoneBand(zone);
    assertEquals(east - west, 6);
    assertEquals(utmZone(west), zone, `west edge of ${zone}`);
    assertEquals(utmZone(east - 1e-9), zone, `east edge of ${zone}`);
  }
});
