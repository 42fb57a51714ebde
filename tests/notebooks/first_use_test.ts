/**
 * A notebook opened before `deno task demo` ever ran makes what it needs: run against an empty
 * sample location (a small sample, moved into a temp dir with `$TZ_SAMPLE`), the PCA notebook
 * generates the dataset, builds the stores with their previews, and runs to the end.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assertEquals } from "../assert.ts";
import { withTmp } from "../helpers/env.ts";
import { ensureDenoKernel, executeNotebook, requireJupyter } from "./jupyter.ts";

const NOTEBOOK = fileURLToPath(new URL("../../notebooks/pca_colourings.ipynb", import.meta.url));

Deno.test("a notebook on an empty data location makes the sample and its stores", async () => {
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
    for (const store of ["utm30_2024.zarr", "utm31_2024.zarr"]) {
      const attrs = JSON.parse(await Deno.readTextFile(join(sample, "zarr", store, "zarr.json")))
        .attributes;
      assertEquals(attrs.build_complete, true, store);
      assertEquals(attrs.has_rgb_preview && attrs.has_pca_preview, true, store);
    }
  });
});
