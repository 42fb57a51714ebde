/**
 * Inline consolidated metadata on real stores written by the real tasks: after every pass
 * that changes metadata (build, stats, pca, a preview rewritten, repair, build --rgb --pca,
 * a sliced build's finalise) the root's block equals the node documents on disk, found the
 * way zarr-python finds them; zarrita's consolidated extension opens a store served by
 * lib/serve with one request and reads the same arrays as a plain open; and the stores carry
 * the CF grid mapping pyproj understands.
 */
import { join } from "node:path";
import * as zarr from "../../lib/deps/zarrita.ts";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { pythonWith } from "../helpers/env.ts";
import { runCli } from "../helpers/cli.ts";
import { withServer } from "../serve/http.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { compareConsolidated, sortNodePaths } from "../../lib/zarr/consolidated.ts";
import { nodeDocuments } from "../../lib/zarr/fs_store.ts";

const base = await Deno.makeTempDir({ prefix: "tz-consolidated-" });
globalThis.addEventListener("unload", () => Deno.removeSync(base, { recursive: true }));
await fixtureDataset({ out: base, tiles: 1, bands: 4, groups: ["greenwich"] });
const out = join(base, "zarr");
const store = join(out, "utm30_2024.zarr");

/** The root's block against the node documents: no difference, and the paths it lists. */
async function consolidatedPaths(path: string): Promise<string[]> {
  const root = JSON.parse(await Deno.readTextFile(join(path, "zarr.json")));
  assertDeepEquals(Object.keys(root), [
    "attributes",
    "zarr_format",
    "consolidated_metadata",
    "node_type",
  ]);
  const block = root.consolidated_metadata;
  assertEquals(block.kind, "inline");
  assertEquals(block.must_understand, false);
  const docs = await nodeDocuments(path);
  assertDeepEquals(compareConsolidated(block, docs), []);
  // Keys in zarr-python's order: by depth, then by name.
  assertDeepEquals(Object.keys(block.metadata), sortNodePaths(Object.keys(block.metadata)));
  return Object.keys(block.metadata);
}

async function task(name: string, args: string[]): Promise<void> {
  const r = await runCli(name, args);
  assertEquals(r.code, 0, `${name} ${args.join(" ")}:\n${r.stderr}`);
}

const CORE = ["band", "easting", "embeddings", "northing", "scales", "spatial_ref", "stats"];
const STATS = ["stats/sample", "stats/sum", "stats/sum_products"];

Deno.test("after every pass the consolidated block is the node documents", async (t) => {
  await t.step("build", async () => {
    await task("build", [base, "--workers", "1"]);
    assertDeepEquals(await consolidatedPaths(store), [...CORE, ...STATS]);
  });
  await t.step("stats (RGB preview), then pca", async () => {
    await task("stats", [store]);
    const paths = await consolidatedPaths(store);
    assertEquals(paths.includes("rgb") && paths.includes("rgb_overviews"), true, `${paths}`);
    assertEquals(paths.includes("pca_rgb"), false);
    await task("pca", [store]);
    assertEquals((await consolidatedPaths(store)).includes("pca_rgb"), true);
  });
  await t.step("a preview rewritten with other bands", async () => {
    const before = await consolidatedPaths(store);
    await task("stats", [store, "--bands", "3,2,1"]);
    assertDeepEquals(await consolidatedPaths(store), before);
    const root = JSON.parse(await Deno.readTextFile(join(store, "zarr.json")));
    assertDeepEquals(root.attributes.rgb_bands, [3, 2, 1]);
  });
  await t.step("repair of a sound store changes no byte", async () => {
    const before = await Deno.readFile(join(store, "zarr.json"));
    await task("build", [base, "--workers", "1", "--repair"]);
    await consolidatedPaths(store);
    assertDeepEquals(await Deno.readFile(join(store, "zarr.json")), before);
  });
  await t.step("build --rgb --pca into another folder gives the same root", async () => {
    const other = join(base, "other");
    await task("build", [base, "--workers", "1", "--rgb", "--pca", "--output-dir", other]);
    const paths = await consolidatedPaths(join(other, "utm30_2024.zarr"));
    assertEquals(paths.includes("pca_rgb_overviews"), true, `${paths}`);
  });
  await t.step("a sliced build and its finalise", async () => {
    const sliced = join(base, "sliced");
    for (const k of [0, 1]) {
      await task("build", [base, "--workers", "1", "--shard", `${k}/2`, "--output-dir", sliced]);
    }
    await task("build", [base, "--finalize", "--tasks", "2", "--output-dir", sliced]);
    assertDeepEquals(await consolidatedPaths(join(sliced, "utm30_2024.zarr")), [
      ...CORE,
      ...STATS,
    ]);
  });
});

