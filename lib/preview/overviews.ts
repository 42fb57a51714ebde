/**
 * Preview arrays and their overview pyramid (SPEC §6.3, docs/decisions/2026-11-24-preview-
 * serve-contract.md), pure: array documents, level shapes, the `multiscales` entry, and the
 * alpha-aware 2 × 2 reduction. Level k has pixel size 10·2^k m and shape ⌈H/2^k⌉ × ⌈W/2^k⌉ × 4;
 * the pyramid stops at the first level whose longest side is ≤ 1024 px.
 */
import { previewArrayAttributes } from "../store/georef.ts";
import { PREVIEW_INNER_PX as SCALES_INNER_PX, SHARD_PX } from "../store/layout.ts";
import { type LevelInfo, levelPath, type PreviewName } from "../store/previews.ts";
import { type ArrayMetadata, arrayMetadata } from "../zarr/metadata.ts";

// Preview names, level paths and the `multiscales` entry are the store format's (lib/store).
export { type LevelInfo, levelPath, type PreviewName };

/**
 * zstd level of preview chunks: level 1 encodes RGBA twice as fast as level 3 for 4–8 % larger
 * chunks (measured on 128-band fixture shards); at level 3 encoding was about a quarter of a
 * preview pass's CPU.
 */
export const PREVIEW_ZSTD_LEVEL = 1;

/** Longest side (px) of the coarsest overview level. */
export const OVERVIEW_MAX_PX = 1024;

/**
 * Every level of a preview of an `height × width` store with level-0 `transform`: level 0,
 * then each 2× reduction until the longest side is ≤ {@link OVERVIEW_MAX_PX}.
 *
 * @example
 * ```ts
 * pyramidLevels("rgb", 2280, 1476, [10, 0, 693910, 0, -10, 5720820]).map((l) => l.shape);
 * // [[2280, 1476, 4], [1140, 738, 4], [570, 369, 4]]
 * ```
 */
export function pyramidLevels(
  name: PreviewName,
  height: number,
  width: number,
  transform: readonly number[],
): LevelInfo[] {
  const levels: LevelInfo[] = [];
  for (let k = 0;; k++) {
    const f = 2 ** k;
    const h = Math.ceil(height / f), w = Math.ceil(width / f);
    const [a, b, c, d, e, g] = transform;
    levels.push({
      level: k,
      path: levelPath(name, k),
      pixel_size_m: a * f,
      transform: [a * f, b * f, c, d * f, e * f, g],
      shape: [h, w, 4],
    });
    if (Math.max(h, w) <= OVERVIEW_MAX_PX) return levels;
  }
}

/**
 * The `zarr.json` of preview level `k` with shape `h × w × 4`: uint8 RGBA, fill 0, zstd inner
 * chunks ({@link PREVIEW_ZSTD_LEVEL}). Level 0 is sharded like `scales` (1024², inner 256²); overview levels use the same
 * sizes clipped to the array: inner `min(256, side)`, shard `min(1024, side rounded up to the
 * inner size)`, so a small level is one small shard.
 *
 * @example
 * ```ts
 * previewArrayMetadata(570, 369, 2).chunk_grid.configuration.chunk_shape; // [768, 512, 4]
 * ```
 */
export function previewArrayMetadata(h: number, w: number, k: number): ArrayMetadata {
  const inner = (
    n: number,
  ) => (k === 0 ? SCALES_INNER_PX : Math.max(1, Math.min(SCALES_INNER_PX, n)));
  const shard = (n: number) =>
    k === 0 ? SHARD_PX : Math.min(SHARD_PX, Math.ceil(Math.max(n, 1) / inner(n)) * inner(n));
  return arrayMetadata({
    shape: [h, w, 4],
    dataType: "uint8",
    chunkShape: [shard(h), shard(w), 4],
    innerChunkShape: [inner(h), inner(w), 4],
    fillValue: 0,
    compress: "zstd",
    level: PREVIEW_ZSTD_LEVEL,
    dimensionNames: ["northing", "easting", "rgba"],
    attributes: previewArrayAttributes(k),
  });
}

/**
 * The alpha-aware 2 × 2 mean: output pixel (r, c) of `dst` (`dh × dw` RGBA, row stride
 * `dstStride` pixels) from source pixels (2r..2r+1, 2c..2c+1) of `src` (`sh × sw` RGBA, stride
 * `srcStride`); source pixels outside `sh × sw` do not exist. RGB is the mean of the source
 * pixels whose alpha > 0, rounded half up; alpha is 255 when any has data, else the pixel is
 * (0, 0, 0, 0).
 *
 * @example
 * ```ts
 * reduce2x2(Uint8Array.of(10,0,0,255, 20,0,0,255, 0,0,0,0, 0,0,0,0), 2, 2, 2, out, 1, 1, 1);
 * // out = [15, 0, 0, 255]
 * ```
 */
