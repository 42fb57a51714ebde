/**
 * The previews' hot loop as one WebAssembly SIMD function (assembled by wasm_emit.ts, with the
 * stretch and the loadings baked in): for every pixel of an inner chunk of embeddings it writes
 * the RGB preview's RGBA and the PCA preview's RGBA in one pass over the pixel's bytes.
 *
 * Exactness — the bytes are those of the plain formulas (render.ts's JS path, SPEC §6):
 * - RGB: `channel(float32(e·s), lo, hi)` in float64, as stretch.ts's `channel`.
 * - PCA: each loading c is split into two int16 parts, c ≈ hi·sh + lo·sl (sh = max|c|/32767,
 *   sl = sh/65534, relative error < 3e-10); the int8 × int16 sums are exact in int32, so
 *   `a = Σhi·e·sh + Σlo·e·sl` is within ~1e-8 of the float64 dot product (the same colours as
 *   float64 maths up to float rounding), and the channel is
 *   `channel((s·a − mean·c − median)/iqr, lo, hi)` in float64.
 * The kernel computes the exact result only where it can matter. A channel is
 * `trunc(t)` of a `t = (…)·255` that varies smoothly with the pixel, so the kernel first
 * takes `t` from the `hi` sums alone, with multiplications instead of the divisions, together
 * with a bound on everything it left out (the `lo` sums, at most 128·Σ|lo|·sl, and float
 * rounding). When no integer lies within that bound of `t` — 95–98 % of channels on real-size
 * tiles — `trunc(t)` is the exact channel; otherwise the `lo` sums and the formula's own
 * float64 steps are computed for that channel. So the result is bit for bit the exact one, at
 * a little over half the multiply-adds and without divisions on the common path.
 */
import type { PcaBasis } from "./pca.ts";
import type { RgbParams } from "./stretch.ts";
import { F64, I32, V128, WasmFunction, wasmModule } from "./wasm_emit.ts";

/**
 * Whether the kernel takes vectors of `bands` values: a multiple of 16 (one SIMD load), and at
 * most 512 (int32 sums must not overflow). The real data's 128 bands qualify.
 */
export function kernelFits(bands: number): boolean {
  return bands > 0 && bands % 16 === 0 && bands <= 512;
}

/** What the kernel draws. */
export interface KernelParams {
  rgb?: RgbParams;
  pca?: PcaBasis;
}

/** The exact-path constants of one output channel: `channel((x − shift)/div, lo, lo + span)`. */
interface ChannelConsts {
  shift: number;
  div: number;
  lo: number;
  span: number;
  /** Fast path: t = x·alpha − beta, exact when no integer is within margin of t. */
  alpha: number;
  beta: number;
  /** Rounding slop of the fast path, in units of t (the lo-sum bound comes on top). */
  slop: number;
}

/** One split loading vector: int16 hi and lo parts, their scales, and the lo-sum bound. */
interface SplitComponent {
  hi: Int16Array;
  lo: Int16Array;
  sh: number;
  sl: number;
  /** Bound on |a − Σhi·e·sh| over every int8 vector (the lo sum and the final rounding). */
  loBound: number;
}

/**
 * Colours inner chunks of embeddings into two shard-sized RGBA buffers held in the kernel's
 * memory (views valid for the kernel's lifetime; each `colour` call overwrites its pixels).
 *
 * @example
 * ```ts
 * const k = new ColourKernel({ rgb, pca }, 128, 1024, 32 * 32);
 * k.scales.set(shardScales); // NaN = no data
 * k.colour(chunkBytes, 0, 0, 32, 32); // writes k.rgb and k.pca for that chunk's pixels
 * ```
 */
export class ColourKernel {
  readonly bands: number;
  readonly shardPx: number;
  /** Dense shard of scales the kernel reads (NaN = no data): fill it before colouring. */
  readonly scales: Float32Array;
  /** The RGBA outputs, shard-sized, C order (undefined when not drawn). */
  readonly rgb?: Uint8Array;
  readonly pca?: Uint8Array;
  readonly #maxChunkPixels: number;
  readonly #chunk: Int8Array;
  readonly #run: (r0: number, c0: number, ih: number, iw: number) => void;
  readonly #lastValid: (r0: number, c0: number, ih: number, iw: number) => number;

