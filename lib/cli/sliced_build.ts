/**
 * The `build --shard …` and `build --finalize` halves of the build task (scale-out, SPEC
 * §11): run one slice of the work list, or finalise the stores once every slice ran — and
 * say, in plain lines or `--json`, what was done and what to run next.
 */
import { existsSync } from "node:fs";
import type { ZonePlan } from "../plan/zone_plan.ts";
import type { EmbeddingsCompression } from "../store/attributes.ts";
import { TesseraError } from "../errors.ts";
import { buildSlice, type SliceBuildResult } from "../builder/slices.ts";
import { describeMissing, finaliseBuild, type FinaliseResult } from "../builder/finalise.ts";
import { type PreviewResult, writePreviews } from "../preview/preview_pass.ts";
import { describePreviews } from "../preview/report.ts";
import { chooseBuildPreviews } from "../preview/in_build.ts";
import { withBands } from "../plan/build_plan.ts";
import { zoneBandCount } from "../tiles/band_count.ts";
import { DEFAULT_MAX_VALID_SCALE } from "../store/pixel_state.ts";
import { shellWord, slurmFiles } from "../cluster/files.ts";
import type { SliceSpec } from "../cluster/shard_flag.ts";
import { onInterrupt, SIGNAL_EXIT } from "./interrupt.ts";
import { progress } from "./progress.ts";

/** What the build task hands over for a slice or a finalise. */
export interface SlicedBuildRun {
  base: string;
  outputDir: string;
  year: number;
  plans: ZonePlan[];
  workers: number;
  compress: EmbeddingsCompression;
  bands?: number;
  resume?: boolean;
  rgb?: boolean;
  pca?: boolean;
  json: boolean;
  /** The task's own arguments, to print the commands that continue. */
  args: readonly string[];
}

/** Flags of a finalise run that a slice's command line does not take, with their arities. */
const NOT_FOR_SLICES: Record<string, number> = {
  "--finalize": 0,
  "--rgb": 0,
  "--pca": 0,
  "--json": 0,
  "--shard": 1,
  "--tasks": 1,
};

/**
 * The command that runs slice `k` of `n` again, from the task's arguments.
 *
 * @example
 * sliceCommand(["/data", "--zones", "30", "--finalize"], 1, 3);
 * // "deno task build /data --zones 30 --shard 1/3"
 */
export function sliceCommand(args: readonly string[], k: number, n: number): string {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const flag = args[i].split("=")[0];
    if (flag in NOT_FOR_SLICES) {
      if (!args[i].includes("=")) i += NOT_FOR_SLICES[flag];
      continue;
    }
    kept.push(args[i]);
  }
  return ["deno", "task", "build", ...kept.map(shellWord), "--shard", `${k}/${n}`].join(" ");
}

/**
 * Refuses flag combinations a slice or a finalise cannot honour, saying what to do instead.
 *
 * @example
 * checkSliceFlags({ shard: "0/3", overwrite: true }); // throws BadArgument
 */
export function checkSliceFlags(values: {
  shard?: string;
  tasks?: string;
  finalize?: boolean;
  overwrite?: boolean;
  repair?: boolean;
  rgb?: boolean;
  pca?: boolean;
  "dry-run"?: boolean;
}): void {
  const bad = (message: string) => new TesseraError("BadArgument", message);
  if (values.shard !== undefined && values.finalize) {
    throw bad(
      "--shard builds a slice, --finalize finishes the stores after every slice: " +
        "give one of them",
    );
  }
  if (values.shard === undefined && !values.finalize) {
    if (values.tasks !== undefined) throw bad("--tasks goes with --shard or --finalize");
    return;
  }
  const what = values.finalize ? "--finalize" : "--shard";
  if (values.overwrite) {
    throw bad(
      `${what} cannot --overwrite: every slice would replace the stores its siblings are ` +
        "writing. Delete the stores first (rm -r OUTPUT/utmZZ_YYYY.zarr), then run the slices",
    );
  }
  if (values.repair) {
    throw bad(
      `${what} cannot --repair; repair a finished store with a one-machine ` +
        "build … --repair (it re-derives every shard)",
    );
  }
  if (values.shard !== undefined && (values.rgb || values.pca)) {
    throw bad("previews need the finished store: give --rgb/--pca to --finalize, not to --shard");
  }
}

