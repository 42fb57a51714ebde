/**
 * SLURM: the job-array script (one slice per array task) and the finalise script of a build,
 * their submission (`sbatch --parsable`, the finalise job after the array with
 * `--dependency=afterok:<array job>`), and waiting for a job's end (`scontrol show job`).
 * The scripts run the toolkit from where it is installed, against paths every node sees.
 */
import { TesseraError } from "../errors.ts";
import { type ClusterBuild, finaliseArgs, sliceArgs } from "./build_command.ts";
import { shellWord } from "./files.ts";

/** What the SLURM scripts need beyond the build itself. */
export interface SlurmOptions {
  /** The Deno executable on the nodes (the script honours $DENO too). */
  deno: string;
  /** The toolkit's folder on the nodes (holds tasks/build.ts). */
  toolkit: string;
  /** Where the scripts' log files go. */
  logs: string;
  /** `--mem` per task, e.g. "768M". */
  mem: string;
  memNote: string;
  partition?: string;
  time?: string;
  /** Path of the finalise script, named in the build script's instructions. */
  finalizeScript: string;
  buildScript: string;
}

function header(lines: string[]): string {
  return lines.map((l) => (l ? `# ${l}` : "#")).join("\n");
}

function directives(d: Record<string, string | undefined>): string {
  return Object.entries(d).filter(([, v]) => v !== undefined)
    .map(([k, v]) => `#SBATCH --${k}=${v}`).join("\n");
}

function body(o: SlurmOptions, args: string[], env: Record<string, string> = {}): string {
  return [
    "set -euo pipefail",
    `DENO="\${DENO:-${o.deno}}"`,
    ...Object.entries(env).map(([k, v]) => `export ${k}=${shellWord(v)}`),
    `cd ${shellWord(o.toolkit)}`,
    // exec: the scheduler's SIGTERM (scancel, time limit) reaches the build, which finishes
    // the shards in hand and releases its locks.
    `exec "$DENO" run -A tasks/build.ts ${args.map(shellWord).join(" ")}`,
  ].join("\n");
}

/**
 * The job-array script: task `$SLURM_ARRAY_TASK_ID` builds that slice.
 *
 * @example
 * await Deno.writeTextFile(files.build, slurmBuildScript(build, opts));
 */
export function slurmBuildScript(b: ClusterBuild, o: SlurmOptions): string {
  const last = b.tasks - 1;
  return [
    "#!/bin/bash",
    header([
      `tessera-zones: build ${b.year}${b.zones ? `, zones ${b.zones.join(",")}` : ""} as a ` +
      `job array of ${b.tasks} slice(s); written by deno task cluster slurm.`,
      `Submit:  sbatch --array=0-${last} ${o.buildScript}`,
      `Then:    sbatch --dependency=afterok:<array job id> --kill-on-invalid-dep=yes ` +
      o.finalizeScript,
      `Re-run slices that failed (e.g. 1 and 4): sbatch --array=1,4 ${o.buildScript}`,
      `(the slice count stays ${b.tasks}: it is given by --tasks, not by the array's size)`,
      o.memNote,
    ]),
    directives({
      "job-name": `tz-build-${b.year}`,
      array: `0-${last}`,
      "cpus-per-task": String(b.workers),
      mem: o.mem,
      partition: o.partition,
      time: o.time,
      output: `${o.logs}/build-%A_%a.out`,
    }),
    body(o, sliceArgs(b, "slurm"), b.env),
    "",
  ].join("\n");
}

/** The finalise script: checks every slice's shards, finishes the stores (and previews). */
export function slurmFinalizeScript(b: ClusterBuild, o: SlurmOptions): string {
  return [
    "#!/bin/bash",
    header([
      `tessera-zones: finalise the ${b.tasks}-slice build of ${b.year} once every slice ran; ` +
      "written by deno task cluster slurm.",
      `Submit after the array: sbatch --dependency=afterok:<array job id> ` +
      `--kill-on-invalid-dep=yes ${o.finalizeScript}`,
      "Exits 1 naming the missing shards and the slices to run again if any slice did not finish.",
      o.memNote,
    ]),
    directives({
      "job-name": `tz-finalize-${b.year}`,
      "cpus-per-task": String(b.workers),
      mem: o.mem,
      partition: o.partition,
      time: o.time,
      output: `${o.logs}/finalize-%j.out`,
    }),
    body(o, finaliseArgs(b), b.env),
    "",
  ].join("\n");
}

