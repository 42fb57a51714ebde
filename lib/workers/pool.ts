/**
 * One pool of Web Workers for every stage that farms out shards (build, verify, previews):
 * start N workers from a module URL (whose entry calls `serveJobs`, serve.ts), send each the
 * same init message, then hand out jobs one at a time — so at most N jobs are in memory at
 * once — and give the results back in job order, whatever the scheduling. A job that throws in
 * its worker is that job's error (named by `describe`), not a crash. On abort, on a crash or
 * (with {@link WorkerPool.run}) on the first job error, no new job starts, the jobs in hand are
 * finished, and then the run rejects: a stage stopped by Ctrl-C never leaves a half-written
 * shard behind it. `close()` (or `using`) terminates the workers.
 */
import { TesseraError } from "../errors.ts";

/** Messages the pool sends to a worker. */
export type ToWorker =
  | { type: "init"; init: unknown }
  | { type: "message"; message: unknown }
  | { type: "job"; id: number; job: unknown };

/** A job's error as it crosses from a worker: a TesseraError keeps its kind. */
export interface ErrorPayload {
  kind?: string;
  message: string;
  stack?: string;
}

/** Messages a worker sends back. */
export type FromWorker =
  | { type: "ready" }
  | { type: "setup-error"; error: ErrorPayload }
  | { type: "done"; id: number; result: unknown }
  | { type: "error"; id: number; error: ErrorPayload };

/** Options of {@link WorkerPool.start}. */
export interface PoolOptions<Job, Init> {
  /** The worker's entry module; it calls `serveJobs` (lib/workers/serve.ts). */
  module: URL;
  /** Workers to start (at least 1). */
  size: number;
  /** Sent to every worker before its first job (structured-cloned). */
  init: Init;
  /** What the workers do, for messages: "build" gives "build worker crashed on …". */
  name: string;
  /** Names a job in error messages (default "job {index}"). */
  describe?: (job: Job, index: number) => string;
}

/** Options of one run. */
export interface RunOptions {
  /** Stops handing out jobs; the jobs in hand finish, then the run rejects with the reason. */
  signal?: AbortSignal;
  /**
   * Resolves when job `index` may be handed out (e.g. once the tiles it reads are fetched);
   * asked in job order, for the next job only. A rejection is that job's error.
   */
  ready?: (index: number) => Promise<void>;
}

/** What one job came to: its result, or the error it threw in its worker. */
export type JobOutcome<Result> =
  | { ok: true; result: Result }
  | {
    ok: false;
    /** Labelled with the job (a TesseraError when the worker's error had a kind). */
    error: Error;
    /** The worker's own stack (or message), without the label. */
    detail: string;
  };

interface Slot {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  /** Index of the job in hand. */
  job?: number;
}

interface Run {
  jobs: readonly unknown[];
  next: number;
  outcomes: JobOutcome<unknown>[];
  onOutcome: (outcome: JobOutcome<unknown>, index: number) => void;
  /** Stop at the first job error (run) or go on (runSettled). */
  failFast: boolean;
  signal?: AbortSignal;
  ready?: (index: number) => Promise<void>;
  /** Jobs below this index have been declared ready; `gating` while the next one is asked. */
  cleared: number;
  gating: boolean;
  /** Why the run stops early: a crash or the first job error. */
  failure?: Error;
  finish: () => void;
}

/**
 * A running pool of workers serving jobs of type `Job` with results of type `Result`;
 * `Message` is what {@link WorkerPool.broadcast} sends between runs.
 *
 * @example
 * ```ts
 * using pool = WorkerPool.start<ShardPlan, ShardDone>({
 *   module: new URL("./shard_worker.ts", import.meta.url),
 *   size: 2,
 *   init,
 *   name: "build",
 *   describe: (s) => `shard ${s.row},${s.col}`,
 * });
 * const outcomes = await pool.runSettled(shards, { signal }, (o, i) => console.log(i, o.ok));
 * ```
 */
export class WorkerPool<Job, Result, Message = never> {
  readonly name: string;
  readonly #slots: Slot[];
  readonly #describe: (job: Job, index: number) => string;
  #run?: Run;
  /** Why the pool is broken (a worker died): every later run fails with this. */
  #broken?: Error;
  #closed = false;

