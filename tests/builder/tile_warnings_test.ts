/**
 * Odd but usable tiles are used and reported: a tile whose scales are all NaN (all its pixels
 * are no data) and a landmask GeoTIFF with more than one band (band 1 is used) each give a
 * warning naming the file, in `build`'s text and --json output, and in `scan`.
 */
import { join } from "node:path";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { tileGrid } from "../../lib/grid/tile_grid.ts";
import { encodeLandmaskTiff } from "../../lib/tiles/geotiff_write.ts";
import { openLandmask } from "../../lib/tiles/landmask.ts";
import { tilePaths } from "../../lib/tiles/layout.ts";
import { writeNpy } from "../../lib/tiles/npy_write.ts";
import { tileRef } from "../../lib/tiles/tile_ref.ts";
import { runCli } from "../helpers/cli.ts";
import { withTmp } from "../helpers/env.ts";

interface Warning {
  tile: string;
  kind: string;
  path: string;
  message: string;
}

const NAN_TILE = tileRef(2024, -5, 5145);
const RGB_TILE = tileRef(2024, -15, 5155);

/** Rewrites NAN_TILE's scales as all NaN and RGB_TILE's landmask as 3 bands (band 1 intact). */
async function plant(base: string): Promise<void> {
  {
    const { width: W, height: H } = tileGrid(NAN_TILE.lon, NAN_TILE.lat).geobox;
    await writeNpy(
      tilePaths(base, NAN_TILE).scales,
      "<f4",
      [H, W],
      new Float32Array(H * W).fill(NaN),
    );
  }
  const path = tilePaths(base, RGB_TILE).landmask;
  const mask = await openLandmask(path);
  const land = await mask.readWindow(0, mask.height, 0, mask.width);
  mask.close();
  const rgb = new Uint8Array(land.length * 3);
  for (let i = 0; i < land.length; i++) rgb.set([land[i], 255 - land[i], 7], 3 * i);
  const { geobox } = tileGrid(RGB_TILE.lon, RGB_TILE.lat);
  await Deno.writeFile(
    path,
    encodeLandmaskTiff({
      width: geobox.width,
      height: geobox.height,
      epsg: geobox.epsg,
      transform: [...geobox.transform],
      data: rgb,
      bands: 3,
    }),
  );
}

Deno.test("all-NaN scales and a 3-band landmask are used, with a warning naming the file", async () => {
  await withTmp("tz-warn-", async (base) => {
    await fixtureDataset({ out: base, tiles: 2, bands: 4, groups: ["greenwich"] });
    await plant(base);
    const args = [base, "--zones", "30", "--workers", "1"];

    const build = await runCli("build", [...args, "--json"]);
    assertEquals(build.code, 0, build.stdout + build.stderr);
    const r = JSON.parse(build.stdout).results[0];
    assertDeepEquals(r.failures, []);
    assertDeepEquals(r.badScales, []);
    const warnings: Warning[] = r.tileWarnings;
    assertDeepEquals(warnings.map((w) => [w.tile, w.kind, w.path]), [
      ["grid_-0.05_51.45", "AllNaNScales", tilePaths(base, NAN_TILE).scales],
      ["grid_-0.15_51.55", "MultiBandLandmask", tilePaths(base, RGB_TILE).landmask],
    ]);
    assertEquals(warnings[1].message.includes("3 bands"), true, warnings[1].message);

    // The store agrees with its tiles (verify uses band 1 of the landmask, as the build does).
    const v = await runCli("verify", [r.path, base, "--workers", "1"]);
    assertEquals(v.code, 0, v.stdout + v.stderr);

    const text = await runCli("build", [...args, "--output-dir", join(base, "zarr-text")]);
    assertEquals(text.code, 0, text.stdout + text.stderr);
    for (const s of ["[AllNaNScales]", "[MultiBandLandmask]", tilePaths(base, RGB_TILE).landmask]) {
      assertEquals(text.stdout.includes(s), true, `build output lacks ${s}:\n${text.stdout}`);
    }

    // scan: the landmask from its header, the NaN scales only when --deep reads the values.
    const scan = await runCli("scan", [base, "--zones", "30", "--json"]);
    assertEquals(scan.code, 1, "a warning is a finding: scan exits 0 only when nothing is odd");
    const shallow = JSON.parse(scan.stdout);
    assertDeepEquals(shallow.warnings.map((w: Warning) => [w.tile, w.kind]), [
      ["grid_-0.15_51.55", "MultiBandLandmask"],
    ]);
    const deep = await runCli("scan", [base, "--zones", "30", "--deep", "--json"]);
    const dr = JSON.parse(deep.stdout);
    assertDeepEquals(dr.warnings.map((w: Warning) => [w.tile, w.kind, w.path]), [
      ["grid_-0.05_51.45", "AllNaNScales", tilePaths(base, NAN_TILE).scales],
      ["grid_-0.15_51.55", "MultiBandLandmask", tilePaths(base, RGB_TILE).landmask],
    ]);
    assertDeepEquals(dr.problems, []);
    const deepText = await runCli("scan", [base, "--zones", "30", "--deep"]);
    assertEquals(deepText.stdout.includes("[AllNaNScales]"), true, deepText.stdout);
  });
});
