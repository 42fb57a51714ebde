/**
 * The public repository's layout (lib/tiles/dataset_name.ts, layout.ts, layout_choice.ts,
 * layout_detect.ts, manifest.ts): dataset names as upstream maps them, tile paths in both
 * layouts (a `~` in a URL segment), detection from the folders that exist with every
 * mismatch named, and manifest / landmasks.parquet reading — upstream's columns, the
 * dataset's own rows, missing columns and missing datasets named. Real files in temp dirs.
 */
import { join } from "node:path";
import { ok as assert } from "node:assert";
import { parquetWriteFile } from "hyparquet-writer";
import { assertDeepEquals, assertEquals, assertRejectsKind } from "../assert.ts";
import { withTmp } from "../helpers/env.ts";
import { datasetId, defaultLandmaskVersion, isDatasetName } from "../../lib/tiles/dataset_name.ts";
import { publicLayout, SEED_LAYOUT, tilePaths } from "../../lib/tiles/layout.ts";
import { chooseLayout, chosenLayout, LAYOUTS_ENV } from "../../lib/tiles/layout_choice.ts";
import { detectLayout } from "../../lib/tiles/layout_detect.ts";
import { checkLandmaskIndex, readManifest } from "../../lib/tiles/manifest.ts";
import { writeLandmaskIndex, writeManifest } from "../../lib/tiles/manifest_write.ts";
import { registryTiles } from "../../lib/tiles/registry.ts";
import { listTiles } from "../../lib/tiles/tile_list.ts";
import { tileRef } from "../../lib/tiles/tile_ref.ts";

// [folder, version, variant, landmask version]: upstream's KNOWN_DATASETS and its fallbacks.
const DATASETS: [string, string, string, string][] = [
  ["v1", "1.0", "vultr", "v1"],
  ["v1.1-cam", "1.1", "cambridge", "v1.1"],
  ["v2-2B-L~beta1", "2.0", "2B-L~beta1", "v2"],
  ["v2-2B-L~beta2", "2.0", "2B-L~beta2", "v2"],
  ["v2", "2.0", "2B-L~beta1", "v2"], // bare version: its default variant
  ["v3.2-foo", "3.2", "foo", "v3.2"], // unknown: v{version}-{variant} taken verbatim
  ["v3", "3.0", "vultr", "v3"], // unknown version: upstream's DEFAULT_VARIANT
];

Deno.test("dataset names map to (version, variant) and landmask version as upstream", () => {
  for (const [name, version, variant, lm] of DATASETS) {
    assertDeepEquals(datasetId(name), { name, version, variant, versionPath: lm });
    assertEquals(defaultLandmaskVersion(name), lm);
  }
  for (const bad of ["1", "vx", "v1/../x", "", "global_0.1_degree_representation"]) {
    assertEquals(isDatasetName(bad), false, bad);
  }
});

Deno.test("tilePaths in the public layout, on disk and over HTTP (a ~ stays a ~)", () => {
  const tile = tileRef(2024, -5, 5145);
  const layout = publicLayout("v2-2B-L~beta1", "v2");
  const local = tilePaths("/data", tile, layout);
  assertEquals(
    local.embeddings,
    "/data/npy/v2-2B-L~beta1/2024/grid_-0.05_51.45/grid_-0.05_51.45.npy",
  );
  assertEquals(local.scales, local.embeddings.replace(".npy", "_scales.npy"));
  assertEquals(local.landmask, "/data/landmasks/v2/grid_-0.05_51.45.tiff");
  const url = tilePaths("https://data.source.coop/tessera/tessera", tile, layout);
  assertEquals(
    url.embeddings,
    "https://data.source.coop/tessera/tessera/npy/v2-2B-L~beta1/2024/grid_-0.05_51.45/" +
      "grid_-0.05_51.45.npy",
  );
  assertEquals(
    url.landmask,
    "https://data.source.coop/tessera/tessera/landmasks/v2/grid_-0.05_51.45.tiff",
  );
  // The seed's paths are unchanged.
  assertEquals(
    tilePaths("/data", tile, SEED_LAYOUT).landmask,
    "/data/global_0.1_degree_tiff_all/grid_-0.05_51.45.tiff",
  );
});

