/** viewer/src/basemap.ts: the offline basemap's coastlines never wrap around the world. */
import countries from "world-atlas/countries-50m.json" with { type: "json" };
import { feature, mesh } from "topojson-client";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { splitAtAntimeridian, unwrapRing } from "../../viewer/src/basemap.ts";

Deno.test("splitAtAntimeridian breaks lines where they jump across ±180°", () => {
  const lines: [number, number][][] = [[[178, -16], [179.9, -16.5], [-179.9, -16.6], [-178, -17]]];
  assertDeepEquals(splitAtAntimeridian(lines), [
    [[178, -16], [179.9, -16.5]],
    [[-179.9, -16.6], [-178, -17]],
  ]);
});

Deno.test("the Natural Earth coastline (world-atlas 50m) has no segment across the antimeridian", () => {
  // deno-lint-ignore no-explicit-any
  const topo = countries as any;
  const coast = mesh(topo, topo.objects.land).coordinates as [number, number][][];
  const jumps = (ls: [number, number][][]) =>
    ls.flatMap((l) => l.slice(1).filter((p, i) => Math.abs(p[0] - l[i][0]) > 180)).length;
  // The raw mesh has such jumps (Fiji, Chukotka); drawn as is, each is a line around the world.
  assertEquals(jumps(coast) > 0, true);
  assertEquals(jumps(splitAtAntimeridian(coast)), 0);
});

Deno.test("land polygons are unwrapped across the antimeridian, not drawn around the world", () => {
  // deno-lint-ignore no-explicit-any
  const topo = countries as any;
  const land = feature(topo, topo.objects.land) as unknown as {
    features: { geometry: { coordinates: [number, number][][][] } }[];
  };
  const rings = land.features.flatMap((f) => f.geometry.coordinates.flat());
  const jumps = (rs: [number, number][][]) =>
    rs.flatMap((r) => r.slice(1).filter((p, i) => Math.abs(p[0] - r[i][0]) > 180)).length;
  assertEquals(jumps(rings) > 0, true);
  assertEquals(jumps(rings.map(unwrapRing)), 0);
  assertDeepEquals(unwrapRing([[179, 1], [-179, 1], [-179, 2], [179, 2]]), [
    [179, 1],
    [181, 1],
    [181, 2],
    [179, 2],
  ]);
});
