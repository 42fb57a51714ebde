/**
 * A tiny WebAssembly binary emitter for the previews' kernels (colour_kernel.ts): function
 * bodies written as calls (`f.get(x)`, `f.f64.mul()`, `f.simd.dot()`), and a module of
 * functions over one exported memory. No toolchain, nothing fetched: the kernels are assembled
 * at run time with their constants (loadings, stretches) baked in as immediates.
 */

/** Value types. */
export const I32 = 0x7f, F64 = 0x7c, V128 = 0x7b;
type ValType = typeof I32 | typeof F64 | typeof V128;

/** One function: its signature, locals and body. */
export class WasmFunction {
  readonly params: ValType[];
  readonly results: ValType[];
  readonly code: number[] = [];
  readonly #locals: ValType[] = [];
  readonly #consts = new Map<string, number>();
  readonly #prologue: number[] = [];

  constructor(params: ValType[], results: ValType[] = []) {
    this.params = params;
    this.results = results;
  }

  /** A new local of type `t`; returns its index. */
  local(t: ValType): number {
    this.#locals.push(t);
    return this.params.length + this.#locals.length - 1;
  }

  /**
   * A v128 local holding float64 lanes (a, b), set once at the function's start: V8 builds a
   * `v128.const` anew at each use, a hot loop had better read a local.
   */
  f64x2Local(a: number, b: number = a): number {
    const bytes = [...new Uint8Array(Float64Array.of(a, b).buffer)];
    const key = bytes.join(",");
    let l = this.#consts.get(key);
    if (l === undefined) {
      l = this.local(V128);
      this.#consts.set(key, l);
      this.#prologue.push(0xfd, ...uleb(0x0c), ...bytes, 0x21, ...uleb(l));
    }
    return l;
  }

  /** Raw bytes. */
  op(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }

  get(l: number): this {
    return this.op(0x20, ...uleb(l));
  }
  set(l: number): this {
    return this.op(0x21, ...uleb(l));
  }
  tee(l: number): this {
    return this.op(0x22, ...uleb(l));
  }
  i32(n: number): this {
    return this.op(0x41, ...sleb(n | 0));
  }
  f64(x: number): this {
    return this.op(0x44, ...new Uint8Array(Float64Array.of(x).buffer));
  }
  /** `block` / `loop` / `if` with an empty or one-value result; close with {@link end}. */
  block(result?: ValType): this {
    return this.op(0x02, result ?? 0x40);
  }
  loop(): this {
    return this.op(0x03, 0x40);
  }
  if(result?: ValType): this {
    return this.op(0x04, result ?? 0x40);
  }
  else(): this {
    return this.op(0x05);
  }
  end(): this {
    return this.op(0x0b);
  }
  br(depth: number): this {
    return this.op(0x0c, ...uleb(depth));
  }
  brIf(depth: number): this {
    return this.op(0x0d, ...uleb(depth));
  }
  call(index: number): this {
    return this.op(0x10, ...uleb(index));
  }
  select(): this {
    return this.op(0x1b);
  }

  // Memory: `offset` is the constant added to the address on the stack.
  i32Load(offset = 0): this {
    return this.op(0x28, 2, ...uleb(offset));
  }
  f32Load(offset = 0): this {
    return this.op(0x2a, 2, ...uleb(offset));
  }
  i32Load8s(offset = 0): this {
    return this.op(0x2c, 0, ...uleb(offset));
  }
  i32Load8u(offset = 0): this {
    return this.op(0x2d, 0, ...uleb(offset));
  }
  i32Store(offset = 0): this {
    return this.op(0x36, 2, ...uleb(offset));
  }
  i32Store8(offset = 0): this {
    return this.op(0x3a, 0, ...uleb(offset));
  }

