/**
 * How a preview pass runs its jobs: one pool of preview workers (lib/workers over
 * preview_worker.ts), started once per pass — early, so the workers load their modules while
 * this thread reads the statistics — and a phase ("sample", "rgb+pca_rgb", "overview k") is
 * one run of jobs with its progress bar. Results come back in job order whatever the
 * scheduling, which keeps every output independent of the worker count.
 */
import type { Progress } from "../cli/progress.ts";
import { WorkerPool } from "../workers/pool.ts";
import type { RenderParams } from "./render.ts";
import type { JobContext, JobResult, PreviewJob } from "./shard_jobs.ts";

/** Runs one phase's jobs; their results in job order. */
export type RunPhase = (label: string, jobs: PreviewJob[]) => Promise<JobResult[]>;

/** The workers of one preview pass, started on first use; `close` (or `using`) ends them. */
export class PhaseRunner {
  readonly #ctx: JobContext;
  readonly #workers: number;
  readonly #signal?: AbortSignal;
  readonly #progress?: (label: string, total: number) => Progress;
  #pool?: WorkerPool<PreviewJob, JobResult, RenderParams>;

  /**
   * A runner of `workers` preview workers on the store of `ctx`.
   *
   * @example
   * ```ts
   * using runner = new PhaseRunner(ctx, 2, { signal });
   * const results = await runner.run("sample", jobs);
   * ```
   */
  constructor(
    ctx: JobContext,
    workers: number,
    opts: { signal?: AbortSignal; progress?: (label: string, total: number) => Progress } = {},
  ) {
    this.#ctx = ctx;
    this.#workers = Math.max(1, workers);
    this.#signal = opts.signal;
    this.#progress = opts.progress;
  }

  /** Starts the workers now, if not yet started. */
  start(): void {
    this.#pool ??= WorkerPool.start<PreviewJob, JobResult, RenderParams, JobContext>({
      module: new URL("./preview_worker.ts", import.meta.url),
      size: this.#workers,
      init: this.#ctx,
      name: "preview",
      describe: (job) => `${job.type} job for shard ${job.row},${job.col}`,
    });
  }

  /** Sends the render parameters to every worker (before the render jobs). */
  setParams(params: RenderParams): void {
    this.start();
    this.#pool!.broadcast(params);
  }

  /** Runs one phase; the first failing job fails it (after the jobs in hand finish). */
  run: RunPhase = async (label, jobs) => {
    if (jobs.length === 0) return [];
    this.start();
    const bar = this.#progress?.(label, jobs.length);
    try {
      return await this.#pool!.run(jobs, { signal: this.#signal }, () => bar?.tick());
    } finally {
      bar?.stop();
    }
  };

  close(): void {
    this.#pool?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