/** Runs a SLURM command; throws naming the command and its message when it fails. */
async function run(cmd: string, args: string[]): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new TesseraError(
        "BadArgument",
        `${cmd} not found: run this on a SLURM login node (or install slurm-wlm; ` +
          "bash scripts/slurm.sh start makes a one-machine cluster)",
      );
    }
    throw e;
  }
  const dec = new TextDecoder();
  if (!out.success) {
    throw new TesseraError(
      "BadArgument",
      `${cmd} ${args.join(" ")} failed: ${dec.decode(out.stderr).trim() || `exit ${out.code}`}`,
    );
  }
  return dec.decode(out.stdout);
}

/**
 * The job id `sbatch --parsable` printed ("1234" or "1234;cluster").
 *
 * @example
 * parseSbatchId("1234;local\n"); // "1234"
 */
export function parseSbatchId(stdout: string): string {
  const id = stdout.trim().split(";")[0];
  if (!/^\d+$/.test(id)) {
    throw new TesseraError("BadArgument", `sbatch printed "${stdout.trim()}", not a job id`);
  }
  return id;
}

/** Submitted jobs. */
export interface SlurmSubmission {
  arrayJob: string;
  finalizeJob: string;
  /** The array indices submitted. */
  indices: string;
}

/**
 * Submits the array (all of it, or `indices` such as "1,4") and then the finalise job, which
 * runs only if every array task succeeds (`afterok`) and is cancelled otherwise.
 */
export async function submitSlurm(
  buildScript: string,
  finalizeScript: string,
  tasks: number,
  indices?: string,
): Promise<SlurmSubmission> {
  const array = indices ?? `0-${tasks - 1}`;
  const arrayJob = parseSbatchId(
    await run("sbatch", ["--parsable", `--array=${array}`, buildScript]),
  );
  const finalizeJob = parseSbatchId(
    await run("sbatch", [
      "--parsable",
      `--dependency=afterok:${arrayJob}`,
      "--kill-on-invalid-dep=yes",
      finalizeScript,
    ]),
  );
  return { arrayJob, finalizeJob, indices: array };
}

/** One job's (or array task's) state as `scontrol show job -o` reports it. */
export interface SlurmJobState {
  jobId: string;
  arrayTaskId?: string;
  state: string;
  reason?: string;
  /** The job's exit code (the first half of ExitCode=a:b). */
  exitCode?: number;
  signal?: number;
}

/** Parses `scontrol show job -o` output: one line per job or array task. */
export function parseScontrol(text: string): SlurmJobState[] {
  return text.split("\n").filter((l) => l.includes("JobId=")).map((line) => {
    const field = (k: string) => new RegExp(`(?:^|\\s)${k}=(\\S*)`).exec(line)?.[1];
    const [code, sig] = (field("ExitCode") ?? "").split(":");
    return {
      jobId: field("JobId")!,
      arrayTaskId: field("ArrayTaskId"),
      state: field("JobState") ?? "UNKNOWN",
      reason: field("Reason"),
      exitCode: code === undefined || code === "" ? undefined : Number(code),
      signal: sig === undefined ? undefined : Number(sig),
    };
  });
}

/** The current states of a job (an array job gives one per task); [] once SLURM forgot it. */
export async function jobStates(jobId: string): Promise<SlurmJobState[]> {
  try {
    return parseScontrol(await run("scontrol", ["show", "job", "-o", jobId]));
  } catch (e) {
    if (e instanceof TesseraError && /Invalid job id/i.test(e.message)) return [];
    throw e;
  }
}

const ENDED = new Set([
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "TIMEOUT",
  "OUT_OF_MEMORY",
  "NODE_FAIL",
  "PREEMPTED",
  "BOOT_FAIL",
  "DEADLINE",
]);

/**
 * Waits until `jobId` has ended and returns its last state (polling every `pollMs`).
 *
 * @example
 * const end = await waitForJob(sub.finalizeJob);
 * Deno.exit(end.state === "COMPLETED" ? 0 : 1);
 */
export async function waitForJob(
  jobId: string,
  opts: { pollMs?: number; signal?: AbortSignal } = {},
): Promise<SlurmJobState> {
  for (;;) {
    opts.signal?.throwIfAborted();
    const [s] = await jobStates(jobId);
    if (!s) return { jobId, state: "UNKNOWN", reason: "SLURM no longer knows the job" };
    if (ENDED.has(s.state.replace(/\+$/, ""))) return s;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
  }
}
