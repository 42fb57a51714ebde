/**
 * One remote file fetched whole into a local file, in as few requests as the network allows:
 * one GET whose body streams to disk and through SHA-256 as it arrives. A response that is cut
 * short, stalls past the time limit, or is refused with a 5xx/429/408 is retried with backoff
 * and jitter (after the server's `Retry-After`, capped) by a `Range: bytes=N-` request from
 * the byte reached — so no byte is fetched twice and the digest sees every byte once, in
 * order. An attempt that brought new bytes does not use up a retry.
 */
import { createHash, type Hash } from "node:crypto";
import { TesseraError } from "../errors.ts";
import type { Limiter } from "../read/limiter.ts";
import { backoffDelay } from "../read/retry.ts";
import { sleep } from "../read/storage.ts";
import { retryAfterMs } from "../tiles/remote.ts";

/** How a file is fetched. */
export interface FetchFileOptions {
  /** Every request (one per attempt) runs through this: it bounds the connections. */
  readonly limiter: Limiter;
  /** Longest wait for the response headers, and then for each next piece of the body. */
  readonly timeoutMs: number;
  /** Further attempts after one that failed without bringing any new byte. */
  readonly retries: number;
  readonly signal?: AbortSignal;
  /** Called with each piece's size as it is written (progress, counters). */
  readonly onBytes?: (n: number) => void;
  /** Called before each request (counters). */
  readonly onRequest?: (range: string | undefined) => void;
  /**
   * The file's first `bytes` are already in the sink (a partial download taken over), and
   * `hash` has seen them: the first request asks for the rest with `Range: bytes=N-`.
   */
  readonly from?: { readonly bytes: number; readonly hash: Hash };
}

/** What a fetch did. */
export interface FetchedFile {
  /** The file's length. */
  readonly bytes: number;
  /** SHA-256 (hex) of the file, computed as the bytes arrived. */
  readonly sha256: string;
  /** Requests made (1 when nothing went wrong). */
  readonly requests: number;
  /** Requests that continued from a byte reached (`Range: bytes=N-`). */
  readonly resumed: number;
}

/** Time spent in SHA-256 updates by this isolate (for `--json` and the benchmark). */
export const hashCounters = { ms: 0, bytes: 0 };

/** `hash.update(bytes)`, timed into {@link hashCounters}. */
export function hashUpdate(hash: Hash, bytes: Uint8Array): void {
  const t0 = performance.now();
  hash.update(bytes);
  hashCounters.ms += performance.now() - t0;
  hashCounters.bytes += bytes.length;
}

/** Body bytes gathered before one write(2) to a cache file. */
const WRITE_BYTES = 1 << 20;

/**
 * The reused buffer a body is read into (a BYOB read: no new buffer per piece, about half the
 * CPU of iterating the body's own chunks, measured in docs/decisions/2026-12-02-remote-copies.md).
 */
const READ_BYTES = 1 << 20;

/** A failure worth another attempt, and what to say if the attempts run out. */
class Retryable extends Error {
  constructor(message: string, readonly status?: number, readonly waitMs?: number) {
    super(message);
  }
}

/** Where fetched bytes go, in order: a file, or memory shared with the shard workers. */
export interface ByteSink {
  /**
   * Takes the next bytes of the file (it may hold them until `flush`). `bytes` is valid only
   * until the returned promise settles: the fetch reads the next piece into the same memory.
   */
  append(bytes: Uint8Array): Promise<void>;
  /** Drops everything taken (a server that ignored Range is sending the file again). */
  reset(): Promise<void>;
  /** Puts away whatever is held. */
  flush(): Promise<void>;
}

/**
 * A sink writing to `file` (opened for writing, empty) in pieces of about a MiB.
 *
 * @example
 * ```ts
 * using f = await Deno.open("x.part", { write: true, createNew: true });
 * await fetchFileTo(url, fileSink(f), opts);
 * ```
 */
export function fileSink(file: Deno.FsFile): ByteSink {
  // The fetch hands over pieces of a buffer it reuses: they are copied here at once.
  const staged = new Uint8Array(WRITE_BYTES);
  let stagedBytes = 0;
  const flush = async () => {
    if (stagedBytes === 0) return;
    const n = stagedBytes;
    stagedBytes = 0;
    await writeAll(file, staged.subarray(0, n));
  };
  return {
    async append(bytes) {
      let at = 0;
      while (at < bytes.length) {
        const n = Math.min(bytes.length - at, WRITE_BYTES - stagedBytes);
        staged.set(bytes.subarray(at, at + n), stagedBytes);
        stagedBytes += n;
        at += n;
        if (stagedBytes === WRITE_BYTES) await flush();
      }
    },
    async reset() {
      stagedBytes = 0;
      await file.truncate(0);
      await file.seek(0, Deno.SeekMode.Start);
    },
    flush,
  };
}

/**
 * A sink into shared memory of the file's announced length, which shard workers read without
 * a copy through the disk (lib/remote/tile_record.ts). The memory may be a buffer reused from
 * an earlier tile (`reuse`, at least `size` bytes): fresh memory costs a page fault per 4 KiB
 * on its first write, about 0.9 CPU-s per GB here.
 */
