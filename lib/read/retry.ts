/**
 * Retries with exponential backoff around a {@link Storage}: a request that fails with a
 * retryable error (HTTP 5xx/429/408, a network error, a timeout) is repeated after
 * `baseDelayMs · 2^attempt` (capped, with jitter). Absent objects (404) and unsatisfiable
 * ranges (416) are answers, not failures, and are never retried; neither is an abort.
 */
import { isAbort, isRetryable, sleep, type Storage } from "./storage.ts";

/** What a retry wrapper does. */
export interface RetryOptions {
  /** Further attempts after the first (default 4). */
  retries?: number;
  /** Delay before the first retry, doubled for each further one (default 100 ms). */
  baseDelayMs?: number;
  /** Upper bound of one delay (default 5000 ms). */
  maxDelayMs?: number;
  /**
   * Randomise each delay within [delay/2, delay] so many clients do not retry in lockstep
   * (default true). Tests turn it off to check the schedule.
   */
  jitter?: boolean;
  /** Which errors to retry (default {@link isRetryable}). */
  shouldRetry?: (error: unknown) => boolean;
  /** Called before each retry with the attempt number (1-based) and the delay. */
  onRetry?: (info: { key: string; attempt: number; delayMs: number; error: unknown }) => void;
}

/**
 * The retry policy used when none is given: 4 retries from 100 ms, ≤ 5 s, with jitter.
 *
 * @example
 * ```ts
 * withRetry(storage, { ...DEFAULT_RETRY, retries: 8 });
 * ```
 */
export const DEFAULT_RETRY: Required<Omit<RetryOptions, "onRetry">> = {
  retries: 4,
  baseDelayMs: 100,
  maxDelayMs: 5000,
  jitter: true,
  shouldRetry: isRetryable,
};

/**
 * The delay before retry number `attempt` (1-based) without jitter.
 *
 * @example
 * ```ts
 * backoffDelay(3, { baseDelayMs: 100, maxDelayMs: 5000 }); // 400
 * ```
 */
export function backoffDelay(
  attempt: number,
  opts: { baseDelayMs: number; maxDelayMs: number },
): number {
  return Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
}

/**
 * `storage` with failed requests retried. The backoff sleep is abortable, and the last error
 * is rethrown when the attempts run out.
 *
 * @example
 * ```ts
 * const storage = withRetry(new HttpStorage(url), { retries: 5, baseDelayMs: 200 });
 * ```
 */
export function withRetry(storage: Storage, opts: RetryOptions = {}): Storage {
  const o = { ...DEFAULT_RETRY, ...opts };
  return {
    async get(key, range, signal) {
      for (let attempt = 1;; attempt++) {
        try {
          return await storage.get(key, range, signal);
        } catch (e) {
          if (attempt > o.retries || isAbort(e, signal) || signal?.aborted || !o.shouldRetry(e)) {
            throw e;
          }
          const full = backoffDelay(attempt, o);
          const delayMs = o.jitter ? full / 2 + Math.random() * full / 2 : full;
          opts.onRetry?.({ key, attempt, delayMs, error: e });
          await sleep(delayMs, signal);
        }
      }
    },
  };
}
