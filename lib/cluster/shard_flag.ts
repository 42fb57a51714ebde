/**
 * `build --shard K/N | slurm | k8s [--tasks N]`: which slice of the work list this task
 * builds. `slurm` reads the job array's variables, `k8s` the Indexed Job's completion index.
 * The slice count is best given with `--tasks N` (the generated scripts do): re-submitting
 * one index of an array (`sbatch --array=1 …`) makes a one-task array whose
 * SLURM_ARRAY_TASK_COUNT is 1, which must not change the slicing.
 */
import { TesseraError } from "../errors.ts";

/** Slice k of n (0 ≤ k < n). */
export interface SliceSpec {
  readonly k: number;
  readonly n: number;
}

/** The largest slice count accepted (an array of 100 000 tasks is beyond any scheduler's). */
export const MAX_SLICES = 100_000;

/** Where the scheduler variables come from (Deno.env in the task; a plain object in tests). */
export type EnvLookup = (name: string) => string | undefined;

function intVar(env: EnvLookup, name: string): number | undefined {
  const v = env(name);
  if (v === undefined || v === "") return undefined;
  if (!/^\d+$/.test(v)) {
    throw new TesseraError("BadArgument", `${name} is "${v}", not a non-negative integer`);
  }
  return Number(v);
}

/**
 * Parses `--shard` (and `--tasks`) into a slice, or undefined when `--shard` is not given.
 *
 * @example
 * parseShardFlag("1/3", undefined, () => undefined); // { k: 1, n: 3 }
 * parseShardFlag("slurm", "3", (v) => ({ SLURM_ARRAY_TASK_ID: "2" })[v]); // { k: 2, n: 3 }
 * parseShardFlag("k8s", "4", (v) => ({ JOB_COMPLETION_INDEX: "0" })[v]); // { k: 0, n: 4 }
 */
export function parseShardFlag(
  shard: string | undefined,
  tasks: string | undefined,
  env: EnvLookup,
): SliceSpec | undefined {
  const n = parseTasks(tasks);
  if (shard === undefined) return undefined;
  let spec: SliceSpec;
  if (shard === "slurm") {
    const k = intVar(env, "SLURM_ARRAY_TASK_ID");
    if (k === undefined) {
      throw new TesseraError(
        "BadArgument",
        "--shard slurm: SLURM_ARRAY_TASK_ID is not set — run it as a task of a job array " +
          "(deno task cluster slurm writes the script), or give --shard K/N",
      );
    }
    const count = intVar(env, "SLURM_ARRAY_TASK_COUNT");
    const min = intVar(env, "SLURM_ARRAY_TASK_MIN"), max = intVar(env, "SLURM_ARRAY_TASK_MAX");
    const fromArray = count ?? (min === 0 && max !== undefined ? max + 1 : undefined);
    if (n === undefined && fromArray === undefined) {
      throw new TesseraError(
        "BadArgument",
        "--shard slurm: the array's size is unknown (no SLURM_ARRAY_TASK_COUNT, and " +
          "SLURM_ARRAY_TASK_MIN is not 0); give --tasks N",
      );
    }
    spec = { k, n: n ?? fromArray! };
    if (spec.k >= spec.n) {
      throw new TesseraError(
        "BadArgument",
        `--shard slurm: SLURM_ARRAY_TASK_ID ${k} is not below the slice count ${spec.n}` +
          (n === undefined
            ? " (taken from the array's size: a re-submitted part of an array needs --tasks N)"
            : " (--tasks)") +
          "; submit indices 0..N-1",
      );
    }
  } else if (shard === "k8s") {
    const k = intVar(env, "JOB_COMPLETION_INDEX");
    if (k === undefined) {
      throw new TesseraError(
        "BadArgument",
        "--shard k8s: JOB_COMPLETION_INDEX is not set — run it in a Kubernetes Indexed Job " +
          "(deno task cluster k8s writes one), or give --shard K/N",
      );
    }
    if (n === undefined) {
      throw new TesseraError("BadArgument", "--shard k8s needs --tasks N (the Job's completions)");
    }
    if (k >= n) {
      throw new TesseraError(
        "BadArgument",
        `--shard k8s: JOB_COMPLETION_INDEX ${k} is not below --tasks ${n}`,
      );
    }
    spec = { k, n };
  } else {
    const m = /^(\d+)\/(\d+)$/.exec(shard);
    if (!m || +m[1] >= +m[2] || +m[2] > MAX_SLICES) {
      throw new TesseraError(
        "BadArgument",
        `--shard must be K/N with 0 ≤ K < N ≤ ${MAX_SLICES}, slurm or k8s; got "${shard}"`,
      );
    }
    spec = { k: +m[1], n: +m[2] };
    if (n !== undefined && n !== spec.n) {
      throw new TesseraError(
        "BadArgument",
        `--shard ${shard} and --tasks ${n} disagree on the slice count; give one of them`,
      );
    }
  }
  return spec;
}

/** `--tasks N` (1 ≤ N ≤ {@link MAX_SLICES}), or undefined when not given. */
export function parseTasks(tasks: string | undefined): number | undefined {
  if (tasks === undefined) return undefined;
  if (!/^\d+$/.test(tasks) || +tasks < 1 || +tasks > MAX_SLICES) {
    throw new TesseraError(
      "BadArgument",
      `--tasks must be an integer in 1..${MAX_SLICES}, got "${tasks}"`,
    );
  }
  return +tasks;
}
