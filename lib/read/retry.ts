/**
 * Retries with exponential backoff around a {@link Storage}: a request that fails with a
 * retryable error (HTTP 5xx/429/408, a network error, a timeout) is repeated after
 * `baseDelayMs · 2^attempt` (capped, with jitter). Absent objects (404) and unsatisfiable
 * ranges (416) are answers, not failures, and are never retried; neither is an abort. p-retry
 * runs the attempts; the backoff is ours, so that the cap comes before the jitter
 * (docs/decisions/2026-12-01-packages.md).
 */
import { TesseraError } from "../errors.ts";
import { pRetry } from "../deps/p_retry.ts";
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
 * What a storage threw, carried through p-retry untouched: p-retry never retries a `TypeError`
 * it does not recognise as a network error, and turns a thrown non-Error into a `TypeError` of
 * its own; here `shouldRetry` alone decides, and the caller gets the very value thrown.
 */
class Thrown extends Error {
  constructor(readonly value: unknown) {
    super("a storage request failed");
  }
}

function checkOptions(o: Required<Omit<RetryOptions, "onRetry">>): void {
  const bad = (what: string, v: number) =>
    new TesseraError("BadArgument", `retry ${what} must be ≥ 0, got ${v}`);
  if (!(Number.isInteger(o.retries) && o.retries >= 0) && o.retries !== Infinity) {
    throw new TesseraError("BadArgument", `retries must be an integer ≥ 0, got ${o.retries}`);
  }
  if (!(o.baseDelayMs >= 0)) throw bad("baseDelayMs", o.baseDelayMs);
  if (!(o.maxDelayMs >= 0)) throw bad("maxDelayMs", o.maxDelayMs);
}

/**
 * `storage` with failed requests retried. The backoff sleep is abortable (the rejection is the
 * caller's abort reason), and the last error is rethrown when the attempts run out. Options
 * out of range are a "BadArgument" error here, not at the first request.
 *
 * @example
 * ```ts
 * const storage = withRetry(new HttpStorage(url), { retries: 5, baseDelayMs: 200 });
 * ```
 */
export function withRetry(storage: Storage, opts: RetryOptions = {}): Storage {
  const o = { ...DEFAULT_RETRY, ...opts };
  checkOptions(o);
  return {
    async get(key, range, signal) {
      try {
        return await pRetry(async () => {
          try {
            return await storage.get(key, range, signal);
          } catch (e) {
            throw new Thrown(e);
          }
        }, {
          retries: o.retries,
          // p-retry's own wait is off: it would cap after jittering, so clients at the cap
          // would all wait exactly maxDelayMs. The wait is ours, in shouldRetry, which p-retry
          // calls only while retries are left.
          minTimeout: 0,
          signal,
          shouldRetry: async ({ error, attemptNumber }) => {
            const e = (error as Thrown).value;
            if (isAbort(e, signal) || !o.shouldRetry(e)) return false;
            const full = backoffDelay(attemptNumber, o);
            const delayMs = o.jitter ? full / 2 + Math.random() * full / 2 : full;
            opts.onRetry?.({ key, attempt: attemptNumber, delayMs, error: e });
            await sleep(delayMs, signal);
            return true;
          },
        });
      } catch (e) {
        throw e instanceof Thrown ? e.value : e;
      }
    },
  };
}
