/** `deno task fixtures [OUT]`: writes a realistic sample dataset in either published layout. */
import { parseIntFlag, parseIntList, parseTaskArgs, runTask } from "../lib/cli/args.ts";
import { checkOutputDir } from "../lib/cli/paths.ts";
import { progress } from "../lib/cli/progress.ts";
import { SAMPLE_DIR, sampleLocation } from "../lib/data_location.ts";
import { generateFixtures } from "../lib/sample_data/generate.ts";
import { TILE_GROUPS } from "../lib/sample_data/groups.ts";
import { DEFAULT_DATASET } from "../lib/tiles/dataset_name.ts";
import { parseLayoutFlags } from "../lib/cli/layout_flags.ts";

const USAGE = `
deno task fixtures [OUT] [options]

Writes a sample TESSERA dataset in the exact published layout (embeddings and scales .npy,
landmask GeoTIFFs, SHA256 files, registry.parquet) with landscape-like content, or with
--layout public in the public repository's (npy/{dataset}/{year}/…, npy/{dataset}/manifest.parquet,
landmasks/{version}/….tiff, landmasks/{version}/landmasks.parquet; docs/remote.md "Layouts").
The same options give the same tile bytes in either layout.
OUT defaults to ${SAMPLE_DIR} (the bundled sample every task uses when given no BASE).

Options:
  --tiles N         tiles per group side (default 2)
  --years LIST      years, comma-separated (default 2024)
  --bands N         embedding bands (default 128, the real count; fewer makes small test data)
  --groups LIST     tile groups (default all): ${TILE_GROUPS.map((g) => g.name).join(", ")}
  --defects         add one broken tile per real-world defect (truncated .npy, bad scales, …)
  --no-registry     do not write registry.parquet (public layout: manifest.parquet); tools
                    then discover tiles by walking
  --layout L        seed (default) or public
  --dataset NAME    public layout: the npy/ dataset folder (default ${DEFAULT_DATASET}), e.g.
                    v1.1-cam, v2-2B-L~beta1
  --landmask-version V  public layout: the landmasks/ folder (default: the dataset's
                    version, e.g. v1.1 for v1.1-cam)
  --seed N          landscape seed (default 1)
  --json            print the dataset manifest as JSON
  -h, --help        this help

Groups:
${TILE_GROUPS.map((g) => `  ${g.name.padEnd(10)} ${g.description}`).join("\n")}
`;

await runTask("fixtures", async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    name: "fixtures",
    usage: USAGE,
    options: {
      tiles: { type: "string" },
      years: { type: "string" },
      bands: { type: "string" },
      groups: { type: "string" },
      defects: { type: "boolean" },
      "no-registry": { type: "boolean" },
      seed: { type: "string" },
      layout: { type: "string" },
      dataset: { type: "string" },
      "landmask-version": { type: "string" },
      json: { type: "boolean" },
    },
    positionals: ["[OUT]"],
  });
  const layout = parseLayoutFlags(values);
  const out = positionals[0] ?? sampleLocation().dir;
  await checkOutputDir(out, "OUT");
  let bar: ReturnType<typeof progress> | undefined;
  const t0 = performance.now();
  const manifest = await generateFixtures({
    out,
    tiles: parseIntFlag(values.tiles, "tiles", 1, 50),
    years: parseIntList(values.years, "years", 2000, 2100),
    bands: parseIntFlag(values.bands, "bands", 1, 1024),
    groups: values.groups?.split(",").map((s) => s.trim()),
    defects: values.defects,
    registry: !values["no-registry"],
    seed: parseIntFlag(values.seed, "seed", 0, 2 ** 31 - 1),
    layout: layout.layout,
    dataset: layout.dataset,
    landmaskVersion: layout.landmaskVersion,
    onTile: (done, total) => {
      bar ??= progress("fixtures", total, { quiet: values.json, unit: "tiles" });
      bar.tick();
      if (done === total) bar.stop();
    },
  });
  if (values.json) {
    console.log(JSON.stringify({ out, ...manifest }, null, 2));
  } else {
    const zones = [...new Set(manifest.tiles.map((t) => t.zone))].sort((a, b) => a - b);
    console.log(
      `Wrote ${manifest.tiles.length} tiles (${manifest.options.bands} bands, years ` +
        `${manifest.options.years.join(",")}, zones ${zones.join(",")}) to ${out}` +
        (manifest.options.layout === "public"
          ? ` in the public layout (dataset ${manifest.options.dataset}, landmasks ` +
            `${manifest.options.landmaskVersion})`
          : "") +
        ` in ` +
        `${((performance.now() - t0) / 1000).toFixed(1)} s` +
        (manifest.defects.length ? `, including ${manifest.defects.length} broken tiles` : ""),
    );
  }
  return 0;
});
