/**
 * The heart of `verify`, pure: for every pixel of a block, which source tile owns it under the
 * compositing rule (SPEC §3.4, §4.3), and whether the store holds exactly that tile's values.
 *
 * Written independently of the builder's compositor (lib/builder/composite.ts paints tiles in
 * registry order with per-pixel priority classes); here each pixel instead *selects* its owner
 * from the candidates that cover it:
 *
 *   no valid candidate          → NaN scale, zero embeddings (masked, or empty when none covers)
 *   one valid candidate         → that tile
 *   several valid candidates    → the one whose 0.1° cell contains the pixel centre,
 *                                 else the last in registry order
 *
 * so the two agree only if both implement the rule.
 */
import { type GeoBox, pixelCentre } from "../grid/geobox.ts";
import { utmInverse } from "../grid/utm.ts";
import type { PixelCounts, PixelCoverage, PixelMismatch } from "./report.ts";
import { LatticeStats } from "./shard_derived.ts";

/** A zone-grid pixel rectangle, half-open. */
export interface Rect {
  r0: number;
  r1: number;
  c0: number;
  c1: number;
}

/** One source tile's data over the part of a block it covers. */
export interface CandidateBlock {
  readonly name: string;
  /** The tile's own 0.1° cell, floor(degrees × 10) of its south-west corner. */
  readonly lonCell: number;
  readonly latCell: number;
  /** Tile width: the row length of `embeddings` and `scales`. */
  readonly width: number;
  /** Zone column of the tile's column 0. */
  readonly colOffsetPx: number;
  /** The zone pixels this tile covers within the block. */
  readonly zone: Rect;
  /** Whole tile rows `zone.r0..zone.r1`: `rows × width × bands`. */
  readonly embeddings: Int8Array;
  /** The same rows' scales, `rows × width`. */
  readonly scales: Float32Array;
  /** Landmask of exactly `zone`, `rows × (zone.c1 − zone.c0)`; 0 = water. */
  readonly land: Uint8Array;
}

/** The store's values over one shard rectangle, C order. */
export interface StoreShard {
  readonly rect: Rect;
  readonly bands: number;
  /** `rows × cols × bands` int8. */
  readonly embeddings: Int8Array;
  /** `rows × cols` float32. */
  readonly scales: Float32Array;
}

/** What the rule needs besides the data. */
export interface RuleContext {
  /** The zone grid (canonical northern CRS). */
  readonly geobox: GeoBox;
  readonly zone: number;
  /** Scales at or above this are invalid. */
  readonly maxValidScale: number;
}

/** Where comparison results accumulate. */
export interface CompareSink {
  counts: PixelCounts;
  mismatches: PixelMismatch[];
  maxListed: number;
  /**
   * Receives the expected value of every valid pixel on the statistics lattice, so the
   * build-time statistics can be re-derived from what the store should hold (blocks must be
   * compared in row order for the additions to follow the builder's order).
   */
  lattice?: LatticeStats;
}

/**
 * The 0.1° cell (floor of degrees × 10) that contains the centre of zone pixel (row, col),
 * by exact inverse projection.
 *
 * @example
 * pixelCell(zoneBox, 31, 0, 45); // [1, 522] for the tile centred at (0.15, 52.25)
 */
export function pixelCell(
  geobox: GeoBox,
  zone: number,
  row: number,
  col: number,
): [number, number] {
  const [x, y] = pixelCentre(geobox, row, col);
  const [lon, lat] = utmInverse(x, y, zone, false);
  return [Math.floor(lon * 10), Math.floor(lat * 10)];
}

/**
 * Compares the store's pixels in `block` (which must lie inside `store.rect`) with what the
 * `candidates` (registry order; tiles that failed validation left out) imply, and adds the
 * outcome to `sink`.
 *
 * @example
 * const sink = { counts: emptyCounts(), mismatches: [], maxListed: 10 };
 * compareBlock(store, block, candidates, { geobox, zone: 31, maxValidScale: 1 }, sink);
 */
