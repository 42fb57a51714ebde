/**
 * Per-pixel dequantisation scales (`grid_*_scales.npy`). Current files are (H, W) float32;
 * legacy files are (H, W, B) with one scale per band, which we collapse to one per pixel with
 * the max over finite values so both kinds feed the builder identically.
 */

import { TesseraError } from "../errors.ts";
import { type NpyFile, openNpy } from "./npy.ts";

// Which scales are valid is the store format's rule (SPEC §4.3); re-exported for tile readers.
export { DEFAULT_MAX_VALID_SCALE, isValidScale } from "../store/pixel_state.ts";

/**
 * Opens a scales file, requiring float32 and 2 or 3 dimensions.
 *
 * @example
 * ```ts
 * using s = await openScales("grid_0.15_52.05_scales.npy");
 * const rows = await readScaleRows(s, 0, 10);
 * ```
 */
export async function openScales(path: string): Promise<NpyFile> {
  const npy = await openNpy(path, { dtype: "float32" });
  try {
    checkScaleShape(npy);
  } catch (e) {
    npy.close();
    throw e;
  }
  return npy;
}

function checkScaleShape(npy: NpyFile): void {
  if (npy.dtype !== "float32") {
    throw new TesseraError(
      "WrongDtype",
      `scales must be float32 but the file is ${npy.dtype} ('${npy.header.descr}'); ` +
        `re-download the scales file`,
      npy.path,
    );
  }
  if (npy.shape.length !== 2 && npy.shape.length !== 3) {
    throw new TesseraError(
      "ShapeMismatch",
      `scales must be (H, W) or legacy (H, W, B) but the shape is (${npy.shape.join(", ")}); ` +
        `re-download the scales file`,
      npy.path,
    );
  }
}

/**
 * Reads scale rows `r0..r1` as a `(r1 - r0) × W` Float32Array. A legacy (H, W, B) file is
 * reduced per pixel to the max of its finite values, NaN when none is finite.
 *
 * @example
 * ```ts
 * const s = await readScaleRows(npy, 100, 164); // 64 × W scales
 * ```
 */
export async function readScaleRows(npy: NpyFile, r0: number, r1: number): Promise<Float32Array> {
  checkScaleShape(npy);
  const rows = (await npy.readRows(r0, r1)) as Float32Array;
  if (npy.shape.length === 2) return rows;
  const bands = npy.shape[2];
  const pixels = (r1 - r0) * npy.shape[1];
  const out = new Float32Array(pixels);
  for (let p = 0, i = 0; p < pixels; p++) {
    let m = -Infinity;
    for (const end = i + bands; i < end; i++) {
      const v = rows[i];
      // v - v is 0 only for finite v (NaN and ±inf give NaN), and any finite v beats -inf.
      if (v - v === 0 && v > m) m = v;
    }
    out[p] = m === -Infinity ? NaN : m;
  }
  return out;
}
