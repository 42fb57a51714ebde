/** `deno task build [BASE]`: one sharded Zarr v3 store per UTM zone and year (SPEC §4). */
import { parseIntFlag, parseTaskArgs, runTask } from "../lib/cli/args.ts";
import { DEFAULT_YEAR, parseSelection, SELECTION_FLAGS } from "../lib/cli/selection.ts";
import { progress } from "../lib/cli/progress.ts";
import { defaultOutputDir, noTilesSelected, resolveBase } from "../lib/data_location.ts";
import { checkOutputDir } from "../lib/cli/paths.ts";
import { TesseraError } from "../lib/errors.ts";
import {
  buildZone,
  checkStoreMode,
  inspectStore,
  storeMode,
  type ZoneBuildResult,
} from "../lib/builder/build_zone.ts";
import { acquireStoreLocks } from "../lib/store/lock.ts";
import { onInterrupt, resumeCommand, SIGNAL_EXIT } from "../lib/cli/interrupt.ts";
import { join } from "node:path";
import { planZones, storeName } from "../lib/plan/zone_plan.ts";
import { summarisePlan } from "../lib/scan/scan.ts";
import { describeSource, listTiles } from "../lib/tiles/tile_list.ts";
import { LAYOUT_FLAGS, LAYOUT_USAGE, parseLayoutFlags } from "../lib/cli/layout_flags.ts";
import { applyRemoteFlags, REMOTE_FLAGS, REMOTE_USAGE } from "../lib/cli/remote_flags.ts";
import { isUrl, REMOTE_ENV, remoteCounters } from "../lib/tiles/remote.ts";
import { describeTransfer, transferTotals } from "../lib/remote/tile_spool.ts";
import { formatZoneTable } from "../lib/scan/format.ts";
import { type PreviewResult, writePreviews } from "../lib/preview/preview_pass.ts";
import { describeBuildPreviews, describePreviews } from "../lib/preview/report.ts";
import { readPcaBasis, readRgbStretch } from "../lib/preview/parameter_files.ts";
import type { BuildPreviewRequest } from "../lib/preview/in_build.ts";
import { parseShardFlag, parseTasks } from "../lib/cluster/shard_flag.ts";
import { assertNoSliceRunning } from "../lib/cluster/slice_lock.ts";
import { checkSliceFlags, runFinalise, runSlice } from "../lib/cli/sliced_build.ts";

