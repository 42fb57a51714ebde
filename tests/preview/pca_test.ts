/** The PCA basis against NumPy (eigh, percentiles), and the guards around non-finite input. */
import { join } from "node:path";
import { assertClose, assertEquals, assertRejectsKind } from "../assert.ts";
import { pcaBasis, type PcaInput, projectSample, signFixed } from "../../lib/preview/pca.ts";
import { checkStatistics } from "../../lib/preview/statistics.ts";
import { numpy, writeRaw } from "./helpers.ts";

const B = 8;

/** Correlated dequantised-like vectors: a few latent factors plus noise, int8 × scale. */
function syntheticInput(n: number, k: number, seed = 3): PcaInput {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const load = Array.from({ length: 3 }, () => Array.from({ length: B }, rnd));
  const sum = new Float64Array(B), sumProducts = new Float64Array(B * B);
  const sample = new Float32Array(k * B);
  const v = new Float64Array(B);
  for (let i = 0; i < n; i++) {
    const f = [4 * rnd(), 2 * rnd(), rnd()];
    const s = Math.fround(0.05 + 0.02 * rnd());
    for (let b = 0; b < B; b++) {
      const q = Math.max(
        -127,
        Math.min(
          127,
          Math.round(
            (f[0] * load[0][b] + f[1] * load[1][b] + f[2] * load[2][b] + 0.3 * rnd() + 0.5) * 40,
          ),
        ),
      );
      v[b] = q * s;
    }
    for (let a = 0; a < B; a++) {
      sum[a] += v[a];
      for (let b = 0; b < B; b++) sumProducts[a * B + b] += v[a] * v[b];
    }
    if (i < k) { for (let b = 0; b < B; b++) sample[i * B + b] = Math.fround(v[b]); }
  }
  return { bands: B, count: n, sum, sumProducts, sample };
}

async function numpyBasis(input: PcaInput) {
  const dir = await Deno.makeTempDir({ prefix: "tz-pca-" });
  await writeRaw(join(dir, "sum.f64"), input.sum);
  await writeRaw(join(dir, "sum_products.f64"), input.sumProducts);
  await writeRaw(join(dir, "sample.f32"), input.sample);
  const ref = await numpy<ReturnType<typeof pcaBasis>>("pca", {
    dir,
    bands: input.bands,
    count: input.count,
  });
  await Deno.remove(dir, { recursive: true });
  return ref;
}

Deno.test("pcaBasis agrees with numpy eigh + percentiles", async () => {
  const input = syntheticInput(20000, 3000);
  const got = pcaBasis(input);
  const want = await numpyBasis(input);
  for (let b = 0; b < B; b++) assertClose(got.mean[b], want.mean[b], 1e-12, `mean ${b}`);
  for (let k = 0; k < 3; k++) {
    for (let b = 0; b < B; b++) {
      assertClose(got.components[k][b], want.components[k][b], 1e-9, `c${k}[${b}]`);
    }
    assertClose(got.explainedVariance[k], want.explainedVariance[k], 1e-9, `evr ${k}`);
    assertClose(got.medians[k], want.medians[k], 1e-9, `median ${k}`);
    assertClose(got.iqrs[k], want.iqrs[k], 1e-9, `iqr ${k}`);
    assertClose(got.stretch.min[k], want.stretch.min[k], 1e-8, `p1 ${k}`);
    assertClose(got.stretch.max[k], want.stretch.max[k], 1e-8, `p99 ${k}`);
  }
  // Sorted, positive, and the three components are orthonormal.
  assertEquals(
    got.explainedVariance[0] >= got.explainedVariance[1] &&
      got.explainedVariance[1] >= got.explainedVariance[2],
    true,
  );
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const dot = got.components[i].reduce((s, x, b) => s + x * got.components[j][b], 0);
      assertClose(dot, i === j ? 1 : 0, 1e-12, `c${i}·c${j}`);
    }
  }
});