Deno.test("zarrita's consolidated extension opens a served store with one request", async () => {
  await withServer({ root: out }, async (url) => {
    const requested: string[] = [];
    const fetchStore = new zarr.FetchStore(`${url}utm30_2024.zarr`, {
      overrides: {},
    });
    const counting: zarr.AsyncReadable = {
      get: (key, opts) => (requested.push(key), fetchStore.get(key, opts)),
      getRange: (key, range, opts) => (requested.push(key), fetchStore.getRange!(key, range, opts)),
    };
    const consolidated = await zarr.withConsolidatedMetadata(counting, { format: "v3" });
    const root = zarr.root(consolidated);
    const group = await zarr.open.v3(root, { kind: "group" });
    const arrays: Record<string, zarr.Array<zarr.DataType>> = {};
    for (const name of ["scales", "northing", "easting", "band", "spatial_ref", "stats/sum"]) {
      arrays[name] = await zarr.open.v3(root.resolve(name), { kind: "array" });
    }
    assertDeepEquals(requested, ["/zarr.json"]);
    assertEquals(group.attrs.utm_zone, 30);
    assertEquals(arrays.scales.attrs.grid_mapping, "spatial_ref");
    assertEquals(arrays.easting.attrs.standard_name, "projection_x_coordinate");
    // The same data as a plain (per-node) open.
    const plain = zarr.root(new zarr.FetchStore(`${url}utm30_2024.zarr`));
    for (const name of ["scales", "northing", "easting", "band", "stats/sum"]) {
      const a = await zarr.get(arrays[name]);
      const b = await zarr.get(await zarr.open.v3(plain.resolve(name), { kind: "array" }));
      assertDeepEquals(a.shape, b.shape, name);
      assertDeepEquals(
        Array.from(a.data as ArrayLike<number>),
        Array.from(b.data as ArrayLike<number>),
        name,
      );
    }
    // The scalar's chunk is not stored: it reads as its fill value.
    const v: unknown = await zarr.get(arrays.spatial_ref);
    const x = v && typeof v === "object" && "data" in v ? (v.data as ArrayLike<number>)[0] : v;
    assertEquals(Number(x), 0);
  });
});

const PY = await pythonWith("pyproj");
Deno.test({
  name: "pyproj finds EPSG:326zz from the CF grid mapping alone, and from its WKT",
  ignore: !PY,
  async fn() {
    const ref = JSON.parse(await Deno.readTextFile(join(store, "spatial_ref", "zarr.json")));
    const root = JSON.parse(await Deno.readTextFile(join(store, "zarr.json")));
    const script = `
import json, sys
from pyproj import CRS
a = json.load(sys.stdin)
params = {k: v for k, v in a.items() if k not in ("crs_wkt", "spatial_ref", "GeoTransform")}
print(json.dumps([CRS.from_cf(a).to_epsg(), CRS.from_cf(params).to_epsg(min_confidence=70),
                  CRS.from_wkt(a["spatial_ref"]).to_epsg()]))`;
    const child = new Deno.Command(PY!, {
      args: ["-c", script],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(JSON.stringify(ref.attributes)));
    await w.close();
    const r = await child.output();
    assertEquals(r.success, true, new TextDecoder().decode(r.stderr));
    assertDeepEquals(JSON.parse(new TextDecoder().decode(r.stdout)), [32630, 32630, 32630]);
    // GeoTransform is the root transform in GDAL order.
    const [a, b, c, d, e, f] = root.attributes.transform;
    assertEquals(ref.attributes.GeoTransform, [c, a, b, f, d, e].join(" "));
  },
});
