/**
 * A notebook opened before `deno task demo` ever ran makes what it needs: run against an empty
 * sample location (a small sample, moved into a temp dir with `$TZ_SAMPLE`), the PCA notebook
 * generates the dataset and runs to the end from the input tiles alone — it builds no store
 * (the colourings are compared before committing a build; issue 12).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assertEquals } from "../assert.ts";
import { withTmp } from "../helpers/env.ts";
import { ensureDenoKernel, executeNotebook, requireJupyter } from "./jupyter.ts";

const NOTEBOOK = fileURLToPath(new URL("../../notebooks/pca_colourings.ipynb", import.meta.url));

Deno.test("a notebook on an empty data location makes the sample and needs no store", async () => {
  await requireJupyter();
  await ensureDenoKernel();
  await withTmp("tz-notebook-first-", async (dir) => {
    const sample = join(dir, "sample");
    const r = await executeNotebook(NOTEBOOK, join(dir, "out"), {
      TESSERA_DATA: "",
      TZ_SAMPLE: JSON.stringify({ dir: sample, tiles: 1, bands: 8, groups: ["greenwich"] }),
    });
    if (!r.ok) {
      throw new Error(
        `pca_colourings failed on an empty data location after ${r.seconds.toFixed(1)} s:\n` +
          `${r.errors.join("\n")}\n${r.log.split("\n").slice(-40).join("\n")}`,
      );
    }
    const fixture = JSON.parse(await Deno.readTextFile(join(sample, "FIXTURE.json")));
    assertEquals(fixture.tiles.length > 0, true, "the sample dataset was generated");
    const zarr = await Deno.stat(join(sample, "zarr")).then(() => true, () => false);
    assertEquals(zarr, false, "the notebook built stores it does not need");
  });
});
