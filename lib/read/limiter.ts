/**
 * Bounded concurrency, passed in rather than global: a {@link Limiter} admits at most N tasks
 * at once, first come first served, and {@link withLimiter} puts every request of a storage
 * through one. Stores of a collection share a limiter, so reading many zones at once still
 * keeps N requests in flight. A waiting task whose signal aborts leaves the queue at once.
 */
import { TesseraError } from "../errors.ts";
import type { Storage } from "./storage.ts";

interface Waiter {
  start: () => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

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
  #active = 0;
  readonly #queue: Waiter[] = [];

  constructor(concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new TesseraError(
        "BadArgument",
        `concurrency must be an integer ≥ 1, got ${concurrency}`,
      );
    }
    this.concurrency = concurrency;
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Tasks waiting for a slot. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Runs `task` once a slot is free. Rejects with the signal's reason if `signal` aborts while
   * waiting (the task then never starts).
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#active < this.concurrency) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { start: resolve, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.#queue.indexOf(waiter);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
    });
  }

  #release(): void {
    const next = this.#queue.shift();
    if (!next) {
      this.#active--;
      return;
    }
    // The slot passes straight to the next waiter: #active stays the same.
    if (next.onAbort) next.signal!.removeEventListener("abort", next.onAbort);
    next.start();
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
