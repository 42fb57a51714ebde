/**
 * Colouring one full-resolution shard (the previews' hot loop): walks the embeddings shard inner
 * chunk by inner chunk, straight from the shard's bytes, and writes RGBA for every valid pixel
 * into dense 1024 × 1024 × 4 buffers — the RGB preview, the PCA preview, or both from one read.
 * Invalid pixels (scale NaN after sanitising) are (0, 0, 0, 0). For band counts of 16·k the
 * WebAssembly kernel (colour_kernel.ts) draws both in one pass over each pixel; other band
 * counts take the plain JS loops below. Either way the bytes are the formulas' (SPEC §6).
 */
import type { PcaBasis } from "./pca.ts";
import { ColourKernel, kernelFits } from "./colour_kernel.ts";
import { channel, type RgbParams } from "./stretch.ts";
import type { ShardGrid } from "./shard_read.ts";

/** Which previews to draw, with their parameters. */
export interface RenderParams {
  rgb?: RgbParams;
  pca?: PcaBasis;
}

/** Dense RGBA outputs (shard-sized), one per preview drawn. */
export interface RenderOutputs {
  rgb?: Uint8Array;
  pca?: Uint8Array;
}

/** The embeddings of one shard: its inner-chunk grid and a raw-bytes accessor (null = zeros). */
export interface EmbeddingChunks {
  grid: ShardGrid;
  raw(i: number): Uint8Array | null;
}

/**
 * Colours shard after shard with one set of parameters, reusing its buffers (and, for 16·k
 * bands, its compiled kernel): the build's workers and the preview pass keep one per store.
 *
 * @example
 * ```ts
 * const r = new ShardRenderer({ rgb, pca }, 128, 1024, [32, 32]);
 * const { rgb: rgba } = r.render(chunks, scales); // valid until the next render
 * ```
 */
export class ShardRenderer {
  readonly params: RenderParams;
  readonly bands: number;
  readonly shardPx: number;
  readonly inner: readonly [number, number];
  readonly #kernel?: ColourKernel;
  readonly #outs: RenderOutputs = {};

  /** A renderer of `shardPx`-square shards of `bands` bands in `inner` (h, w) inner chunks. */
  constructor(
    params: RenderParams,
    bands: number,
    shardPx: number,
    inner: readonly [number, number],
  ) {
    this.params = params;
    this.bands = bands;
    this.shardPx = shardPx;
    this.inner = inner;
    if (kernelFits(bands)) {
      this.#kernel = new ColourKernel(params, bands, shardPx, inner[0] * inner[1]);
      this.#outs = { rgb: this.#kernel.rgb, pca: this.#kernel.pca };
    } else {
      const n = shardPx * shardPx * 4;
      if (params.rgb) this.#outs.rgb = new Uint8Array(n);
      if (params.pca) this.#outs.pca = new Uint8Array(n);
    }
  }

