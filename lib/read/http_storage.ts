/**
 * {@link Storage} over HTTP(S) with `fetch`: one GET per `get`, byte ranges as `Range`
 * headers (`bytes=a-b`, `bytes=-n`). 404/410 mean "absent"; 416 means the range starts past the
 * end (empty bytes). Other failures become {@link StorageError}s that say whether a retry can
 * help; retrying itself is a wrapper's job (retry.ts).
 */
import { TesseraError } from "../errors.ts";
import { type ByteRange, isAbort, rangeHeader, type Storage, StorageError } from "./storage.ts";

/** Options of {@link HttpStorage}. */
export interface HttpStorageOptions {
  /** The fetch to use (default: the global one); tests pass a counting one. */
  fetch?: typeof fetch;
  /** Extra request headers (authorisation, user agent). */
  headers?: HeadersInit;
}

/**
 * Reads objects under a base URL. Keys are appended to the base path segment by segment, each
 * percent-encoded.
 *
 * @example
 * ```ts
 * const storage = new HttpStorage("http://127.0.0.1:8000/utm30_2024.zarr/");
 * const index = await storage.get("embeddings/c/0/0/0", { suffixLength: 16388 });
 * ```
 */
export class HttpStorage implements Storage {
  readonly baseUrl: string;
  readonly #fetch: typeof fetch;
  readonly #headers: HeadersInit | undefined;

  constructor(baseUrl: string | URL, opts: HttpStorageOptions = {}) {
    const url = new URL(baseUrl);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TesseraError("BadArgument", `not an http(s) URL: ${url.href}`);
    }
    url.search = "";
    url.hash = "";
    if (!url.pathname.endsWith("/")) url.pathname += "/";
    this.baseUrl = url.href;
    this.#fetch = opts.fetch ?? fetch;
    this.#headers = opts.headers;
  }

  /** The URL of a key. */
  url(key: string): string {
    return this.baseUrl + key.split("/").map(encodeURIComponent).join("/");
  }

  async get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    signal?.throwIfAborted();
    const url = this.url(key);
    const headers = new Headers(this.#headers);
    if (range) headers.set("Range", rangeHeader(range));
    let res: Response;
    try {
      res = await this.#fetch(url, { headers, signal });
    } catch (e) {
      if (signal?.aborted || isAbort(e)) throw signal?.reason ?? e;
      throw new StorageError("network", `GET failed: ${(e as Error).message}`, {
        where: url,
        retryable: true,
        cause: e,
      });
    }
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel();
      return undefined;
    }
    if (res.status === 416) {
      await res.body?.cancel();
      return new Uint8Array(0);
    }
    if (!res.ok) {
      await res.body?.cancel();
      const s = res.status;
      throw new StorageError("http", `HTTP ${s} ${res.statusText}`.trim(), {
        where: url,
        status: s,
        retryable: s >= 500 || s === 429 || s === 408,
      });
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      if (signal?.aborted || isAbort(e)) throw signal?.reason ?? e;
      throw new StorageError("network", `reading the body failed: ${(e as Error).message}`, {
        where: url,
        retryable: true,
        cause: e,
      });
    }
    if (!range) return bytes;
    return res.status === 206 ? checkPartial(bytes, range, res, url) : sliceFull(bytes, range);
  }
}

/** A 206 must hold exactly the requested bytes (or what exists of them). */
function checkPartial(bytes: Uint8Array, range: ByteRange, res: Response, url: string) {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get("Content-Range") ?? "");
  const bad = (why: string) =>
    new StorageError("http", `bad partial response: ${why}`, { where: url, retryable: false });
  if (!m) throw bad(`Content-Range "${res.headers.get("Content-Range")}"`);
  const start = Number(m[1]), end = Number(m[2]);
  if (bytes.length !== end - start + 1) throw bad(`${bytes.length} bytes for ${m[0]}`);
  if ("suffixLength" in range) {
    if (bytes.length > range.suffixLength) {
      throw bad(`${bytes.length} bytes for ${rangeHeader(range)}`);
    }
    if (m[3] !== "*" && end !== Number(m[3]) - 1) throw bad(`${m[0]} is not a suffix`);
  } else if (start !== range.offset || bytes.length > range.length) {
    throw bad(`${m[0]} for ${rangeHeader(range)}`);
  }
  return bytes;
}

/** A server that ignores `Range` sends the whole object with 200: cut the range out. */
function sliceFull(bytes: Uint8Array, range: ByteRange): Uint8Array {
  if ("suffixLength" in range) {
    return bytes.subarray(Math.max(0, bytes.length - range.suffixLength));
  }
  return bytes.subarray(Math.min(range.offset, bytes.length), range.offset + range.length);
}