/** Runs slice `slice` and prints what it did. Returns the exit code. */
export async function runSlice(run: SlicedBuildRun, slice: SliceSpec): Promise<number> {
  const quiet = run.json;
  const stop = onInterrupt("build");
  const bars = new Map<string, ReturnType<typeof progress>>();
  const done = new Map<string, { done: number; total: number }>();
  let result: SliceBuildResult;
  try {
    result = await buildSlice(run.plans, {
      base: run.base,
      outputDir: run.outputDir,
      slice,
      workers: run.workers,
      bands: run.bands,
      compress: run.compress,
      resume: run.resume,
      signal: stop.signal,
      onPlanned: (store, todo, total) => {
        done.set(store, { done: total - todo, total });
        if (!quiet && todo < total) {
          console.log(`  ${store}: ${total - todo} of this slice's ${total} shards already done`);
        }
        bars.set(store, progress(`${store} slice ${slice.k}/${slice.n}`, todo, { quiet }));
      },
      onShard: (store) => {
        done.get(store)!.done++;
        bars.get(store)?.tick();
      },
    });
  } catch (e) {
    if (!stop.received) throw e;
    const states = [...done].map(([s, p]) => `${s} ${p.done} of ${p.total} shards done`);
    console.error(
      `build: slice ${slice.k}/${slice.n} interrupted by ${stop.received}` +
        `${states.length ? `: ${states.join("; ")}` : ""}. Continue with the same command ` +
        `(only this slice's unfinished shards are built): ${
          sliceCommand(run.args, slice.k, slice.n)
        }`,
    );
    return SIGNAL_EXIT[stop.received];
  } finally {
    for (const b of bars.values()) b.stop();
    stop.dispose();
  }
  const failures = result.stores.flatMap((r) => r.failures.map((f) => ({ store: r.store, ...f })));
  const errors = result.stores.flatMap((r) => r.shardErrors.map((e) => ({ store: r.store, ...e })));
  if (quiet) {
    console.log(JSON.stringify({ base: run.base, year: run.year, ...result }, null, 2));
  } else {
    const share = result.maxLoad ? (result.load / result.maxLoad * 100).toFixed(0) : "100";
    console.log(
      `Slice ${slice.k}/${slice.n}: ${result.stores.reduce((a, s) => a + s.shardsPlanned, 0)} ` +
        `shard(s) in ${result.stores.length} store(s) (expected work ${share}% of the ` +
        "largest slice's)",
    );
    for (const r of result.stores) {
      console.log(
        `  ${r.store}: ` +
          (r.alreadyComplete
            ? "already finalised; nothing to do"
            : `${r.shardsBuilt} shards built, ${r.shardsReused} reused, ` +
              `${(r.bytesWritten / 2 ** 20).toFixed(1)} MiB in ${r.seconds.toFixed(1)} s`),
      );
    }
    for (const f of failures) console.log(`  ${f.store} ${f.tile}: [${f.kind}] ${f.message}`);
    for (const e of errors) {
      console.log(`  ${e.store} shard ${e.row},${e.col} failed: ${e.message.split("\n")[0]}`);
    }
    if (errors.length) {
      console.log(`Run this slice again to redo them: ${sliceCommand(run.args, slice.k, slice.n)}`);
    }
    console.log(
      `When every slice has run: ${finaliseCommand(run.args, slice.n)}`,
    );
  }
  return failures.length || errors.length ? 1 : 0;
}

/**
 * The command that finalises, from a slice's arguments.
 *
 * @example
 * finaliseCommand(["/data", "--shard", "0/3"], 3); // "deno task build /data --finalize --tasks 3"
 */
export function finaliseCommand(args: readonly string[], n: number): string {
  const slice = sliceCommand(args, 0, n).replace(/ --shard \S+$/, "");
  return `${slice} --finalize --tasks ${n}`;
}

