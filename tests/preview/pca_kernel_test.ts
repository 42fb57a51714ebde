/** The WebAssembly PCA kernel against plain float64 dot products, extremes included. */
import { assertEquals } from "../assert.ts";
import { kernelFits, PcaKernel } from "../../lib/preview/pca_kernel.ts";

Deno.test("kernelFits: multiples of 16 up to 512", () => {
  assertEquals(
    [8, 16, 24, 128, 512, 528].map(kernelFits).join(","),
    "false,true,false,true,true,false",
  );
});

Deno.test("PcaKernel: e·c within 1e-8 of float64, for 16, 128 and 512 bands", () => {
  let x = 5;
  const rnd = () => (x = (x * 48271) % 2147483647) / 2147483647;
  for (const B of [16, 128, 512]) {
    const P = 1024;
    const comps = [0, 1, 2].map((k) => Array.from({ length: B }, () => (rnd() - 0.5) / (k + 1)));
    comps[2][B - 1] = -1; // a component dominated by one (negative) loading
    const e = new Int8Array(P * B);
    for (let i = 0; i < e.length; i++) e[i] = Math.floor(rnd() * 256) - 128;
    e.fill(-128, 0, B); // the extreme pixel: every band at −128
    e.fill(127, B, 2 * B);
    const valid = Int32Array.from({ length: P }, (_, i) => i).filter((i) => i < 2 || rnd() < 0.7);
    const kernel = new PcaKernel(comps, B, P);
    for (const n of [0, 1, valid.length]) {
      const dots = kernel.project(e, valid, n);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < 3; k++) {
          let ref = 0, mag = 0;
          for (let b = 0; b < B; b++) {
            ref += e[valid[i] * B + b] * comps[k][b];
            mag += Math.abs(e[valid[i] * B + b] * comps[k][b]);
          }
          const err = Math.abs(dots[3 * i + k] - ref) / mag;
          if (!(err < 1e-8)) {
            throw new Error(
              `B=${B} pixel ${valid[i]} component ${k}: ${dots[3 * i + k]} vs ${ref}`,
            );
          }
        }
      }
    }
  }
});

Deno.test("PcaKernel refuses band counts it cannot take", () => {
  let threw = false;
  try {
    new PcaKernel([[1], [1], [1]], 8, 16);
  } catch {
    threw = true;
  }
  assertEquals(threw, true);
});