  /** A kernel for `bands`-band vectors, `shardPx`-square shards, ≤ `maxChunkPixels` per chunk. */
  constructor(params: KernelParams, bands: number, shardPx: number, maxChunkPixels: number) {
    if (!kernelFits(bands)) {
      throw new RangeError(`ColourKernel takes 16·k ≤ 512 bands, not ${bands}`);
    }
    if (params.pca && params.pca.components.length !== 3) {
      throw new RangeError("ColourKernel draws 3 principal components");
    }
    this.bands = bands;
    this.shardPx = shardPx;
    this.#maxChunkPixels = maxChunkPixels;
    const S2 = shardPx * shardPx;
    const at16 = (n: number) => Math.ceil(n / 16) * 16;
    const W = 0, E = at16(12 * bands);
    const SC = at16(E + maxChunkPixels * bands);
    const OR = SC + 4 * S2;
    const OP = OR + (params.rgb ? 4 * S2 : 0);
    const end = OP + (params.pca ? 4 * S2 : 0);
    const split = params.pca?.components.map((c) => splitComponent(c, bands));
    const bytes = assembleKernel({ params, bands, shardPx, split, W, E, SC, OR, OP, end });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    const buf = (instance.exports.memory as WebAssembly.Memory).buffer;
    if (split) {
      const w = new Int16Array(buf, W, 6 * bands);
      split.forEach((s, k) => {
        w.set(s.hi, k * bands);
        w.set(s.lo, (3 + k) * bands);
      });
    }
    this.#run = instance.exports.colour as (r0: number, c0: number, ih: number, iw: number) => void;
    this.#lastValid = instance.exports.lastValid as (...a: number[]) => number;
    this.#chunk = new Int8Array(buf, E, maxChunkPixels * bands);
    this.scales = new Float32Array(buf, SC, S2);
    if (params.rgb) this.rgb = new Uint8Array(buf, OR, 4 * S2);
    if (params.pca) this.pca = new Uint8Array(buf, OP, 4 * S2);
  }

  /**
   * Colours the `ih × iw` pixels of the inner chunk whose top-left pixel is (r0, c0) of the
   * shard; `chunk` holds its vectors in C order (`bands` int8 values a pixel), or is null for
   * all-zero vectors. Only the first `pixels` vectors are copied and read: by default up to
   * the chunk's last valid pixel (none when no pixel is valid: the chunk is then all zeros).
   */
  colour(
    chunk: Int8Array | null,
    r0: number,
    c0: number,
    ih: number,
    iw: number,
    pixels = -1,
  ): void {
    if (ih * iw > this.#maxChunkPixels || pixels > ih * iw) {
      throw new RangeError(`at most ${this.#maxChunkPixels} pixels per chunk`);
    }
    if (pixels < 0) pixels = this.#lastValid(r0, c0, ih, iw) + 1;
    const n = pixels * this.bands;
    if (n > 0 && chunk) this.#chunk.set(chunk.length === n ? chunk : chunk.subarray(0, n));
    else if (n > 0) this.#chunk.fill(0, 0, n);
    this.#run(r0, c0, ih, iw);
  }
}

/** The int16 hi/lo split of one loading vector (see the file comment). */
function splitComponent(c: readonly number[], bands: number): SplitComponent {
  const m = Math.max(...c.slice(0, bands).map(Math.abs));
  const sh = m > 0 ? m / 32767 : 1, sl = sh / 65534;
  const hi = new Int16Array(bands), lo = new Int16Array(bands);
  let sumLo = 0, sumC = 0;
  for (let b = 0; b < bands; b++) {
    hi[b] = Math.round(c[b] / sh);
    lo[b] = Math.round((c[b] - hi[b] * sh) / sl);
    sumLo += Math.abs(lo[b]);
    sumC += Math.abs(c[b]);
  }
  // |Σlo·e·sl| ≤ 128·Σ|lo|·sl; the rest covers float rounding relative to |a| ≤ 128·Σ|c|
  // (generously: it also covers the rounding, relative to |t|, of the steps after it).
  const loBound = (128 * sumLo * sl + 1e-12 * 128 * (sumC + sumLo * sl)) * (1 + 1e-9);
  return { hi, lo, sh, sl, loBound };
}

