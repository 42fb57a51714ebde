/** `deno task scan [BASE]`: what a build would meet — zones, grids, mismatches, broken files. */
import { parseTaskArgs, runTask } from "../lib/cli/args.ts";
import { parseSelection, SELECTION_FLAGS } from "../lib/cli/selection.ts";
import { progress } from "../lib/cli/progress.ts";
import { noTilesSelected, resolveBase } from "../lib/data_location.ts";
import { formatZoneTable } from "../lib/scan/format.ts";
import { describeSource, listTiles } from "../lib/tiles/tile_list.ts";
import { LAYOUT_FLAGS, LAYOUT_USAGE, parseLayoutFlags } from "../lib/cli/layout_flags.ts";
import { applyRemoteFlags, REMOTE_FLAGS, REMOTE_USAGE } from "../lib/cli/remote_flags.ts";
import { REMOTE_ENV } from "../lib/tiles/remote.ts";
import { scanTiles } from "../lib/scan/scan.ts";

const USAGE = `
deno task scan [BASE] [options]

Reports, for the tiles under BASE: tiles per UTM zone and EPSG with each zone's grid size,
tiles on zone edges, computed-grid vs landmask mismatches (EPSG, size, origin > 0.5 m) and
missing, truncated or malformed files. Reads file headers only, never pixel data.
BASE defaults to $TESSERA_DATA, else to the bundled sample dataset.
BASE may be an http(s):// URL serving the same layout with a registry.parquet (headers by
range requests; landmasks through geotiff.js's remote source).

Options:
  --year LIST         year(s) to scan, e.g. 2024 or 2023,2024 (default: all present)
  --zones LIST        only these UTM zones, e.g. 30,31
  --registry-dir DIR  where registry.parquet is (default: BASE, its parent or grandparent)
  --plan-only         plan zones from the registry without touching tile files
  --deep              also read every scale value: report NaN/inf/FLT_MAX/≤0 scales
  --json              print the full report as JSON
  -h, --help          this help

Exit code: 0 only when nothing is wrong; 1 when a problem was found or no tile matches --year
and --zones (the message lists the years and zones there are); 2 on bad usage (BASE missing or
not a dataset, unknown flag).
`;

await runTask("scan", async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    name: "scan",
    usage: USAGE + REMOTE_USAGE + LAYOUT_USAGE,
    options: {
      year: SELECTION_FLAGS.year,
      zones: SELECTION_FLAGS.zones,
      "registry-dir": { type: "string" },
      ...REMOTE_FLAGS,
      ...LAYOUT_FLAGS,
      "plan-only": { type: "boolean" },
      deep: { type: "boolean" },
      json: SELECTION_FLAGS.json,
    },
    positionals: ["[BASE]"],
  });
  const { zones, years, json: quiet } = parseSelection(values, { manyYears: true });
  const registryDir = applyRemoteFlags(values) ?? values["registry-dir"];
  const layout = parseLayoutFlags(values);
  const base = await resolveBase(positionals[0], { quiet, registryDir, layout });
  const t0 = performance.now();
  const listed = await listTiles(base, { years, zones, registryDir });
  // The workers check tile hashes against this registry (lib/tiles/tile_hashes.ts).
  if (listed.registryPath) Deno.env.set(REMOTE_ENV.registry, listed.registryPath);
  if (listed.tiles.length === 0 && listed.skipped.length === 0) {
    throw await noTilesSelected(base, { years, zones, registryDir });
  }
  const source = describeSource(listed);
  const bar = progress("scan", values["plan-only"] ? 0 : listed.tiles.length, {
    quiet,
    unit: "tiles",
  });
  const report = await scanTiles(base, listed.tiles, source, {
    files: !values["plan-only"],
    deep: values.deep,
    onTile: () => bar.tick(),
  });
  bar.stop();
  const skipped = listed.skipped;
  const ok = report.ok && skipped.length === 0;
  const seconds = (performance.now() - t0) / 1000;
  if (values.json) {
    console.log(JSON.stringify({ ...report, skipped, ok, seconds }, null, 2));
    return ok ? 0 : 1;
  }
  console.log(`Data: ${base} (${source})`);
  console.log(
    `  ${report.totalTiles} tiles, years ${
      report.years.join(", ") || "none"
    }, ${report.zones.length} zone store(s)\n`,
  );
  console.log(formatZoneTable(report.zones));
  console.log(
    `\n  ${report.zoneEdgeTiles} tile(s) touch a zone edge (normal: cells end on zone boundaries)`,
  );
  if (report.straddlers.length) {
    console.log(
      `  ${report.straddlers.length} tile(s) have a zone boundary inside them (mis-named tiles):`,
    );
    for (const s of report.straddlers.slice(0, 50)) console.log(`    ${s.year} ${s.tile}`);
  }
  if (report.nanScales !== undefined) {
    console.log(`  ${report.nanScales} NaN scale(s) (no-data pixels)`);
  }
  if (report.bands.length > 1) {
    console.log(`  embeddings disagree on band count: ${report.bands.join(", ")}`);
  }
  if (skipped.length) {
    console.log(`\n  ${skipped.length} directory entr(y/ies) skipped:`);
    for (const s of skipped) console.log(`    ${s.path}: ${s.reason}`);
  }
  if (report.mismatches.length) {
    console.log(`\n  ${report.mismatches.length} grid mismatch warning(s) (computed vs landmask):`);
    for (const m of report.mismatches) {
      console.log(
        `    ${m.tile}: ${m.what} mismatch: computed ${m.computed}, landmask ${m.landmask}`,
      );
    }
  }
  if (report.warnings.length) {
    console.log(
      `\n  ${report.warnings.length} tile warning(s) (a build uses these tiles as they are):`,
    );
    for (const w of report.warnings) {
      console.log(`    ${w.year} ${w.tile} [${w.kind}] ${w.path}: ${w.message}`);
    }
  }
  if (report.problems.length) {
    console.log(`\n  ${report.problems.length} file problem(s):`);
    for (const p of report.problems) {
      console.log(`    ${p.year} ${p.tile} [${p.kind}] ${p.path}: ${p.message}`);
    }
  }
  const checked = report.filesChecked ? "files checked" : "plan only, files not checked";
  console.log(`\n${ok ? "OK" : "PROBLEMS FOUND"} (${checked}, ${seconds.toFixed(1)} s)`);
  return ok ? 0 : 1;
});
