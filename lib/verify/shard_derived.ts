/**
 * What the builder derives from one shard's pixels besides the pixels themselves, recomputed
 * by `verify` from the *expected* pixels (the owners the compositing rule picks, not what the
 * store holds): the build-time statistics partial of the shard (SPEC §5) and, per tile, the
 * pixels whose source scale is a defect (the `bad_scale_pixels` attribute). Pure.
 *
 * The statistics must come out bit-identical to the builder's, so the order of the float
 * additions is part of the contract: valid lattice pixels of a shard are added one by one in
 * row-major order, each band's sum and each band-pair product in turn, starting from zero
 * (lib/builder/stats.ts `shardStats` adds four pixels per pass, but evaluates each accumulator
 * left to right, which is the same sequence of roundings). Shard partials are then merged in
 * shard order with the builder's `mergeStats` (derived_checks.ts).
 */
import {
  emptyStats,
  SAMPLE_STEP_PX,
  STATS_STEP_PX,
  type StatsPartial,
} from "../store/stats_codec.ts";
import { pixelPriority } from "../store/statistics.ts";

/** One shard's re-derived build-time values, posted back by a verifier with its report. */
export interface ShardDerived {
  /** Statistics partial of the shard's expected pixels, in the builder's layout. */
  stats: StatsPartial;
  /** Tile name → pixels of this shard whose source scale is ±inf, ≥ max valid, or ≤ 0. */
  badScales: Record<string, number>;
}

/** Accumulates the statistics partial of one shard from its expected valid lattice pixels. */
export class LatticeStats {
  readonly #bands: number;
  readonly #st: StatsPartial;
  readonly #v: Float64Array;
  readonly #priorities: number[] = [];
  readonly #vectors: number[] = [];

  constructor(bands: number) {
    this.#bands = bands;
    this.#st = emptyStats(bands);
    this.#v = new Float64Array(bands);
  }

  /** Whether zone pixel (row, col) feeds the statistics at all (when it is valid). */
  static onLattice(row: number, col: number): boolean {
    return row % STATS_STEP_PX === 0 && col % STATS_STEP_PX === 0;
  }

  /**
   * Adds the valid lattice pixel (row, col) whose expected scale is `scale` and expected
   * embeddings are `emb[offset .. offset + bands)`. Callers add pixels in row-major order.
   */
  add(row: number, col: number, scale: number, emb: Int8Array, offset: number): void {
    const B = this.#bands, v = this.#v, { sum, sumProducts } = this.#st;
    for (let b = 0; b < B; b++) v[b] = emb[offset + b] * scale;
    this.#st.count++;
    let k = 0;
    for (let i = 0; i < B; i++) {
      const vi = v[i];
      sum[i] = sum[i] + vi;
      for (let j = i; j < B; j++, k++) sumProducts[k] = sumProducts[k] + vi * v[j];
    }
    if (row % SAMPLE_STEP_PX === 0 && col % SAMPLE_STEP_PX === 0) {
      this.#priorities.push(pixelPriority(row, col));
      for (let b = 0; b < B; b++) this.#vectors.push(Math.fround(emb[offset + b] * scale));
    }
  }

  /** The shard's partial (call once, after the last pixel). */
  partial(): StatsPartial {
    this.#st.priorities = Float64Array.from(this.#priorities);
    this.#st.vectors = Float32Array.from(this.#vectors);
    return this.#st;
  }
}

/**
 * Scale values in columns `c0..c1` of the `rows` rows of `scales` (row length `width`) that
 * are defects: not NaN (plain no data) and not valid — ±inf, FLT_MAX or anything ≥
 * `maxValidScale`, zero or negative. The builder counts the same pixels (every pixel a tile
 * has in the shard, water or not, owned or not).
 *
 * @example
 * countDefectScales(Float32Array.of(0.1, -1, Infinity, NaN), 1, 4, 0, 4, 1); // 2
 */
export function countDefectScales(
  scales: Float32Array,
  rows: number,
  width: number,
  c0: number,
  c1: number,
  maxValidScale: number,
): number {
  let n = 0;
  for (let r = 0; r < rows; r++) {
    for (let i = r * width + c0, end = r * width + c1; i < end; i++) {
      const s = scales[i];
      if (s <= 0 || s >= maxValidScale) n++; // NaN fails both comparisons
    }
  }
  return n;
}
