/**
 * The alpha-aware 2 × 2 mean of overviews.ts's `reduce2x2`, for the square power-of-two blocks
 * of a shard's pyramid share (pyramid_parts.ts), as WebAssembly SIMD: two output pixels per step
 * where all eight source pixels have data (`(sum + 2) >> 2` per channel, as reduce2x2's fast
 * path), reduce2x2's general rule pixel by pixel elsewhere. Same bytes, ~10× faster than JS.
 */
import { I32, V128, WasmFunction, wasmModule } from "./wasm_emit.ts";

/**
 * A pyramid of one `size`-square RGBA block (size a power of two): fill {@link level0}, then
 * {@link reduce} writes levels 1..levels − 1 into the kernel's memory.
 *
 * @example
 * ```ts
 * const k = new PyramidKernel(1024, 3);
 * k.level0.set(rgba);
 * const [l1, l2] = k.reduce(); // 512² and 256² RGBA, views valid until the next reduce
 * ```
 */
export class PyramidKernel {
  readonly size: number;
  readonly levels: number;
  /** Level 0, `size² × 4` bytes. */
  readonly level0: Uint8Array;
  readonly #views: Uint8Array[] = [];
  readonly #offsets: number[] = [0];
  readonly #run: (src: number, side: number, dst: number) => void;

  /** A kernel for `levels` levels (level 0 included) of a `size`-square block. */
  constructor(size: number, levels: number) {
    if (!Number.isInteger(Math.log2(size)) || levels < 1 || size >> (levels - 1) < 1) {
      throw new RangeError(`PyramidKernel takes a power-of-two size ≥ 2^(levels−1), not ${size}`);
    }
    this.size = size;
    this.levels = levels;
    for (let k = 1; k < levels; k++) {
      this.#offsets.push(this.#offsets[k - 1] + 4 * (size >> (k - 1)) ** 2);
    }
    const end = this.#offsets[levels - 1] + 4 * (size >> (levels - 1)) ** 2;
    const instance = new WebAssembly.Instance(
      new WebAssembly.Module(
        wasmModule([reduceFn(), oneFn()], Math.ceil(end / 65536), { reduce: 0 }),
      ),
    );
    const buf = (instance.exports.memory as WebAssembly.Memory).buffer;
    this.#run = instance.exports.reduce as (src: number, side: number, dst: number) => void;
    this.level0 = new Uint8Array(buf, 0, 4 * size * size);
    for (let k = 1; k < levels; k++) {
      this.#views.push(new Uint8Array(buf, this.#offsets[k], 4 * (size >> k) ** 2));
    }
  }

  /** Levels 1..levels − 1 of {@link level0}, each the 2 × 2 alpha-aware mean of the one before. */
  reduce(): Uint8Array[] {
    for (let k = 1; k < this.levels; k++) {
      this.#run(this.#offsets[k - 1], this.size >> (k - 1), this.#offsets[k]);
    }
    return this.#views;
  }
}

/** `reduce(src, side, dst)`: the side/2-square level from the side-square one. */
function reduceFn(): WasmFunction {
  const f = new WasmFunction([I32, I32, I32]);
  const [SRC, SIDE, DST] = [0, 1, 2];
  const half = f.local(I32), r = f.local(I32), c = f.local(I32), pa = f.local(I32);
  const stride = f.local(I32), q = f.local(I32);
  const a = f.local(V128), b = f.local(V128), lo = f.local(V128), hi = f.local(V128);
  const alpha = f.local(V128), two = f.local(V128);
  f.simd.i32x4(-16777216, -16777216, -16777216, -16777216).set(alpha);
  f.simd.i32x4(0x20002, 0x20002, 0x20002, 0x20002).set(two);
  f.get(SIDE).i32(1).i.shrU().set(half);
  f.get(SIDE).i32(2).i.shl().set(stride);
  f.i32(0).set(r);
  f.loop(); // output rows
  f.i32(0).set(c);
  f.loop(); // output pixels, two at a time (one when the level is 1 px wide)
  // pa: source pixel (2r, 2c); q: output pixel (r, c).
  f.get(SRC).get(r).i32(1).i.shl().get(stride).i.mul().i.add().get(c).i32(3).i.shl().i.add();
  f.set(pa);
  f.get(DST).get(r).get(half).i.mul().get(c).i.add().i32(2).i.shl().i.add().set(q);
  f.get(half).i32(2).i.ltS();
  f.if();
  f.get(pa).get(stride).get(q).call(1);
  f.else();
  f.get(pa).simd.load(0).tee(a).get(pa).get(stride).i.add().simd.load(0).tee(b).simd.and();
  f.get(alpha).simd.and().simd.allTrue32();
  f.if();
  // Every source pixel has data: (sum + 2) >> 2 per channel, alpha 255.
  f.get(a).simd.extendLowU().get(b).simd.extendLowU().simd.add16().set(lo);
  f.get(a).simd.extendHighU().get(b).simd.extendHighU().simd.add16().set(hi);
  f.get(lo).get(hi).simd.shuffle16([0, 1, 2, 3, 8, 9, 10, 11]);
  f.get(lo).get(hi).simd.shuffle16([4, 5, 6, 7, 12, 13, 14, 15]).simd.add16();
  f.get(two).simd.add16().i32(2).simd.shrU16().tee(lo).get(lo).simd.narrow8u();
  f.get(alpha).simd.or().set(lo);
  f.get(q).get(lo).simd.store64Lane(0, 0);
  f.else();
  f.get(pa).get(stride).get(q).call(1);
  f.get(pa).i32(8).i.add().get(stride).get(q).i32(4).i.add().call(1);
  f.end();
  f.end();
  f.get(c).i32(2).i.add().tee(c).get(half).i.ltS().brIf(0);
  f.end(); // pixels
  f.get(r).i32(1).i.add().tee(r).get(half).i.ltS().brIf(0);
  f.end(); // rows
  return f;
}

/**
 * `one(p, stride, q)`: output pixel q from the 2 × 2 block at p (row stride in bytes) by
 * reduce2x2's rule: RGB the mean of the pixels with alpha > 0, `⌊(2·sum + n)/(2n)⌋` (half up),
 * alpha 255; (0, 0, 0, 0) when none has data.
 */
function oneFn(): WasmFunction {
  const f = new WasmFunction([I32, I32, I32]);
  const [P, STRIDE, Q] = [0, 1, 2];
  const n = f.local(I32), sum = f.local(I32);
  const has = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const at = (i: number) => f.get(P).get(STRIDE).i32(i >> 1).i.mul().i.add();
  for (let i = 0; i < 4; i++) {
    at(i).i32Load8u(4 * (i & 1) + 3).i32(0).i.ne().set(has[i]);
  }
  f.get(has[0]).get(has[1]).i.add().get(has[2]).i.add().get(has[3]).i.add().tee(n).i.eqz();
  f.if();
  f.get(Q).i32(0).i32Store(0);
  f.else();
  for (let ch = 0; ch < 3; ch++) {
    f.i32(0).set(sum);
    for (let i = 0; i < 4; i++) {
      at(i).i32Load8u(4 * (i & 1) + ch).get(has[i]).i.mul().get(sum).i.add().set(sum);
    }
    f.get(Q);
    f.get(sum).i32(1).i.shl().get(n).i.add().get(n).i32(1).i.shl().i.divU();
    f.i32Store8(ch);
  }
  f.get(Q).i32(255).i32Store8(3);
  f.end();
  return f;
}
