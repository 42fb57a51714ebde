/**
 * Previews inside the build (worker side): colours one assembled shard while the build still
 * holds it in memory — no embeddings are read back — and writes that shard of `rgb` and/or
 * `pca_rgb` plus its share of their overview pyramids (pyramid_parts.ts). The colouring is
 * render.ts's, the very code the preview pass runs on shards it reads back, and the shard is
 * encoded the same way, so with the same stretch and basis the bytes are the same.
 */
import { encodeDenseShard } from "../zarr/dense_shard.ts";
import { FsStore } from "../zarr/fs_store.ts";
import { arrayLayout, chunkKey } from "../zarr/metadata.ts";
import type { PreviewName } from "./overviews.ts";
import { encodePyramidPart, partKey } from "./pyramid_parts.ts";
import { PyramidKernel } from "./pyramid_kernel.ts";
import { type RenderParams, ShardRenderer } from "./render.ts";
import type { LevelRef } from "./shard_jobs.ts";

/** What a build worker needs to colour its shards, sent once with the worker's init. */
export interface ShardPreviewInit {
  storeRoot: string;
  bands: number;
  shardPx: number;
  params: RenderParams;
  /** Per preview drawn, its pyramid: level 0 first. */
  refs: Partial<Record<PreviewName, LevelRef[]>>;
  /** Levels whose blocks a shard's share holds: 1..partLevels − 1 (≤ log2 of the shard). */
  partLevels: number;
}

/** The part of an assembled shard the previews read (lib/builder ShardBuffer fits it). */
export interface AssembledShard {
  readonly size: number;
  readonly bands: number;
  /** Inner-chunk edge of `embeddings` (chunks of chunkPx² × bands one after another). */
  readonly chunkPx: number;
  readonly embeddings: Int8Array;
  /** C order, NaN where there is no data. */
  readonly scales: Float32Array;
}

/** Colours the shards of one store in a build worker, reusing its buffers between shards. */
export class ShardPreviewer {
  readonly #init: ShardPreviewInit;
  readonly #store: FsStore;
  #renderer?: ShardRenderer;
  #pyramid?: PyramidKernel;

  constructor(init: ShardPreviewInit) {
    this.#init = init;
    this.#store = new FsStore(init.storeRoot);
  }

  /**
   * Writes shard (row, col) of every preview and its pyramid share; removes them instead when
   * the shard has no valid pixel. Returns the bytes written.
   *
   * @example
   * ```ts
   * await previewer.colour(buffer, job.row, job.col);
   * ```
   */
  async colour(shard: AssembledShard, row: number, col: number): Promise<number> {
    const { params, refs, bands, shardPx: S } = this.#init;
    const names = (["rgb", "pca_rgb"] as const).filter((n) => refs[n]);
    let valid = false;
    for (let i = 0; i < shard.scales.length; i++) {
      if (shard.scales[i] === shard.scales[i]) {
        valid = true;
        break;
      }
    }
    if (!valid) {
      for (const n of names) {
        await this.#store.delete(chunkKey(refs[n]![0].path, [row, col, 0]));
        await this.#store.delete(partKey(n, row, col));
      }
      return 0;
    }
    const c = shard.chunkPx, chunkBytes = c * c * bands;
    const per = S / c;
    const emb = {
      grid: {
        shard: [S, S, bands],
        inner: [c, c, bands],
        counts: [per, per, 1],
        nChunks: per * per,
      },
      raw: (i: number) =>
        new Uint8Array(
          shard.embeddings.buffer,
          shard.embeddings.byteOffset + i * chunkBytes,
          chunkBytes,
        ),
    };
    const r = this.#renderer?.inner[0] === c
      ? this.#renderer
      : (this.#renderer = new ShardRenderer(params, bands, S, [c, c]));
    const out = r.render(emb, shard.scales);
    let bytes = 0;
    for (const n of names) {
      const data = n === "rgb" ? out.rgb! : out.pca!;
      const level0 = refs[n]![0];
      const l = arrayLayout(level0.meta);
      const encoded = encodeDenseShard({
        data,
        shardShape: l.chunkShape,
        innerShape: l.innerChunkShape!,
        fill: 0,
        compress: l.compress,
        level: l.level,
      });
      const key = chunkKey(level0.path, [row, col, 0]);
      if (!encoded) {
        await this.#store.delete(key);
        await this.#store.delete(partKey(n, row, col));
        continue;
      }
      await this.#store.set(key, encoded);
      bytes += encoded.length;
      const levels = Math.min(refs[n]!.length, this.#init.partLevels);
      if (levels > 1) {
        if (this.#pyramid?.levels !== levels) this.#pyramid = new PyramidKernel(S, levels);
        const part = encodePyramidPart(data, S, levels, this.#pyramid);
        await this.#store.set(partKey(n, row, col), part);
        bytes += part.length;
      } else {
        // A one-level pyramid still records that the shard has data (finishing needs the list).
        await this.#store.set(partKey(n, row, col), encodePyramidPart(data, S, 1));
      }
    }
    return bytes;
  }
}
