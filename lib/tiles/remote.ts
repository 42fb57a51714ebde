/**
 * Tile files over HTTP(S): the second tile source behind the same reader interface as local
 * files (a "path" that is an http(s) URL). Every request goes through lib/read's storage
 * wrappers — bounded concurrency, a per-request timeout, retries with backoff — plus a wait
 * for the server's `Retry-After` before a retry, outside the timeout. Settings come from the
 * environment so the build's Web Workers (separate isolates, same process environment) use
 * the same ones as the main thread.
 */
import { TesseraError } from "../errors.ts";
import { HttpStorage } from "../read/http_storage.ts";
import { Limiter, withLimiter } from "../read/limiter.ts";
import { withRetry } from "../read/retry.ts";
import { type ByteRange, type Storage, StorageError } from "../read/storage.ts";
import { withTimeout } from "../read/timeout.ts";

/** Environment variables carrying the remote settings to every worker. */
export const REMOTE_ENV = {
  connections: "TZ_HTTP_CONNECTIONS",
  timeoutMs: "TZ_HTTP_TIMEOUT_MS",
  retries: "TZ_HTTP_RETRIES",
  checkHashes: "TZ_CHECK_HASHES",
  registry: "TZ_REGISTRY",
  cacheDir: "TZ_CACHE_DIR",
} as const;

/** Default parallel requests per isolate, a sensible number for one machine. */
export const DEFAULT_CONNECTIONS = 8;
/** Default per-request time limit. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Longest `Retry-After` honoured, so a hostile header cannot stall a build for hours. */
const MAX_RETRY_AFTER_MS = 60_000;

/** True when `path` is an http(s) URL rather than a local path. */
export function isUrl(path: string | undefined): boolean {
  return path !== undefined && /^https?:\/\//i.test(path);
}

/** `base` (a URL) with `parts` appended as path segments, each percent-encoded. */
export function joinUrl(base: string, ...parts: string[]): string {
  const url = new URL(base);
  url.search = "";
  url.hash = "";
  const segs = parts.flatMap((p) => p.split("/")).filter((s) => s !== "" && s !== ".");
  let path = url.pathname.endsWith("/") ? url.pathname : url.pathname + "/";
  path += segs.map(encodeURIComponent).join("/");
  url.pathname = path;
  return url.href;
}

function envInt(name: string, fallback: number, min = 1): number {
  const raw = Deno.env.get(name);
  const v = Number(raw);
  return raw && Number.isInteger(v) && v >= min ? v : fallback;
}

/** The transfer settings in force (flags, via the environment, else the defaults). */
export function remoteSettings(): {
  connections: number;
  timeoutMs: number;
  retries: number;
  cacheDir: string | undefined;
} {
  return {
    connections: envInt(REMOTE_ENV.connections, DEFAULT_CONNECTIONS),
    timeoutMs: envInt(REMOTE_ENV.timeoutMs, DEFAULT_TIMEOUT_MS),
    retries: envInt(REMOTE_ENV.retries, 4, 0),
    cacheDir: Deno.env.get(REMOTE_ENV.cacheDir) || undefined,
  };
}

/** Parses a `Retry-After` value (seconds or an HTTP date) into milliseconds. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const s = Number(value.trim());
  const ms = Number.isFinite(s) ? s * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : undefined;
}

/** Until when (epoch ms) each URL's server asked us to wait (`Retry-After` on 429/503). */
const retryAfterUntil = new Map<string, number>();

/**
 * A fetch that notes each response's `Content-Range` total and a 429/503's `Retry-After`;
 * the wait itself happens in {@link withRetryAfter}, outside the per-request timeout.
 */
const fetchNoting: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  const url = String(input);
  const total = /\/(\d+)$/.exec(res.headers.get("Content-Range") ?? "")?.[1];
  if (total !== undefined) knownSizes.set(url, Number(total));
  if (res.status === 429 || res.status === 503) {
    const ms = retryAfterMs(res.headers.get("Retry-After"));
    if (ms) retryAfterUntil.set(url, Date.now() + ms);
  }
  return res;
};

/** `storage` whose requests first wait out any `Retry-After` the server gave for that URL. */
function withRetryAfter(storage: Storage): Storage {
  return {
    async get(url, range, signal) {
      const until = retryAfterUntil.get(url);
      if (until !== undefined) {
        retryAfterUntil.delete(url);
        const ms = until - Date.now();
        if (ms > 0) {
          await new Promise<void>((resolve, reject) => {
            const id = setTimeout(resolve, ms);
            signal?.addEventListener("abort", () => {
              clearTimeout(id);
              reject(signal.reason);
            }, { once: true });
          });
        }
      }
      return await storage.get(url, range, signal);
    },
  };
}

