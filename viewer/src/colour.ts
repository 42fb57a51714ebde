/**
 * Colours for decoded chunks: the store-wide band stretch (SPEC §6.1, the same formula the
 * `rgb` preview is written with, so a band render of the preview's bands matches the preview),
 * re-stretching a preview to a stretch shared by several stores, and clipping a tile at a zone
 * edge. Pure functions over typed arrays: the decode worker runs them, Deno tests them.
 *
 * Unlike the upstream viewer (upstream-pr-spec §9.2.3) the stretch is dequantised and
 * store-wide, not a per-chunk min/max of raw int8, so neighbouring tiles agree; and only a NaN
 * (non-finite) scale means "no data": a scale of 0 is a valid pixel.
 */

/** Per-channel linear stretch: channel k maps `min[k]..max[k]` to 0..255. */
export interface Stretch {
  min: number[];
  max: number[];
}

/** `trunc(clip((v − lo)/(hi − lo), 0, 1)·255)`; a degenerate range gives 0 or 255. */
export function channelByte(v: number, lo: number, hi: number): number {
  const span = hi - lo;
  if (!(span > 0)) return v > lo ? 255 : 0;
  const x = (v - lo) / span;
  return x <= 0 ? 0 : x >= 1 ? 255 : Math.trunc(x * 255);
}

/** A pixel has data iff its scale is finite (the store writes NaN for every invalid pixel). */
export function isValidScale(scale: number): boolean {
  return Number.isFinite(scale);
}

/**
 * RGBA for `h × w` pixels from int8 embeddings (pixel-major, `nBands` per pixel) and their
 * scales: channel k shows dequantised band `bands[k]` (`float32(int8) · scale`) through
 * `stretch`; pixels without data are transparent. Returns the number of valid pixels too.
 */
export function renderBands(
  emb: Int8Array,
  scales: Float32Array,
  nBands: number,
  bands: readonly number[],
  stretch: Stretch,
  out: Uint8ClampedArray,
): number {
  const n = scales.length;
  const [b0, b1, b2] = bands;
  let valid = 0;
  for (let i = 0; i < n; i++) {
    const s = scales[i];
    const o = i * 4;
    if (!Number.isFinite(s)) {
      out[o] =
        out[o + 1] =
        out[o + 2] =
        out[o + 3] =
          0;
      continue;
    }
    const base = i * nBands;
    out[o] = channelByte(Math.fround(emb[base + b0] * s), stretch.min[0], stretch.max[0]);
    out[o + 1] = channelByte(Math.fround(emb[base + b1] * s), stretch.min[1], stretch.max[1]);
    out[o + 2] = channelByte(Math.fround(emb[base + b2] * s), stretch.min[2], stretch.max[2]);
    out[o + 3] = 255;
    valid++;
  }
  return valid;
}

/**
 * Lookup tables that re-stretch a preview written with `from` to `to`: each byte stands for the
 * centre of its bin, `from.min + (c + 0.5)/255 · (from.max − from.min)`. Identity when the two
 * stretches are equal. Bytes 0 and 255 may hide clipped values; that clipping is kept.
 */
export function restretchTables(from: Stretch, to: Stretch): Uint8Array[] {
  return [0, 1, 2].map((k) => {
    const lut = new Uint8Array(256);
    const lo = from.min[k], hi = from.max[k];
    for (let c = 0; c < 256; c++) {
      const v = lo + (c + 0.5) / 255 * (hi - lo);
      lut[c] = channelByte(v, to.min[k], to.max[k]);
    }
    return lut;
  });
}

/** Applies `restretchTables` to RGBA bytes in place (transparent pixels untouched). */
export function applyTables(rgba: Uint8Array | Uint8ClampedArray, luts: Uint8Array[]): void {
  const [r, g, b] = luts;
  for (let o = 0; o < rgba.length; o += 4) {
    if (rgba[o + 3] === 0) continue;
    rgba[o] = r[rgba[o]];
    rgba[o + 1] = g[rgba[o + 1]];
    rgba[o + 2] = b[rgba[o + 2]];
  }
}

/**
 * Makes transparent the pixels of an `h × w` RGBA tile that lie wholly outside the columns
 * `(west[i], east[i])` of their row i (fractional grid columns, e.g. from `meridianColumns`);
 * `c0` is the tile's first grid column. Either bound may be null (no limit on that side).
 * A pixel the bound cuts through is kept: the two zones' grids are rotated against each other,
 * and keeping only pixels whose centre is inside leaves wedges up to a pixel wide uncovered by
 * either zone, while keeping cut pixels makes the zones overlap by under a pixel instead.
 * Returns the number of pixels still opaque.
 */
export function clipColumns(
  rgba: Uint8Array | Uint8ClampedArray,
  w: number,
  h: number,
  c0: number,
  west: Float64Array | null,
  east: Float64Array | null,
): number {
  let opaque = 0;
  for (let i = 0; i < h; i++) {
    const lo = west ? west[i] : -Infinity, hi = east ? east[i] : Infinity;
    for (let j = 0; j < w; j++) {
      const o = (i * w + j) * 4;
      const left = c0 + j;
      if (left + 1 <= lo || left >= hi) rgba[o + 3] = 0;
      else if (rgba[o + 3] !== 0) opaque++;
    }
  }
  return opaque;
}

/** Store statistics that a shared stretch is made from (`stats_band_p2/p98`, `stats_count`). */
export interface BandStats {
  p2: number[];
  p98: number[];
  count: number;
}

/**
 * One stretch for several stores shown together, so colours agree across a zone seam: per
 * band, the mean of the stores' 2nd and 98th percentiles weighted by their statistics counts.
 * With one store it is exactly that store's p2..p98.
 */
export function sharedStretch(stats: readonly BandStats[], bands: readonly number[]): Stretch {
  const min: number[] = [], max: number[] = [];
  for (const b of bands) {
    let w = 0, lo = 0, hi = 0;
    for (const s of stats) {
      const k = Math.max(1, s.count);
      w += k;
      lo += k * s.p2[b];
      hi += k * s.p98[b];
    }
    min.push(lo / w);
    max.push(hi / w);
  }
  return { min, max };
}

/** True when two stretches are equal channel by channel. */
export function sameStretch(a: Stretch, b: Stretch): boolean {
  return [0, 1, 2].every((k) => a.min[k] === b.min[k] && a.max[k] === b.max[k]);
}
