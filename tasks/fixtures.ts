/** `deno task fixtures [OUT]`: writes a realistic sample dataset in the published layout. */
import { parseIntFlag, parseIntList, parseTaskArgs, runTask } from "../lib/cli/args.ts";
import { checkOutputDir } from "../lib/cli/paths.ts";
import { progress } from "../lib/cli/progress.ts";
import { SAMPLE_DIR, sampleLocation } from "../lib/data_location.ts";
import { generateFixtures } from "../lib/sample_data/generate.ts";
import { TILE_GROUPS } from "../lib/sample_data/groups.ts";

const USAGE = `
deno task fixtures [OUT] [options]

Writes a sample TESSERA dataset in the exact published layout (embeddings and scales .npy,
landmask GeoTIFFs, SHA256 files, registry.parquet) with landscape-like content.
OUT defaults to ${SAMPLE_DIR} (the bundled sample every task uses when given no BASE).

Options:
  --tiles N         tiles per group side (default 2)
  --years LIST      years, comma-separated (default 2024)
  --bands N         embedding bands (default 128, the real count; fewer makes small test data)
  --groups LIST     tile groups (default all): ${TILE_GROUPS.map((g) => g.name).join(", ")}
  --defects         add one broken tile per real-world defect (truncated .npy, bad scales, …)
  --no-registry     do not write registry.parquet (tools then discover tiles by walking)
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
      json: { type: "boolean" },
    },
    positionals: ["[OUT]"],
  });
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
        `${manifest.options.years.join(",")}, zones ${zones.join(",")}) to ${out} in ` +
        `${((performance.now() - t0) / 1000).toFixed(1)} s` +
        (manifest.defects.length ? `, including ${manifest.defects.length} broken tiles` : ""),
    );
  }
  return 0;
});
