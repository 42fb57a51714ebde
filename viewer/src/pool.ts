/**
 * The page side of the decode workers: a fixed pool, jobs by message id, results as
 * transferred ImageData. An abort signal on a job is forwarded to its worker, which aborts
 * the job's fetches. Jobs with an affinity key always go to the same worker (so a band block's
 * raw bytes, cached there, are reused when the colours change); others go to the least busy.
 */
import type { FromWorker, Job, NetCounters, ToWorker } from "./protocol.ts";

export interface RenderResult {
  image: ImageData | null;
  width: number;
  height: number;
  valid: number;
}

interface Pending {
  resolve: (r: RenderResult) => void;
  reject: (e: Error) => void;
  worker: number;
}

/** Bytes of raw band blocks the workers keep, in all. */
const RAW_CACHE_BYTES = 256 << 20;

/**
 * Starts the decode workers, `min(4, cores)` of them, from the bundle's folder `assets`.
 *
 * @example
 * const pool = startDecodePool(new URL("./", import.meta.url));
 */
export function startDecodePool(assets: URL): DecodePool {
  const workers = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2));
  return new DecodePool(new URL("decode_worker.js", assets), workers, RAW_CACHE_BYTES);
}

function abortError(message = "aborted"): Error {
  const e = new Error(message);
  e.name = "AbortError";
  return e;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export class DecodePool {
  #workers: Worker[];
  #busy: number[];
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #net: NetCounters[];

  constructor(url: URL | string, size: number, rawCacheBytes: number) {
    this.#workers = Array.from({ length: size }, () => new Worker(url, { type: "module" }));
    this.#busy = this.#workers.map(() => 0);
    this.#net = this.#workers.map(() => ({ requests: 0, bytes: 0, aborted: 0 }));
    this.#workers.forEach((w, i) => {
      w.onmessage = (ev: MessageEvent<FromWorker>) => this.#receive(i, ev.data);
      w.onerror = (ev) => console.error("decode worker error:", ev.message);
      const config: ToWorker = { type: "config", rawCacheBytes: Math.floor(rawCacheBytes / size) };
      w.postMessage(config);
    });
  }

  get size(): number {
    return this.#workers.length;
  }

  /** Requests, bytes and aborted fetches of all workers so far. */
  get net(): NetCounters {
    return this.#net.reduce((a, n) => ({
      requests: a.requests + n.requests,
      bytes: a.bytes + n.bytes,
      aborted: a.aborted + n.aborted,
    }), { requests: 0, bytes: 0, aborted: 0 });
  }

  render(job: Job, signal: AbortSignal, affinity?: string): Promise<RenderResult> {
    if (signal.aborted) return Promise.reject(abortError());
    const worker = affinity !== undefined
      ? hash(affinity) % this.#workers.length
      : this.#busy.indexOf(Math.min(...this.#busy));
    const id = this.#nextId++;
    return new Promise<RenderResult>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, worker });
      this.#busy[worker]++;
      const onAbort = () => {
        const msg: ToWorker = { type: "abort", id };
        this.#workers[worker].postMessage(msg);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const msg: ToWorker = { type: "render", id, job };
      this.#workers[worker].postMessage(msg);
    });
  }

  #receive(worker: number, msg: FromWorker): void {
    this.#net[worker] = msg.net;
    const p = this.#pending.get(msg.id);
    if (!p) return;
    this.#pending.delete(msg.id);
    this.#busy[p.worker]--;
    if (msg.type === "done") {
      p.resolve({ image: msg.image, width: msg.width, height: msg.height, valid: msg.valid });
    } else {
      p.reject(msg.aborted ? abortError(msg.message) : new Error(msg.message));
    }
  }

  terminate(): void {
    for (const w of this.#workers) w.terminate();
    for (const p of this.#pending.values()) p.reject(abortError("pool terminated"));
    this.#pending.clear();
  }
}