  /**
   * Colours one shard: `scales` is the dense shard of scales with every invalid pixel NaN;
   * `emb` is undefined when the embeddings shard does not exist (every vector is zero), else
   * laid out in this renderer's inner chunks. Returns the renderer's own RGBA buffers, valid
   * until the next call.
   */
  render(emb: EmbeddingChunks | undefined, scales: Float32Array): RenderOutputs {
    const S = this.shardPx, [ih, iw] = this.inner;
    const cols = S / iw, nChunks = (S / ih) * cols;
    if (emb && (emb.grid.inner[0] !== ih || emb.grid.inner[1] !== iw)) {
      throw new RangeError(`inner chunks of ${emb.grid.inner} px, the renderer takes ${ih}×${iw}`);
    }
    const k = this.#kernel;
    if (k) {
      k.scales.set(scales);
      for (let i = 0; i < nChunks; i++) {
        const raw = emb?.raw(i);
        const e = raw ? new Int8Array(raw.buffer, raw.byteOffset, raw.length) : null;
        k.colour(e, Math.floor(i / cols) * ih, (i % cols) * iw, ih, iw);
      }
      return this.#outs;
    }
    for (const o of Object.values(this.#outs)) o.fill(0);
    renderJs(emb, scales, S, this.bands, this.params, this.#outs);
    return this.#outs;
  }
}

/** Renderers of recent parameter sets, for {@link renderShard}'s callers (one per worker). */
const renderers = new WeakMap<RenderParams, ShardRenderer>();

/**
 * Colours the valid pixels of one shard into `out` (shard-sized, zeroed by the caller).
 * `scales` is the dense shard of scales with every invalid pixel already NaN; `emb` is
 * undefined when the embeddings shard does not exist (every vector is then zero). The RGB
 * channel is `trunc(clip((v − lo)/(hi − lo), 0, 1)·255)` of `v = float32(e·scale)`; the PCA
 * channel applies the same stretch to `(scale·(e·c) − mean·c − median)/iqr` per component c.
 * A renderer is kept per `params` object, so passing the same object shard after shard
 * reuses it.
 *
 * @example
 * ```ts
 * const out = { rgb: new Uint8Array(1024 * 1024 * 4) };
 * renderShard(chunks, scales, 1024, 128, { rgb: { bands: [0, 1, 2], stretch } }, out);
 * ```
 */
export function renderShard(
  emb: EmbeddingChunks | undefined,
  scales: Float32Array,
  shardPx: number,
  bands: number,
  params: RenderParams,
  out: RenderOutputs,
): void {
  if (!kernelFits(bands)) return renderJs(emb, scales, shardPx, bands, params, out);
  let r = renderers.get(params);
  // Without embeddings (all-zero vectors) any chunking does: keep the renderer's.
  const dflt = r?.inner ?? [Math.min(32, shardPx), Math.min(32, shardPx)];
  const inner = [emb?.grid.inner[0] ?? dflt[0], emb?.grid.inner[1] ?? dflt[1]] as const;
  const fits = r && r.bands === bands && r.shardPx === shardPx && r.inner[0] === inner[0] &&
    r.inner[1] === inner[1];
  if (!fits) renderers.set(params, r = new ShardRenderer(params, bands, shardPx, inner));
  const drawn = r!.render(emb, scales);
  if (out.rgb && drawn.rgb) out.rgb.set(drawn.rgb);
  if (out.pca && drawn.pca) out.pca.set(drawn.pca);
}

/** The plain JS colouring (any band count): writes only the valid pixels of `out`. */
function renderJs(
  emb: EmbeddingChunks | undefined,
  scales: Float32Array,
  shardPx: number,
  bands: number,
  params: RenderParams,
  out: RenderOutputs,
): void {
  const [ih, iw] = emb?.grid.inner ?? [shardPx, shardPx];
  const cols = emb?.grid.counts[1] ?? 1;
  const nChunks = emb?.grid.nChunks ?? 1;
  const zeros = new Int8Array(ih * iw * bands);
  const pca = params.pca && out.pca ? pcaWeights(params.pca, bands, ih * iw) : undefined;
  for (let i = 0; i < nChunks; i++) {
    const raw = emb?.raw(i);
    const e = raw ? new Int8Array(raw.buffer, raw.byteOffset, raw.length) : zeros;
    const chunk: Chunk = { e, r0: Math.floor(i / cols) * ih, c0: (i % cols) * iw, ih, iw };
    if (params.rgb && out.rgb) rgbChunk(chunk, scales, shardPx, bands, params.rgb, out.rgb);
    if (pca) pcaChunk(chunk, scales, shardPx, bands, pca, out.pca!);
  }
}

/** One inner chunk of embeddings and where it sits in the shard. */
interface Chunk {
  e: Int8Array;
  r0: number;
  c0: number;
  ih: number;
  iw: number;
}

function rgbChunk(
  { e, r0, c0, ih, iw }: Chunk,
  scales: Float32Array,
  S: number,
  B: number,
  params: RgbParams,
  out: Uint8Array,
): void {
  const [b0, b1, b2] = params.bands;
  const [lo0, lo1, lo2] = params.stretch.min;
  const [hi0, hi1, hi2] = params.stretch.max;
  for (let y = 0; y < ih; y++) {
    for (let x = 0; x < iw; x++) {
      const p = (r0 + y) * S + c0 + x;
      const s = scales[p];
      if (s !== s) continue;
      const o = (y * iw + x) * B, q = p * 4;
      out[q] = channel(Math.fround(e[o + b0] * s), lo0, hi0);
      out[q + 1] = channel(Math.fround(e[o + b1] * s), lo1, hi1);
      out[q + 2] = channel(Math.fround(e[o + b2] * s), lo2, hi2);
      out[q + 3] = 255;
    }
  }
}

/** The PCA basis in the form the pixel loop wants. */
interface PcaWeights {
  /** Loadings of each component, one array per component. */
  w0: Float64Array;
  w1: Float64Array;
  w2: Float64Array;
  /** Per component: mean·c + median (subtracted), iqr, stretch low and high. */
  shift: number[];
  iqr: number[];
  lo: number[];
  hi: number[];
  /** Scratch: the valid pixels of the current inner chunk. */
  valid: Int32Array;
}

function pcaWeights(basis: PcaBasis, bands: number, chunkPixels: number): PcaWeights {
  const [w0, w1, w2] = basis.components.map((c) => Float64Array.from(c.slice(0, bands)));
  const off = basis.components.map((c) => c.reduce((s, ck, b) => s + ck * basis.mean[b], 0));
  return {
    w0,
    w1,
    w2,
    shift: off.map((o, k) => o + basis.medians[k]),
    iqr: basis.iqrs,
    lo: basis.stretch.min,
    hi: basis.stretch.max,
    valid: new Int32Array(chunkPixels),
  };
}

/**
 * The PCA loop in JS, for band counts the kernel does not take: 3 × B multiply-adds per valid
 * pixel in float64 (two pixels per pass over the loadings: ~30% faster in V8 than one).
 */
function pcaChunk(
  { e, r0, c0, ih, iw }: Chunk,
  scales: Float32Array,
  S: number,
  B: number,
  pw: PcaWeights,
  out: Uint8Array,
): void {
  const { w0, w1, w2, valid } = pw;
  let n = 0;
  for (let y = 0; y < ih; y++) {
    for (let x = 0; x < iw; x++) {
      const s = scales[(r0 + y) * S + c0 + x];
      if (s === s) valid[n++] = y * iw + x;
    }
  }
  const put = (i: number, a0: number, a1: number, a2: number) => {
    const y = Math.floor(i / iw), p = (r0 + y) * S + c0 + i - y * iw;
    const s = scales[p], q = p * 4;
    out[q] = channel((s * a0 - pw.shift[0]) / pw.iqr[0], pw.lo[0], pw.hi[0]);
    out[q + 1] = channel((s * a1 - pw.shift[1]) / pw.iqr[1], pw.lo[1], pw.hi[1]);
    out[q + 2] = channel((s * a2 - pw.shift[2]) / pw.iqr[2], pw.lo[2], pw.hi[2]);
    out[q + 3] = 255;
  };
  let k = 0;
  for (; k + 1 < n; k += 2) {
    const o = valid[k] * B, o2 = valid[k + 1] * B;
    let a0 = 0, a1 = 0, a2 = 0, c0 = 0, c1 = 0, c2 = 0;
    for (let b = 0; b < B; b++) {
      const v = e[o + b], u = e[o2 + b];
      const x = w0[b], y = w1[b], z = w2[b];
      a0 += v * x;
      a1 += v * y;
      a2 += v * z;
      c0 += u * x;
      c1 += u * y;
      c2 += u * z;
    }
    put(valid[k], a0, a1, a2);
    put(valid[k + 1], c0, c1, c2);
  }
  if (k < n) {
    const o = valid[k] * B;
    let a0 = 0, a1 = 0, a2 = 0;
    for (let b = 0; b < B; b++) {
      const v = e[o + b];
      a0 += v * w0[b];
      a1 += v * w1[b];
      a2 += v * w2[b];
    }
    put(valid[k], a0, a1, a2);
  }
}
