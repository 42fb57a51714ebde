/**
 * The per-shard work of the preview passes, run inside Web Workers (preview_worker.ts) but
 * plain functions of a context: sample a shard's lattice pixels, colour a full-resolution
 * shard, or reduce a shard-aligned block of one pyramid level into the next. Each shard is
 * encoded whole and written once (temporary key + rename); all-fill shards are not written.
 * Shards are read whole through the read API's ShardReader over FsStorage (shard_read.ts).
 * Memory per worker: one embeddings shard's chunks plus a few 4–16 MiB RGBA blocks.
 */
import { encodeDenseShard } from "../zarr/dense_shard.ts";
import { FsStore } from "../zarr/fs_store.ts";
import { arrayLayout, type ArrayMetadata, chunkKey } from "../zarr/metadata.ts";
import { reduce2x2 } from "./overviews.ts";
import { type RenderParams, renderShard } from "./render.ts";
import { type SampleContext, sampleShard } from "./shard_sample.ts";
import { chunkCache } from "../read/cache.ts";
import { FsStorage } from "../read/fs_storage.ts";
import { indexCache, ShardReader } from "../read/shard_reader.ts";
import { maskInvalidScales } from "../store/pixel_state.ts";
import type { NumericArray } from "../zarr/dtype.ts";
import { readDenseShard, readShardChunks, wholeShardReader } from "./shard_read.ts";

/** Shard indexes a sampling worker keeps (a few; each shard is sampled once). */
const SAMPLE_INDEX_CACHE_BYTES = 2 ** 20;

/** What every job needs: the store and its core arrays. */
export interface JobContext {
  storePath: string;
  bands: number;
  maxValidScale: number;
  embeddings: ArrayMetadata;
  scales: ArrayMetadata;
}

/** A unit of work for a preview worker. */
export type PreviewJob =
  | { type: "sample"; row: number; col: number }
  | { type: "render"; row: number; col: number; previews: { rgb?: LevelRef; pca?: LevelRef } }
  | { type: "reduce"; row: number; col: number; src: LevelRef; dst: LevelRef };

/** One stored level of a preview: its path in the store and its `zarr.json`. */
export interface LevelRef {
  path: string;
  meta: ArrayMetadata;
}

/** What a job reports back. */
export interface JobResult {
  /** encodeStats bytes of a "sample" job. */
  stats?: Uint8Array;
  /** Bytes written per array path (absent when the shard was all fill and not written). */
  written: Record<string, number>;
}

/** Runs preview jobs against one store, reusing its buffers from job to job. */
export class PreviewJobs {
  readonly ctx: JobContext;
  params: RenderParams = {};
  #store: FsStore;
  /** The sampled shard's dense scales (reused). */
  #sampleScratch: { dense?: NumericArray } = {};
  /** Whole-shard readers by array path, and the dense shard buffer they fill (reused). */
  #readers = new Map<string, ShardReader>();
  #dense?: NumericArray;
  #outs = new Map<string, Uint8Array>();
  #sample?: SampleContext;

  constructor(ctx: JobContext) {
    this.ctx = ctx;
    this.#store = new FsStore(ctx.storePath);
  }

