import { assertEquals } from "../assert.ts";
import { landmaskMismatches } from "../../lib/tiles/open_tile.ts";
import { geobox } from "../../lib/grid/geobox.ts";

Deno.test("landmaskMismatches names each way a landmask grid differs", () => {
  const grid = geobox(726, 1139, 301822.8626, 5798366.7276, 32631);
  assertEquals(landmaskMismatches(grid, grid).length, 0);
  assertEquals(
    landmaskMismatches(geobox(726, 1139, 301822.8626 + 0.49, 5798366.7276 - 0.49, 32631), grid)
      .length,
    0,
  );
  const all = landmaskMismatches(geobox(725, 1139, 301823.5, 5798366.7276, 32630), grid);
  assertEquals(all.map((m) => m.what).join(","), "epsg,size,origin");
  assertEquals(all[1].landmask, "725x1139");
});
