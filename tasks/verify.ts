/** `deno task verify STORE [BASE]`: exact round trip of a zone store against its source tiles. */
import { parseIntFlag, parseTaskArgs, runTask } from "../lib/cli/args.ts";
import { parseSelection, SELECTION_FLAGS } from "../lib/cli/selection.ts";
import { progress } from "../lib/cli/progress.ts";
import { resolveBase } from "../lib/data_location.ts";
import { TesseraError } from "../lib/errors.ts";
import { formatReport, reportJson } from "../lib/verify/report.ts";
import { verifyStore } from "../lib/verify/verify_store.ts";
import { LAYOUT_FLAGS, LAYOUT_USAGE, parseLayoutFlags } from "../lib/cli/layout_flags.ts";

const USAGE = `
deno task verify STORE [BASE] [options]

Checks a utm{ZZ}_{YYYY}.zarr store against the tiles under BASE, shard by shard: every pixel
must equal the tile pixel that owns it under the compositing rule (water/invalid: NaN scale
and zero embeddings; no tile: fill), and the coordinates and attributes must match the zone
plan recomputed from BASE. The build-time statistics (stats/ arrays and stats_* attributes),
bad_scale_pixels, failed_tiles and the preview attributes that follow from the statistics are
re-derived from the expected pixels; objects that are not part of the store are reported.
When it finds damage it names the command that repairs it (deno task build … --repair).
BASE defaults to $TESSERA_DATA, else to the bundled sample dataset.

Options:
  --workers N         parallel shard verifiers (default 2; memory ≈ N × 250 MB at 128 bands)
  --registry-dir DIR  where registry.parquet is (default: BASE, its parent or grandparent)
  --max-listed N      pixel and coordinate mismatches to list (default 10)
  --bands N           the band count the store was built with --bands (default: as build
                      decides it, the count most tiles have)
  --json              print the report as JSON
  -h, --help          this help

Exit code: 0 when the store equals its source tiles, 1 on any difference or damage,
2 on bad usage.
`;

await runTask("verify", async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    name: "verify",
    usage: USAGE + LAYOUT_USAGE,
    options: {
      workers: SELECTION_FLAGS.workers,
      ...LAYOUT_FLAGS,
      "registry-dir": { type: "string" },
      "max-listed": { type: "string" },
      bands: { type: "string" },
      json: SELECTION_FLAGS.json,
    },
    positionals: ["STORE", "[BASE]"],
  });
  const [storePath, baseArg] = positionals;
  if (!(await Deno.stat(storePath).catch(() => undefined))?.isDirectory) {
    throw new TesseraError(
      "BadArgument",
      `STORE "${storePath}" is not a directory; give a utm{ZZ}_{YYYY}.zarr store`,
    );
  }
  const { workers, json: quiet } = parseSelection(values);
  const maxListed = parseIntFlag(values["max-listed"], "max-listed", 0, 100000) ?? 10;
  const base = await resolveBase(baseArg, {
    quiet,
    registryDir: values["registry-dir"],
    layout: parseLayoutFlags(values),
  });
  let bar: ReturnType<typeof progress> | undefined;
  const report = await verifyStore(storePath, {
    base,
    registryDir: values["registry-dir"],
    workers,
    maxListed,
    bands: parseIntFlag(values.bands, "bands", 1, 1024),
    onPlanned: (n) => bar = progress("verify", n, { quiet, unit: "shards" }),
    onShard: () => bar?.tick(),
  });
  bar?.stop();
  console.log(quiet ? reportJson(report) : formatReport(report));
  return report.ok ? 0 : 1;
});
