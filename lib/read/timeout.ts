/**
 * A per-request time limit around a {@link Storage}: a request still running after `ms` is
 * aborted and fails with a retryable {@link StorageError} ("timeout"), so a retry wrapper
 * outside it tries again. Upstream fills hung for hours on stalled connections without one.
 */
import { TesseraError } from "../errors.ts";
import { type Storage, StorageError } from "./storage.ts";

/**
 * `storage` with each request limited to `ms` milliseconds. The caller's own abort still wins:
 * it rejects with the caller's reason, not a timeout.
 *
 * @example
 * ```ts
 * const storage = withRetry(withTimeout(new HttpStorage(url), 30_000));
 * ```
 */
export function withTimeout(storage: Storage, ms: number): Storage {
  if (!(ms > 0)) throw new TesseraError("BadArgument", `timeout must be > 0 ms, got ${ms}`);
  return {
    async get(key, range, signal) {
      signal?.throwIfAborted();
      const controller = new AbortController();
      const onAbort = () => controller.abort(signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new DOMException(`no answer within ${ms} ms`, "TimeoutError"));
      }, ms);
      try {
        return await storage.get(key, range, controller.signal);
      } catch (e) {
        if (timedOut && !signal?.aborted) {
          throw new StorageError("timeout", `no answer within ${ms} ms`, {
            where: key,
            retryable: true,
            cause: e,
          });
        }
        throw e;
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      }
    },
  };
}