  private constructor(opts: PoolOptions<Job, unknown>) {
    if (!Number.isInteger(opts.size) || opts.size < 1) {
      throw new TesseraError("BadArgument", `a worker pool needs ≥ 1 worker, got ${opts.size}`);
    }
    this.name = opts.name;
    this.#describe = opts.describe ?? ((_, i) => `job ${i}`);
    this.#slots = [];
    try {
      for (let i = 0; i < opts.size; i++) {
        const worker = new Worker(opts.module, { type: "module" });
        const slot: Slot = { worker, ready: false, dead: false };
        this.#slots.push(slot);
        worker.onmessage = (e: MessageEvent<FromWorker>) => this.#onMessage(slot, e.data);
        worker.onerror = (e) => {
          e.preventDefault();
          this.#onCrash(slot, e.message);
        };
        worker.onmessageerror = () => this.#onCrash(slot, "a message could not be deserialised");
        worker.postMessage({ type: "init", init: opts.init } satisfies ToWorker);
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /**
   * Starts `size` workers of `module` and sends each `init`. They load while the caller goes
   * on; jobs go to each worker once it has set up.
   */
  static start<Job, Result, Message = never, Init = unknown>(
    opts: PoolOptions<Job, Init>,
  ): WorkerPool<Job, Result, Message> {
    return new WorkerPool<Job, Result, Message>(opts);
  }

  /** Number of workers. */
  get size(): number {
    return this.#slots.length;
  }

  /**
   * Sends `message` to every worker (e.g. parameters chosen after the pool started). A worker
   * handles it after its init and before any job sent later.
   */
  broadcast(message: Message): void {
    if (this.#run) {
      throw new TesseraError("BadArgument", `${this.name} pool: broadcast during a run`);
    }
    for (const s of this.#slots) {
      if (!s.dead) s.worker.postMessage({ type: "message", message } satisfies ToWorker);
    }
  }

  /**
   * Runs `jobs`; resolves to their results in job order. The first job error stops the run
   * (no new job starts, the jobs in hand finish) and is what it rejects with. `onResult` sees
   * each result as it arrives.
   */
  async run(
    jobs: readonly Job[],
    opts: RunOptions = {},
    onResult?: (result: Result, index: number) => void,
  ): Promise<Result[]> {
    const outcomes = await this.#start(jobs, opts, true, (o, i) => {
      if (o.ok) onResult?.(o.result as Result, i);
    });
    return outcomes.map((o) => (o as { result: Result }).result);
  }

  /**
   * Runs `jobs`; resolves to every job's outcome in job order — a job that threw is an
   * outcome, not a failure of the run. Rejects only on abort or a crashed worker (after the
   * jobs in hand finish). `onOutcome` sees each outcome as it arrives.
   */
  async runSettled(
    jobs: readonly Job[],
    opts: RunOptions = {},
    onOutcome?: (outcome: JobOutcome<Result>, index: number) => void,
  ): Promise<JobOutcome<Result>[]> {
    const report = onOutcome as Run["onOutcome"] | undefined;
    return await this.#start(jobs, opts, false, report) as JobOutcome<Result>[];
  }

  /** Terminates every worker; a run in progress rejects at once (its jobs in hand are lost). */
  close(): void {
    this.#closed = true;
    for (const s of this.#slots) s.worker.terminate();
    const run = this.#run;
    if (run) {
      run.failure ??= new Error(`${this.name} pool closed during a run`);
      run.finish();
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #start(
    jobs: readonly Job[],
    opts: RunOptions,
    failFast: boolean,
    onOutcome?: Run["onOutcome"],
  ): Promise<JobOutcome<unknown>[]> {
    if (this.#closed) throw new TesseraError("BadArgument", `${this.name} pool is closed`);
    if (this.#run) {
      throw new TesseraError("BadArgument", `${this.name} pool: one run at a time`);
    }
    opts.signal?.throwIfAborted();
    if (this.#broken) return Promise.reject(this.#broken);
    if (jobs.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const onAbort = () => this.#pump();
      const run: Run = {
        jobs,
        next: 0,
        outcomes: new Array(jobs.length),
        onOutcome: onOutcome ?? (() => {}),
        failFast,
        signal: opts.signal,
        ready: opts.ready,
        cleared: 0,
        gating: false,
        finish: () => {
          opts.signal?.removeEventListener("abort", onAbort);
          this.#run = undefined;
          if (run.failure) reject(run.failure);
          else if (opts.signal?.aborted) reject(opts.signal.reason);
          else resolve(run.outcomes);
        },
      };
      this.#run = run;
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      this.#pump();
    });
  }

  /** Hands out jobs to idle workers, or finishes the run when nothing is left in hand. */
  #pump(): void {
    const run = this.#run;
    if (!run) return;
    const stopping = run.failure !== undefined || run.signal?.aborted === true;
    if (!stopping) {
      for (const s of this.#slots) {
        if (run.next >= run.jobs.length) break;
        if (!s.ready || s.dead || s.job !== undefined) continue;
        if (!this.#cleared(run)) break;
        const id = run.next++;
        s.job = id;
        try {
          s.worker.postMessage({ type: "job", id, job: run.jobs[id] } satisfies ToWorker);
        } catch (e) {
          // An uncloneable job is the caller's bug: stop the run with it.
          s.job = undefined;
          run.failure = e as Error;
          break;
        }
      }
    }
    if (this.#slots.some((s) => s.job !== undefined) || (run.gating && !stopping)) return;
    if (this.#slots.every((s) => s.dead)) run.failure ??= this.#broken;
    if (run.failure || run.signal?.aborted || run.next >= run.jobs.length) run.finish();
  }

  /** Whether job `run.next` may go out now; if not, asks once and pumps when it may. */
  #cleared(run: Run): boolean {
    if (!run.ready || run.cleared > run.next) return true;
    if (run.gating) return false;
    run.gating = true;
    const id = run.next;
    run.ready(id).then(
      () => {
        if (this.#run !== run) return;
        run.gating = false;
        run.cleared = id + 1;
        this.#pump();
      },
      (e) => {
        if (this.#run !== run) return;
        run.gating = false;
        // The job fails without being handed out; the run goes on with the next one.
        run.next = id + 1;
        run.cleared = id + 1;
        const label = this.#describe(run.jobs[id] as Job, id);
        const error = new Error(`${label}: ${(e as Error)?.message ?? e}`);
        const outcome: JobOutcome<unknown> = { ok: false, error, detail: error.message };
        run.outcomes[id] = outcome;
        if (run.failFast) run.failure ??= error;
        try {
          run.onOutcome(outcome, id);
        } catch (err) {
          run.failure ??= err as Error;
        }
        this.#pump();
      },
    );
    return false;
  }

  #onMessage(slot: Slot, m: FromWorker): void {
    if (m.type === "ready") {
      slot.ready = true;
      return this.#pump();
    }
    if (m.type === "setup-error") {
      return this.#onCrash(slot, `could not set up: ${m.error.stack ?? m.error.message}`);
    }
    const run = this.#run;
    if (!run || slot.job !== m.id) return;
    slot.job = undefined;
    const label = this.#describe(run.jobs[m.id] as Job, m.id);
    const outcome: JobOutcome<unknown> = m.type === "done"
      ? { ok: true, result: m.result }
      : { ok: false, error: jobError(m.error, label), detail: m.error.stack ?? m.error.message };
    run.outcomes[m.id] = outcome;
    if (!outcome.ok && run.failFast) run.failure ??= outcome.error;
    try {
      run.onOutcome(outcome, m.id);
    } catch (e) {
      run.failure ??= e as Error;
    }
    this.#pump();
  }

  #onCrash(slot: Slot, message: string): void {
    if (slot.dead) return;
    slot.dead = true;
    slot.worker.terminate();
    const run = this.#run;
    const on = run && slot.job !== undefined
      ? ` on ${this.#describe(run.jobs[slot.job] as Job, slot.job)}`
      : "";
    const error = new Error(`${this.name} worker crashed${on}: ${message}`);
    this.#broken ??= error;
    slot.job = undefined;
    if (run) {
      run.failure ??= error;
      this.#pump();
    }
  }
}

/** The error of a job that threw in its worker, labelled with the job. */
function jobError(p: ErrorPayload, label: string): Error {
  // A store problem keeps its kind and stays one line for the user; anything else is a bug,
  // shown with the worker's stack.
  if (p.kind) return new TesseraError(p.kind as TesseraError["kind"], `${label}: ${p.message}`);
  return new Error(`${label}: ${p.stack ?? p.message}`);
}
