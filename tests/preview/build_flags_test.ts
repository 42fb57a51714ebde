/**
 * `build --rgb --pca` draws both previews in the build's single pass (stretch and basis from a
 * pre-pass over the input tiles) and must give exactly the store that `build`, then `stats` and
 * `pca` re-colouring with the same parameters (`--rgb-stretch`, `--pca-basis` files) give —
 * through the real CLIs. Parameter files: saved by `--dry-run --save`, used as they are, and a
 * bad one refused naming the file.
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { runCli } from "../helpers/cli.ts";
import { diffTrees } from "../helpers/store_files.ts";
import { builtDataset, rootAttrs } from "./helpers.ts";
import { pcaBasisJson, rgbStretchJson } from "../../lib/preview/parameter_files.ts";
import type { ZoneBuildResult } from "../../lib/builder/build_zone.ts";

const ds = await builtDataset("tz-build-previews-", {
  tiles: 1,
  bands: 8,
  groups: ["arctic", "equator"],
}, [
  "--rgb",
  "--pca",
  "--json",
]);

Deno.test("build --rgb --pca draws both previews in its pass, done flags set", async () => {
  assertEquals(ds.build.code, 0, ds.build.stderr);
  const out = JSON.parse(ds.build.stdout);
  assertEquals(out.previews.length, 0, "no preview pass after the build: nothing read back");
  for (const r of out.results as ZoneBuildResult[]) {
    assertEquals(r.previews?.source, "pre-pass");
    const a = await rootAttrs(r.path);
    assertEquals(a.has_rgb_preview, true);
    assertEquals(a.has_pca_preview, true);
  }
});

Deno.test("build --rgb --pca equals build, then stats and pca given its parameters, byte for byte", async () => {
  const out = JSON.parse(ds.build.stdout);
  const out2 = join(ds.base, "zarr-separate");
  const b = await runCli("build", [ds.base, "--workers", "1", "--output-dir", out2]);
  assertEquals(b.code, 0, b.stderr);
  for (const r of out.results as ZoneBuildResult[]) {
    const store = join(out2, r.store);
    assertEquals((await rootAttrs(store)).has_rgb_preview, undefined);
    const stretch = join(ds.base, `${r.store}.stretch.json`);
    const basis = join(ds.base, `${r.store}.basis.json`);
    await Deno.writeTextFile(stretch, rgbStretchJson(r.previews!.params.rgb!));
    await Deno.writeTextFile(basis, pcaBasisJson(r.previews!.params.pca!, r.bands));
    // The other order on purpose: attributes are canonical.
    const p = await runCli("pca", [store, "--workers", "1", "--pca-basis", basis]);
    assertEquals(p.code, 0, p.stderr);
    const s = await runCli("stats", [store, "--workers", "2", "--rgb-stretch", stretch]);
    assertEquals(s.code, 0, s.stderr);
    // Identical but for where the parameters came from: the pre-pass, and the files.
    assertEquals((await diffTrees(r.path, store)).join("\n"), "differs: zarr.json");
    const [inPass, recoloured] = [await rootAttrs(r.path), await rootAttrs(store)];
    for (const k of ["rgb_source", "pca_source"]) {
      assertEquals(JSON.stringify(inPass[k]), '{"from":"input","row_step_px":64}', k);
      assertEquals(JSON.stringify(recoloured[k]), '{"from":"given"}', k);
      delete inPass[k], delete recoloured[k];
    }
    assertEquals(JSON.stringify(recoloured), JSON.stringify(inPass));
  }
});

Deno.test("pca --dry-run --save writes a basis that build --pca-basis draws with", async () => {
  const store = join(ds.zarr, "utm37_2024.zarr");
  const file = join(ds.base, "saved.basis.json");
  const before = await Deno.readTextFile(join(store, "zarr.json"));
  const d = await runCli("pca", [store, "--dry-run", "--save", file]);
  assertEquals(d.code, 0, d.stderr);
  assertEquals(await Deno.readTextFile(join(store, "zarr.json")), before, "dry run: untouched");
  const outDir = join(ds.base, "zarr-given");
  const b = await runCli("build", [
    ds.base,
    "--zones",
    "37",
    "--output-dir",
    outDir,
    "--pca-basis",
    file,
    "--json",
  ]);
  assertEquals(b.code, 0, b.stderr);
  const r = JSON.parse(b.stdout).results[0] as ZoneBuildResult;
  assertEquals(r.previews?.source, "given");
  const saved = JSON.parse(await Deno.readTextFile(file));
  const a = await rootAttrs(join(outDir, "utm37_2024.zarr"));
  assertEquals(JSON.stringify(a.pca_components), JSON.stringify(saved.components));
  assertEquals(a.has_pca_preview, true);
  assertEquals(a.has_rgb_preview, undefined, "--pca-basis implies --pca only");
});

Deno.test("a bad --pca-basis or --rgb-stretch file is refused before anything is built, naming it", async () => {
  const bad = join(ds.base, "bad.basis.json");
  await Deno.writeTextFile(bad, JSON.stringify({ format: "tessera-zones pca basis", version: 1 }));
  const outDir = join(ds.base, "zarr-refused");
  const r = await runCli("build", [ds.base, "--output-dir", outDir, "--pca-basis", bad]);
  assertEquals(r.code, 2, r.stderr);
  assertEquals(r.stderr.includes(bad) && r.stderr.includes("n_bands"), true, r.stderr);
  assertEquals(await Deno.stat(outDir).then(() => true, () => false), false);
  const wrongKind = join(ds.base, "wrong.json");
  await Deno.writeTextFile(wrongKind, JSON.stringify({ format: "something else", version: 1 }));
  const s = await runCli("build", [ds.base, "--output-dir", outDir, "--rgb-stretch", wrongKind]);
  assertEquals(s.code, 2, s.stderr);
  assertEquals(s.stderr.includes("stats --dry-run --save"), true, s.stderr);
  // A basis of another band count fails at the zone, by name, before a shard is written.
  const other = join(ds.base, "other.basis.json");
  const basis = {
    mean: [0, 0, 0, 0],
    components: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]],
    explainedVariance: [0.5, 0.3, 0.1],
    medians: [0, 0, 0],
    iqrs: [1, 1, 1],
    stretch: { min: [0, 0, 0], max: [1, 1, 1] },
  };
  await Deno.writeTextFile(other, pcaBasisJson(basis, 4));
  const o = await runCli("build", [ds.base, "--output-dir", outDir, "--pca-basis", other]);
  assertEquals(o.code === 0, false, o.stderr);
  assertEquals(o.stderr.includes("4-band vectors"), true, o.stderr);
});