export function compareBlock(
  store: StoreShard,
  block: Rect,
  candidates: readonly CandidateBlock[],
  rule: RuleContext,
  sink: CompareSink,
): void {
  const B = store.bands;
  const cols = store.rect.c1 - store.rect.c0;
  const { counts } = sink;
  const maxValid = rule.maxValidScale;
  const storeWords = int32View(store.embeddings, B);
  const candWords = candidates.map((k) => int32View(k.embeddings, B));
  const words = storeWords && candWords.every((w) => w) ? B / 4 : 0;
  const valid = new Int32Array(Math.max(1, candidates.length));

  for (let r = block.r0; r < block.r1; r++) {
    for (let c = block.c0; c < block.c1; c++) {
      let covered = 0, nValid = 0;
      for (let k = 0; k < candidates.length; k++) {
        const z = candidates[k].zone;
        if (r < z.r0 || r >= z.r1 || c < z.c0 || c >= z.c1) continue;
        covered++;
        const K = candidates[k];
        const s = K.scales[(r - z.r0) * K.width + (c - K.colOffsetPx)];
        const land = K.land[(r - z.r0) * (z.c1 - z.c0) + (c - z.c0)];
        // Comparisons with NaN are false, and ±inf fail one bound: only finite scales pass.
        if (land !== 0 && s > 0 && s < maxValid) valid[nValid++] = k;
      }

      let owner = -1, byCell = false;
      let state: PixelCoverage;
      if (nValid === 0) {
        state = covered ? "masked" : "empty";
      } else if (nValid === 1) {
        state = "exact";
        owner = valid[0];
      } else {
        state = "overlap";
        const [lonCell, latCell] = pixelCell(rule.geobox, rule.zone, r, c);
        // Cells do not overlap, so at most one candidate can contain the centre.
        for (let i = nValid - 1; i >= 0 && owner < 0; i--) {
          const K = candidates[valid[i]];
          if (K.lonCell === lonCell && K.latCell === latCell) owner = valid[i];
        }
        byCell = owner >= 0;
        if (!byCell) owner = valid[nValid - 1];
      }

      // Compare with the store.
      const p = (r - store.rect.r0) * cols + (c - store.rect.c0);
      const got = store.scales[p];
      let expected = NaN;
      let q = -1;
      let K: CandidateBlock | undefined;
      if (owner >= 0) {
        K = candidates[owner];
        q = (r - K.zone.r0) * K.width + (c - K.colOffsetPx);
        expected = K.scales[q];
        if (sink.lattice && LatticeStats.onLattice(r, c)) {
          sink.lattice.add(r, c, expected, K.embeddings, q * B);
        }
      }
      const scaleOk = K ? got === expected : Number.isNaN(got);
      let embOk: boolean;
      if (words) {
        const sw = storeWords!, w0 = p * words;
        embOk = true;
        if (K) {
          const kw = candWords[owner]!, k0 = q * words;
          for (let i = 0; i < words; i++) {
            if (sw[w0 + i] !== kw[k0 + i]) {
              embOk = false;
              break;
            }
          }
        } else {
          for (let i = 0; i < words; i++) {
            if (sw[w0 + i] !== 0) {
              embOk = false;
              break;
            }
          }
        }
      } else {
        embOk = firstBadBand(store.embeddings, p * B, K?.embeddings, q * B, B) < 0;
      }

      if (scaleOk && embOk) {
        if (state === "exact") counts.exact++;
        else if (state === "overlap") {
          counts.overlapResolved++;
          if (byCell) counts.overlapByCell++;
          else counts.overlapByOrder++;
        } else if (state === "masked") counts.masked++;
        else counts.empty++;
        continue;
      }

      counts.mismatched++;
      const tile = K?.name ?? null;
      if (!scaleOk && sink.mismatches.length < sink.maxListed) {
        sink.mismatches.push({
          array: "scales",
          row: r,
          col: c,
          band: null,
          expected,
          got,
          tile,
          state,
        });
      }
      if (!embOk && sink.mismatches.length < sink.maxListed) {
        const b = firstBadBand(store.embeddings, p * B, K?.embeddings, q * B, B);
        sink.mismatches.push({
          array: "embeddings",
          row: r,
          col: c,
          band: b,
          expected: K ? K.embeddings[q * B + b] : 0,
          got: store.embeddings[p * B + b],
          tile,
          state,
        });
      }
    }
  }
}

/** First band where `a` (from `ia`) differs from `b` (from `ib`, or zeros when undefined); −1 if none. */
function firstBadBand(
  a: Int8Array,
  ia: number,
  b: Int8Array | undefined,
  ib: number,
  bands: number,
): number {
  for (let i = 0; i < bands; i++) {
    if (a[ia + i] !== (b ? b[ib + i] : 0)) return i;
  }
  return -1;
}

/** An Int32Array over `a` when whole pixels of `bands` bytes are 4-byte aligned, for fast compares. */
function int32View(a: Int8Array, bands: number): Int32Array | undefined {
  if (bands % 4 !== 0 || a.byteOffset % 4 !== 0) return undefined;
  return new Int32Array(a.buffer, a.byteOffset, a.length >>> 2);
}