  readonly i = {
    eqz: () => this.op(0x45),
    eq: () => this.op(0x46),
    ne: () => this.op(0x47),
    ltS: () => this.op(0x48),
    ltU: () => this.op(0x49),
    gtS: () => this.op(0x4a),
    geU: () => this.op(0x4f),
    add: () => this.op(0x6a),
    sub: () => this.op(0x6b),
    mul: () => this.op(0x6c),
    and: () => this.op(0x71),
    or: () => this.op(0x72),
    shl: () => this.op(0x74),
    shrU: () => this.op(0x76),
    divU: () => this.op(0x6e),
    /** i32.trunc_f64_s (traps outside the i32 range: clamp first). */
    truncF64: () => this.op(0xaa),
  };

  readonly f = {
    ne: () => this.op(0x62),
    lt: () => this.op(0x63),
    gt: () => this.op(0x64),
    le: () => this.op(0x65),
    ge: () => this.op(0x66),
    abs: () => this.op(0x99),
    floor: () => this.op(0x9c),
    add: () => this.op(0xa0),
    sub: () => this.op(0xa1),
    mul: () => this.op(0xa2),
    div: () => this.op(0xa3),
    fromI32: () => this.op(0xb7),
    promoteF32: () => this.op(0xbb),
    /** f32 ops on the way to f64. */
    f32Ne: () => this.op(0x5c),
    f32Mul: () => this.op(0x94),
    f32FromI32: () => this.op(0xb2),
  };

