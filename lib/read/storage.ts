/**
 * The one interface the readers depend on: a readable key/value store, `get(key, range?)`,
 * as in zarrita. Local directories and HTTP servers implement it (fs_storage.ts,
 * http_storage.ts); limits, retries, timeouts and prefixes are wrappers around it, so a reader
 * never knows where bytes come from.
 */
import { TesseraError } from "../errors.ts";

/** `length` bytes from `offset`, or the last `suffixLength` bytes of an object. */
export type ByteRange = { offset: number; length: number } | { suffixLength: number };

/**
 * A readable store. `get` resolves to the object's bytes (or the requested range of them), or
 * to undefined when the object does not exist. A range reaching past the end yields the bytes
 * that exist, as HTTP does. An aborted `signal` rejects with the signal's reason.
 *
 * @example
 * ```ts
 * const storage: Storage = new FsStorage("zarr/utm30_2024.zarr");
 * const index = await storage.get("scales/c/0/0", { suffixLength: 16 * 16 + 4 });
 * ```
 */
export interface Storage {
  get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array | undefined>;
}

/** Why a storage request failed. */
export type StorageFailure = "http" | "network" | "timeout";

/**
 * A failed storage request (kind "BadStore"): an HTTP error status, a network error or a
 * timeout. `retryable` says whether trying again can help (5xx, 429, network errors and
 * timeouts can; 403 or a malformed response cannot).
 *
 * @example
 * ```ts
 * try { await storage.get("zarr.json"); }
 * catch (e) { if (e instanceof StorageError && e.status === 403) console.log("no access"); }
 * ```
 */
export class StorageError extends TesseraError {
  readonly failure: StorageFailure;
  readonly status?: number;
  readonly retryable: boolean;

  constructor(
    failure: StorageFailure,
    message: string,
    opts: { where?: string; status?: number; retryable: boolean; cause?: unknown },
  ) {
    super("BadStore", message, opts.where, { cause: opts.cause });
    this.failure = failure;
    this.status = opts.status;
    this.retryable = opts.retryable;
  }
}

/**
 * True when `e` is a failed request worth repeating (see {@link StorageError}).
 *
 * @example
 * ```ts
 * isRetryable(new StorageError("http", "503", { status: 503, retryable: true })); // true
 * ```
 */
export function isRetryable(e: unknown): boolean {
  return e instanceof StorageError && e.retryable;
}

/**
 * True when `e` is the rejection of an aborted operation (an "AbortError" DOMException or the
 * reason the caller aborted with).
 *
 * @example
 * ```ts
 * isAbort(new DOMException("stop", "AbortError")); // true
 * ```
 */
export function isAbort(e: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted && e === signal.reason) return true;
  return e instanceof DOMException && (e.name === "AbortError" || e.name === "TimeoutError");
}

/**
 * Checks a byte range: non-negative safe integers. A bad range is a "BadArgument" error.
 *
 * @example
 * ```ts
 * checkRange({ offset: 0, length: 10 }); // ok
 * ```
 */
export function checkRange(range: ByteRange): void {
  const nat = (n: number) => Number.isSafeInteger(n) && n >= 0;
  const ok = "suffixLength" in range
    ? nat(range.suffixLength)
    : nat(range.offset) && nat(range.length);
  if (!ok) throw new TesseraError("BadArgument", `invalid byte range ${JSON.stringify(range)}`);
}

/**
 * The HTTP `Range` header value of a byte range (`bytes=a-b` or `bytes=-n`). An empty range
 * has no HTTP spelling and is a "BadArgument" error.
 *
 * @example
 * ```ts
 * rangeHeader({ suffixLength: 16388 }); // "bytes=-16388"
 * rangeHeader({ offset: 10, length: 5 }); // "bytes=10-14"
 * ```
 */
export function rangeHeader(range: ByteRange): string {
  checkRange(range);
  if (("suffixLength" in range ? range.suffixLength : range.length) === 0) {
    throw new TesseraError("BadArgument", "an empty byte range cannot be requested over HTTP");
  }
  if ("suffixLength" in range) return `bytes=-${range.suffixLength}`;
  return `bytes=${range.offset}-${range.offset + range.length - 1}`;
}

/**
 * A view of `storage` under a key prefix: `get("zarr.json")` reads `prefix + "zarr.json"`. A
 * collection uses one composed storage (one limiter, one retry policy) and a prefixed view per
 * store.
 *
 * @example
 * ```ts
 * const store = withPrefix(new HttpStorage("http://127.0.0.1:8000/"), "utm30_2024.zarr/");
 * await store.get("zarr.json");
 * ```
 */
export function withPrefix(storage: Storage, prefix: string): Storage {
  if (prefix !== "" && !prefix.endsWith("/")) prefix += "/";
  return { get: (key, range, signal) => storage.get(prefix + key, range, signal) };
}

/**
 * Reads and parses a JSON object; undefined when it does not exist, "BadStore" when it is not
 * valid JSON.
 *
 * @example
 * ```ts
 * const root = await getJson(storage, "zarr.json");
 * ```
 */
export async function getJson(
  storage: Storage,
  key: string,
  signal?: AbortSignal,
): Promise<unknown> {
  const bytes = await storage.get(key, undefined, signal);
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new TesseraError("BadStore", `${key} is not valid JSON`, undefined, { cause: e });
  }
}

/**
 * A promise that resolves after `ms` milliseconds, or rejects with the signal's reason as soon
 * as `signal` aborts (the timer is cleared, so nothing is left pending).
 *
 * @example
 * ```ts
 * await sleep(100, controller.signal);
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * `p`, or a rejection with the signal's reason as soon as `signal` aborts (`p` itself goes on:
 * for a promise shared by several callers, each waits abortably).
 *
 * @example
 * ```ts
 * const store = await abortable(opening, signal);
 * ```
 */
export function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