export function reduce2x2(
  src: Uint8Array,
  sh: number,
  sw: number,
  srcStride: number,
  dst: Uint8Array,
  dh: number,
  dw: number,
  dstStride: number,
): void {
  // (2·sum + n) / (2n) rounded down, for n = 1..4 valid pixels.
  const mean = (sum: number, n: number) =>
    n === 4 ? (sum + 2) >> 2 : Math.floor((2 * sum + n) / (2 * n));
  for (let r = 0; r < dh; r++) {
    const y0 = 2 * r;
    const rows = Math.min(2, sh - y0);
    for (let c = 0; c < dw; c++) {
      const x0 = 2 * c;
      const q = (r * dstStride + c) * 4;
      const p = (y0 * srcStride + x0) * 4;
      if (rows === 2 && x0 + 1 < sw) {
        // The common case, a whole 2 × 2 block; fully valid blocks need no per-pixel tests.
        const p2 = p + srcStride * 4;
        const a0 = src[p + 3], a1 = src[p + 7], a2 = src[p2 + 3], a3 = src[p2 + 7];
        if ((a0 & a1 & a2 & a3) !== 0) {
          dst[q] = (src[p] + src[p + 4] + src[p2] + src[p2 + 4] + 2) >> 2;
          dst[q + 1] = (src[p + 1] + src[p + 5] + src[p2 + 1] + src[p2 + 5] + 2) >> 2;
          dst[q + 2] = (src[p + 2] + src[p + 6] + src[p2 + 2] + src[p2 + 6] + 2) >> 2;
          dst[q + 3] = 255;
          continue;
        }
        if ((a0 | a1 | a2 | a3) === 0) {
          dst[q] =
            dst[q + 1] =
            dst[q + 2] =
            dst[q + 3] =
              0;
          continue;
        }
      }
      let n = 0, sr = 0, sg = 0, sb = 0;
      for (let y = y0; y < y0 + rows; y++) {
        for (let x = x0; x < x0 + 2 && x < sw; x++) {
          const o = (y * srcStride + x) * 4;
          if (src[o + 3] === 0) continue;
          n++;
          sr += src[o];
          sg += src[o + 1];
          sb += src[o + 2];
        }
      }
      if (n === 0) {
        dst[q] =
          dst[q + 1] =
          dst[q + 2] =
          dst[q + 3] =
            0;
        continue;
      }
      dst[q] = mean(sr, n);
      dst[q + 1] = mean(sg, n);
      dst[q + 2] = mean(sb, n);
      dst[q + 3] = 255;
    }
  }
}

/**
 * Shards of the next level that a set of existing source-level shards feeds, row-major. Only
 * these can hold data (an absent source shard is all alpha 0).
 *
 * @example
 * ```ts
 * overviewShards([[0, 0], [0, 1], [1, 0]], [1024, 1024], [2280, 1476], [768, 512]);
 * // [[0, 0], [0, 1]]
 * ```
 */
export function overviewShards(
  src: readonly (readonly [number, number])[],
  srcShard: readonly number[],
  srcShape: readonly number[],
  dstShard: readonly number[],
): [number, number][] {
  const keys = new Set<string>();
  const out: [number, number][] = [];
  for (const [r, c] of src) {
    const y0 = r * srcShard[0], y1 = Math.min(srcShape[0], (r + 1) * srcShard[0]);
    const x0 = c * srcShard[1], x1 = Math.min(srcShape[1], (c + 1) * srcShard[1]);
    if (y1 <= y0 || x1 <= x0) continue;
    // Source rows y0..y1−1 land on next-level rows ⌊y0/2⌋..⌊(y1−1)/2⌋.
    for (
      let dr = Math.floor(y0 / 2 / dstShard[0]);
      dr <= Math.floor((y1 - 1) / 2 / dstShard[0]);
      dr++
    ) {
      for (
        let dc = Math.floor(x0 / 2 / dstShard[1]);
        dc <= Math.floor((x1 - 1) / 2 / dstShard[1]);
        dc++
      ) {
        const k = `${dr},${dc}`;
        if (!keys.has(k)) keys.add(k), out.push([dr, dc]);
      }
    }
  }
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}