export class MemorySink implements ByteSink {
  /** The file's bytes once complete: `length` bytes at the start of the shared buffer. */
  readonly view: Uint8Array;
  length = 0;

  constructor(size: number, reuse?: SharedArrayBuffer) {
    if (reuse && reuse.byteLength < size) {
      throw new RangeError(`a ${reuse.byteLength}-byte buffer cannot hold ${size} bytes`);
    }
    this.view = new Uint8Array(reuse ?? new SharedArrayBuffer(size), 0, size);
  }

  /** The shared buffer underneath (possibly longer than the file). */
  get buffer(): SharedArrayBuffer {
    return this.view.buffer as SharedArrayBuffer;
  }

  append(bytes: Uint8Array): Promise<void> {
    if (this.length + bytes.length > this.view.length) {
      return Promise.reject(
        new TesseraError(
          "RemoteFetch",
          `the server sent more than the ${this.view.length} bytes it announced`,
        ),
      );
    }
    this.view.set(bytes, this.length);
    this.length += bytes.length;
    return Promise.resolve();
  }

  reset(): Promise<void> {
    this.length = 0;
    return Promise.resolve();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }
}

/** A sink, or how to make one once the file's length is known (from the first response). */
export type SinkSource = ByteSink | ((length: number | undefined) => Promise<ByteSink>);

/**
 * Fetches `url` into `dst` from its first byte to its last, hashing as it goes; returns its
 * length and SHA-256. Throws `MissingFile` on 404/410, and `RemoteFetch` naming the URL and
 * the last status or error once the attempts run out.
 *
 * @example
 * ```ts
 * using f = await Deno.open("tile.npy.part", { write: true, createNew: true });
 * const opts = { limiter: new Limiter(8), timeoutMs: 30_000, retries: 4 };
 * const got = await fetchFileTo(url, fileSink(f), opts);
 * if (got.sha256 !== want) throw new Error("bad bytes");
 * ```
 */
export async function fetchFileTo(
  url: string,
  dst: SinkSource,
  opts: FetchFileOptions,
): Promise<FetchedFile> {
  const state: FetchState = {
    pos: opts.from?.bytes ?? 0,
    hash: opts.from?.hash ?? createHash("sha256"),
    total: undefined,
    sink: typeof dst === "function" ? undefined : dst,
    makeSink: typeof dst === "function" ? dst : undefined,
  };
  let requests = 0, resumed = 0, failures = 0;
  for (;;) {
    opts.signal?.throwIfAborted();
    const before = state.pos;
    try {
      requests++;
      if (state.pos > 0) resumed++;
      const done = await opts.limiter.run(() => attempt(url, state, opts), opts.signal);
      if (done) {
        await state.sink?.flush();
        return { bytes: state.pos, sha256: state.hash.digest("hex"), requests, resumed };
      }
    } catch (e) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (!(e instanceof Retryable)) throw e;
      // New bytes arrived: the connection works, so this failure does not count.
      if (state.pos > before) failures = 0;
      if (++failures > opts.retries) {
        const status = e.status ? `HTTP ${e.status}: ` : "";
        throw new TesseraError(
          "RemoteFetch",
          `cannot fetch it (${status}${e.message}) after ${requests} attempt(s), ${state.pos} ` +
            "byte(s) received; check the server or the URL and try again (--retries, --timeout)",
          url,
        );
      }
      const full = backoffDelay(failures, { baseDelayMs: 100, maxDelayMs: 5000 });
      const jittered = full / 2 + Math.random() * full / 2;
      await sleep(Math.max(jittered, e.waitMs ?? 0), opts.signal);
    }
  }
}

/**
 * One request from `state.pos`: true when the file is complete, a `Retryable` when another
 * attempt may help, any other error when it cannot.
 */
interface FetchState {
  pos: number;
  hash: Hash;
  total: number | undefined;
  sink: ByteSink | undefined;
  makeSink: ((length: number | undefined) => Promise<ByteSink>) | undefined;
}