/** Fast-path constants of `channel((x − shift)/div, lo, lo + span)`. */
function channelConsts(shift: number, div: number, lo: number, hi: number): ChannelConsts {
  const span = hi - lo;
  const alpha = 255 / (div * span), beta = ((shift / div) + lo) * (255 / span);
  // Each float64 step of either formula rounds by ≤ 2^-53 of a value below this magnitude.
  const size = 1024 + Math.abs(beta) + Math.abs(shift * alpha) + Math.abs(lo * 255 / span);
  const ok = Number.isFinite(alpha) && Number.isFinite(beta) && div > 0 && span > 0;
  return { shift, div, lo, span, alpha, beta, slop: ok ? 1e-9 * size : Infinity };
}

interface Layout {
  params: KernelParams;
  bands: number;
  shardPx: number;
  split?: SplitComponent[];
  W: number;
  E: number;
  SC: number;
  OR: number;
  OP: number;
  end: number;
}

/**
 * The module: `colour(r0, c0, ih, iw)` (function 0), and the exact paths it falls back to for
 * a pixel with an ambiguous channel: `exactRgb(o, q)` (1) and `exactPca(o, s, h0, h1, h2)` (2),
 * each returning the pixel's packed RGBA.
 */
function assembleKernel(l: Layout): Uint8Array<ArrayBuffer> {
  const { params, bands: B, shardPx: S, split } = l;
  const rgb = params.rgb &&
    [0, 1, 2].map((j) =>
      channelConsts(0, 1, params.rgb!.stretch.min[j], params.rgb!.stretch.max[j])
    );
  const pca = params.pca && split && [0, 1, 2].map((k) => {
    const b = params.pca!;
    const off = b.components[k].reduce((s, ck, i) => s + ck * b.mean[i], 0);
    return channelConsts(off + b.medians[k], b.iqrs[k], b.stretch.min[k], b.stretch.max[k]);
  });

  const f = new WasmFunction([I32, I32, I32, I32]);
  const [R0, C0, IH, IW] = [0, 1, 2, 3];
  const y = f.local(I32), x = f.local(I32), p = f.local(I32), q = f.local(I32);
  const o = f.local(I32);
  const s32 = f.local(F64); // the scale as read (float32, promoted exactly)
  const acc = [f.local(V128), f.local(V128), f.local(V128)];
  const v = f.local(V128), vlo = f.local(V128), vhi = f.local(V128), H = f.local(V128);
  const S2 = f.local(V128), AS = f.local(V128);
  const T = f.local(V128), M = f.local(V128), U = f.local(V128), FU = f.local(V128);
  const C01 = f.local(V128), A01 = f.local(V128);

  /**
   * Channels of the two lanes of T (± M): leaves i32x4 (c0, c1, 0, 0) and the lanes'
   * ambiguity mask on the stack. Clamping to −0.5..255.5 first makes the clipped cases
   * unambiguous (their interval lies in (−1, 0) or (255, 256)).
   */
  const pair = () => {
    f.get(T).get(M).simd.f64x2Sub().get(f.f64x2Local(255.5, 255.5)).simd.f64x2Pmin();
    f.get(f.f64x2Local(-0.5, -0.5)).simd.f64x2Pmax().tee(U).simd.f64x2Floor().set(FU);
    f.get(FU).get(f.f64x2Local(0, 0)).simd.f64x2Pmax().simd.truncSatF64x2();
    f.get(T).get(M).simd.f64x2Add().get(f.f64x2Local(255.5, 255.5)).simd.f64x2Pmin();
    f.get(f.f64x2Local(-0.5, -0.5)).simd.f64x2Pmax().simd.f64x2Floor().get(FU).simd.f64x2Ne();
    f.get(U).get(FU).simd.f64x2Eq().simd.or();
  };
  /** Stores RGBA from (c0, c1) in C01/A01 and (c2) + its mask on the stack; exact fallback. */
  const finish = (out: number, exact: () => void) => {
    const c2 = v, a2 = vhi; // free by now
    f.set(a2).set(c2);
    f.get(q).i32(2).i.shl();
    f.get(C01).get(c2).simd.shuffle32([0, 1, 4, 4]).i32(255).simd.replaceLane(3);
    f.tee(c2).get(c2).simd.narrow16u().tee(c2).get(c2).simd.narrow8u();
    f.simd.store32Lane(out, 0);
    f.get(A01).get(a2).simd.or().simd.anyTrue();
    f.if();
    f.get(q).i32(2).i.shl();
    exact();
    f.i32Store(out);
    f.end();
  };

  f.i32(0).set(y).i32(0).set(p);
  f.loop(); // rows
  f.get(R0).get(y).i.add().i32(S).i.mul().get(C0).i.add().set(q);
  f.i32(0).set(x);
  f.loop(); // pixels of the row
  f.get(q).i32(2).i.shl().f32Load(l.SC).f.promoteF32().tee(s32);
  f.get(s32).f.ne();
  f.if();
  // No data: (0, 0, 0, 0).
  if (rgb) f.get(q).i32(2).i.shl().i32(0).i32Store(l.OR);
  if (pca) f.get(q).i32(2).i.shl().i32(0).i32Store(l.OP);
  f.else();
  f.get(p).i32(B).i.mul().i32(l.E).i.add().set(o);
  f.get(s32).simd.f64x2Splat().tee(S2).simd.f64x2Abs().set(AS);
  if (rgb) {
    // v = float32(e·s) for the three bands, in float32 lanes (one rounding, as fround).
    f.simd.zero();
    params.rgb!.bands.forEach((b, j) => {
      f.set(v).get(o).get(v).simd.load8Lane(b, j);
    });
    f.simd.extendLow().simd.extendLow32().simd.f32x4FromI32();
    f.get(q).i32(2).i.shl().simd.load32Splat(l.SC).simd.f32x4Mul().set(v);
    // t = (v − lo)·255/(hi − lo); the margin is rounding only (|v| ≤ 128·|s|).
    const rel = (j: number) => 1e-12 * 128 * Math.abs(rgb[j].alpha);
    f.get(v).simd.f64x2Promote().get(f.f64x2Local(rgb[0].lo, rgb[1].lo)).simd.f64x2Sub();
    f.get(f.f64x2Local(rgb[0].alpha, rgb[1].alpha)).simd.f64x2Mul().set(T);
    f.get(AS).get(f.f64x2Local(rel(0), rel(1))).simd.f64x2Mul();
    f.get(f.f64x2Local(rgb[0].slop, rgb[1].slop)).simd.f64x2Add().set(M);
    pair();
    f.set(A01).set(C01);
    f.get(v).get(v).simd.shuffle32([2, 3, 2, 3]).simd.f64x2Promote();
    f.get(f.f64x2Local(rgb[2].lo, rgb[2].lo)).simd.f64x2Sub();
    f.get(f.f64x2Local(rgb[2].alpha, rgb[2].alpha)).simd.f64x2Mul().set(T);
    f.get(AS).get(f.f64x2Local(rel(2), rel(2))).simd.f64x2Mul();
    f.get(f.f64x2Local(rgb[2].slop, rgb[2].slop)).simd.f64x2Add().set(M);
    pair();
    finish(l.OR, () => f.get(o).get(q).call(1));
  }
  if (pca) {
    for (const a of acc) f.simd.zero().set(a);
    for (let i = 0; i < B / 16; i++) {
      f.get(o).simd.load(16 * i).tee(v).simd.extendLow().set(vlo);
      f.get(v).simd.extendHigh().set(vhi);
      for (let k = 0; k < 3; k++) {
        const w = l.W + 2 * k * B + 32 * i;
        f.get(acc[k]);
        f.get(vlo).i32(0).simd.load(w).simd.dot().simd.add();
        f.get(vhi).i32(0).simd.load(w + 16).simd.dot().simd.add();
        f.set(acc[k]);
      }
    }
    // H = (Σacc0, Σacc1, Σacc2, ·) by pairwise shuffles.
    f.get(acc[0]).get(acc[1]).simd.shuffle32([0, 4, 1, 5]);
    f.get(acc[0]).get(acc[1]).simd.shuffle32([2, 6, 3, 7]).simd.add().set(v);
    f.get(acc[2]).get(acc[2]).simd.shuffle32([2, 3, 0, 1]).get(acc[2]).simd.add().set(vlo);
    f.get(v).get(vlo).simd.shuffle32([0, 1, 4, 4]);
    f.get(v).get(vlo).simd.shuffle32([2, 3, 5, 5]).simd.add().set(H);
    // t from the hi sums alone; the margin covers the lo sums (scaled like t) and rounding.
    const c = pca!, sp = split!;
    const K = (k: number) => sp[k].sh * c[k].alpha;
    const MU = (k: number) => sp[k].loBound * c[k].alpha * (1 + 1e-9);
    f.get(H).simd.f64x2FromI32().get(S2).simd.f64x2Mul().get(f.f64x2Local(K(0), K(1))).simd
      .f64x2Mul();
    f.get(f.f64x2Local(c[0].beta, c[1].beta)).simd.f64x2Sub().set(T);
    f.get(AS).get(f.f64x2Local(MU(0), MU(1))).simd.f64x2Mul().get(
      f.f64x2Local(c[0].slop, c[1].slop),
    );
    f.simd.f64x2Add().set(M);
    pair();
    f.set(A01).set(C01);
    f.get(H).get(H).simd.shuffle32([2, 2, 2, 2]).simd.f64x2FromI32().get(S2).simd.f64x2Mul();
    f.get(f.f64x2Local(K(2), K(2))).simd.f64x2Mul().get(f.f64x2Local(c[2].beta, c[2].beta)).simd
      .f64x2Sub();
    f.set(T);
    f.get(AS).get(f.f64x2Local(MU(2), MU(2))).simd.f64x2Mul().get(
      f.f64x2Local(c[2].slop, c[2].slop),
    );
    f.simd.f64x2Add().set(M);
    pair();
    finish(l.OP, () => {
      f.get(o).get(s32);
      for (let k = 0; k < 3; k++) f.get(H).simd.extractLane(k);
      f.call(rgb ? 2 : 1);
    });
  }
  f.end(); // if
  f.get(p).i32(1).i.add().set(p);
  f.get(q).i32(1).i.add().set(q);
  f.get(x).i32(1).i.add().tee(x).get(IW).i.ltS().brIf(0);
  f.end(); // pixels
  f.get(y).i32(1).i.add().tee(y).get(IH).i.ltS().brIf(0);
  f.end(); // rows

  const fns = [f];
  if (rgb) fns.push(exactRgb(l, rgb));
  if (pca) fns.push(exactPca(l, pca));
  fns.push(lastValid(l));
  const pages = Math.ceil(l.end / 65536);
  return wasmModule(fns, pages, { colour: 0, lastValid: fns.length - 1 });
}