  readonly simd = {
    load: (offset = 0) => this.op(0xfd, ...uleb(0x00), 4, ...uleb(offset)),
    /** v128.load32_splat: one 32-bit value into every lane. */
    load32Splat: (offset = 0) => this.op(0xfd, ...uleb(0x09), 2, ...uleb(offset)),
    /** v128.load8_lane: the byte at address + offset into lane `lane` of the vector below. */
    load8Lane: (offset: number, lane: number) =>
      this.op(0xfd, ...uleb(0x54), 0, ...uleb(offset), lane),
    /** v128.store32_lane. */
    store32Lane: (offset: number, lane: number) =>
      this.op(0xfd, ...uleb(0x5a), 2, ...uleb(offset), lane),
    zero: () => this.op(0xfd, ...uleb(0x0c), ...new Array(16).fill(0)),
    /** v128.const of two float64 lanes. */
    f64x2: (a: number, b: number) =>
      this.op(0xfd, ...uleb(0x0c), ...new Uint8Array(Float64Array.of(a, b).buffer)),
    /** i8x16.shuffle of the two vectors below, by i16 lanes (0–7 first, 8–15 second). */
    shuffle16: (lanes: readonly number[]) =>
      this.op(0xfd, ...uleb(0x0d), ...lanes.flatMap((l) => [2 * l, 2 * l + 1])),
    /** v128.const of four i32 lanes. */
    i32x4: (a: number, b: number, c: number, d: number) =>
      this.op(0xfd, ...uleb(0x0c), ...new Uint8Array(Int32Array.of(a, b, c, d).buffer)),
    and: () => this.op(0xfd, ...uleb(0x4e)),
    allTrue32: () => this.op(0xfd, ...uleb(0xa3)),
    /** i16x8.extend_low_i8x16_u / extend_high_u. */
    extendLowU: () => this.op(0xfd, ...uleb(0x89)),
    extendHighU: () => this.op(0xfd, ...uleb(0x8a)),
    add16: () => this.op(0xfd, ...uleb(0x8e)),
    shrU16: () => this.op(0xfd, ...uleb(0x8d)),
    /** v128.store64_lane. */
    store64Lane: (offset: number, lane: number) =>
      this.op(0xfd, ...uleb(0x5b), 3, ...uleb(offset), lane),
    /** i8x16.shuffle of the two vectors below, by i32 lanes (0–3 first, 4–7 second). */
    shuffle32: (lanes: readonly number[]) =>
      this.op(
        0xfd,
        ...uleb(0x0d),
        ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]),
      ),
    extractLane: (lane: number) => this.op(0xfd, ...uleb(0x1b), lane),
    replaceLane: (lane: number) => this.op(0xfd, ...uleb(0x1c), lane),
    /** i16x8.extend_low_i8x16_s / extend_high; i32x4.extend_low_i16x8_s. */
    extendLow: () => this.op(0xfd, ...uleb(0x87)),
    extendHigh: () => this.op(0xfd, ...uleb(0x88)),
    extendLow32: () => this.op(0xfd, ...uleb(0xa7)),
    add: () => this.op(0xfd, ...uleb(0xae)),
    /** i32x4.dot_i16x8_s. */
    dot: () => this.op(0xfd, ...uleb(0xba)),
    or: () => this.op(0xfd, ...uleb(0x50)),
    anyTrue: () => this.op(0xfd, ...uleb(0x53)),
    /** Narrowing with unsigned saturation: i16x8 from i32x4 pairs, i8x16 from i16x8 pairs. */
    narrow16u: () => this.op(0xfd, ...uleb(0x86)),
    narrow8u: () => this.op(0xfd, ...uleb(0x66)),
    f32x4FromI32: () => this.op(0xfd, ...uleb(0xfa)),
    f32x4Mul: () => this.op(0xfd, ...uleb(0xe6)),
    /** f64x2 from the low two lanes (of i32x4 / f32x4). */
    f64x2FromI32: () => this.op(0xfd, ...uleb(0xfe)),
    f64x2Promote: () => this.op(0xfd, ...uleb(0x5f)),
    f64x2Splat: () => this.op(0xfd, ...uleb(0x14)),
    f64x2Abs: () => this.op(0xfd, ...uleb(0xec)),
    f64x2Add: () => this.op(0xfd, ...uleb(0xf0)),
    f64x2Sub: () => this.op(0xfd, ...uleb(0xf1)),
    f64x2Mul: () => this.op(0xfd, ...uleb(0xf2)),
    /** pmin(a, b) = b < a ? b : a; pmax(a, b) = a < b ? b : a. */
    f64x2Pmin: () => this.op(0xfd, ...uleb(0xf6)),
    f64x2Pmax: () => this.op(0xfd, ...uleb(0xf7)),
    f64x2Floor: () => this.op(0xfd, ...uleb(0x7a)),
    f64x2Eq: () => this.op(0xfd, ...uleb(0x47)),
    f64x2Ne: () => this.op(0xfd, ...uleb(0x48)),
    /** i32x4.trunc_sat_f64x2_s_zero: the two lanes as int32, upper lanes 0. */
    truncSatF64x2: () => this.op(0xfd, ...uleb(0xfc)),
  };

  /** The function body as it goes into the code section. */
  body(): number[] {
    const groups: [number, ValType][] = [];
    for (const t of this.#locals) {
      const last = groups.at(-1);
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    const locals = [...uleb(groups.length), ...groups.flatMap(([n, t]) => [...uleb(n), t])];
    const bytes = [...locals, ...this.#prologue, ...this.code, 0x0b];
    return [...uleb(bytes.length), ...bytes];
  }
}

/**
 * A module of `functions` (indices in order) over one memory of `pages` 64 KiB pages, exported
 * as "memory"; `exports` names the exported functions by index.
 *
 * @example
 * ```ts
 * const f = new WasmFunction([I32], [I32]);
 * f.get(0).i32(1).i.add();
 * const bytes = wasmModule([f], 1, { inc: 0 });
 * ```
 */
export function wasmModule(
  functions: readonly WasmFunction[],
  pages: number,
  exports: Record<string, number>,
): Uint8Array<ArrayBuffer> {
  const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
  const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
  const name = (s: string) => [...uleb(s.length), ...new TextEncoder().encode(s)];
  const types = functions.map((
    f,
  ) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(5, [1, 0x00, ...uleb(pages)]),
    ...section(
      7,
      vec([
        [...name("memory"), 0x02, 0],
        ...Object.entries(exports).map(([n, i]) => [...name(n), 0x00, ...uleb(i)]),
      ]),
    ),
    ...section(10, vec(functions.map((f) => f.body()))),
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
