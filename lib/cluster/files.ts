/**
 * Where `deno task cluster` writes its scheduler files: `{output dir}/cluster/`, beside the
 * stores they build (the output dir is on the filesystem every task shares), one set per year.
 * The finalise step names these files when it says what to run again.
 */
import { join } from "node:path";

/** The folder of scheduler files inside the output dir. */
export function clusterDir(outputDir: string): string {
  return join(outputDir, "cluster");
}

/** The SLURM job-array script, finalise script and log folder of a year's build. */
export function slurmFiles(outputDir: string, year: number) {
  const dir = clusterDir(outputDir);
  return {
    build: join(dir, `slurm-build-${year}.sbatch`),
    finalize: join(dir, `slurm-finalize-${year}.sbatch`),
    logs: join(dir, "logs"),
  };
}

/** The Kubernetes Indexed Job and finalise Job manifests of a year's build. */
export function k8sFiles(outputDir: string, year: number) {
  const dir = clusterDir(outputDir);
  return {
    build: join(dir, `k8s-build-${year}.yaml`),
    finalize: join(dir, `k8s-finalize-${year}.yaml`),
  };
}

/**
 * A POSIX-shell word for `arg` (quoted only when needed).
 *
 * @example
 * shellWord("/data/x"); // "/data/x"
 * shellWord("it's"); // "'it'\\''s'"
 */
export function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