Deno.test("a chosen layout is kept per BASE (however spelled) and reaches workers via the env", () => {
  {
    const dir = "/nonexistent/tz-layout-choice"; // only a key: nothing is read or written
    const layout = publicLayout("v1", "v1");
    chooseLayout(dir, layout);
    assertDeepEquals(chosenLayout(`${dir}/./`), layout);
    assertEquals(
      tilePaths(dir, tileRef(2024, 15, 5225)).landmask,
      join(dir, "landmasks/v1/grid_0.15_52.25.tiff"),
    );
    assertDeepEquals(JSON.parse(Deno.env.get(LAYOUTS_ENV)!)[dir], layout);
    chooseLayout("http://127.0.0.1:9/x", layout);
    assertDeepEquals(chosenLayout("http://127.0.0.1:9/x/"), layout);
    assertEquals(chosenLayout(join(dir, "other")), undefined);
  }
});

async function mkdirs(base: string, ...dirs: string[]): Promise<void> {
  for (const d of dirs) await Deno.mkdir(join(base, d), { recursive: true });
}

Deno.test("detection on disk: from the folders there; every mismatch names the fix", async () => {
  await withTmp("tz-layout-", async (dir) => {
    const seed = join(dir, "seed"), pub = join(dir, "pub"), both = join(dir, "both");
    await mkdirs(seed, "global_0.1_degree_representation/2024");
    await mkdirs(pub, "npy/v1.1-cam/2024", "landmasks/v1.1");
    await mkdirs(both, "global_0.1_degree_representation", "npy/v1", "landmasks/v1");
    assertDeepEquals(await detectLayout(seed), SEED_LAYOUT);
    assertDeepEquals(await detectLayout(pub), publicLayout("v1.1-cam", "v1.1"));
    assertDeepEquals(await detectLayout(both, { layout: "seed" }), SEED_LAYOUT);
    assertDeepEquals(await detectLayout(both, { layout: "public" }), publicLayout("v1", "v1"));
    // A folder with neither is the seed's: its own checks then speak.
    assertDeepEquals(await detectLayout(join(dir, "nothing")), SEED_LAYOUT);

    const refused: [string, Parameters<typeof detectLayout>[1], RegExp][] = [
      [both, {}, /both layouts.*--layout seed or --layout public/],
      [pub, { layout: "seed" }, /--layout seed.*holds npy\/.*--layout public/],
      [seed, { layout: "public" }, /no npy\/ folder.*--layout seed/],
      [seed, { dataset: "v1" }, /no npy\/ folder/],
      [pub, { dataset: "v1" }, /no dataset v1 .*present: v1\.1-cam.*--dataset/],
      [
        pub,
        { landmaskVersion: "v2" },
        /no landmask folder .*landmasks\/v2.*present: v1\.1.*--landmask-version/,
      ],
      [pub, { layout: "seed", dataset: "v1" }, /--dataset applies to the public layout/],
      [pub, { dataset: "1.1" }, /not a dataset name/],
      [pub, { landmaskVersion: "latest" }, /not a landmask version/],
    ];
    for (const [base, req, message] of refused) {
      const e = await assertRejectsKind(() => detectLayout(base, req), "BadArgument");
      assert(message.test(e.message), `${JSON.stringify(req)}: ${e.message}`);
    }
    await mkdirs(pub, "npy/v2-2B-L~beta1", "landmasks/v2");
    const e = await assertRejectsKind(() => detectLayout(pub), "BadArgument");
    assert(
      /several datasets .*v1\.1-cam, v2-2B-L~beta1.*--dataset NAME/.test(e.message),
      e.message,
    );
    assertDeepEquals(
      await detectLayout(pub, { dataset: "v2-2B-L~beta1" }),
      publicLayout("v2-2B-L~beta1", "v2"),
    );
  });
});

const row = (year: number, lonI: number, latI: number) => ({
  year,
  lonI,
  latI,
  gridSize: 1000,
  scalesSize: 100,
});

