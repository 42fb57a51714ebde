/**
 * `build --rgb --pca` runs both preview passes after each zone (one read of the embeddings for
 * both) and must give exactly the store that `build`, then `stats`, then `pca` give.
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { runCli } from "../helpers/cli.ts";
import { diffTrees } from "../helpers/store_files.ts";
import { builtDataset, rootAttrs } from "./helpers.ts";

const ds = await builtDataset("tz-build-previews-", {
  tiles: 1,
  bands: 8,
  groups: ["arctic", "equator"],
}, [
  "--rgb",
  "--pca",
  "--json",
]);

Deno.test("build --rgb --pca writes both previews, done flags set", async () => {
  assertEquals(ds.build.code, 0, ds.build.stderr);
  const out = JSON.parse(ds.build.stdout);
  assertEquals(
    out.previews.map((p: { store: string }) => p.store).join(","),
    "utm35_2024.zarr,utm37_2024.zarr",
  );
  for (const z of ["utm35_2024.zarr", "utm37_2024.zarr"]) {
    const a = await rootAttrs(join(ds.zarr, z));
    assertEquals(a.has_rgb_preview, true);
    assertEquals(a.has_pca_preview, true);
  }
});

Deno.test("build --rgb --pca equals build, then stats, then pca, byte for byte", async () => {
  const out2 = join(ds.base, "zarr-separate");
  const b = await runCli("build", [ds.base, "--workers", "1", "--output-dir", out2]);
  assertEquals(b.code, 0, b.stderr);
  assertEquals((await rootAttrs(join(out2, "utm35_2024.zarr"))).has_rgb_preview, undefined);
  for (const task of ["pca", "stats"]) { // the other order on purpose: attributes are canonical
    const r = await runCli(task, [out2, "--workers", "1"]);
    assertEquals(r.code, 0, r.stderr);
  }
  for (const z of ["utm35_2024.zarr", "utm37_2024.zarr"]) {
    assertEquals((await diffTrees(join(ds.zarr, z), join(out2, z))).join("\n"), "");
  }
});
