/** `deno task manifest [DIR]`: `_stores.json` and each store's `{store}.manifest.json` (SPEC §7). */
import { parseTaskArgs, runTask } from "../lib/cli/args.ts";
import { requireStoreFolder } from "../lib/cli/paths.ts";
import { formatManifestReport, writeManifests } from "../lib/manifest/manifest.ts";
import { defaultStoreDir } from "../lib/sample_stores.ts";

const USAGE = `
deno task manifest [DIR] [--json]

Writes DIR/_stores.json (the utm{ZZ}_{YYYY}.zarr stores in DIR) and, beside each store,
DIR/{store}.manifest.json (the shards that exist, grid, stretch and preview flags) for the
viewer; nothing is written inside a store (an older _chunk_manifest.json there is removed).
DIR defaults to $TESSERA_DATA/zarr, else to the sample's stores (built on first use).
Files are replaced atomically and left alone when already up to date. \`serve\` runs this too.

Options:
  --json      print the manifests and the files written as JSON
  -h, --help  this help

Exit code: 0 when every store was indexed, 1 when a store could not be or DIR holds no
utm{ZZ}_{YYYY}.zarr store (then nothing is written), 2 on bad usage (DIR missing, a file, or
a store itself).
`;

await runTask("manifest", async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    name: "manifest",
    usage: USAGE,
    options: { json: { type: "boolean" } },
    positionals: ["[DIR]"],
  });
  const dir = positionals[0] ?? await defaultStoreDir({ quiet: values.json });
  await requireStoreFolder(dir);
  const report = await writeManifests(dir);
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else console.log(formatManifestReport(report));
  return report.problems.length ? 1 : 0;
});
