/**
 * Bounded concurrency, passed in rather than global: a {@link Limiter} admits at most N tasks
 * at once, first come first served, and {@link withLimiter} puts every request of a storage
 * through one. Stores of a collection share a limiter, so reading many zones at once still
 * keeps N requests in flight. A waiting task whose signal aborts leaves the queue at once; a
 * running one keeps its slot until it has settled. The queue is p-queue's
 * (docs/decisions/2026-12-01-packages.md).
 */
import { TesseraError } from "../errors.ts";
import { PQueue } from "../deps/p_queue.ts";
import type { Storage } from "./storage.ts";

/**
 * Runs async tasks with at most `concurrency` of them in flight.
 *
 * @example
 * ```ts
 * const limiter = new Limiter(8);
 * const sizes = await Promise.all(urls.map((u) => limiter.run(() => fetchSize(u))));
 * ```
 */
export class Limiter {
  readonly concurrency: number;
  readonly #queue: PQueue;
  /**
   * For each caller's signal, the controllers of its tasks still waiting. p-queue races a
   * running task against the task's signal and frees the slot the moment it aborts, while the
   * task may still be writing (a transfer closing its file): so p-queue is given a signal of
   * its own per task, which follows the caller's only until the task starts. One listener per
   * caller's signal, not one per task: removing one of n listeners of a signal costs O(n).
   */
  readonly #waiting = new Map<
    AbortSignal,
    { waiters: Set<AbortController>; onAbort: () => void }
  >();

  constructor(concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new TesseraError(
        "BadArgument",
        `concurrency must be an integer ≥ 1, got ${concurrency}`,
      );
    }
    this.concurrency = concurrency;
    this.#queue = new PQueue({ concurrency });
  }

  /** Tasks running now. */
  get active(): number {
    return this.#queue.pending;
  }

  /** Tasks waiting for a slot. */
  get pending(): number {
    return this.#queue.size;
  }

  /**
   * Runs `task` once a slot is free. Rejects with the signal's reason if `signal` aborts while
   * waiting (the task then never starts). Once started, the task keeps its slot until it
   * settles, and its result is what `run` settles with.
   */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    // A task that p-queue starts at once (within add) never waits, so it needs no signal
    // there; the task itself still has the caller's.
    if (!signal || (this.#queue.size === 0 && this.#queue.pending < this.concurrency)) {
      return this.#queue.add(task);
    }
    const waiter = this.#follow(signal);
    return this.#queue.add(() => {
      this.#unfollow(signal, waiter);
      return task();
    }, { signal: waiter.signal });
  }

  #follow(signal: AbortSignal): AbortController {
    let entry = this.#waiting.get(signal);
    if (!entry) {
      const waiters = new Set<AbortController>();
      const onAbort = () => {
        this.#waiting.delete(signal);
        for (const w of waiters) w.abort(signal.reason);
      };
      entry = { waiters, onAbort };
      this.#waiting.set(signal, entry);
      signal.addEventListener("abort", onAbort, { once: true });
    }
    const waiter = new AbortController();
    entry.waiters.add(waiter);
    return waiter;
  }

  #unfollow(signal: AbortSignal, waiter: AbortController): void {
    const entry = this.#waiting.get(signal);
    if (!entry?.waiters.delete(waiter) || entry.waiters.size > 0) return;
    this.#waiting.delete(signal);
    signal.removeEventListener("abort", entry.onAbort);
  }
}

/**
 * `storage` with every request run through `limiter`.
 *
 * @example
 * ```ts
 * const storage = withLimiter(new HttpStorage(url), new Limiter(16));
 * ```
 */
export function withLimiter(storage: Storage, limiter: Limiter): Storage {
  return {
    get: (key, range, signal) => limiter.run(() => storage.get(key, range, signal), signal),
  };
}