const USAGE = `
deno task build [BASE] [options]

Builds utm{ZZ}_{YYYY}.zarr stores (Zarr v3, sharded) from the tiles under BASE.
BASE defaults to $TESSERA_DATA, else to the bundled sample dataset (made on first use).
BASE may be an http(s):// URL serving the same layout (with registry.parquet): only the
.npy headers, the row blocks each shard needs and landmask strips are fetched, by range
requests, and every tile read is checked against the registry's hashes (see below).

Options:
  --zones LIST        UTM zones to build, e.g. 30,31 (default: every zone with tiles)
  --year YYYY         year to build (default 2024)
  --output-dir DIR    where stores go (default BASE/zarr; required when BASE is a URL)
  --workers N         parallel shard builders (default 2; memory ≈ N × 140 MB)
  --dry-run           print the zone table and grid sizes, write nothing
  --resume            continue an interrupted build: redo only shards not finished
  --overwrite         replace existing stores (their previews included)
  --repair            re-derive every shard of existing stores and rewrite the ones whose
                      files differ (missing, truncated, corrupt); previews are kept
  --no-fsync          do not flush each file to the disk before its shard's marker (~20 %
                      faster on an idle local disk), but a power cut (not a kill) may then
                      leave a marker for data that never reached the disk (docs/format.md)
  --compress MODE     embeddings codec: none (default) or zstd
  --bands N           embedding bands (default: the zone's most common count; ties: larger)
  --registry-dir DIR  where registry.parquet is (default: BASE, its parent or grandparent)
  --shard K/N         build slice K of N of the work list (every selected zone's shards,
                      balanced by expected work) into stores its sibling slices share;
                      slurm: K from SLURM_ARRAY_TASK_ID, N from --tasks or the array's size;
                      k8s: K from JOB_COMPLETION_INDEX, N from --tasks (docs/cluster.md)
  --tasks N           the number of slices (with --shard slurm|k8s, or --finalize)
  --finalize          after every slice ran: check every planned shard is built (else exit 1
                      naming the missing shards and the slices to run again), then finish
                      the stores (statistics, attributes), byte-identical to a plain build
  --rgb               draw the RGB preview (bands 0,1,2) in the same pass: each shard is
                      coloured while it is assembled, the stretch chosen beforehand by a
                      pre-pass over the input tiles (every 64th zone row), no shard read back
  --pca               draw the PCA preview in the same pass (basis from the same pre-pass)
  --rgb-stretch FILE  draw the RGB preview with this stretch (implies --rgb; written by
                      deno task stats --dry-run --save FILE or a notebook; docs/format.md)
  --pca-basis FILE    draw the PCA preview with this basis (implies --pca; from
                      deno task pca --dry-run --save FILE or a notebook)
  --json              print the result as JSON
  -h, --help          this help

Previews: a --resume continues with the stretch and basis its first run recorded; a build
resumed from shards written without previews, a --repair or a finished store gets them from the
preview pass after the build (as deno task stats / pca: every shard is read back).
Tiles with defect scale values (inf, FLT_MAX, ≤ 0, absurd) are used, those pixels stored as no
data, and listed as warnings (attribute bad_scale_pixels).
An existing store is never replaced silently: without --resume, --repair or --overwrite the
build refuses (exit 2) before it touches any store. Every selected store is locked first.
Ctrl-C (SIGINT) or SIGTERM finishes the shards being written, says what was done and the
command that continues (exit 130 / 143); a second one stops at once.
Exit code: 0 when every tile was used, 1 when any tile or shard failed or no tile matches
--zones and --year (the message lists the zones and years there are), 2 on bad usage.
`;

