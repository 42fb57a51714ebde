/** `deno task pca [STORE...]`: the PCA preview of zone stores, with its overviews (SPEC §6.2). */
import { parseIntFlag, parseIntList, parseTaskArgs, runTask } from "../lib/cli/args.ts";
import { checkOutputDir, selectStores } from "../lib/cli/paths.ts";
import { previewStores } from "../lib/preview/run_stores.ts";
import { defaultStoreDir } from "../lib/sample_stores.ts";

const USAGE = `
deno task pca [STORE...] [options]

Writes the PCA preview (array pca_rgb, its overview pyramid and the attributes pca_components,
pca_mean, pca_explained_variance, pca_medians, pca_iqrs, pca_stretch, multiscales,
has_pca_preview) of each zone store: the top three principal components of the dequantised
vectors as R, G, B. Mean and covariance come from the store's build-time statistics (no re-read
of the embeddings), else from a lattice sample of its shards. STORE is a store or a folder of
utm{ZZ}_{YYYY}.zarr stores (default: $TESSERA_DATA/zarr, else the sample's stores, built on
first use).

Options:
  --zones LIST     only these UTM zones, e.g. 30,31
  --year YYYY      only this year
  --workers N      parallel shard workers (default 2; memory ≈ N × 150 MB)
  --png DIR        also write DIR/{store}_pca_rgb.png (the coarsest overview level)
  --json           print the results as JSON
  -h, --help       this help

Exit code: 0 when every store got its preview, 1 when any failed or no store matches (the
message lists the stores there are), 2 on bad usage (a STORE that does not exist, a file).
`;

await runTask("pca", async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    name: "pca",
    usage: USAGE,
    options: {
      zones: { type: "string" },
      year: { type: "string" },
      workers: { type: "string" },
      png: { type: "string" },
      json: { type: "boolean" },
    },
    positionals: ["[STORE...]"],
  });
  const quiet = values.json;
  const zones = parseIntList(values.zones, "zones", 1, 60);
  const year = parseIntFlag(values.year, "year", 1900, 2200);
  const workers = parseIntFlag(values.workers, "workers", 1, 64) ?? 2;
  if (values.png) await checkOutputDir(values.png, "--png");
  const args = positionals.length ? positionals : [await defaultStoreDir({ quiet })];
  const stores = await selectStores(args, { zones, year });
  const { results, failed } = await previewStores(stores, { pca: true }, {
    workers,
    png: values.png,
    quiet,
  });
  if (quiet) console.log(JSON.stringify({ results, failed }, null, 2));
  return failed.length ? 1 : 0;
});