Deno.test("component signs: the largest-magnitude loading is positive", () => {
  assertEquals(JSON.stringify(signFixed([0.1, -0.9, 0.4])), JSON.stringify([-0.1, 0.9, -0.4]));
  assertEquals(JSON.stringify(signFixed([0.5, -0.5])), JSON.stringify([0.5, -0.5])); // tie: first wins
  const basis = pcaBasis(syntheticInput(5000, 500));
  for (const c of basis.components) {
    const big = c.reduce((m, x) => (Math.abs(x) > Math.abs(m) ? x : m), 0);
    assertEquals(big > 0, true);
  }
});

Deno.test("projectSample: p = x·c − mean·c", () => {
  const p = projectSample(Float32Array.of(1, 2, 3, 4, 5, 6), 3, [1, 1, 1], [[1, 0, 0], [0, 0, 2]]);
  assertEquals(JSON.stringify(Array.from(p)), JSON.stringify([0, 4, 3, 10]));
});

Deno.test("non-finite statistics never reach the maths: clear BadStore errors", async () => {
  const ok = syntheticInput(2000, 100);
  const bad = (patch: (i: PcaInput) => void) => {
    const i = {
      ...ok,
      sum: ok.sum.slice(),
      sumProducts: ok.sumProducts.slice(),
      sample: ok.sample.slice(),
    };
    patch(i);
    return i;
  };
  const FLT_MAX = 3.4028234663852886e38;
  const cases: [string, PcaInput][] = [
    ["stats/sum", bad((i) => (i.sum[3] = Infinity))],
    ["stats/sum", bad((i) => (i.sum[0] = NaN))],
    ["stats/sum_products", bad((i) => (i.sumProducts[9] = FLT_MAX * FLT_MAX * 1e300))],
    ["stats/sample", bad((i) => (i.sample[5] = -Infinity))],
    // An FLT_MAX scale times an int8 overflows float32 to +inf.
    ["stats/sample", bad((i) => (i.sample[7] = Math.fround(FLT_MAX * 127)))],
  ];
  for (const [what, input] of cases) {
    const e = await assertRejectsKind(() => pcaBasis(input, "/x/utm30_2024.zarr"), "BadStore");
    assertEquals(e.message.includes(what) && e.message.includes("non-finite"), true, e.message);
  }
});

Deno.test("degenerate inputs: no pixels, no sample, too few bands", async () => {
  const none = pcaBasis({
    bands: 4,
    count: 0,
    sum: new Float64Array(4),
    sumProducts: new Float64Array(16),
    sample: new Float32Array(0),
  });
  assertEquals(JSON.stringify(none.components[0]), "[1,0,0,0]");
  assertEquals(JSON.stringify(none.stretch), '{"min":[0,0,0],"max":[1,1,1]}');
  const noSample = pcaBasis({ ...syntheticInput(500, 0) });
  assertEquals(JSON.stringify(noSample.iqrs), "[1,1,1]");
  await assertRejectsKind(
    () =>
      pcaBasis({
        bands: 2,
        count: 1,
        sum: new Float64Array(2),
        sumProducts: new Float64Array(4),
        sample: new Float32Array(0),
      }),
    "BadArgument",
  );
});

Deno.test("checkStatistics: finite but impossible values (an FLT_MAX scale) are refused", async () => {
  const ok = syntheticInput(2000, 100);
  checkStatistics(ok, 1.0);
  const FLT_MAX = 3.4028234663852886e38;
  const sp = ok.sumProducts.slice();
  sp[0] += (FLT_MAX * 3) ** 2; // finite in float64
  const e = await assertRejectsKind(
    () => checkStatistics({ ...ok, sumProducts: sp }, 1.0, "/s"),
    "BadStore",
  );
  assertEquals(
    e.message.includes("stats/sum_products") && e.message.includes("max_valid_scale"),
    true,
    e.message,
  );
  const sample = ok.sample.slice();
  sample[3] = 200; // |v| > 128 × 1.0
  await assertRejectsKind(() => checkStatistics({ ...ok, sample }, 1.0), "BadStore");
});
