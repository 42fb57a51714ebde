/** The overlap ownership test must make exactly the decision of the exact inverse projection. */
import { assertEquals } from "../assert.ts";
import { fillCellKeys, pixelCellKey, tileCellKey } from "../../lib/builder/cell.ts";
import { geobox } from "../../lib/grid/geobox.ts";
import { utmInverse } from "../../lib/grid/utm.ts";

function exactKey(box: ReturnType<typeof geobox>, zone: number, row: number, col: number) {
  const [, , e0, , , n0] = box.transform;
  const [lon, lat] = utmInverse(e0 + (col + 0.5) * 10, n0 - (row + 0.5) * 10, zone, false);
  return Math.floor(lon * 10) * 4096 + (Math.floor(lat * 10) + 2048);
}

Deno.test("pixelCellKey agrees with the exact inverse on dense grids across cell edges", () => {
  // Zone 31 around 0°E..0.3°E, 52.1..52.3°N (cell edges every 0.1°), zone 37 across the
  // equator and zone 31 on its central meridian (3°E).
  const cases = [
    { zone: 31, box: geobox(2000, 2300, 300000, 5798370, 32631) },
    { zone: 37, box: geobox(2300, 2300, 254000, 11060, 32637) },
    { zone: 31, box: geobox(1200, 1200, 494000, 5780000, 32631) },
  ];
  let checked = 0;
  for (const { zone, box } of cases) {
    for (let r = 0; r < box.height; r += 3) {
      for (let c = 0; c < box.width; c += 3) {
        assertEquals(
          pixelCellKey(box, zone, r, c),
          exactKey(box, zone, r, c),
          `zone ${zone} (${r}, ${c})`,
        );
        checked++;
      }
    }
  }
  if (checked < 1_000_000) throw new Error(`only ${checked} pixels checked`);
});

Deno.test("tileCellKey matches the cell of the tile centre", () => {
  const box = geobox(1454, 2278, 301370, 5798370, 32631); // SPEC §3.3 zone grid
  // Pixel (600, 400) lies well inside cell (0.1..0.2°E, 52.2..52.3°N), the tile grid_0.15_52.25.
  assertEquals(pixelCellKey(box, 31, 600, 400), tileCellKey(15, 5225));
  assertEquals(tileCellKey(-5, -5), -1 * 4096 + (-1 + 2048));
});

Deno.test("fillCellKeys gives pixelCellKey's key for every pixel of row runs across edges", () => {
  // The same grids: cell edges crossed along and across rows, the equator, and a run
  // that straddles the central meridian (where latitude turns along the row).
  const cases = [
    { zone: 31, box: geobox(2000, 2300, 300000, 5798370, 32631) },
    { zone: 37, box: geobox(2300, 2300, 254000, 11060, 32637) },
    { zone: 31, box: geobox(1200, 1200, 494000, 5780000, 32631) },
  ];
  let checked = 0;
  for (const { zone, box } of cases) {
    const keys = new Int32Array(box.width + 2);
    for (let r = 0; r < box.height; r += 7) {
      // Whole rows, and shorter runs starting and ending anywhere (shard pieces do).
      const c0 = (r * 131) % 700, c1 = Math.min(box.width, c0 + 1 + ((r * 977) % 1500));
      for (const [a, b] of [[0, box.width], [c0, c1], [c0, c0 + 1], [c0, c0 + 2]]) {
        keys.fill(-1);
        fillCellKeys(box, zone, r, a, b, keys, 1);
        assertEquals(keys[0], -1, "nothing written before the run");
        assertEquals(keys[b - a + 1], -1, "nothing written after the run");
        for (let c = a; c < b; c++) {
          if (keys[1 + c - a] !== pixelCellKey(box, zone, r, c)) {
            throw new Error(`zone ${zone} row ${r} run ${a}..${b}: column ${c} differs`);
          }
          checked++;
        }
      }
    }
  }
  if (checked < 1_000_000) throw new Error(`only ${checked} pixels checked`);
});