await runTask("build", async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    name: "build",
    usage: USAGE + REMOTE_USAGE + LAYOUT_USAGE,
    options: {
      ...SELECTION_FLAGS,
      ...LAYOUT_FLAGS,
      "output-dir": { type: "string" },
      "dry-run": { type: "boolean" },
      resume: { type: "boolean" },
      overwrite: { type: "boolean" },
      repair: { type: "boolean" },
      "no-fsync": { type: "boolean" },
      compress: { type: "string" },
      bands: { type: "string" },
      "registry-dir": { type: "string" },
      ...REMOTE_FLAGS,
      shard: { type: "string" },
      tasks: { type: "string" },
      finalize: { type: "boolean" },
      rgb: { type: "boolean" },
      pca: { type: "boolean" },
      "rgb-stretch": { type: "string" },
      "pca-basis": { type: "string" },
    },
    positionals: ["[BASE]"],
  });
  // Read and checked before anything is built: a bad file stops here, naming it (exit 2).
  const givenRgb = values["rgb-stretch"] ? await readRgbStretch(values["rgb-stretch"]) : undefined;
  const givenPca = values["pca-basis"] ? await readPcaBasis(values["pca-basis"]) : undefined;
  if (givenRgb) values.rgb = true;
  if (givenPca) values.pca = true;
  const previewRequest: BuildPreviewRequest | undefined = values.rgb || values.pca
    ? {
      rgb: values.rgb ? { given: givenRgb } : undefined,
      pca: values.pca ? { given: givenPca?.basis } : undefined,
    }
    : undefined;
  const { zones, years, workers, json: quiet } = parseSelection(values);
  // Read by every write, in this thread and in the workers (lib/fs_atomic.ts).
  if (values["no-fsync"]) Deno.env.set("TZ_FSYNC", "0");
  const year = years?.[0] ?? DEFAULT_YEAR;
  const bands = parseIntFlag(values.bands, "bands", 1, 1024);
  const compress = values.compress ?? "none";
  if (compress !== "none" && compress !== "zstd") {
    throw new TesseraError("BadArgument", `--compress must be none or zstd, got "${compress}"`);
  }
  const slice = parseShardFlag(values.shard, values.tasks, (v) => Deno.env.get(v));
  checkSliceFlags(values);
  const registryDir = applyRemoteFlags(values) ?? values["registry-dir"];
  const layout = parseLayoutFlags(values);
  const base = await resolveBase(positionals[0], { quiet, registryDir, layout });
  const outputDir = values["output-dir"] ?? defaultOutputDir(base);
  await checkOutputDir(outputDir, values["output-dir"] ? "--output-dir" : "the output directory");
  const list = await listTiles(base, { year, zones, registryDir });
  // The workers check tile hashes against this registry (lib/tiles/tile_hashes.ts).
  if (list.registryPath) Deno.env.set(REMOTE_ENV.registry, list.registryPath);
  if (list.tiles.length === 0) {
    throw await noTilesSelected(base, { years: [year], zones, registryDir });
  }
  const plans = planZones(list.tiles);
  if (!quiet) {
    console.log(`Data: ${base} (${describeSource(list)})`);
    console.log(
      `  ${list.tiles.length} tiles for ${year} in ${plans.length} zone(s)` +
        (list.zoneFilteredOut ? ` (skipped ${list.zoneFilteredOut} in other zones)` : ""),
    );
    console.log(formatZoneTable(plans.map(summarisePlan), plans.map((p) => p.shards.length)));
  }
  if (values["dry-run"]) {
    if (quiet) {
      console.log(
        JSON.stringify({ base, year, outputDir, zones: plans.map(summarisePlan) }, null, 2),
      );
    }
    return 0;
  }
  if (slice || values.finalize) {
    const run = {
      base,
      outputDir,
      year,
      plans,
      workers,
      compress,
      bands,
      resume: values.resume,
      rgb: values.rgb,
      pca: values.pca,
      json: quiet,
      args: Deno.args,
    } as const;
    return slice ? await runSlice(run, slice) : await runFinalise(run, parseTasks(values.tasks));
  }
  const mode = storeMode(values);
  const paths = plans.map((p) => join(outputDir, storeName(p.zone, p.year)));
  await Deno.mkdir(outputDir, { recursive: true });
  // Every selected store is locked, and checked, before any store is touched.
  const locks = await acquireStoreLocks(paths);
  const stop = onInterrupt("build");
  const results: ZoneBuildResult[] = [];
  const previews: PreviewResult[] = [];
  const previewErrors: { store: string; message: string }[] = [];
  const progressOf = new Map<string, { done: number; total: number }>();
  const previewed = new Set<string>();
  try {
    for (const path of paths) {
      await assertNoSliceRunning(path, "this build");
      checkStoreMode(path, await inspectStore(path), mode);
    }
    for (const plan of plans) {
      const name = storeName(plan.zone, plan.year);
      let bar: ReturnType<typeof progress> | undefined;
      const r = await buildZone(plan, {
        base,
        outputDir,
        workers,
        resume: values.resume,
        overwrite: values.overwrite,
        repair: values.repair,
        compress,
        bands,
        slice,
        previews: previewRequest,
        signal: stop.signal,
        onPlanned: (todo, total) => {
          progressOf.set(name, { done: total - todo, total });
          if (!quiet && todo < total && !values.repair) {
            console.log(`  ${name}: ${total - todo} of ${total} shards already done`);
          }
          bar = progress(`utm${plan.zone}${values.repair ? " repair" : ""}`, todo, {
            quiet,
            unit: "shards",
            bytes: isUrl(base) ? () => remoteCounters.bytes : undefined,
          });
        },
        onShard: () => {
          progressOf.get(name)!.done++;
          bar?.tick();
        },
      });
      bar?.stop();
      results.push(r);
      if (!quiet) {
        const state = r.complete
          ? "complete"
          : r.shardErrors.length
          ? "INCOMPLETE (resume with --resume)"
          : "partial (--shard)";
        const did = values.repair
          ? `${r.shardsRepaired} shard(s) repaired, ${r.shardsReused} sound`
          : `${r.shardsBuilt} shards built, ${r.shardsReused} reused`;
        console.log(
          `  ${r.store}: ${did}, ` +
            `${(r.bytesWritten / 2 ** 20).toFixed(1)} MiB in ${r.seconds.toFixed(1)} s — ${state}`,
        );
      }
      if (r.previews && r.previews.source !== "none" && !quiet) {
        describeBuildPreviews(r).forEach((line) => console.log(line));
      }
      const pending = r.previews?.pending ?? [];
      if (pending.length && r.complete) {
        const request = {
          rgb: pending.includes("rgb") ? { given: givenRgb } : undefined,
          pca: pending.includes("pca_rgb") ? { given: givenPca?.basis } : undefined,
        };
        if (!quiet) {
          console.log(
            `  ${r.store}: ${pending.join(", ")} by the preview pass (reads the shards back: ` +
              "the build could not draw them in its pass)",
          );
        }
        try {
          const p = await writePreviews(r.path, request, {
            workers,
            signal: stop.signal,
            progress: (l, n) => progress(l, n, { quiet }),
          });
          previews.push(p);
          previewed.add(r.store);
          if (!quiet) describePreviews(p).forEach((line) => console.log(line));
        } catch (e) {
          if (!(e instanceof TesseraError) || e.kind === "Interrupted") throw e;
          previewErrors.push({ store: r.store, message: e.message });
          if (!quiet) console.log(`  ${r.store}: previews FAILED: ${e.message}`);
        }
      } else if ((values.rgb || values.pca) && !r.complete && !quiet) {
        console.log(`  ${r.store}: no previews yet (the store is not complete)`);
      }
      if (r.complete && (r.previews?.pending.length ?? 0) === 0) previewed.add(r.store);
    }
  } catch (e) {
    if (!stop.received) throw e;
    const states = plans.map((p) => {
      const name = storeName(p.zone, p.year);
      const done = results.find((r) => r.store === name);
      const prog = progressOf.get(name);
      return done?.complete
        ? `${name} complete${
          (values.rgb || values.pca) && !previewed.has(name) ? " but its previews are not" : ""
        }`
        : prog
        ? `${name} ${prog.done} of ${prog.total} shards done`
        : `${name} not started`;
    });
    console.error(
      `build: interrupted by ${stop.received}: ${states.join("; ")}. ` +
        `Continue with: ${resumeCommand("build", Deno.args)}`,
    );
    return SIGNAL_EXIT[stop.received];
  } finally {
    stop.dispose();
    await locks.release();
  }
  const failures = results.flatMap((r) => r.failures.map((f) => ({ store: r.store, ...f })));
  const shardErrors = results.flatMap((r) => r.shardErrors.map((e) => ({ store: r.store, ...e })));
  if (quiet) {
    console.log(
      JSON.stringify(
        { base, year, outputDir, results, transfer: transferTotals, previews, previewErrors },
        null,
        2,
      ),
    );
  } else {
    if (failures.length) {
      console.log(
        `\n${failures.length} tile problem(s); their pixels are left to neighbouring tiles or fill:`,
      );
      for (const f of failures) console.log(`  ${f.store} ${f.tile}: [${f.kind}] ${f.message}`);
    }
    for (const e of shardErrors) {
      console.log(`  ${e.store} shard ${e.row},${e.col} failed: ${e.message.split("\n")[0]}`);
    }
    const warnings = results.flatMap((r) => r.badScales.map((w) => ({ store: r.store, ...w })));
    if (warnings.length) {
      console.log(
        `\n${warnings.length} tile(s) with bad scale values (used, bad pixels as no data):`,
      );
      for (const w of warnings) {
        console.log(`  ${w.store} ${w.tile}: [${w.kind}] ${w.path}: ${w.message}`);
      }
    }
    const odd = results.flatMap((r) => r.tileWarnings.map((w) => ({ store: r.store, ...w })));
    if (odd.length) {
      console.log(`\n${odd.length} tile warning(s) (used as they are):`);
      for (const w of odd) {
        console.log(`  ${w.store} ${w.tile}: [${w.kind}] ${w.path}: ${w.message}`);
      }
    }
    const transfer = describeTransfer(transferTotals);
    if (transfer) console.log(`\nTiles: ${transfer}`);
    console.log(`\nStores in ${outputDir}`);
  }
  return failures.length || shardErrors.length || previewErrors.length ? 1 : 0;
});
