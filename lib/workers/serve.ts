/**
 * The worker half of {@link WorkerPool} (pool.ts): a worker entry module calls `serveJobs`
 * with a setup function; the pool's init message goes to it once, then each job to the
 * handler it returns. Messages are handled one at a time, in the order they were sent, so a
 * broadcast sent between two runs is seen before the next run's first job.
 */
/// <reference lib="deno.worker" />
import { TesseraError } from "../errors.ts";
import type { ErrorPayload, FromWorker, ToWorker } from "./pool.ts";

/** What a worker does with its jobs. */
export interface JobHandler<Job, Result, Message = never> {
  /** Runs one job; a throw is this job's error (the worker goes on with the next). */
  run(job: Job): Result | Promise<Result>;
  /** Receives what the pool broadcast. */
  message?(message: Message): void | Promise<void>;
  /** Buffers to transfer with a result instead of copying it. */
  transfer?(result: Result): Transferable[];
}

/**
 * Serves the pool's jobs in this worker. `setup` gets the pool's init once; if it throws, the
 * pool reports this worker as failed to start.
 *
 * @example
 * ```ts
 * serveJobs((init: ShardWriterInit) => {
 *   const writer = new ShardWriter(init);
 *   return { run: (job: ShardPlan) => writer.write(job) };
 * });
 * ```
 */
export function serveJobs<Init, Job, Result, Message = never>(
  setup: (
    init: Init,
  ) => JobHandler<Job, Result, Message> | Promise<JobHandler<Job, Result, Message>>,
): void {
  let handler: JobHandler<Job, Result, Message> | undefined;
  let queue = Promise.resolve();
  const post = (m: FromWorker, transfer: Transferable[] = []) => self.postMessage(m, transfer);
  const handle = async (m: ToWorker) => {
    if (m.type === "init") {
      try {
        handler = await setup(m.init as Init);
        post({ type: "ready" });
      } catch (e) {
        post({ type: "setup-error", error: errorPayload(e) });
      }
      return;
    }
    if (!handler) return;
    if (m.type === "message") {
      await handler.message?.(m.message as Message);
      return;
    }
    let result: Result;
    try {
      result = await handler.run(m.job as Job);
    } catch (e) {
      post({ type: "error", id: m.id, error: errorPayload(e) });
      return;
    }
    post({ type: "done", id: m.id, result }, handler.transfer?.(result) ?? []);
  };
  self.onmessage = (e: MessageEvent<ToWorker>) => {
    queue = queue.then(() => handle(e.data));
  };
}

function errorPayload(e: unknown): ErrorPayload {
  if (e instanceof TesseraError) return { kind: e.kind, message: e.message, stack: e.stack };
  if (e instanceof Error) return { message: e.message, stack: e.stack };
  return { message: String(e) };
}