/** `lastValid(r0, c0, ih, iw)`: the chunk's last pixel (row-major) with a scale, or −1. */
function lastValid(l: Layout): WasmFunction {
  const f = new WasmFunction([I32, I32, I32, I32], [I32]);
  const [R0, C0, IH, IW] = [0, 1, 2, 3];
  const y = f.local(I32), x = f.local(I32), a = f.local(I32);
  const s = f.local(F64);
  f.get(IH).set(y);
  f.block(); // found or done
  f.loop(); // rows, last first
  f.get(y).i32(1).i.sub().tee(y).i32(0).i.ltS().brIf(1);
  f.get(IW).set(x);
  f.get(R0).get(y).i.add().i32(l.shardPx).i.mul().get(C0).i.add().i32(2).i.shl().set(a);
  f.loop(); // pixels, last first
  f.get(x).i32(1).i.sub().tee(x).i32(0).i.ltS().brIf(1);
  f.get(a).get(x).i32(2).i.shl().i.add().f32Load(l.SC).f.promoteF32().tee(s).get(s).f.ne();
  f.brIf(0); // NaN: keep looking
  f.get(y).get(IW).i.mul().get(x).i.add().op(0x0f); // return it
  f.end().end().end();
  f.i32(-1);
  return f;
}

/** `channel(x, lo, hi)` of stretch.ts in float64 steps, x = (local − shift)/div. */
function exactChannel(f: WasmFunction, xl: number, c: ChannelConsts): void {
  const n = f.local(F64);
  f.get(xl);
  if (c.shift !== 0 || c.div !== 1) f.f64(c.shift).f.sub().f64(c.div).f.div();
  f.f64(c.lo).f.sub().f64(c.span).f.div().set(n);
  f.get(n).f64(1).f.ge();
  f.if(I32).i32(255);
  f.else().get(n).f64(0).f.gt();
  f.if(I32).get(n).f64(255).f.mul().i.truncF64();
  f.else().i32(0);
  f.end().end();
}