async function attempt(url: string, state: FetchState, opts: FetchFileOptions): Promise<boolean> {
  const range = state.pos > 0 ? `bytes=${state.pos}-` : undefined;
  opts.onRequest?.(range);
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort(opts.signal!.reason);
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  let stalled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      ctrl.abort(new DOMException("stalled", "TimeoutError"));
    }, opts.timeoutMs);
  };
  const stall = () =>
    new Retryable(`no bytes for ${opts.timeoutMs / 1000} s at byte ${state.pos}`, undefined);
  arm();
  try {
    let res: Response;
    try {
      res = await fetch(url, { headers: range ? { Range: range } : {}, signal: ctrl.signal });
    } catch (e) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      throw stalled ? stall() : new Retryable(`GET failed: ${(e as Error).message}`);
    }
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel();
      throw new TesseraError(
        "MissingFile",
        `the server has no such file (HTTP ${res.status}); check the URL and year, or the registry`,
        url,
      );
    }
    if (res.status === 416 && state.pos > 0) {
      await res.body?.cancel();
      // "bytes */LENGTH": the file's length, when the server says it.
      const m = /^bytes \*\/(\d+)$/.exec(res.headers.get("Content-Range") ?? "");
      const total = m ? Number(m[1]) : state.total;
      if (total === state.pos) {
        state.sink ??= await state.makeSink!(total);
        return true; // asked for the bytes after the last one: there are none
      }
      // More bytes held than the file has (it changed on the server): start again.
      const held = state.pos;
      await restart(state);
      throw new Retryable(`the server's file is shorter than the ${held} bytes held`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      const s = res.status;
      const wait = s === 429 || s === 503 ? retryAfterMs(res.headers.get("Retry-After")) : 0;
      const message = `HTTP ${s} ${res.statusText}`.trim();
      if (s >= 500 || s === 429 || s === 408) throw new Retryable(message, s, wait);
      throw new TesseraError(
        "RemoteFetch",
        `the server refused it (${message}); check the URL and your access to it`,
        url,
      );
    }
    if (range && res.status === 206) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get("Content-Range") ?? "");
      if (!m || Number(m[1]) !== state.pos) {
        await res.body?.cancel();
        throw new TesseraError(
          "RemoteFetch",
          `asked for bytes from ${state.pos}, the server answered ` +
            `"${res.headers.get("Content-Range")}"; the server mishandles ranges`,
          url,
        );
      }
      if (m[3] !== "*") state.total = Number(m[3]);
    } else {
      // A first request, or a server that ignores Range (200: the whole file again).
      if (state.pos > 0) await restart(state);
      const length = res.headers.get("Content-Length");
      state.total = length === null ? undefined : Number(length);
    }
    state.sink ??= await state.makeSink!(state.total);
    await streamBody(res, state, opts, arm).catch((e) => {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (e instanceof TesseraError) throw e;
      throw stalled ? stall() : new Retryable(
        `the connection broke at byte ${state.pos}: ${(e as Error).message}`,
      );
    });
    if (state.total !== undefined && state.pos < state.total) {
      throw new Retryable(`the body ended at byte ${state.pos} of ${state.total}`);
    }
    return true;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Hands the body to the sink and the digest piece by piece, advancing `state.pos`: read into
 * one reused buffer (BYOB) where the body allows it, else piece by piece as the stream gives.
 */
async function streamBody(
  res: Response,
  state: FetchState,
  opts: FetchFileOptions,
  arm: () => void,
): Promise<void> {
  const take = async (chunk: Uint8Array) => {
    arm();
    await state.sink!.append(chunk);
    hashUpdate(state.hash, chunk);
    state.pos += chunk.length;
    opts.onBytes?.(chunk.length);
  };
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = res.body!.getReader({ mode: "byob" });
  } catch {
    byob = undefined; // not a byte stream
  }
  if (!byob) {
    for await (const chunk of res.body!) await take(chunk);
    return;
  }
  try {
    let buffer = new ArrayBuffer(READ_BYTES);
    for (;;) {
      const { value, done } = await byob.read(new Uint8Array(buffer));
      if (done || !value) break;
      await take(value);
      buffer = value.buffer as ArrayBuffer;
    }
  } catch (e) {
    await byob.cancel().catch(() => {}); // what is left of the body is not wanted
    throw e;
  } finally {
    byob.releaseLock();
  }
}

/** Empties the sink and the digest: the next bytes are the file's first. */
async function restart(state: FetchState): Promise<void> {
  await state.sink?.reset();
  state.pos = 0;
  state.hash = createHash("sha256");
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

/**
 * SHA-256 (hex) and length of a local file, read sequentially in 4 MiB pieces (page-cache
 * speed; the hash is the cost). `onBytes` sees each piece.
 *
 * @example
 * ```ts
 * const { sha256 } = await hashLocalFile("/data/…/grid_0.15_52.25.npy");
 * ```
 */
export async function hashLocalFile(
  path: string,
  onBytes?: (n: number) => void,
  signal?: AbortSignal,
): Promise<{ sha256: string; bytes: number }> {
  const { hash, bytes } = await hashedFile(path, onBytes, signal);
  return { sha256: hash.digest("hex"), bytes };
}

/**
 * The SHA-256 state after every byte of `path`, and their count: a partial download's digest
 * so far, to be continued by {@link FetchFileOptions.from}.
 */
export async function hashedFile(
  path: string,
  onBytes?: (n: number) => void,
  signal?: AbortSignal,
): Promise<{ hash: Hash; bytes: number }> {
  const hash = createHash("sha256");
  using f = await Deno.open(path, { read: true });
  const buf = new Uint8Array(4 << 20);
  let bytes = 0;
  for (;;) {
    signal?.throwIfAborted();
    const n = await f.read(buf);
    if (n === null || n === 0) break;
    hashUpdate(hash, buf.subarray(0, n));
    bytes += n;
    onBytes?.(n);
  }
  return { hash, bytes };
}
