/**
 * The RGB preview's parameters (SPEC §6.1): which bands, their p2..p98 stretch from the
 * statistics' vector sample, and the attributes that record them. The pass itself is
 * {@link writePreviews} in preview_pass.ts.
 */
import { TesseraError } from "../errors.ts";
import type { PcaInput } from "./pca.ts";
import { bandStretch, type RgbParams } from "./stretch.ts";
import { type PreviewSource, rgbAttributes as encodeRgb } from "../store/previews.ts";

/** Bands shown as R, G, B unless told otherwise (as upstream). */
export const DEFAULT_RGB_BANDS: readonly [number, number, number] = [0, 1, 2];

/**
 * The RGB preview of `bands` for statistics `input`: per-band p2..p98 of the dequantised
 * sample values.
 *
 * @example
 * ```ts
 * chooseRgb(input, [0, 1, 2]); // { bands: [0, 1, 2], stretch: { min: […], max: […] } }
 * ```
 */
export function chooseRgb(
  input: PcaInput,
  bands: readonly number[] = DEFAULT_RGB_BANDS,
): RgbParams {
  if (bands.length !== 3) {
    throw new TesseraError("BadArgument", `--bands needs three band indices, got ${bands.length}`);
  }
  const stretch = bandStretch(input.sample, input.bands, bands);
  return { bands: [bands[0], bands[1], bands[2]], stretch };
}

/**
 * The root attributes recording an RGB preview (without its done flag); the encoding is
 * lib/store/previews.ts's.
 *
 * @example
 * ```ts
 * rgbAttributes(chooseRgb(input)); // { rgb_bands: [0, 1, 2], rgb_stretch: { min, max } }
 * ```
 */
export function rgbAttributes(p: RgbParams, source?: PreviewSource): Record<string, unknown> {
  return encodeRgb(p, source);
}
