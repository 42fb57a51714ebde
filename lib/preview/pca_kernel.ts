/**
 * The PCA preview's hot loop — three dot products of each valid pixel's int8 vector with the
 * component loadings — as a tiny WebAssembly SIMD function, assembled here byte by byte (no
 * toolchain): ~3× faster than the best plain-JS loop, which made PCA the most expensive part
 * of the previews (docs/benchmarks.md).
 *
 * Exactness: each loading c is split into two int16 parts, c ≈ hi·S + lo·S/65534 (S =
 * max|c|/32767), leaving a relative error below 3e-10. The int8 × int16 sums are exact in
 * int32 (|sum| ≤ 128 · 32767 · bands < 2^31 for bands ≤ 512), so `e·c` comes out within ~1e-8
 * of the float64 dot product: the same colours as float64 maths up to float rounding.
 */

type Dot3 = (e: number, idx: number, n: number, w: number, out: number) => void;

/**
 * Whether the kernel takes vectors of `bands` values: a multiple of 16 (one SIMD load), and at
 * most 512 (int32 sums must not overflow). The real data's 128 bands qualify.
 */
export function kernelFits(bands: number): boolean {
  return bands > 0 && bands % 16 === 0 && bands <= 512;
}

/**
 * Dot products `e·c_k` (k = 0..2) of int8 vectors with three loading vectors.
 *
 * @example
 * ```ts
 * const k = new PcaKernel(basis.components, 128, 1024);
 * k.project(chunk, validIndices, n, out); // out[3i + k] = chunk[valid[i]] · c_k
 * ```
 */
export class PcaKernel {
  readonly bands: number;
  #maxPixels: number;
  #run: Dot3;
  #at: { w: number; e: number; idx: number; out: number };
  #mem8: Int8Array;
  #ids: Int32Array;
  #dots: Float64Array;

  /** A kernel for `bands`-band vectors, at most `maxPixels` per call. */
  constructor(components: readonly (readonly number[])[], bands: number, maxPixels: number) {
    if (!kernelFits(bands) || components.length !== 3) {
      throw new RangeError(`PcaKernel takes 3 components of 16·k ≤ 512 bands, not ${bands}`);
    }
    this.bands = bands;
    this.#maxPixels = maxPixels;
    const stride = bands;
    const w = 0, e = 6 * stride * 2, idx = e + maxPixels * stride;
    const out = Math.ceil((idx + maxPixels * 4) / 8) * 8;
    this.#at = { w, e, idx, out };
    // Split loadings: rows 2k (hi) and 2k + 1 (lo) of int16.
    const weights = new Int16Array(6 * stride);
    const scales: number[] = [];
    components.forEach((c, k) => {
      const m = Math.max(...c.slice(0, bands).map(Math.abs));
      const sh = m > 0 ? m / 32767 : 1, sl = sh / 65534;
      scales.push(sh, sl);
      for (let b = 0; b < bands; b++) {
        const hi = Math.round(c[b] / sh);
        weights[2 * k * stride + b] = hi;
        weights[(2 * k + 1) * stride + b] = Math.round((c[b] - hi * sh) / sl);
      }
    });
    const pages = Math.ceil((out + maxPixels * 24) / 65536);
    const bytes = assemble(stride, pages, scales) as Uint8Array<ArrayBuffer>;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    const buf = (instance.exports.memory as WebAssembly.Memory).buffer;
    this.#run = instance.exports.dot3 as Dot3;
    new Int16Array(buf, w, 6 * stride).set(weights);
    this.#mem8 = new Int8Array(buf);
    this.#ids = new Int32Array(buf, idx, maxPixels);
    this.#dots = new Float64Array(buf, out, 3 * maxPixels);
  }