/** Object sizes learnt from `Content-Range` totals, by URL (the storage returns bytes only). */
const knownSizes = new Map<string, number>();

/** The size of `url` as the last ranged response for it said, if any. */
export function knownSize(url: string): number | undefined {
  return knownSizes.get(url);
}

let shared: { storage: Storage; limiter: Limiter } | undefined;

/** Bytes fetched by this isolate (for progress and benchmarks). */
export const remoteCounters = { requests: 0, bytes: 0 };

/**
 * The process-wide (per isolate) remote storage: keys are absolute URLs. Limiter outside
 * (so waiting for a slot does not count against the timeout), then retry, then timeout.
 */
function remoteStorage(): Storage {
  if (shared) return shared.storage;
  const limiter = new Limiter(envInt(REMOTE_ENV.connections, DEFAULT_CONNECTIONS));
  const byUrl: Storage = {
    async get(url, range, signal) {
      // HttpStorage appends keys to a base; give it the URL's folder and the file name.
      const i = url.lastIndexOf("/");
      const http = new HttpStorage(url.slice(0, i + 1), { fetch: fetchNoting });
      remoteCounters.requests++;
      const bytes = await http.get(decodeURIComponent(url.slice(i + 1)), range, signal);
      remoteCounters.bytes += bytes?.length ?? 0;
      return bytes;
    },
  };
  const timed = withTimeout(byUrl, envInt(REMOTE_ENV.timeoutMs, DEFAULT_TIMEOUT_MS));
  const retried = withRetry(withRetryAfter(timed), {
    retries: envInt(REMOTE_ENV.retries, 4, 0),
    baseDelayMs: 100,
    maxDelayMs: 5000,
  });
  shared = { storage: withLimiter(retried, limiter), limiter };
  return shared.storage;
}

/** The failure without the URL (the error's path names it already). */
function describe(e: unknown, url: string): string {
  const m = (e as Error)?.message ?? String(e);
  return m.startsWith(`${url}: `) ? m.slice(url.length + 2) : m;
}

/**
 * GETs `url` (or a byte range of it). `undefined` means the server says it does not exist
 * (404/410). Any other failure, after the retries, is a `RemoteFetch` error naming the URL and
 * the status or network error.
 */
export async function fetchRemote(
  url: string,
  range?: ByteRange,
  signal?: AbortSignal,
): Promise<Uint8Array | undefined> {
  try {
    return await remoteStorage().get(url, range, signal);
  } catch (e) {
    if (signal?.aborted) throw e;
    const status = e instanceof StorageError && e.status ? `HTTP ${e.status}: ` : "";
    const tries = envInt(REMOTE_ENV.retries, 4, 0) + 1;
    throw new TesseraError(
      "RemoteFetch",
      `cannot fetch it (${status}${describe(e, url)}) after ${tries} attempt(s); check the ` +
        "server or the URL and try again (--retries, --timeout)",
      url,
      { cause: e },
    );
  }
}

/** GETs the whole of `url`; `MissingFile` when the server says it is not there. */
export async function fetchRemoteFile(url: string, missing: string): Promise<Uint8Array> {
  const bytes = await fetchRemote(url);
  if (bytes === undefined) throw new TesseraError("MissingFile", missing, url);
  return bytes;
}

/** The last registry fetched, kept so a build's listing and its digests fetch it once. */
let lastBuffer: { url: string; buf: Promise<ArrayBuffer> } | undefined;

/**
 * A parquet reader's AsyncBuffer over a remote file (fetched once, whole: registries are small
 * next to tiles). The last one fetched is kept in this isolate, so the tile listing and the
 * hash lookup of one build share one download.
 */
export async function remoteAsyncBuffer(
  url: string,
): Promise<{ byteLength: number; slice(start: number, end?: number): ArrayBuffer }> {
  if (lastBuffer?.url !== url) {
    const buf = fetchRegistryBytes(url);
    lastBuffer = { url, buf };
    buf.catch(() => {
      if (lastBuffer?.buf === buf) lastBuffer = undefined;
    });
  }
  const buf = await lastBuffer.buf;
  return { byteLength: buf.byteLength, slice: (start, end) => buf.slice(start, end) };
}

async function fetchRegistryBytes(url: string): Promise<ArrayBuffer> {
  const bytes = await fetchRemote(url);
  if (bytes === undefined) {
    throw new TesseraError("BadRegistry", "the server has no registry at this URL (HTTP 404)", url);
  }
  return bytes.slice().buffer;
}

/** True when the server has `url` (a 1-byte range request; 404/410 mean no). */
export async function remoteExists(url: string): Promise<boolean> {
  return (await fetchRemote(url, { offset: 0, length: 1 })) !== undefined;
}
