/** Tests for scale reading (2-D and legacy 3-D files) and the validity rule. */
import { pythonWith, withTmp as withTmpDir } from "../helpers/env.ts";
import { assertDeepEquals, assertEquals, assertRejectsKind } from "../assert.ts";
import { openNpy } from "../../lib/tiles/npy.ts";
import { writeNpy } from "../../lib/tiles/npy_write.ts";
import {
  DEFAULT_MAX_VALID_SCALE,
  isValidScale,
  openScales,
  readScaleRows,
} from "../../lib/tiles/scales.ts";

const PYTHON = await pythonWith("numpy");
const HAVE_NUMPY = PYTHON !== undefined;

const withTmp = (fn: (dir: string) => Promise<void>) => withTmpDir("scales_test_", fn);

/** Element-wise equality where NaN equals NaN. */
function assertSameFloats(actual: Float32Array, expected: ArrayLike<number>, msg = "") {
  assertEquals(actual.length, expected.length, `${msg} length`);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      throw new Error(`${msg} [${i}]: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

Deno.test("2-D (H, W) scales: row ranges come back unchanged", async () => {
  await withTmp(async (dir) => {
    const [H, W] = [9, 7];
    const data = new Float32Array(H * W).map((_, i) => Math.fround(0.001 * (i + 1)));
    data[5] = NaN;
    const path = `${dir}/grid_0.15_52.05_scales.npy`;
    await writeNpy(path, "<f4", [H, W], data);
    using s = await openScales(path);
    for (const [r0, r1] of [[0, 1], [3, 6], [H - 1, H], [0, H]]) {
      assertSameFloats(
        await readScaleRows(s, r0, r1),
        data.subarray(r0 * W, r1 * W),
        `${r0}..${r1}`,
      );
    }
    await assertRejectsKind(() => readScaleRows(s, 0, H + 1), "BadArgument");
  });
});

Deno.test("legacy 3-D (H, W, B) scales reduce to max over finite values, NaN when none", async () => {
  await withTmp(async (dir) => {
    const [H, W, B] = [2, 3, 4];
    const F = 3.4028234663852886e38;
    // deno-fmt-ignore
    const pixels = [
      [0.1, 0.3, 0.2, 0.05],         // plain max
      [NaN, 0.2, NaN, 0.1],          // NaN ignored
      [Infinity, 0.4, -Infinity, 0], // infinities ignored
      [NaN, NaN, NaN, NaN],          // nothing finite -> NaN
      [Infinity, -Infinity, NaN, Infinity],
      [-3, -1, -2, F],               // FLT_MAX is finite: kept, isValidScale rejects it later
    ];
    const want = [0.3, 0.2, 0.4, NaN, NaN, F].map(Math.fround);
    const path = `${dir}/legacy_scales.npy`;
    await writeNpy(path, "<f4", [H, W, B], new Float32Array(pixels.flat()));
    using s = await openScales(path);
    assertSameFloats(await readScaleRows(s, 0, 2), want, "all");
    assertSameFloats(await readScaleRows(s, 1, 2), want.slice(3), "row 1");
    assertEquals((await readScaleRows(s, 1, 1)).length, 0);
  });
});

Deno.test("big-endian scales read as the same numbers", async () => {
  await withTmp(async (dir) => {
    const data = new Float32Array([0.5, 0.25, 0.125, 0.0625]);
    await writeNpy(`${dir}/be.npy`, ">f4", [2, 2], data);
    using s = await openScales(`${dir}/be.npy`);
    assertSameFloats(await readScaleRows(s, 0, 2), data);
  });
});

Deno.test("scales of the wrong dtype or rank are rejected", async () => {
  await withTmp(async (dir) => {
    await writeNpy(`${dir}/i8.npy`, "|i1", [2, 2], new Int8Array(4));
    await writeNpy(`${dir}/f8.npy`, "<f8", [2, 2], new Float64Array(4));
    await writeNpy(`${dir}/1d.npy`, "<f4", [4], new Float32Array(4));
    await writeNpy(`${dir}/4d.npy`, "<f4", [1, 1, 2, 2], new Float32Array(4));
    await assertRejectsKind(() => openScales(`${dir}/i8.npy`), "WrongDtype");
    await assertRejectsKind(() => openScales(`${dir}/f8.npy`), "WrongDtype");
    await assertRejectsKind(() => openScales(`${dir}/1d.npy`), "ShapeMismatch");
    await assertRejectsKind(() => openScales(`${dir}/4d.npy`), "ShapeMismatch");
    await assertRejectsKind(() => openScales(`${dir}/missing.npy`), "MissingFile");
    // A handle opened without expectations is still checked when read as scales.
    using raw = await openNpy(`${dir}/i8.npy`);
    await assertRejectsKind(() => readScaleRows(raw, 0, 1), "WrongDtype");
  });
});

Deno.test("isValidScale: finite, > 0, < maxValidScale", () => {
  assertEquals(DEFAULT_MAX_VALID_SCALE, 1.0);
  const cases: [number, number | undefined, boolean][] = [
    [0.02, undefined, true],
    [1e-30, undefined, true],
    [0.999, undefined, true],
    [1.0, undefined, false],
    [0, undefined, false],
    [-0, undefined, false],
    [-0.5, undefined, false],
    [NaN, undefined, false],
    [Infinity, undefined, false],
    [-Infinity, undefined, false],
    [3.4028234663852886e38, undefined, false],
    [5, 10, true],
    [10, 10, false],
    [0.5, 0.25, false],
  ];
  for (const [s, max, want] of cases) assertEquals(isValidScale(s, max), want, `${s} < ${max}`);
});

Deno.test({
  name: "numpy legacy 3-D scales reduce like nanmax over finite values",
  ignore: !HAVE_NUMPY,
  fn: () =>
    withTmp(async (dir) => {
      const script = `
import sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(7)
a = rng.random((13, 6, 128), dtype=np.float32)
a[rng.random(a.shape) < 0.2] = np.nan
a[rng.random(a.shape) < 0.05] = np.inf
a[0, 0, :] = np.nan
a[1, 1, :] = -np.inf
np.save(f"{d}/legacy.npy", a)
m = np.where(np.isfinite(a), a, -np.inf).max(axis=2)
m[np.isneginf(m)] = np.nan
m.astype("<f4").tofile(f"{d}/want.bin")
`;
      const out = await new Deno.Command(PYTHON!, { args: ["-c", script, dir], stderr: "piped" })
        .output();
      if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
      const want = new Float32Array((await Deno.readFile(`${dir}/want.bin`)).buffer);
      using s = await openScales(`${dir}/legacy.npy`);
      assertDeepEquals([...s.shape], [13, 6, 128]);
      assertSameFloats(await readScaleRows(s, 0, 13), want, "all");
      assertSameFloats(await readScaleRows(s, 5, 9), want.subarray(30, 54), "5..9");
    }),
});
