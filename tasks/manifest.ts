/** `deno task manifest [DIR]`: `_stores.json` and each store's `_chunk_manifest.json` (SPEC §7). */
import { parseTaskArgs, runTask } from "../lib/cli/args.ts";
import { defaultOutputDir, resolveBase } from "../lib/data_location.ts";
import { formatManifestReport, writeManifests } from "../lib/manifest/manifest.ts";

const USAGE = `
deno task manifest [DIR] [--json]

Writes DIR/_stores.json (the utm{ZZ}_{YYYY}.zarr stores in DIR) and, in each store,
_chunk_manifest.json (the shards that exist, grid, stretch and preview flags) for the viewer.
DIR defaults to BASE/zarr, BASE being $TESSERA_DATA or the bundled sample dataset.
Files are replaced atomically and left alone when already up to date. \`serve\` runs this too.

Options:
  --json      print the manifests and the files written as JSON
  -h, --help  this help

Exit code: 0 when every store was indexed, 1 when a store could not be, 2 on bad usage.
`;

await runTask("manifest", async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    name: "manifest",
    usage: USAGE,
    options: { json: { type: "boolean" } },
  });
  const dir = positionals[0] ??
    defaultOutputDir(await resolveBase(undefined, { quiet: values.json }));
  const report = await writeManifests(dir);
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else console.log(formatManifestReport(report));
  return report.problems.length ? 1 : 0;
});
