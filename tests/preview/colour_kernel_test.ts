/**
 * The WebAssembly colour kernel against the formulas written out plainly here: RGB
 * `channel(float32(e·s), lo, hi)`, PCA `channel((s·a − mean·c − median)/iqr, lo, hi)` with `a`
 * the exact int16-split dot product (SPEC §6; colour_kernel.ts). Bit for bit, on random pixels
 * and on pixels made to land exactly on channel boundaries (where the kernel's fast path must
 * hand over to the exact one), at 16, 128 and 512 bands, and against float64 maths.
 */
import { assertEquals } from "../assert.ts";
import { ColourKernel, kernelFits } from "../../lib/preview/colour_kernel.ts";
import { channel } from "../../lib/preview/stretch.ts";
import type { PcaBasis } from "../../lib/preview/pca.ts";
import type { RgbParams } from "../../lib/preview/stretch.ts";

/** The kernel's integer split of a loading vector, recomputed independently. */
function splitDot(e: Int8Array, at: number, c: readonly number[], B: number): number {
  const m = Math.max(...c.slice(0, B).map(Math.abs));
  const sh = m > 0 ? m / 32767 : 1, sl = sh / 65534;
  let hi = 0, lo = 0;
  for (let b = 0; b < B; b++) {
    const h = Math.round(c[b] / sh);
    hi += e[at + b] * h;
    lo += e[at + b] * Math.round((c[b] - h * sh) / sl);
  }
  return hi * sh + lo * sl;
}

/** The plain formulas, pixel by pixel. */
function reference(
  e: Int8Array,
  scales: Float32Array,
  S: number,
  B: number,
  chunk: number,
  rgb: RgbParams,
  pca: PcaBasis,
  dot: (at: number, c: readonly number[]) => number,
): { rgb: Uint8Array; pca: Uint8Array } {
  const out = { rgb: new Uint8Array(S * S * 4), pca: new Uint8Array(S * S * 4) };
  const shift = pca.components.map((c, k) =>
    c.reduce((s, ck, b) => s + ck * pca.mean[b], 0) + pca.medians[k]
  );
  for (let r = 0; r < S; r++) {
    for (let c = 0; c < S; c++) {
      const p = r * S + c, s = scales[p];
      if (s !== s) continue;
      // Pixel (r, c) in chunk-major order: chunks of chunk² pixels, row-major inside.
      const ci = Math.floor(r / chunk) * (S / chunk) + Math.floor(c / chunk);
      const at = (ci * chunk * chunk + (r % chunk) * chunk + (c % chunk)) * B;
      for (let j = 0; j < 3; j++) {
        const v = Math.fround(e[at + rgb.bands[j]] * s);
        out.rgb[4 * p + j] = channel(v, rgb.stretch.min[j], rgb.stretch.max[j]);
        const a = dot(at, pca.components[j]);
        out.pca[4 * p + j] = channel(
          (s * a - shift[j]) / pca.iqrs[j],
          pca.stretch.min[j],
          pca.stretch.max[j],
        );
      }
      out.rgb[4 * p + 3] = out.pca[4 * p + 3] = 255;
    }
  }
  return out;
}

/** Runs the kernel over a whole shard laid out in chunk-major order. */
function kernelShard(
  e: Int8Array,
  scales: Float32Array,
  S: number,
  B: number,
  chunk: number,
  params: { rgb: RgbParams; pca: PcaBasis },
): { rgb: Uint8Array; pca: Uint8Array } {
  const k = new ColourKernel(params, B, S, chunk * chunk);
  k.scales.set(scales);
  const per = S / chunk, n = chunk * chunk * B;
  for (let i = 0; i < per * per; i++) {
    k.colour(
      e.subarray(i * n, (i + 1) * n),
      Math.floor(i / per) * chunk,
      (i % per) * chunk,
      chunk,
      chunk,
    );
  }
  return { rgb: k.rgb!.slice(), pca: k.pca!.slice() };
}

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  const i = a.findIndex((x, j) => x !== b[j]);
  return i < 0 ? "" : `byte ${i} (pixel ${i >> 2}, channel ${i & 3}): ${a[i]} vs ${b[i]}`;
}

function lcg(seed: number) {
  let x = seed;
  return () => (x = (x * 48271) % 2147483647) / 2147483647;
}

Deno.test("kernelFits: multiples of 16 up to 512", () => {
  assertEquals(
    [8, 16, 24, 128, 512, 528].map(kernelFits).join(","),
    "false,true,false,true,true,false",
  );
});