  /**
   * For the `n` pixels whose indices (within `e`, `bands` int8 values per pixel) are
   * `valid[0..n)`, returns `dots` with `dots[3i + k] = e[valid[i]]·c_k` (a view into the
   * kernel's memory, valid until the next call).
   */
  project(e: Int8Array, valid: Int32Array, n: number): Float64Array {
    if (n > this.#maxPixels) throw new RangeError(`at most ${this.#maxPixels} pixels per call`);
    const at = this.#at;
    // The chunk's pixels up to the last valid one, in one copy (cheaper than gathering).
    const last = n ? valid[n - 1] + 1 : 0;
    this.#mem8.set(e.subarray(0, last * this.bands), at.e);
    this.#ids.set(valid.subarray(0, n));
    this.#run(at.e, at.idx, n, at.w, at.out);
    return this.#dots;
  }
}

/**
 * The module: memory (exported), and `dot3(e, idx, n, w, out)`: for i < n, pixel p = idx[i]
 * at e + p·stride, six exact int32 sums s_r = Σ_b e[b]·w[r][b] (rows r = 0..5 of `stride`
 * int16 at w), stored as three float64 `s_2k·scales[2k] + s_2k+1·scales[2k+1]` at out + 24·i.
 */
function assemble(stride: number, pages: number, scales: readonly number[]): Uint8Array {
  const E = 0, IDX = 1, N = 2, W = 3, OUT = 4; // parameters
  const I = 5, O = 6, B = 7, WB = 8, Q = 9; // i32 locals
  const V = 10, LO = 11, HI = 12, ACC = 13; // v128 locals: v, lo16, hi16, acc0..acc5
  const code: number[] = [];
  const op = (...bytes: number[]) => code.push(...bytes);
  const get = (l: number) => op(0x20, l),
    set = (l: number) => op(0x21, l),
    tee = (l: number) => op(0x22, l);
  const i32 = (n: number) => op(0x41, ...sleb(n));
  const simd = (n: number) => op(0xfd, ...uleb(n));
  const memarg = (align: number, offset: number) => op(...uleb(align), ...uleb(offset));

  op(0x02, 0x40); // block $done
  op(0x03, 0x40); //   loop $pixel
  get(I), get(N), op(0x4f), op(0x0d, 1); // if i >= n: break
  // o = e + idx[i]·stride
  get(E), get(IDX), get(I), i32(2), op(0x74), op(0x6a), op(0x28), memarg(2, 0);
  i32(stride), op(0x6c), op(0x6a), set(O);
  for (let r = 0; r < 6; r++) simd(0x0c), op(...new Array(16).fill(0)), set(ACC + r);
  i32(0), set(B);
  op(0x03, 0x40); //     loop $band
  get(O), get(B), op(0x6a), simd(0x00), memarg(0, 0), tee(V);
  simd(0x87), set(LO); // i16x8.extend_low_i8x16_s
  get(V), simd(0x88), set(HI); // i16x8.extend_high_i8x16_s
  get(W), get(B), i32(1), op(0x74), op(0x6a), set(WB);
  for (let r = 0; r < 6; r++) {
    get(ACC + r);
    get(LO), get(WB), simd(0x00), memarg(0, r * stride * 2), simd(0xba), simd(0xae); // dot, add
    get(HI), get(WB), simd(0x00), memarg(0, r * stride * 2 + 16), simd(0xba), simd(0xae);
    set(ACC + r);
  }
  get(B), i32(16), op(0x6a), tee(B), i32(stride), op(0x49), op(0x0d, 0); // b += 16; b < stride
  op(0x0b); //     end $band
  get(OUT), get(I), i32(24), op(0x6c), op(0x6a), set(Q);
  const hsum = (r: number) => {
    get(ACC + r), simd(0x1b), op(0); // i32x4.extract_lane 0
    for (let lane = 1; lane < 4; lane++) get(ACC + r), simd(0x1b), op(lane), op(0x6a);
  };
  const f64 = (x: number) => op(0x44, ...new Uint8Array(Float64Array.of(x).buffer));
  for (let k = 0; k < 3; k++) {
    get(Q);
    hsum(2 * k), op(0xb7), f64(scales[2 * k]), op(0xa2); // f64.convert_i32_s, f64.mul
    hsum(2 * k + 1), op(0xb7), f64(scales[2 * k + 1]), op(0xa2), op(0xa0); // f64.add
    op(0x39), memarg(3, k * 8); // f64.store
  }
  get(I), i32(1), op(0x6a), set(I);
  op(0x0c, 0); //   br $pixel
  op(0x0b, 0x0b); // end loop, end block
  op(0x0b); // end function

  const locals = [...uleb(2), ...uleb(5), 0x7f, ...uleb(9), 0x7b]; // 5 × i32, 9 × v128
  const body = [...locals, ...code];
  const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
  const name = (s: string) => [...uleb(s.length), ...new TextEncoder().encode(s)];
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [1, 0x60, 5, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0]), // (i32 × 5) → ()
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, ...uleb(pages)]),
    ...section(7, [2, ...name("memory"), 0x02, 0, ...name("dot3"), 0x00, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}
