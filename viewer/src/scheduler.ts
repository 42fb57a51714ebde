/**
 * Tile scheduler: runs the tiles the view wants, nearest first, at most `concurrency` at a
 * time, each with its own AbortController. When the view changes, `setWanted` aborts the
 * in-flight tiles the new view no longer wants (their fetches really stop: the signal reaches
 * `fetch`), keeps the ones it still wants, and re-queues the rest in the new order.
 *
 * The upstream viewer only stopped starting new batches; its fetches ran to the end
 * (upstream-pr-spec §7.5). Failed tiles are not remembered as empty: the next view retries.
 */

/** A unit of work; `priority` lower runs first (e.g. squared distance to the view centre). */
export interface Task {
  key: string;
  priority: number;
}

export interface SchedulerProgress {
  /** Tiles of the current view finished (loaded, empty or failed). */
  done: number;
  /** Tiles the current view asked for. */
  total: number;
  inFlight: number;
}

export interface SchedulerCounts {
  started: number;
  completed: number;
  failed: number;
  /** Tasks aborted because the view moved away while they ran. */
  aborted: number;
}

export interface SchedulerOptions<T extends Task, R> {
  concurrency: number;
  run: (task: T, signal: AbortSignal) => Promise<R>;
  onDone: (task: T, result: R) => void;
  onError?: (task: T, error: unknown) => void;
  onProgress?: (p: SchedulerProgress) => void;
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && e.name === "AbortError" ||
    (typeof e === "object" && e !== null && (e as { name?: string }).name === "AbortError");
}

export class TileScheduler<T extends Task, R> {
  #queue: T[] = [];
  #running = new Map<string, { task: T; ctrl: AbortController }>();
  #wanted = new Set<string>();
  #total = 0;
  #done = 0;
  #idleWaiters: (() => void)[] = [];
  #paused = false;
  readonly counts: SchedulerCounts = { started: 0, completed: 0, failed: 0, aborted: 0 };

  constructor(readonly opts: SchedulerOptions<T, R>) {}

  /** True when nothing is queued or running. */
  get idle(): boolean {
    return this.#queue.length === 0 && this.#running.size === 0;
  }

  get progress(): SchedulerProgress {
    return { done: this.#done, total: this.#total, inFlight: this.#running.size };
  }

  /** Resolves when the scheduler is next idle (at once if it is). */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Replaces the wanted set. Tasks running and still wanted continue; running and no longer
   * wanted are aborted; the rest is queued by priority.
   */
  setWanted(tasks: readonly T[]): void {
    const keys = new Set(tasks.map((t) => t.key));
    for (const [key, r] of this.#running) {
      if (!keys.has(key)) {
        r.ctrl.abort();
        this.#running.delete(key);
        this.counts.aborted++;
      }
    }
    this.#wanted = keys;
    this.#queue = tasks.filter((t) => !this.#running.has(t.key))
      .sort((a, b) => a.priority - b.priority);
    this.#total = tasks.length;
    this.#done = 0;
    this.#paused = false;
    this.#report();
    this.#pump();
  }

  /** Starts nothing new until `resume` or the next `setWanted` (e.g. while the map moves). */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#pump();
  }

  /** Aborts everything (e.g. when the stores or the colouring change). */
  cancelAll(): void {
    this.setWanted([]);
  }

  #report(): void {
    this.opts.onProgress?.(this.progress);
    if (this.idle) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  #pump(): void {
    while (!this.#paused && this.#running.size < this.opts.concurrency && this.#queue.length > 0) {
      const task = this.#queue.shift()!;
      this.#start(task, 0);
    }
    if (this.idle) this.#report();
  }

  #start(task: T, attempt: number): void {
    const ctrl = new AbortController();
    const entry = { task, ctrl };
    this.#running.set(task.key, entry);
    this.counts.started++;
    this.opts.run(task, ctrl.signal).then(
      (result) => {
        if (this.#running.get(task.key) !== entry) return; // aborted meanwhile
        this.#running.delete(task.key);
        this.counts.completed++;
        this.#done++;
        this.opts.onDone(task, result);
        this.#report();
        this.#pump();
      },
      (error) => {
        if (this.#running.get(task.key) !== entry) return;
        this.#running.delete(task.key);
        // An abort we did not ask for comes from a fetch shared with an aborted tile (zarrita
        // shares a shard's index request): run again.
        if (isAbort(error) && !ctrl.signal.aborted && attempt < 2) {
          this.#start(task, attempt + 1);
          return;
        }
        this.counts.failed++;
        this.#done++;
        this.opts.onError?.(task, error);
        this.#report();
        this.#pump();
      },
    );
  }

  /** Whether `key` is part of the current view's wanted set. */
  wants(key: string): boolean {
    return this.#wanted.has(key);
  }
}
