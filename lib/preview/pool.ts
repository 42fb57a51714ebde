/**
 * A small pool of preview workers (Web Workers, one per core by default): each gets the store
 * context once and then one job at a time, so at most `n` shards are in memory at once.
 * Results come back in job order whatever the scheduling, which keeps every output
 * independent of the worker count.
 */
import { TesseraError } from "../errors.ts";
import type { RenderParams } from "./render.ts";
import type { JobContext, JobResult, PreviewJob } from "./shard_jobs.ts";

/** A running pool; `close` terminates its workers. */
export class PreviewPool {
  #workers: Worker[];
  #signal?: AbortSignal;

  private constructor(workers: Worker[], signal?: AbortSignal) {
    this.#workers = workers;
    this.#signal = signal;
  }

  /**
   * Starts `n` workers on the store of `ctx`.
   *
   * @example
   * ```ts
   * using pool = PreviewPool.start(ctx, 2);
   * const results = await pool.run(jobs);
   * ```
   */
  static start(ctx: JobContext, n: number, signal?: AbortSignal): PreviewPool {
    const workers = Array.from({ length: Math.max(1, n) }, () => {
      const w = new Worker(new URL("./preview_worker.ts", import.meta.url), { type: "module" });
      w.postMessage({ type: "init", ctx });
      return w;
    });
    return new PreviewPool(workers, signal);
  }

  /** Sends the render parameters to every worker (before the render jobs). */
  setParams(params: RenderParams): void {
    for (const w of this.#workers) w.postMessage({ type: "params", params });
  }

  /** Runs `jobs` on the workers; `onDone` sees each result as it arrives. Fails on the first error. */
  async run(jobs: readonly PreviewJob[], onDone?: (r: JobResult) => void): Promise<JobResult[]> {
    const results: JobResult[] = new Array(jobs.length);
    let next = 0, failed = false;
    await Promise.all(this.#workers.map((w) =>
      new Promise<void>((resolve, reject) => {
        const give = () => {
          if (this.#signal?.aborted) return reject(this.#signal.reason);
          if (failed || next >= jobs.length) return resolve();
          const id = next++;
          w.postMessage({ type: "job", id, job: jobs[id] });
        };
        const fail = (e: Error) => {
          failed = true;
          reject(e);
        };
        w.onerror = (e) => {
          e.preventDefault();
          fail(new Error(`preview worker crashed: ${e.message}`));
        };
        w.onmessage = (e: MessageEvent) => {
          const m = e.data;
          if (m.type === "error") {
            // Store problems keep their kind (one line for the user); anything else is a bug.
            return fail(m.kind ? new TesseraError(m.kind, m.message) : new Error(m.message));
          }
          results[m.id] = m.result;
          onDone?.(m.result);
          give();
        };
        give();
      })
    ));
    return results;
  }

  close(): void {
    for (const w of this.#workers) w.terminate();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
