/** viewer/src/colour.ts: the stretch formula, pixel states, re-stretching, clipping. */
import { assertDeepEquals, assertEquals } from "../assert.ts";
import {
  applyTables,
  channelByte,
  clipColumns,
  renderBands,
  restretchTables,
  sharedStretch,
} from "../../viewer/src/colour.ts";

Deno.test("channelByte is trunc(clip((v − lo)/(hi − lo), 0, 1)·255)", () => {
  const cases: [number, number, number, number][] = [
    [-5, -4, 4, 0],
    [-4, -4, 4, 0],
    [0, -4, 4, 127],
    [4, -4, 4, 255],
    [9, -4, 4, 255],
    [1, 0, 3, 85],
    [0.999, 0, 1, 254],
    [2, 2, 2, 0],
    [2.5, 2, 2, 255],
  ];
  for (const [v, lo, hi, want] of cases) {
    assertEquals(channelByte(v, lo, hi), want, `${v} ${lo} ${hi}`);
  }
});

Deno.test("renderBands: NaN scale is transparent, scale 0 is a valid pixel, values dequantised", () => {
  const nBands = 4;
  const emb = new Int8Array([10, 20, 30, 40, 10, 20, 30, 40, -128, 0, 127, 5]);
  const scales = new Float32Array([NaN, 0, 0.1]);
  const out = new Uint8ClampedArray(12);
  const stretch = { min: [-10, -10, -10], max: [10, 10, 10] };
  const valid = renderBands(emb, scales, nBands, [0, 2, 3], stretch, out);
  assertEquals(valid, 2);
  assertDeepEquals([...out.slice(0, 4)], [0, 0, 0, 0]);
  // scale 0 (the upstream viewer made it transparent): valid, every value 0 → mid grey.
  assertDeepEquals([...out.slice(4, 8)], [127, 127, 127, 255]);
  const deq = (q: number) => Math.fround(q * Math.fround(0.1));
  assertDeepEquals([...out.slice(8, 12)], [
    channelByte(deq(-128), -10, 10),
    channelByte(deq(127), -10, 10),
    channelByte(deq(5), -10, 10),
    255,
  ]);
});

Deno.test("restretch tables: identity for equal stretches, linear otherwise", () => {
  const s = { min: [-5, -4, -3], max: [5, 6, 2] };
  for (const lut of restretchTables(s, s)) {
    for (let c = 0; c < 256; c++) assertEquals(lut[c], c);
  }
  const wider = { min: [-10, -4, -3], max: [10, 6, 2] };
  const [r] = restretchTables(s, wider);
  // Bin centres: byte 0 stands for −4.98, which is byte 64 of the wider stretch.
  assertEquals(r[0], 64);
  assertEquals(r[255], 191);
  const rgba = new Uint8Array([0, 10, 20, 255, 255, 255, 255, 0]);
  applyTables(rgba, restretchTables(s, wider));
  assertDeepEquals([...rgba], [64, 10, 20, 255, 255, 255, 255, 0]);
});

Deno.test("sharedStretch: one store gives its own p2..p98; several are count-weighted", () => {
  const a = { p2: [-5, -4, -3, -2], p98: [5, 4, 3, 2], count: 300 };
  const b = { p2: [-1, -1, -1, -1], p98: [1, 1, 1, 1], count: 100 };
  assertDeepEquals(sharedStretch([a], [0, 2, 3]), { min: [-5, -3, -2], max: [5, 3, 2] });
  assertDeepEquals(sharedStretch([a, b], [0]), { min: [-4], max: [4] });
});

Deno.test("clipColumns keeps the pixels that reach into (west, east) of their row", () => {
  const w = 4, h = 2;
  const rgba = new Uint8Array(w * h * 4).fill(255);
  // Row 0: columns 10..13; the band (11.5, 12.0] keeps pixel 11 (cut) and drops 12 (its west
  // edge is the bound). Row 1: (10, 14) keeps all.
  const kept = clipColumns(
    rgba,
    w,
    h,
    10,
    new Float64Array([11.5, 10]),
    new Float64Array([12, 14]),
  );
  const alpha = Array.from({ length: w * h }, (_, i) => rgba[i * 4 + 3]);
  assertDeepEquals(alpha, [0, 255, 0, 0, 255, 255, 255, 255]);
  assertEquals(kept, 5);
});