/** Runs the finalise step (and the previews asked for) and prints the outcome. */
export async function runFinalise(run: SlicedBuildRun, tasks?: number): Promise<number> {
  const quiet = run.json;
  const stop = onInterrupt("build");
  let result: FinaliseResult;
  const previews: PreviewResult[] = [];
  const previewErrors: { store: string; message: string }[] = [];
  try {
    result = await finaliseBuild(run.plans, {
      base: run.base,
      outputDir: run.outputDir,
      bands: run.bands,
      compress: run.compress,
      tasks,
      signal: stop.signal,
    });
    for (const s of result.stores) {
      if ((!run.rgb && !run.pca) || (s.state !== "finalised" && s.state !== "complete")) continue;
      try {
        // The parameters a one-machine build would draw with (the pre-pass over the input
        // tiles, deterministic), so the finalised store equals it byte for byte.
        const plan = run.plans.find((p) => p.zone === s.zone && p.year === s.year)!;
        const bands = await zoneBandCount(run.base, plan, { bands: run.bands });
        const { params } = await chooseBuildPreviews(
          run.base,
          withBands(plan, bands),
          { rgb: run.rgb ? {} : undefined, pca: run.pca ? {} : undefined },
          DEFAULT_MAX_VALID_SCALE,
          stop.signal,
        );
        const request = {
          rgb: run.rgb ? { given: params.rgb, source: params.sources?.rgb } : undefined,
          pca: run.pca ? { given: params.pca, source: params.sources?.pca } : undefined,
        };
        const p = await writePreviews(s.path, request, {
          workers: run.workers,
          signal: stop.signal,
          progress: (l, n) => progress(l, n, { quiet }),
        });
        previews.push(p);
        if (!quiet) describePreviews(p).forEach((line) => console.log(line));
      } catch (e) {
        if (!(e instanceof TesseraError) || e.kind === "Interrupted") throw e;
        previewErrors.push({ store: s.store, message: e.message });
        if (!quiet) console.log(`  ${s.store}: previews FAILED: ${e.message}`);
      }
    }
  } catch (e) {
    if (!stop.received) throw e;
    console.error(
      `build: finalise interrupted by ${stop.received}; run it again: ${
        [...run.args].map(shellWord).join(" ")
      }`,
    );
    return SIGNAL_EXIT[stop.received];
  } finally {
    stop.dispose();
  }
  const n = result.stores.find((s) => s.slices !== undefined)?.slices ?? tasks;
  const rerun = (ks: number[]) => {
    const cmds = n === undefined ? [] : ks.map((k) => sliceCommand(run.args, k, n));
    const script = slurmFiles(run.outputDir, run.year).build;
    const slurm = existsSync(script) ? `; on SLURM: sbatch --array=${ks.join(",")} ${script}` : "";
    return cmds.join(" && ") + slurm;
  };
  const failures = result.stores.flatMap((s) => s.failures.map((f) => ({ store: s.store, ...f })));
  const incomplete = result.stores.filter((s) => s.missing.length);
  if (quiet) {
    console.log(
      JSON.stringify(
        {
          base: run.base,
          year: run.year,
          outputDir: run.outputDir,
          ...result,
          previews,
          previewErrors,
        },
        null,
        2,
      ),
    );
  } else {
    for (const s of result.stores) {
      if (s.state === "finalised") {
        console.log(
          `  ${s.store}: finalised (${s.shardsPlanned} shards` +
            `${s.slices ? ` from ${s.slices} slices` : ""})`,
        );
      } else if (s.state === "complete") {
        console.log(`  ${s.store}: already complete; left as it is`);
      }
    }
    for (const f of failures) console.log(`  ${f.store} ${f.tile}: [${f.kind}] ${f.message}`);
    if (failures.length) {
      console.log(
        `${failures.length} tile problem(s): fix the tiles, run the slices again with --resume ` +
          "(only their shards are rebuilt), then finalise again",
      );
    }
  }
  if (incomplete.length) {
    console.error(
      `build: cannot finalise ${incomplete.map((s) => s.store).join(", ")}: shards are missing ` +
        `(their slices did not finish, or failed)\n${describeMissing(result, rerun).join("\n")}`,
    );
  }
  return incomplete.length || failures.length || previewErrors.length ? 1 : 0;
}
