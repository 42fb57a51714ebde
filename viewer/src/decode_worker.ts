/// <reference no-default-lib="true" />
/// <reference lib="esnext" />
/// <reference lib="webworker" />
/**
 * Decode worker: reads a job's pixel rectangle with zarrita (shard index + inner-chunk range
 * requests, coalesced; zstd decoded here, off the page's thread), colours it and transfers an
 * ImageData back. Each job has its own AbortController, and its signal reaches `fetch`, so
 * cancelling a tile really stops its downloads.
 *
 * Band jobs keep the raw int8 block and scales in a bounded LRU, so changing bands or stretch
 * re-colours without refetching; the page sends a block's jobs to the same worker.
 */
import * as zarr from "zarrita";
import type { PixelRect } from "../../lib/grid/pixel_rect.ts";
import { applyTables, clipColumns, renderBands } from "./colour.ts";
import { PinnedLruCache } from "./pinned_lru.ts";
import type { BandsJob, FromWorker, Job, NetCounters, PreviewJob, ToWorker } from "./protocol.ts";

declare const self: DedicatedWorkerGlobalScope;

const net: NetCounters = { requests: 0, bytes: 0, aborted: 0 };

async function countingFetch(request: Request): Promise<Response> {
  net.requests++;
  try {
    const res = await fetch(request);
    // Our servers always send Content-Length; counting it avoids copying every body.
    net.bytes += Number(res.headers.get("content-length") ?? 0);
    return res;
  } catch (e) {
    if ((e as Error).name === "AbortError") net.aborted++;
    throw e;
  }
}

type Store = zarr.FetchStore;
const stores = new Map<string, Store>();
const arrays = new Map<string, Promise<zarr.Array<zarr.DataType, Store>>>();

function openArray(storeUrl: string, path: string): Promise<zarr.Array<zarr.DataType, Store>> {
  const key = `${storeUrl}|${path}`;
  let p = arrays.get(key);
  if (!p) {
    let store = stores.get(storeUrl);
    if (!store) {
      // One suffix request for a shard index (our server supports `bytes=-n`), adjacent inner
      // chunks of one shard merged into one request.
      store = zarr.withRangeCoalescing(
        new zarr.FetchStore(storeUrl, { useSuffixRequest: true, fetch: countingFetch }),
      ) as unknown as Store;
      stores.set(storeUrl, store);
    }
    p = zarr.open.v3(zarr.root(store).resolve(path), { kind: "array" });
    p.catch(() => arrays.delete(key));
    arrays.set(key, p);
  }
  return p;
}

function region(rect: PixelRect) {
  return [zarr.slice(rect.r0, rect.r1), zarr.slice(rect.c0, rect.c1)];
}

interface RawBlock {
  emb: Int8Array;
  scales: Float32Array;
  nBands: number;
}

let raw = new PinnedLruCache<string, RawBlock>(64, 128 << 20);

async function readRaw(job: BandsJob, signal: AbortSignal): Promise<RawBlock> {
  const { r0, r1, c0, c1 } = job.rect;
  const key = `${job.storeUrl}|${r0}|${r1}|${c0}|${c1}`;
  const hit = raw.get(key);
  if (hit) return hit;
  const [embArr, scaleArr] = await Promise.all([
    openArray(job.storeUrl, "embeddings"),
    openArray(job.storeUrl, "scales"),
  ]);
  const [emb, scales] = await Promise.all([
    zarr.get(embArr, [...region(job.rect), null], { signal }),
    zarr.get(scaleArr, region(job.rect), { signal }),
  ]);
  const block = {
    emb: emb.data as Int8Array,
    scales: scales.data as Float32Array,
    nBands: emb.shape[2],
  };
  raw.set(key, block, block.emb.byteLength + block.scales.byteLength);
  return block;
}

async function renderBandsJob(job: BandsJob, signal: AbortSignal) {
  const block = await readRaw(job, signal);
  const rgba = new Uint8ClampedArray(block.scales.length * 4);
  const valid = renderBands(block.emb, block.scales, block.nBands, job.bands, job.stretch, rgba);
  return { rgba, valid };
}

async function renderPreviewJob(job: PreviewJob, signal: AbortSignal) {
  const arr = await openArray(job.storeUrl, job.path);
  const out = await zarr.get(arr, [...region(job.rect), null], { signal });
  const data = out.data as Uint8Array;
  const rgba = new Uint8ClampedArray(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  if (job.tables) applyTables(rgba, job.tables);
  let valid = 0;
  for (let o = 3; o < rgba.length; o += 4) if (rgba[o] !== 0) valid++;
  return { rgba, valid };
}

// Compile the zstd codec (WebAssembly) now, while the page is still starting, rather than
// when the first tile arrives. zarrita loads the same module on demand.
import("numcodecs/zstd").then((m) =>
  m.default.fromConfig({ id: "zstd", level: 1 }).encode(new Uint8Array(1))
)
  .catch(() => {});

const running = new Map<number, AbortController>();

async function run(id: number, job: Job): Promise<void> {
  const ctrl = new AbortController();
  running.set(id, ctrl);
  try {
    const { rgba, valid: v } = job.kind === "bands"
      ? await renderBandsJob(job, ctrl.signal)
      : await renderPreviewJob(job, ctrl.signal);
    ctrl.signal.throwIfAborted();
    const h = job.rect.r1 - job.rect.r0, w = job.rect.c1 - job.rect.c0;
    let valid = v;
    if (valid > 0 && (job.clipWest || job.clipEast)) {
      valid = clipColumns(rgba, w, h, job.rect.c0, job.clipWest, job.clipEast);
    }
    // ImageData, not ImageBitmap: WebGL uploads plain bytes directly, while a bitmap made
    // here may live in GPU memory and need a read-back (a stall) before MapLibre can use it.
    const image = valid > 0 ? new ImageData(rgba, w, h) : null;
    const msg: FromWorker = { type: "done", id, image, width: w, height: h, valid, net };
    self.postMessage(msg, image ? [image.data.buffer] : []);
  } catch (e) {
    const err = e as Error;
    const msg: FromWorker = {
      type: "error",
      id,
      message: err?.message ?? String(e),
      aborted: err?.name === "AbortError" || ctrl.signal.aborted,
      net,
    };
    self.postMessage(msg);
  } finally {
    running.delete(id);
  }
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  if (msg.type === "render") run(msg.id, msg.job);
  else if (msg.type === "abort") running.get(msg.id)?.abort();
  else if (msg.type === "config") {
    raw.clear();
    raw = new PinnedLruCache<string, RawBlock>(256, msg.rawCacheBytes);
  }
};
