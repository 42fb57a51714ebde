/** `deno task pca [STORE...]`: the PCA preview of zone stores, with its overviews (SPEC §6.2). */
import { parseTaskArgs, runTask } from "../lib/cli/args.ts";
import { parseSelection, SELECTION_FLAGS, SELECTION_HELP } from "../lib/cli/selection.ts";
import { checkOutputDir, selectStores } from "../lib/cli/paths.ts";
import { checkSaveTarget, dryRunStores, previewStores } from "../lib/preview/run_stores.ts";
import { defaultStoreDir } from "../lib/sample_stores.ts";
import { pcaBasisJson, readPcaBasis } from "../lib/preview/parameter_files.ts";
import { sourceOf } from "../lib/preview/parameters.ts";

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
${SELECTION_HELP.zones}
${SELECTION_HELP.year}
${SELECTION_HELP.workers}
  --pca-basis FILE    colour with this basis instead of choosing one: re-colours a store
                      exactly as a build given the same file does
  --dry-run           choose the basis and print it; write nothing to the store
  --save FILE         write the chosen basis to FILE (JSON, docs/format.md), for
                      deno task build --pca-basis FILE; one store only
  --png DIR           also write DIR/{store}_pca_rgb.png (the coarsest overview level)
${SELECTION_HELP.json}
  -h, --help          this help

Exit code: 0 when every store got its preview, 1 when any failed or no store matches (the
message lists the stores there are), 2 on bad usage (a STORE that does not exist, a file).
`;

await runTask("pca", async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    name: "pca",
    usage: USAGE,
    options: {
      ...SELECTION_FLAGS,
      png: { type: "string" },
      "pca-basis": { type: "string" },
      "dry-run": { type: "boolean" },
      save: { type: "string" },
    },
    positionals: ["[STORE...]"],
  });
  const { zones, years, workers, json: quiet } = parseSelection(values);
  const year = years?.[0];
  if (values.png) await checkOutputDir(values.png, "--png");
  const args = positionals.length ? positionals : [await defaultStoreDir({ quiet })];
  const stores = await selectStores(args, { zones, year });
  const given = values["pca-basis"] ? await readPcaBasis(values["pca-basis"]) : undefined;
  const request = { pca: { given: given?.basis } };
  checkSaveTarget(values.save, stores);
  if (values["dry-run"]) {
    await dryRunStores(stores, request, {
      quiet,
      save: values.save,
      describe: (p) =>
        `PCA explained variance [${
          p.pca!.explainedVariance.map((v) => `${(100 * v).toFixed(1)}%`).join(", ")
        }]`,
      saveText: (p, path) => pcaBasisJson(p.pca!, p.pca!.mean.length, sourceOf(path, p)),
    });
    return 0;
  }
  const { results, failed } = await previewStores(stores, request, {
    workers,
    png: values.png,
    quiet,
  });
  if (values.save && results[0]?.pca) {
    const r = results[0];
    await Deno.writeTextFile(
      values.save,
      pcaBasisJson(r.pca!, r.pca!.mean.length, {
        from: `${r.statistics} statistics`,
        data: r.path,
      }),
    );
  }
  if (quiet) console.log(JSON.stringify({ results, failed }, null, 2));
  return failed.length ? 1 : 0;
});
