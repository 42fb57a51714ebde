/**
 * The per-shard work of the preview passes, run inside Web Workers (preview_worker.ts) but
 * plain functions of a context: sample a shard's lattice pixels, colour a full-resolution
 * shard, or reduce a shard-aligned block of one pyramid level into the next. Each shard is
 * encoded whole and written once (temporary key + rename); all-fill shards are not written.
 * Memory per worker: one embeddings shard buffer (reused) plus a few 4–16 MiB RGBA blocks.
 */
import { join } from "node:path";
import { encodeDenseShard } from "../zarr/dense_shard.ts";
import { FsStore } from "../zarr/fs_store.ts";
import { arrayLayout, type ArrayMetadata, chunkKey } from "../zarr/metadata.ts";
import { reduce2x2 } from "./overviews.ts";
import { type RenderParams, renderShard } from "./render.ts";
import { sampleShard } from "./shard_sample.ts";
import { readDenseShard, readObjectSync, sanitiseScales, shardChunks } from "./store_io.ts";

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
  #embScratch = { buf: new Uint8Array(0) };
  #scratch = { buf: new Uint8Array(0) };
  #outs = new Map<string, Uint8Array>();

  constructor(ctx: JobContext) {
    this.ctx = ctx;
    this.#store = new FsStore(ctx.storePath);
  }

  /** Runs one job. */
  async run(job: PreviewJob): Promise<JobResult> {
    if (job.type === "sample") {
      const c = this.ctx;
      const stats = sampleShard(
        {
          storePath: c.storePath,
          bands: c.bands,
          maxValidScale: c.maxValidScale,
          embeddings: arrayLayout(c.embeddings),
          scales: arrayLayout(c.scales),
        },
        job.row,
        job.col,
        this.#scratch,
      );
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
    const { storePath, bands, maxValidScale } = this.ctx;
    const scalesLayout = arrayLayout(this.ctx.scales);
    const S = scalesLayout.chunkShape[0];
    const scales = readDenseShard(storePath, "scales", scalesLayout, [row, col], this.#scratch)
      .data as Float32Array;
    if (sanitiseScales(scales, maxValidScale) === 0) return { written: {} };
    const embLayout = arrayLayout(this.ctx.embeddings);
    const bytes = readObjectSync(
      join(storePath, chunkKey("embeddings", [row, col, 0])),
      this.#embScratch,
    );
    const emb = bytes ? shardChunks(bytes, embLayout) : undefined;
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
        const { data, exists } = readDenseShard(
          this.ctx.storePath,
          src.path,
          s,
          [sr, sc],
          this.#scratch,
        );
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

  /** A zeroed scratch RGBA buffer of `n` bytes, reused across jobs. */
  #out(name: string, n: number): Uint8Array {
    let b = this.#outs.get(name);
    if (!b || b.length < n) this.#outs.set(name, b = new Uint8Array(n));
    const view = b.subarray(0, n);
    view.fill(0);
    return view;
  }
}
