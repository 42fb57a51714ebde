/**
 * lib/store/pixel_state.ts (SPEC §4.3): which scales are valid, the states a read reports, and
 * masking invalid scales — one table of scales for all three.
 */
import { assertDeepEquals, assertEquals } from "../assert.ts";
import {
  DEFAULT_MAX_VALID_SCALE,
  isValidScale,
  maskInvalidScales,
  pixelState,
} from "../../lib/store/pixel_state.ts";
import * as tilesScales from "../../lib/tiles/scales.ts";

const FLT_MAX = 3.4028234663852886e38;

/** Scale → valid under the default max_valid_scale. */
const SCALES: [number, boolean][] = [
  [0.064, true],
  [0.137, true],
  [1e-30, true],
  [0.999999, true],
  [1, false],
  [1.5, false],
  [FLT_MAX, false],
  [Infinity, false],
  [-Infinity, false],
  [NaN, false],
  [0, false],
  [-0, false],
  [-0.05, false],
];

Deno.test("the default max_valid_scale is 1.0, the same for tiles and stores", () => {
  assertEquals(DEFAULT_MAX_VALID_SCALE, 1);
  assertEquals(tilesScales.DEFAULT_MAX_VALID_SCALE, DEFAULT_MAX_VALID_SCALE);
  assertEquals(tilesScales.isValidScale, isValidScale);
});

Deno.test("isValidScale and pixelState agree on every scale", () => {
  for (const [s, valid] of SCALES) {
    assertEquals(isValidScale(s), valid, `${s}`);
    assertEquals(pixelState(s, true, DEFAULT_MAX_VALID_SCALE), valid ? "valid" : "water", `${s}`);
    assertEquals(pixelState(s, false, DEFAULT_MAX_VALID_SCALE), valid ? "valid" : "nodata");
  }
  // A store's own max_valid_scale counts.
  assertEquals(isValidScale(0.5, 0.5), false);
  assertEquals(pixelState(0.4, true, 0.5), "valid");
});

Deno.test("maskInvalidScales: invalid scales become NaN, the valid count is returned", () => {
  const scales = Float32Array.from(SCALES.map(([s]) => s));
  const valid = maskInvalidScales(scales, DEFAULT_MAX_VALID_SCALE);
  assertEquals(valid, SCALES.filter(([, v]) => v).length);
  assertDeepEquals(
    Array.from(scales, (s) => Number.isNaN(s)),
    SCALES.map(([, v]) => !v),
  );
});
