/** `deno task stac [DIR]`: a STAC 1.1 Collection and one Item per store in DIR (docs/stac.md). */
import { parseTaskArgs, runTask } from "../lib/cli/args.ts";
import { checkOutputDir, requireStoreFolder } from "../lib/cli/paths.ts";
import { TesseraError } from "../lib/errors.ts";
import { defaultStoreDir } from "../lib/sample_stores.ts";
import { formatStacReport, writeStacCatalog } from "../lib/stac/catalog.ts";

const USAGE = `
deno task stac [DIR] [options]

Writes a STAC 1.1 catalog of the utm{ZZ}_{YYYY}.zarr stores in DIR: OUT/collection.json and,
per store, OUT/{id}/{id}.json (WGS 84 footprint and bbox, the year as start/end datetime,
proj:code/bbox/shape/transform, the store as an application/vnd+zarr asset) with the RGB and
PCA previews as PNG thumbnails beside it. DIR defaults to $TESSERA_DATA/zarr, else to the
sample's stores (built on first use). Files are replaced atomically and left alone when up to
date; item folders of stores no longer in DIR are removed. \`serve\` also serves a live catalog
at /stac/ (docs/stac.md).

Options:
  --out DIR         the catalog folder (default DIR/stac)
  --href-base URL   the public URL of DIR (e.g. https://data.example.org/zarr/): every href
                    absolute and a self link in every document; default relative hrefs
                    (a self-contained catalog that can move with the stores)
  --id ID           the Collection's id (default tessera-zones)
  --license SPDX    the data licence: an SPDX identifier or expression, or "other" (default)
  --json            print the report as JSON
  -h, --help        this help

Exit code: 0 when every store was catalogued, 1 when a store could not be (it is left out
and named) or DIR holds no store, 2 on bad usage (DIR missing or a store itself, a bad URL).
`;

await runTask("stac", async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    name: "stac",
    usage: USAGE,
    options: {
      out: { type: "string" },
      "href-base": { type: "string" },
      id: { type: "string" },
      license: { type: "string" },
      json: { type: "boolean" },
    },
    positionals: ["[DIR]"],
  });
  const dir = positionals[0] ?? await defaultStoreDir({ quiet: values.json });
  await requireStoreFolder(dir);
  if (values.out !== undefined) await checkOutputDir(values.out, "--out");
  if (values.id !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(values.id)) {
    throw new TesseraError(
      "BadArgument",
      `--id "${values.id}": use letters, digits, ".", "_" and "-" (e.g. tessera-zones-2024)`,
    );
  }
  if (values.license !== undefined && !/^[A-Za-z0-9.+\-() ]+$/.test(values.license)) {
    throw new TesseraError(
      "BadArgument",
      `--license "${values.license}": give an SPDX identifier or expression (CC-BY-4.0, ` +
        `"MIT OR Apache-2.0") or "other"`,
    );
  }
  const report = await writeStacCatalog(dir, {
    out: values.out,
    hrefBase: values["href-base"],
    id: values.id,
    license: values.license,
  });
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else console.log(formatStacReport(report));
  return report.problems.length ? 1 : 0;
});
