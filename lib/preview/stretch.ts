/**
 * The RGB preview's maths (SPEC §6.1), pure: numpy-compatible percentiles, the per-band
 * p2..p98 stretch of dequantised values, and the channel formula
 * `trunc(clip((v − lo)/(hi − lo), 0, 1)·255)`.
 */
import { TesseraError } from "../errors.ts";

/** A per-channel linear stretch: channel k maps [min[k], max[k]] onto 0..255. */
export interface Stretch {
  min: number[];
  max: number[];
}

/** The RGB preview's parameters, as stored in the `rgb_bands` and `rgb_stretch` attributes. */
export interface RgbParams {
  bands: [number, number, number];
  stretch: Stretch;
}

/**
 * Percentile `q` (0..100) of ascending `sorted` values exactly as numpy's default ("linear")
 * method computes it, including its float32 arithmetic for float32 input (numpy subtracts the
 * two neighbours in the input dtype), so `np.percentile(x, q)` gives the same number.
 *
 * @example
 * ```ts
 * percentileSorted(Float64Array.of(1, 2, 3, 4), 50); // 2.5
 * ```
 */
export function percentileSorted(sorted: Float32Array | Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new TesseraError("BadArgument", "percentile of an empty sample");
  const pos = (n - 1) * (q / 100);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const t = pos - lo;
  const a = sorted[lo], b = sorted[hi];
  const d = sorted instanceof Float32Array ? Math.fround(b - a) : b - a;
  // numpy's _lerp: from the nearer neighbour, so t = 1 gives exactly b.
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/**
 * Column `col` of a row-major `rows × cols` matrix, sorted ascending (same element type).
 *
 * @example
 * ```ts
 * sortedColumn(Float32Array.of(3, 0, 1, 0), 2, 0); // Float32Array [1, 3]
 * ```
 */
export function sortedColumn<T extends Float32Array | Float64Array>(
  matrix: T,
  cols: number,
  col: number,
): T {
  const rows = matrix.length / cols;
  const out = new (matrix.constructor as new (n: number) => T)(rows);
  for (let i = 0; i < rows; i++) out[i] = matrix[i * cols + col];
  return out.sort() as T;
}

/**
 * The p`lo`..p`hi` stretch of `bands` from a sample of dequantised vectors (`sample` is
 * row-major, `nBands` values a row, all finite). If a band's high does not exceed its low the
 * high becomes low + 1; an empty sample gives min 0, max 1 (as upstream).
 *
 * @example
 * ```ts
 * bandStretch(sample, 128, [0, 1, 2]); // { min: [p2 b0, p2 b1, p2 b2], max: [p98 …] }
 * ```
 */
export function bandStretch(
  sample: Float32Array,
  nBands: number,
  bands: readonly number[],
  lo = 2,
  hi = 98,
): Stretch {
  const min: number[] = [], max: number[] = [];
  for (const b of bands) {
    if (!Number.isInteger(b) || b < 0 || b >= nBands) {
      throw new TesseraError("BadArgument", `band ${b} is not in 0..${nBands - 1}`);
    }
    if (sample.length === 0) {
      min.push(0);
      max.push(1);
      continue;
    }
    const col = sortedColumn(sample, nBands, b);
    const l = percentileSorted(col, lo);
    let h = percentileSorted(col, hi);
    if (!(h > l)) h = l + 1;
    min.push(l);
    max.push(h);
  }
  return { min, max };
}

/**
 * One colour channel: `trunc(clip((v − lo)/(hi − lo), 0, 1)·255)` in float64. NaN input
 * gives 0 (callers only pass valid pixels; this keeps a stray NaN from becoming garbage).
 *
 * @example
 * ```ts
 * channel(0.5, 0, 1); // 127
 * ```
 */
export function channel(v: number, lo: number, hi: number): number {
  const n = (v - lo) / (hi - lo);
  if (n >= 1) return 255;
  if (n > 0) return Math.trunc(n * 255);
  return 0;
}

/**
 * Throws BadStore unless every value of `values` is finite: statistics read from a store must
 * never carry ±inf or NaN into the maths.
 *
 * @example
 * ```ts
 * assertFinite(sample, "stats/sample", storePath);
 * ```
 */
export function assertFinite(values: ArrayLike<number>, what: string, path?: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new TesseraError(
        "BadStore",
        `${what} holds a non-finite value (${values[i]} at element ${i}); rebuild the store, ` +
          `or delete its stats/ group so the preview passes sample the shards instead`,
        path,
      );
    }
  }
}