  /** Runs one job. */
  async run(job: PreviewJob): Promise<JobResult> {
    if (job.type === "sample") {
      const stats = await sampleShard(this.#sampling(), job.row, job.col, this.#sampleScratch);
      return { stats, written: {} };
    }
    if (job.type === "render") return await this.#render(job.row, job.col, job.previews);
    return await this.#reduce(job.row, job.col, job.src, job.dst);
  }

  async #render(
    row: number,
    col: number,
    previews: { rgb?: LevelRef; pca?: LevelRef },
  ): Promise<JobResult> {
    const { bands, maxValidScale } = this.ctx;
    const scalesLayout = arrayLayout(this.ctx.scales);
    const S = scalesLayout.chunkShape[0];
    const scales = (await this.#readDense("scales", this.ctx.scales, row, col))
      .data as Float32Array;
    if (maskInvalidScales(scales, maxValidScale) === 0) return { written: {} };
    const emb = await readShardChunks(this.#reader("embeddings", this.ctx.embeddings), row, col);
    const out = {
      rgb: previews.rgb ? this.#out("rgb", S * S * 4) : undefined,
      pca: previews.pca ? this.#out("pca", S * S * 4) : undefined,
    };
    renderShard(emb, scales, S, bands, this.params, out);
    const written: Record<string, number> = {};
    for (const [kind, level] of Object.entries(previews)) {
      if (!level) continue;
      const data = out[kind as "rgb" | "pca"]!;
      const n = await this.#writeShard(level.path, arrayLayout(level.meta), data, row, col);
      if (n) written[level.path] = n;
    }
    return { written };
  }

  async #reduce(row: number, col: number, src: LevelRef, dst: LevelRef): Promise<JobResult> {
    const s = arrayLayout(src.meta), d = arrayLayout(dst.meta);
    const [sh, sw] = s.shape, [dh, dw] = d.shape;
    const [SH, SW] = d.chunkShape;
    const [SSH, SSW] = s.chunkShape;
    // The block of the source level this output shard reduces: rows 2·r0 .. 2·r1 (clipped).
    const r0 = row * SH, c0 = col * SW;
    const rows = Math.min(SH, dh - r0), cols = Math.min(SW, dw - c0);
    const y0 = 2 * r0, x0 = 2 * c0;
    const y1 = Math.min(sh, 2 * (r0 + rows)), x1 = Math.min(sw, 2 * (c0 + cols));
    const bw = x1 - x0;
    const block = this.#out("block", (y1 - y0) * bw * 4);
    for (let sr = Math.floor(y0 / SSH); sr * SSH < y1; sr++) {
      for (let sc = Math.floor(x0 / SSW); sc * SSW < x1; sc++) {
        const { data, exists } = await this.#readDense(src.path, src.meta, sr, sc);
        if (!exists) continue;
        const u8 = data as Uint8Array;
        const ya = Math.max(y0, sr * SSH), yb = Math.min(y1, (sr + 1) * SSH);
        const xa = Math.max(x0, sc * SSW), xb = Math.min(x1, (sc + 1) * SSW);
        for (let y = ya; y < yb; y++) {
          const from = ((y - sr * SSH) * SSW + (xa - sc * SSW)) * 4;
          block.set(u8.subarray(from, from + (xb - xa) * 4), ((y - y0) * bw + (xa - x0)) * 4);
        }
      }
    }
    const out = this.#out("reduced", SH * SW * 4);
    reduce2x2(block, y1 - y0, bw, bw, out, rows, cols, SW);
    const n = await this.#writeShard(dst.path, d, out, row, col);
    return { written: n ? { [dst.path]: n } : {} };
  }

  async #writeShard(
    path: string,
    layout: ReturnType<typeof arrayLayout>,
    data: Uint8Array,
    row: number,
    col: number,
  ): Promise<number> {
    const bytes = encodeDenseShard({
      data,
      shardShape: layout.chunkShape,
      innerShape: layout.innerChunkShape!,
      fill: 0,
      compress: layout.compress,
      level: layout.level,
    });
    if (!bytes) return 0;
    await this.#store.set(chunkKey(path, [row, col, 0]), bytes);
    return bytes.length;
  }

  /**
   * The sampling context, made once per worker: its embeddings reader keeps a few shard
   * indexes and no chunks (each lattice pixel is read once).
   */
  #sampling(): SampleContext {
    const c = this.ctx;
    return this.#sample ??= {
      bands: c.bands,
      maxValidScale: c.maxValidScale,
      embeddings: new ShardReader(new FsStorage(c.storePath), "embeddings", c.embeddings, {
        cache: chunkCache(0),
        indexes: indexCache(SAMPLE_INDEX_CACHE_BYTES),
      }),
      scales: this.#reader("scales", c.scales),
    };
  }

  /** The whole-shard reader of the array at `path` (made once per worker). */
  #reader(path: string, meta: ArrayMetadata): ShardReader {
    let r = this.#readers.get(path);
    if (!r) this.#readers.set(path, r = wholeShardReader(this.ctx.storePath, path, meta));
    return r;
  }

  /** Shard (row, col) of the array at `path`, densely, in the reused dense buffer. */
  async #readDense(path: string, meta: ArrayMetadata, row: number, col: number) {
    const read = await readDenseShard(this.#reader(path, meta), row, col, this.#dense);
    this.#dense = read.data;
    return read;
  }

  /** A zeroed scratch RGBA buffer of `n` bytes, reused across jobs. */
  #out(name: string, n: number): Uint8Array {
    let b = this.#outs.get(name);
    if (!b || b.length < n) this.#outs.set(name, b = new Uint8Array(n));
    const view = b.subarray(0, n);
    view.fill(0);
    return view;
  }
}