Deno.test("manifest: upstream columns, read back in compositing order, years filtered", async () => {
  await withTmp("tz-layout-", async (dir) => {
    const path = join(dir, "manifest.parquet");
    // Written sorted (lon, lat) as upstream's scanner does; listed (lat, lon).
    await writeManifest(path, "v1.1-cam", [
      row(2024, 15, 5225),
      row(2024, -5, 5235),
      row(2024, 25, 5215),
      row(2023, 15, 5225),
    ]);
    const reg = await readManifest(path, "v1.1-cam", { years: [2024] });
    assertEquals(reg.n, 3);
    assertDeepEquals([...reg.fileSize], [1000, 1000, 1000]);
    const base = join(dir, "base");
    await mkdirs(base, "npy/v1.1-cam", "landmasks/v1.1");
    await Deno.rename(path, join(base, "npy/v1.1-cam/manifest.parquet"));
    const list = await listTiles(base, { year: 2024 });
    assertEquals(list.source, "manifest");
    assertEquals(list.manifestPath, join(base, "npy/v1.1-cam/manifest.parquet"));
    assertDeepEquals(
      list.tiles.map((t) => [t.lonI, t.latI]),
      [[25, 5215], [15, 5225], [-5, 5235]],
    );
    assertDeepEquals(list.years, [2024]);
  });
});

Deno.test("manifest: only the dataset's own rows; duplicates keep the first; other datasets named", async () => {
  await withTmp("tz-layout-", async (dir) => {
    const path = join(dir, "manifest.parquet");
    parquetWriteFile({
      filename: path,
      columnData: [
        { name: "version", data: ["1.0", "1.0", "1.1", "1.0"], type: "STRING" },
        { name: "variant", data: ["vultr", "vultr", "cambridge", "other"], type: "STRING" },
        { name: "year", data: [2024n, 2024n, 2024n, 2024n], type: "INT64" },
        { name: "lon", data: [0.15, 0.15, 0.25, 0.35], type: "DOUBLE" },
        { name: "lat", data: [52.25, 52.25, 52.25, 52.25], type: "DOUBLE" },
        { name: "grid_size", data: [10n, 20n, 30n, 40n], type: "INT64" },
      ],
    });
    const reg = await readManifest(path, "v1");
    assertEquals(reg.n, 2);
    assertDeepEquals([...reg.fileSize], [10, 20]);
    assertDeepEquals(registryTiles(reg, 2024, { publishedOnly: false }).map((t) => t.lonI), [15]);
    const e = await assertRejectsKind(() => readManifest(path, "v2-2B-L~beta1"), "BadRegistry");
    assert(
      /no rows of dataset v2-2B-L~beta1 \(version 2\.0, variant 2B-L~beta1\)/.test(e.message) &&
        /version 1\.0, variant vultr \(2 rows\)/.test(e.message) && e.message.includes(path),
      e.message,
    );
  });
});

Deno.test("manifest and landmasks.parquet without upstream's required columns: named", async () => {
  await withTmp("tz-layout-", async (dir) => {
    const manifest = join(dir, "manifest.parquet");
    parquetWriteFile({
      filename: manifest,
      columnData: [
        { name: "year", data: [2024n], type: "INT64" },
        { name: "lon", data: [0.15], type: "DOUBLE" },
        { name: "lat", data: [52.25], type: "DOUBLE" },
        { name: "file_size", data: [10n], type: "INT64" }, // the registry's name, not grid_size
      ],
    });
    const e = await assertRejectsKind(() => readManifest(manifest, "v1"), "BadRegistry");
    assert(
      /missing required column\(s\) grid_size \(has: year, lon, lat, file_size\)/.test(e.message),
      e.message,
    );
    assert(e.message.startsWith(manifest), e.message);

    const good = join(dir, "landmasks.parquet");
    await writeLandmaskIndex(good, "v1", [{ lonI: 15, latI: 5225, fileSize: 99 }]);
    assertEquals(await checkLandmaskIndex(good), 1);
    const bad = join(dir, "bad_landmasks.parquet");
    parquetWriteFile({
      filename: bad,
      columnData: [{ name: "lon", data: [0.15], type: "DOUBLE" }],
    });
    const e2 = await assertRejectsKind(() => checkLandmaskIndex(bad), "BadRegistry");
    assert(/missing required column\(s\) lat, file_size/.test(e2.message), e2.message);
    // Detection reads the landmask list of a public BASE and refuses a broken one.
    const base = join(dir, "base");
    await mkdirs(base, "npy/v1/2024", "landmasks/v1");
    await Deno.copyFile(bad, join(base, "landmasks/v1/landmasks.parquet"));
    await assertRejectsKind(() => detectLayout(base), "BadRegistry");
  });
});
