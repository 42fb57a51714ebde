/**
 * Pixel states (SPEC §4.3): a pixel has data iff its scale is valid — finite, > 0 and below
 * `max_valid_scale` — and its landmask is non-zero; everything else is stored as scale NaN with
 * zero embeddings, and grid positions no tile covers keep the fill values. So a reader can tell
 * apart only what {@link PixelState} names (see lib/read/point.ts for what each can mean).
 * Pure, browser-safe.
 */

/**
 * Scales at or above this are sentinels (FLT_MAX occurs in the real data), not magnitudes:
 * int8 × scale for genuine embeddings stays well inside ±128. The default of the store
 * attribute `max_valid_scale` for builders and readers alike.
 */
export const DEFAULT_MAX_VALID_SCALE = 1.0;

/**
 * Whether a scale can dequantise a pixel: finite, positive and below `maxValidScale`.
 *
 * @example
 * ```ts
 * isValidScale(0.02); // true
 * isValidScale(3.4028235e38); // false: FLT_MAX sentinel
 * ```
 */
export function isValidScale(s: number, maxValidScale: number = DEFAULT_MAX_VALID_SCALE): boolean {
  return Number.isFinite(s) && s > 0 && s < maxValidScale;
}

/**
 * What a read finds at a point: `valid` (a valid scale), `water` (no data inside a shard that
 * has data), `nodata` (no data, and the pixel's `scales` shard does not exist) or `outside`
 * (not on the store grid).
 */
export type PixelState = "valid" | "water" | "nodata" | "outside";

/**
 * The state of an on-grid pixel from its stored scale and whether its `scales` shard exists.
 *
 * @example
 * ```ts
 * pixelState(0.06, true, 1); // "valid"
 * pixelState(NaN, false, 1); // "nodata"
 * ```
 */
export function pixelState(scale: number, shardExists: boolean, maxValidScale: number): PixelState {
  if (isValidScale(scale, maxValidScale)) return "valid";
  return shardExists ? "water" : "nodata";
}

/**
 * Replaces every scale that cannot dequantise a pixel (NaN, ±inf, ≤ 0, ≥ maxValidScale) by NaN,
 * in place, and returns the number of valid pixels. Stores this toolkit builds already hold NaN
 * there; this keeps a foreign or damaged store's inf/FLT_MAX scales out of any maths.
 *
 * @example
 * ```ts
 * maskInvalidScales(Float32Array.of(0.05, Infinity, -1), 1); // 1; the array is [0.05, NaN, NaN]
 * ```
 */
export function maskInvalidScales(scales: Float32Array, maxValidScale: number): number {
  let valid = 0;
  for (let i = 0; i < scales.length; i++) {
    const s = scales[i];
    if (s === s && isValidScale(s, maxValidScale)) valid++;
    else scales[i] = NaN;
  }
  return valid;
}