/** `exactRgb(o, q)`: the pixel's RGB channels as render.ts's formula, packed RGBA. */
function exactRgb(l: Layout, c: ChannelConsts[]): WasmFunction {
  const f = new WasmFunction([I32, I32], [I32]);
  const [O, Q] = [0, 1];
  const v = f.local(F64), packed = f.local(I32);
  f.i32(-16777216).set(packed); // alpha 255
  l.params.rgb!.bands.forEach((b, j) => {
    // float32(e·s): the int8 value times the float32 scale, rounded once to float32.
    f.get(O).i32Load8s(b).f.f32FromI32();
    f.get(Q).i32(2).i.shl().f32Load(l.SC).f.f32Mul().f.promoteF32().set(v);
    exactChannel(f, v, c[j]);
    if (j) f.i32(8 * j).i.shl();
    f.get(packed).i.or().set(packed);
  });
  f.get(packed);
  return f;
}

/**
 * `exactPca(o, s, h0, h1, h2)`: per component k the lo sum over the pixel at o,
 * `a = h_k·sh + lo·sl` (the exact dot product) and the channel of `(s·a − shift)/iqr` in
 * float64 steps; packed RGBA.
 */
function exactPca(l: Layout, c: ChannelConsts[]): WasmFunction {
  const B = l.bands;
  const f = new WasmFunction([I32, F64, I32, I32, I32], [I32]);
  const [O, S] = [0, 1];
  const acc = f.local(V128), v = f.local(V128), a = f.local(F64), packed = f.local(I32);
  f.i32(-16777216).set(packed);
  for (let k = 0; k < 3; k++) {
    const sp = l.split![k];
    f.simd.zero().set(acc);
    for (let i = 0; i < B / 16; i++) {
      const w = l.W + 2 * (3 + k) * B + 32 * i;
      f.get(O).simd.load(16 * i).tee(v).simd.extendLow();
      f.i32(0).simd.load(w).simd.dot().get(acc).simd.add().set(acc);
      f.get(v).simd.extendHigh().i32(0).simd.load(w + 16).simd.dot().get(acc).simd.add();
      f.set(acc);
    }
    f.get(2 + k).f.fromI32().f64(sp.sh).f.mul();
    f.get(acc).simd.extractLane(0);
    for (let lane = 1; lane < 4; lane++) f.get(acc).simd.extractLane(lane).i.add();
    f.f.fromI32().f64(sp.sl).f.mul().f.add().set(a);
    f.get(S).get(a).f.mul().set(a); // s·a, then the channel of (s·a − shift)/iqr
    exactChannel(f, a, c[k]);
    if (k) f.i32(8 * k).i.shl();
    f.get(packed).i.or().set(packed);
  }
  f.get(packed);
  return f;
}