Deno.test("ColourKernel = the formulas, bit for bit: random pixels at 16, 128 and 512 bands", () => {
  for (const B of [16, 128, 512]) {
    const rnd = lcg(B), S = 64, chunk = 16;
    const e = new Int8Array(S * S * B);
    for (let i = 0; i < e.length; i++) e[i] = Math.floor(rnd() * 256) - 128;
    e.fill(-128, 0, B); // extreme pixels: every band at −128, then at 127
    e.fill(127, B, 2 * B);
    const scales = Float32Array.from({ length: S * S }, () => rnd() < 0.1 ? NaN : rnd() * 0.2);
    const comps = [0, 1, 2].map((k) => Array.from({ length: B }, () => (rnd() - 0.5) / (k + 1)));
    comps[2][B - 1] = -1; // a component dominated by one (negative) loading
    const rgb: RgbParams = { bands: [B - 1, 0, 5], stretch: { min: [-8, -3, -5], max: [8, 4, 1] } };
    const pca: PcaBasis = {
      mean: Array.from({ length: B }, () => rnd() - 0.5),
      components: comps,
      explainedVariance: [0.5, 0.2, 0.1],
      medians: [0.3, -0.2, 0.1],
      iqrs: [3, 2, 1.5],
      stretch: { min: [-2, -1.5, -3], max: [2, 2.5, 1] },
    };
    const want = reference(e, scales, S, B, chunk, rgb, pca, (at, c) => splitDot(e, at, c, B));
    const got = kernelShard(e, scales, S, B, chunk, { rgb, pca });
    assertEquals(firstDifference(got.rgb, want.rgb), "", `rgb, ${B} bands`);
    assertEquals(firstDifference(got.pca, want.pca), "", `pca, ${B} bands`);
    // And the split dot product is float64 maths up to rounding: on these pixels, the same.
    const f64 = reference(e, scales, S, B, chunk, rgb, pca, (at, c) => {
      let a = 0;
      for (let b = 0; b < B; b++) a += e[at + b] * c[b];
      return a;
    });
    assertEquals(firstDifference(got.pca, f64.pca), "", `pca vs float64, ${B} bands`);
  }
});

Deno.test("ColourKernel on channel boundaries: t exactly integral, clipping edges, zero vectors", () => {
  // Scales that are powers of two and a stretch of 0..255 make v·255/255 land on integers,
  // where `(v − lo)/(hi − lo)·255` may round just below: the kernel must take the exact path.
  const B = 16, S = 32, chunk = 8;
  const rnd = lcg(7);
  const e = new Int8Array(S * S * B);
  for (let i = 0; i < e.length; i++) e[i] = Math.floor(rnd() * 256) - 128;
  e.fill(0, 3 * B, 9 * B); // all-zero vectors
  const scales = Float32Array.from({ length: S * S }, (_, i) => 2 ** -(i % 5));
  scales[17] = NaN;
  // Loadings that are multiples of 1/8: a·s is exactly representable and often integral.
  const comps = [0, 1, 2].map((k) => Array.from({ length: B }, (_, b) => ((b + k) % 5 - 2) / 8));
  const rgb: RgbParams = {
    bands: [0, 1, 2],
    stretch: { min: [0, -127, 1], max: [255, 128, 1.0000001] },
  };
  const pca: PcaBasis = {
    mean: new Array(B).fill(0),
    components: comps,
    explainedVariance: [0.5, 0.2, 0.1],
    medians: [0, 0.5, -1],
    iqrs: [1, 1, 0.25],
    stretch: { min: [0, -100, -1e-9], max: [255, 155, 1e-9] },
  };
  const want = reference(e, scales, S, B, chunk, rgb, pca, (at, c) => splitDot(e, at, c, B));
  const got = kernelShard(e, scales, S, B, chunk, { rgb, pca });
  assertEquals(firstDifference(got.rgb, want.rgb), "", "rgb");
  assertEquals(firstDifference(got.pca, want.pca), "", "pca");
  assertEquals(got.rgb[17 * 4 + 3], 0, "no data stays (0, 0, 0, 0)");
  assertEquals(new Set(got.pca.filter((_, i) => i % 4 === 2)).size > 1, true, "not all clipped");
});

Deno.test("ColourKernel reads a chunk up to its last valid pixel; none valid writes zeros", () => {
  const B = 16, S = 32, chunk = 16;
  const rnd = lcg(3);
  const e = new Int8Array(chunk * chunk * B).map(() => Math.floor(rnd() * 256) - 128);
  const params = {
    rgb: { bands: [0, 1, 2], stretch: { min: [-5, -5, -5], max: [5, 5, 5] } } as RgbParams,
  };
  const k = new ColourKernel(params, B, S, chunk * chunk);
  const expect = (p: number, s: number) =>
    [...[0, 1, 2].map((j) => channel(Math.fround(e[p * B + j] * s), -5, 5)), 255].join();
  // The chunk at (16, 16) of the shard; its pixels 5 and 200 (row 12, col 8) have data.
  k.rgb!.fill(7); // stale bytes from an earlier shard
  k.scales.fill(NaN);
  k.scales[16 * S + 16 + 5] = 0.05;
  k.colour(e, 16, 16, chunk, chunk);
  const px = (r: number, c: number) => [...k.rgb!.subarray(4 * (r * S + c), 4 * (r * S + c) + 4)];
  assertEquals(px(16, 21).join(), expect(5, 0.05));
  k.scales[(16 + 12) * S + 16 + 8] = 0.03;
  k.colour(e, 16, 16, chunk, chunk);
  assertEquals(px(28, 24).join(), expect(200, 0.03));
  assertEquals(px(16, 21).join(), expect(5, 0.05));
  assertEquals(px(16, 20).join(), "0,0,0,0");
  assertEquals(px(0, 0).join(), "7,7,7,7", "other chunks untouched");
  k.scales.fill(NaN);
  k.colour(null, 16, 16, chunk, chunk);
  assertEquals(px(28, 24).join(), "0,0,0,0");
});

Deno.test("ColourKernel refuses band counts it cannot take", () => {
  let threw = false;
  try {
    new ColourKernel({}, 8, 16, 16);
  } catch {
    threw = true;
  }
  assertEquals(threw, true);
});
