/**
 * From "where" to a ready {@link Storage}: a local path (or file: URL) becomes an
 * {@link FsStorage}, an http(s) URL an {@link HttpStorage}, and the transport wrappers are
 * composed around it in one fixed order — retry(limiter(timeout(base))) — so each attempt
 * holds a concurrency slot only while it runs and has its own time limit.
 */
import { fileURLToPath } from "node:url";
import { FsStorage } from "./fs_storage.ts";
import { HttpStorage } from "./http_storage.ts";
import { Limiter, withLimiter } from "./limiter.ts";
import { type RetryOptions, withRetry } from "./retry.ts";
import type { Storage } from "./storage.ts";
import { withTimeout } from "./timeout.ts";

/** How to reach a store or collection. Every field is optional. */
export interface StorageOptions {
  /** Use this storage as is (no wrappers added); the location is then only a label. */
  storage?: Storage;
  /** Concurrency limiter, shared with whatever else should share the budget. */
  limiter?: Limiter;
  /** Requests in flight when no limiter is given (default 16 over HTTP, 8 locally). */
  concurrency?: number;
  /** Retry policy, or false for none (default: retries over HTTP, none locally). */
  retry?: RetryOptions | false;
  /** Per-request time limit in ms, or 0 for none (default 30 000 over HTTP, none locally). */
  timeoutMs?: number;
  /** fetch implementation for HTTP (default the global fetch). */
  fetch?: typeof fetch;
  /** Extra HTTP request headers. */
  headers?: HeadersInit;
}

/** A resolved location: its storage and a canonical label (URL with "/" or absolute path). */
export interface Location {
  storage: Storage;
  location: string;
  remote: boolean;
  /** The unwrapped local storage, when local (it can also list directories). */
  fs?: FsStorage;
}

/**
 * True for http: and https: URLs.
 *
 * @example
 * ```ts
 * isHttpUrl("http://127.0.0.1:8000/"); // true
 * isHttpUrl("/data/zarr"); // false
 * ```
 */
export function isHttpUrl(where: string | URL): boolean {
  return /^https?:\/\//i.test(String(where));
}

/**
 * Resolves `where` to a composed storage.
 *
 * @example
 * ```ts
 * const { storage } = openStorage("http://127.0.0.1:8000/utm30_2024.zarr", { concurrency: 8 });
 * ```
 */
export function openStorage(where: string | URL, opts: StorageOptions = {}): Location {
  const remote = isHttpUrl(where);
  let location: string;
  if (remote) {
    location = new URL(where).href;
    if (!location.endsWith("/")) location += "/";
  } else {
    const s = String(where);
    location = s.startsWith("file:") ? fileURLToPath(s) : s;
  }
  if (opts.storage) return { storage: opts.storage, location, remote };
  const fs = remote ? undefined : new FsStorage(location);
  let storage: Storage = fs ??
    new HttpStorage(location, { fetch: opts.fetch, headers: opts.headers });
  const timeoutMs = opts.timeoutMs ?? (remote ? 30_000 : 0);
  if (timeoutMs > 0) storage = withTimeout(storage, timeoutMs);
  storage = withLimiter(
    storage,
    opts.limiter ?? new Limiter(opts.concurrency ?? (remote ? 16 : 8)),
  );
  const retry = opts.retry ?? (remote ? {} : false);
  if (retry !== false) storage = withRetry(storage, retry);
  return { storage, location, remote, fs };
}
