/**
 * The STAC checks can fail: a valid Item and Collection of the sample's catalog pass, and each
 * spec violation made from them (one field at a time) is reported.
 */
import { assertEquals } from "../assert.ts";
import { sampleStores } from "../helpers/sample.ts";
import { checkCollection, checkItem } from "./stac_checks.ts";
import { stacCatalog } from "../../lib/stac/catalog.ts";

const cat = await stacCatalog(await sampleStores(), { hrefBase: "https://h.example/zarr/" });
const item = cat.items[0];
// deno-lint-ignore no-explicit-any
type J = Record<string, any>;

const ITEM_BREAKS: [string, (d: J) => void][] = [
  ["type", (d) => d.type = "FeatureCollection"],
  ["stac_version", (d) => d.stac_version = "1.0.0"],
  ["id", (d) => delete d.id],
  ["bbox", (d) => delete d.bbox],
  ["bbox size", (d) => d.bbox = d.bbox.slice(0, 3)],
  ["bbox holds geometry", (d) => d.bbox = [0, 0, 0.001, 0.001]],
  ["geometry", (d) => delete d.geometry],
  ["open ring", (d) => d.geometry.coordinates[0].pop()],
  ["clockwise ring", (d) => d.geometry.coordinates[0].reverse()],
  ["datetime", (d) => delete d.properties.datetime],
  ["end_datetime", (d) => delete d.properties.end_datetime],
  ["datetime format", (d) => d.properties.start_datetime = "2024-01-01"],
  ["start after end", (d) => d.properties.start_datetime = "2025-01-01T00:00:00Z"],
  ["links", (d) => delete d.links],
  ["link rel", (d) => delete d.links[1].rel],
  ["relative self", (d) => d.links[0].href = "utm30_2024.json"],
  ["collection field", (d) => delete d.collection],
  ["assets", (d) => delete d.assets],
  ["asset href", (d) => delete d.assets.data.href],
  ["roles", (d) => d.assets.data.roles = "data"],
  ["proj:epsg", (d) => d.properties["proj:epsg"] = 32630],
  ["proj:code", (d) => d.properties["proj:code"] = 32630],
  ["proj:shape", (d) => d.properties["proj:shape"] = [2280.5, 1476]],
  ["proj:transform", (d) => d.properties["proj:transform"] = [10, 0, 1]],
  ["proj:bbox", (d) => d.properties["proj:bbox"] = [1, 2, 0, 3]],
  ["proj:centroid", (d) => d.properties["proj:centroid"] = { lat: 95, lon: 0 }],
  ["extension declared", (d) => d.stac_extensions = []],
];

const COLLECTION_BREAKS: [string, (d: J) => void][] = [
  ["type", (d) => d.type = "Catalog"],
  ["description", (d) => delete d.description],
  ["license", (d) => delete d.license],
  ["extent", (d) => delete d.extent],
  ["spatial bbox", (d) => d.extent.spatial.bbox = []],
  ["first bbox holds the rest", (d) => d.extent.spatial.bbox[0] = [0, 0, 0.1, 0.1]],
  ["interval", (d) => d.extent.temporal.interval = [[null, null]]],
  ["item asset href", (d) => d.item_assets.data.href = "x"],
  ["item asset fields", (d) => d.item_assets.data = { type: "x" }],
  ["proj summaries without the extension", (d) => d.stac_extensions = []],
];

Deno.test("stac checks: the sample's documents pass", () => {
  assertEquals(checkItem(item).join("; "), "");
  assertEquals(checkCollection(cat.collection).join("; "), "");
});

Deno.test("stac checks: each Item violation is reported", () => {
  for (const [what, breakIt] of ITEM_BREAKS) {
    const d = structuredClone(item) as J;
    breakIt(d);
    if (checkItem(d).length === 0) throw new Error(`Item check missed: ${what}`);
  }
});

Deno.test("stac checks: each Collection violation is reported", () => {
  for (const [what, breakIt] of COLLECTION_BREAKS) {
    const d = structuredClone(cat.collection) as J;
    breakIt(d);
    if (checkCollection(d).length === 0) throw new Error(`Collection check missed: ${what}`);
  }
});
