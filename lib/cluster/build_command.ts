/**
 * What a scheduler task runs: the `build` task's arguments for one slice (`--shard slurm` /
 * `--shard k8s`, with `--tasks N`) and for the finalise step, made from the selection the user
 * gave `deno task cluster`, and the memory one task needs. Pure.
 */

/** The build flags a cluster run passes on to every task. */
export interface ClusterBuild {
  /** BASE as the tasks see it. */
  base: string;
  /** The output dir as the tasks see it. */
  outputDir: string;
  year: number;
  zones?: number[];
  workers: number;
  compress: "none" | "zstd";
  bands?: number;
  registryDir?: string;
  /** The number of slices (array tasks, completions). */
  tasks: number;
  rgb?: boolean;
  pca?: boolean;
  /** `--layout`, `--dataset`, `--landmask-version` as the user gave them. */
  layout?: { layout?: string; dataset?: string; landmaskVersion?: string };
  /**
   * The remote flags as the user gave them (`--registry`, `--connections`, `--timeout`,
   * `--retries`, `--check-hashes`, `--cache-dir`), passed on to every task.
   */
  remote?: RemoteBuildFlags;
  /** Environment of every task (the spool's memory budget when BASE is a URL). */
  env?: Record<string, string>;
}

/** The remote flags a cluster run passes on. */
export interface RemoteBuildFlags {
  registry?: string;
  connections?: string;
  timeout?: string;
  retries?: string;
  checkHashes?: boolean;
  cacheDir?: string;
}

/**
 * Shared memory of the tile spool per task when BASE is a URL (TZ_SPOOL_MEMORY_MB, added to
 * the task's memory; beyond it tiles go to the task's $TMPDIR): a few tiles, not the 4 GiB a
 * lone build may take.
 */
export const CLUSTER_SPOOL_MIB = 1024;

function remoteArgs(r: RemoteBuildFlags | undefined): string[] {
  if (!r) return [];
  return [
    ...(r.registry ? ["--registry", r.registry] : []),
    ...(r.connections ? ["--connections", r.connections] : []),
    ...(r.timeout ? ["--timeout", r.timeout] : []),
    ...(r.retries ? ["--retries", r.retries] : []),
    ...(r.checkHashes ? ["--check-hashes"] : []),
    ...(r.cacheDir ? ["--cache-dir", r.cacheDir] : []),
  ];
}

function common(b: ClusterBuild): string[] {
  return [
    b.base,
    "--year",
    String(b.year),
    ...(b.zones ? ["--zones", b.zones.join(",")] : []),
    "--output-dir",
    b.outputDir,
    "--workers",
    String(b.workers),
    ...(b.compress !== "none" ? ["--compress", b.compress] : []),
    ...(b.bands !== undefined ? ["--bands", String(b.bands)] : []),
    ...(b.registryDir ? ["--registry-dir", b.registryDir] : []),
    ...(b.layout?.layout ? ["--layout", b.layout.layout] : []),
    ...(b.layout?.dataset ? ["--dataset", b.layout.dataset] : []),
    ...(b.layout?.landmaskVersion ? ["--landmask-version", b.layout.landmaskVersion] : []),
    ...remoteArgs(b.remote),
  ];
}

/**
 * Arguments of `tasks/build.ts` for a slice whose index the scheduler gives.
 *
 * @example
 * sliceArgs(b, "slurm"); // ["/data", "--year", "2024", …, "--shard", "slurm", "--tasks", "3"]
 */
export function sliceArgs(b: ClusterBuild, scheduler: "slurm" | "k8s"): string[] {
  return [...common(b), "--shard", scheduler, "--tasks", String(b.tasks)];
}

/** Arguments of `tasks/build.ts` for the finalise step (with the previews asked for). */
export function finaliseArgs(b: ClusterBuild): string[] {
  return [
    ...common(b),
    "--finalize",
    "--tasks",
    String(b.tasks),
    ...(b.rgb ? ["--rgb"] : []),
    ...(b.pca ? ["--pca"] : []),
  ];
}

/** Memory of the process itself (Deno, the plan, the tile list), MiB. */
export const BASE_MIB = 160;

/**
 * Memory one task needs, MiB: per worker one shard's buffers — 1024 × 1024 pixels × (bands
 * int8 + 4 B scale), ×1.5 for the encoded copy being written — plus a worker's own 16 MiB,
 * and the process itself; then 25 % headroom, rounded up to 64 MiB. Measured: 2 workers at
 * 128 bands peak at 494 MiB resident, 1 worker at 291 MiB (docs/cluster.md).
 *
 * @example
 * taskMemoryMiB(2, 128); // 768
 */
export function taskMemoryMiB(workers: number, bands: number): number {
  const perWorker = Math.ceil(1.5 * (bands + 4)) + 16;
  const need = (BASE_MIB + workers * perWorker) * 1.25;
  return Math.ceil(need / 64) * 64;
}

/** The sentence scripts carry to say where their memory figure comes from. */
export function memoryNote(
  workers: number,
  bands: number,
  mib: number,
  given?: string,
  spoolMiB = 0,
): string {
  const perWorker = Math.ceil(1.5 * (bands + 4)) + 16;
  const computed = `${workers} worker(s) × ${perWorker} MiB (one 1024 × 1024 shard of ${bands} ` +
    `bands each) + ${BASE_MIB} MiB for the process, + 25 %` +
    (spoolMiB ? `, + ${spoolMiB} MiB for the tiles fetched over HTTP` : "") + ` = ${mib} MiB`;
  return given ? `memory given: ${given} (computed: ${computed})` : `memory per task: ${computed}`;
}
