/** The fast inverse (Clenshaw + latitude series) against the exact one, everywhere in the table. */
import { assertClose } from "../assert.ts";
import { utmForward, utmInverse, utmInverseSeries } from "../../lib/grid/utm.ts";
import { parseUtmEpsg } from "../../lib/grid/zone.ts";

const table = JSON.parse(
  await Deno.readTextFile(new URL("../data/proj_tile_grids.json", import.meta.url)),
) as { tiles: { epsg: number; corners: [number, number][] }[] };

Deno.test("utmInverseSeries equals utmInverse within 1e-12° at every PROJ table corner", () => {
  let n = 0;
  for (const r of table.tiles) {
    const { zone, south } = parseUtmEpsg(r.epsg);
    for (const [e, nn] of r.corners) {
      const [a, b] = utmInverse(e, nn, zone, south);
      const [c, d] = utmInverseSeries(e, nn, zone, south);
      assertClose(c, a, 1e-12, `lon at (${e}, ${nn}) zone ${zone}`);
      assertClose(d, b, 1e-12, `lat at (${e}, ${nn}) zone ${zone}`);
      n++;
    }
  }
  if (n < 3000) throw new Error(`only ${n} corners checked`);
});

Deno.test("utmInverseSeries on the central meridian, the equator and far off-centre", () => {
  for (
    const [lon, lat] of [[3, 0], [3, 45], [3, -60], [0.0001, 0.0001], [5.9, 83.9], [0.1, -79.9]]
  ) {
    const [e, n] = utmForward(lon, lat, 31, lat < 0);
    const [x, y] = utmInverseSeries(e, n, 31, lat < 0);
    assertClose(x, lon, 1e-11, "lon");
    assertClose(y, lat, 1e-11, "lat");
  }
});
