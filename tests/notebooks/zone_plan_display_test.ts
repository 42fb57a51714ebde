/** Rich display of zone plans (lib/plan/display.ts), checked outside a kernel. */
import { displayZonePlan, displayZonePlans } from "../../lib/plan/display.ts";
import { planZones } from "../../lib/plan/zone_plan.ts";
import { tileRef } from "../../lib/tiles/tile_ref.ts";
import { assertEquals } from "../assert.ts";

const DISPLAY = Symbol.for("Jupyter.display");

type Displayable = { [DISPLAY](): Record<string, string> };

/** The four tiles of SPEC §3.3 plus the zone-30 cells across the meridian and the equator. */
const tiles = [
  tileRef(2024, 15, 5215),
  tileRef(2024, 25, 5215),
  tileRef(2024, 15, 5225),
  tileRef(2024, 25, 5225),
  tileRef(2024, -5, 5145),
  tileRef(2024, 3685, -5),
  tileRef(2024, 3685, 5),
];

Deno.test("a zone plan displays as HTML and text, and stays a plain plan", () => {
  const plans = planZones(tiles);
  const zone31 = plans.find((p) => p.zone === 31)!;
  const before = JSON.stringify(zone31);
  const view = displayZonePlan(zone31);
  const bundle = (view as unknown as Displayable)[DISPLAY]();
  assertEquals(Object.keys(bundle).sort().join(","), "text/html,text/plain");
  assertEquals(
    bundle["text/plain"],
    "utm31_2024.zarr: zone 31, 2024, EPSG:32631, 1454 × 2278 px, 4 tiles, 6 shards",
  );
  assertEquals(String(view), bundle["text/plain"]);
  const html = bundle["text/html"];
  for (const s of ["utm31_2024.zarr", "1454 × 2278 px", "301370, 5798370", "grid_0.15_52.25"]) {
    assertEquals(html.includes(s), true, `HTML should mention ${s}`);
  }
  // SPEC §3.3 offsets appear in the tile table.
  assertEquals(html.includes("<td>0, 45</td>"), true);
  assertEquals(html.includes("<td>1139, 686</td>"), true);
  assertEquals(count(html, "<rect") - 1, 4, "one rectangle per tile plus the frame");
  assertEquals(JSON.stringify(zone31), before, "display must not change the plan");
  assertEquals(JSON.stringify(structuredClone(view.plan)), before);
});

Deno.test("southern tiles are drawn apart and text is escaped", () => {
  const zone37 = planZones(tiles).find((p) => p.zone === 37)!;
  const html = displayZonePlan(zone37).html();
  assertEquals(html.includes("EPSG:32637 × 1, EPSG:32737 × 1"), true);
  assertEquals(html.includes("grid_36.85_-0.05 (EPSG:32737)"), true);
  assertEquals(count(html, "<div") === count(html, "</div>"), true, "balanced divs");
  assertEquals(count(html, "<table") === count(html, "</table>"), true, "balanced tables");
});

Deno.test("a list of plans displays one row per store", () => {
  const plans = planZones(tiles);
  const bundle = (displayZonePlans(plans) as unknown as Displayable)[DISPLAY]();
  assertEquals(bundle["text/plain"].split("\n").length, plans.length);
  for (const name of ["utm30_2024.zarr", "utm31_2024.zarr", "utm37_2024.zarr"]) {
    assertEquals(bundle["text/html"].includes(`<td>${name}</td>`), true);
  }
});

Deno.test("a huge plan draws shards, not tiles, and lists only the first tiles", () => {
  // 60 × 42 cells of zone 30 (2520 tiles): too many to draw one by one.
  const many = [];
  for (let lat = 5005; lat < 5005 + 42 * 10; lat += 10) {
    for (let lon = -595; lon < 5; lon += 10) many.push(tileRef(2024, lon, lat));
  }
  const [plan] = planZones(many);
  assertEquals(plan.tiles.length, 2520);
  const html = displayZonePlan(plan).html();
  assertEquals(html.includes("… and 2470 more tiles"), true);
  assertEquals(html.includes("<title>shard "), true);
  assertEquals(html.includes("<title>0: grid_"), false);
});

function count(s: string, sub: string): number {
  return s.split(sub).length - 1;
}
