/** The RGB stretch maths against NumPy, and the channel formula's edge cases. */
import { join } from "node:path";
import { assertEquals, assertRejectsKind } from "../assert.ts";
import { bandStretch, channel, percentileSorted } from "../../lib/preview/stretch.ts";
import { numpy, writeRaw } from "./helpers.ts";

const QS = [0, 1, 2, 25, 50, 75, 98, 99, 100];

/** A deterministic pseudo-random sequence (xorshift), so failures reproduce. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13, x ^= x >>> 17, x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

Deno.test("percentileSorted equals np.percentile exactly, float32 and float64, many sizes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tz-pct-" });
  const rnd = random(7);
  for (const n of [1, 2, 3, 10, 101, 727, 8192]) {
    for (const dtype of ["float32", "float64"] as const) {
      const x = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
      // Dequantised-like values: int8 × a scale, with ties.
      for (let i = 0; i < n; i++) x[i] = Math.round(rnd() * 254 - 127) * (0.05 + rnd() * 0.03);
      const file = join(dir, `${n}.${dtype}`);
      await writeRaw(file, x);
      const want = await numpy<number[]>("percentile", {
        file,
        dtype: dtype === "float32" ? "f4" : "f8",
        qs: QS,
      });
      const sorted = x.slice().sort();
      QS.forEach((q, i) =>
        assertEquals(percentileSorted(sorted, q), want[i], `n=${n} ${dtype} q=${q}`)
      );
    }
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bandStretch: per-band p2..p98 of the sample's columns; degenerate cases", () => {
  // 3 bands, 5 rows: band 0 ascending, band 1 constant, band 2 descending.
  const s = Float32Array.from([0, 7, 4, 1, 7, 3, 2, 7, 2, 3, 7, 1, 4, 7, 0]);
  const st = bandStretch(s, 3, [0, 1, 2]);
  assertEquals(st.min[0], percentileSorted(Float32Array.of(0, 1, 2, 3, 4), 2));
  assertEquals(st.max[2], percentileSorted(Float32Array.of(0, 1, 2, 3, 4), 98));
  // A constant band: high = low + 1 (no division by zero).
  assertEquals(st.min[1], 7);
  assertEquals(st.max[1], 8);
  // No sample at all: 0..1, as upstream.
  const empty = bandStretch(new Float32Array(0), 3, [2, 1, 0]);
  assertEquals(JSON.stringify(empty), '{"min":[0,0,0],"max":[1,1,1]}');
});

Deno.test("bandStretch rejects a band outside the store", async () => {
  await assertRejectsKind(() => bandStretch(new Float32Array(6), 3, [0, 1, 3]), "BadArgument");
});

Deno.test("channel = trunc(clip((v − lo)/(hi − lo), 0, 1)·255)", () => {
  const cases: [number, number, number, number][] = [
    [-5, 0, 10, 0],
    [0, 0, 10, 0],
    [0.0392, 0, 10, 0], // 0.999… → 0
    [0.04, 0, 10, 1], // 1.02 → 1
    [5, 0, 10, 127], // 127.5 truncates
    [9.99, 0, 10, 254],
    [10, 0, 10, 255],
    [1e30, 0, 10, 255],
    [-Infinity, 0, 10, 0],
    [Infinity, 0, 10, 255],
    [NaN, 0, 10, 0],
  ];
  for (const [v, lo, hi, want] of cases) assertEquals(channel(v, lo, hi), want, `v=${v}`);
});
