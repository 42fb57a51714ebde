/** `deno task stats [STORE...]`: the RGB preview of zone stores, with its overviews (SPEC §6.1). */
import { parseIntList, parseTaskArgs, runTask } from "../lib/cli/args.ts";
import { parseSelection, SELECTION_FLAGS, SELECTION_HELP } from "../lib/cli/selection.ts";
import { checkOutputDir, selectStores } from "../lib/cli/paths.ts";
import { checkSaveTarget, dryRunStores, previewStores } from "../lib/preview/run_stores.ts";
import { defaultStoreDir } from "../lib/sample_stores.ts";
import { TesseraError } from "../lib/errors.ts";
import { readRgbStretch, rgbStretchJson } from "../lib/preview/parameter_files.ts";
import { sourceOf } from "../lib/preview/parameters.ts";

const USAGE = `
deno task stats [STORE...] [options]

Writes the RGB preview (array rgb, its overview pyramid and the attributes rgb_bands,
rgb_stretch, multiscales, has_rgb_preview) of each zone store. The per-band p2..p98 stretch
comes from the store's build-time statistics (no re-read of the embeddings), else from a
lattice sample of its shards. STORE is a store or a folder of utm{ZZ}_{YYYY}.zarr stores
(default: $TESSERA_DATA/zarr, else the sample's stores, built on first use).

Options:
  --bands R,G,B       bands shown as red, green, blue (default 0,1,2)
${SELECTION_HELP.zones}
${SELECTION_HELP.year}
${SELECTION_HELP.workers}
  --rgb-stretch FILE  colour with this stretch (and its bands) instead of choosing one:
                      re-colours a store exactly as a build given the same file does
  --dry-run           choose the stretch and print it; write nothing to the store
  --save FILE         write the chosen stretch to FILE (JSON, docs/format.md), for
                      deno task build --rgb-stretch FILE; one store only
  --png DIR           also write DIR/{store}_rgb.png (the coarsest overview level)
${SELECTION_HELP.json}
  -h, --help          this help

Exit code: 0 when every store got its preview, 1 when any failed or no store matches (the
message lists the stores there are), 2 on bad usage (a STORE that does not exist, a file).
`;

await runTask("stats", async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    name: "stats",
    usage: USAGE,
    options: {
      bands: { type: "string" },
      ...SELECTION_FLAGS,
      png: { type: "string" },
      "rgb-stretch": { type: "string" },
      "dry-run": { type: "boolean" },
      save: { type: "string" },
    },
    positionals: ["[STORE...]"],
  });
  const { zones, years, workers, json: quiet } = parseSelection(values);
  const year = years?.[0];
  const given = values["rgb-stretch"] ? await readRgbStretch(values["rgb-stretch"]) : undefined;
  const listed = parseIntList(values.bands, "bands", 0, 65535);
  if (given && listed && listed.join() !== given.bands.join()) {
    throw new TesseraError(
      "BadArgument",
      `--bands ${listed.join(",")} differs from the bands of --rgb-stretch ` +
        `${values["rgb-stretch"]} (${given.bands.join(",")}): give one of them`,
    );
  }
  const bands = given?.bands ?? listed ?? [0, 1, 2];
  if (values.png) await checkOutputDir(values.png, "--png");
  const args = positionals.length ? positionals : [await defaultStoreDir({ quiet })];
  const stores = await selectStores(args, { zones, year });
  const request = { rgb: { bands, given } };
  checkSaveTarget(values.save, stores);
  if (values["dry-run"]) {
    await dryRunStores(stores, request, {
      quiet,
      save: values.save,
      describe: (p) =>
        `RGB bands ${p.rgb!.bands.join(",")} stretch min=[${p.rgb!.stretch.min}] ` +
        `max=[${p.rgb!.stretch.max}]`,
      saveText: (p, path) => rgbStretchJson(p.rgb!, sourceOf(path, p)),
    });
    return 0;
  }
  const { results, failed } = await previewStores(stores, request, {
    workers,
    png: values.png,
    quiet,
  });
  if (values.save && results[0]?.rgb) {
    const r = results[0];
    await Deno.writeTextFile(
      values.save,
      rgbStretchJson(r.rgb!, { from: `${r.statistics} statistics`, data: r.path }),
    );
  }
  if (quiet) console.log(JSON.stringify({ results, failed }, null, 2));
  return failed.length ? 1 : 0;
});
