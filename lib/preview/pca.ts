/**
 * The PCA preview's maths (SPEC §6.2), pure: mean and covariance from exact sums, the top
 * three eigenvectors of the symmetric covariance (ml-matrix), a reproducible sign, explained
 * variance, and the per-component median/IQR equalisation and p1..p99 stretch of the sample's
 * projections. Every input must be finite; anything else is a BadStore error.
 */
import { EigenvalueDecomposition, Matrix } from "../deps/ml_matrix.ts";
import { TesseraError } from "../errors.ts";
import { assertFinite, percentileSorted, sortedColumn, type Stretch } from "./stretch.ts";

/** Number of principal components a PCA preview shows (R, G, B). */
export const PCA_COMPONENTS = 3;

/** What the basis is computed from: sums over a pixel subsample plus a vector sample. */
export interface PcaInput {
  bands: number;
  /** Pixels summed into `sum` and `sumProducts`. */
  count: number;
  /** Per-band sum of dequantised values (`bands`). */
  sum: Float64Array;
  /** Full symmetric band × band sum of products, row-major (`bands²`). */
  sumProducts: Float64Array;
  /** Dequantised vectors for percentiles, row-major (`k × bands`). */
  sample: Float32Array;
}

/** A PCA preview basis: everything the `pca_*` attributes record. */
export interface PcaBasis {
  mean: number[];
  /** `PCA_COMPONENTS` unit vectors of `bands` loadings, largest eigenvalue first. */
  components: number[][];
  /** Fraction of the total variance (trace of the covariance) each component explains. */
  explainedVariance: number[];
  medians: number[];
  iqrs: number[];
  /** p1..p99 of the equalised projections, per component. */
  stretch: Stretch;
}

/**
 * Computes the PCA basis. Covariance is `sumProducts/count − mean·meanᵀ`; components are the
 * eigenvectors of its three largest eigenvalues, each signed so its largest-magnitude loading
 * (lowest band on ties) is positive. Projections `p = x·c − mean·c` of the sample give each
 * component's median and IQR (an IQR of 0 becomes 1), then the p1..p99 stretch of
 * `(p − median)/iqr` (high ≤ low becomes low + 1). With no pixels at all the basis is the
 * first three bands, explained variance 0, stretch 0..1.
 *
 * @example
 * ```ts
 * const basis = pcaBasis({ bands: 128, count, sum, sumProducts, sample });
 * basis.explainedVariance; // e.g. [0.41, 0.18, 0.09]
 * ```
 */
export function pcaBasis(input: PcaInput, path?: string): PcaBasis {
  const { bands: B, count } = input;
  if (B < PCA_COMPONENTS) {
    throw new TesseraError(
      "BadArgument",
      `a PCA preview needs at least 3 bands, the store has ${B}`,
      path,
    );
  }
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new TesseraError("BadStore", `stats_count ${count} is not a pixel count`, path);
  }
  if (input.sum.length !== B || input.sumProducts.length !== B * B || input.sample.length % B) {
    throw new TesseraError("BadStore", `statistics do not match ${B} bands`, path);
  }
  assertFinite(input.sum, "stats/sum", path);
  assertFinite(input.sumProducts, "stats/sum_products", path);
  assertFinite(input.sample, "stats/sample", path);
  if (count === 0) return emptyBasis(B);

  const mean = Array.from(input.sum, (s) => s / count);
  const cov = new Matrix(B, B);
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < B; j++) {
      // Symmetrised, so the decomposition sees an exactly symmetric matrix.
      const sp = (input.sumProducts[i * B + j] + input.sumProducts[j * B + i]) / 2;
      cov.set(i, j, sp / count - mean[i] * mean[j]);
    }
  }
  const evd = new EigenvalueDecomposition(cov, { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  const vectors = evd.eigenvectorMatrix;
  assertFinite(values, "covariance eigenvalues", path);
  const order = values.map((_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
  let trace = 0;
  for (let i = 0; i < B; i++) trace += cov.get(i, i);

  const components: number[][] = [];
  const explainedVariance: number[] = [];
  for (const k of order.slice(0, PCA_COMPONENTS)) {
    const c = vectors.getColumn(k);
    components.push(signFixed(c));
    explainedVariance.push(trace > 0 ? Math.max(0, values[k]) / trace : 0);
  }
  return {
    mean,
    components,
    explainedVariance,
    ...equalisation(input.sample, B, mean, components),
  };
}

/**
 * Flips `v` so that its largest-magnitude entry (the first on ties) is positive: the sign of an
 * eigenvector is arbitrary, and this makes preview colours reproducible.
 *
 * @example
 * ```ts
 * signFixed([0.1, -0.9, 0.4]); // [-0.1, 0.9, -0.4]
 * ```
 */
export function signFixed(v: readonly number[]): number[] {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (Math.abs(v[i]) > Math.abs(v[best])) best = i;
  return v[best] < 0 ? v.map((x) => (x === 0 ? 0 : -x)) : [...v];
}

/**
 * Projections of a row-major sample onto the components, centred on `mean`:
 * `p[i][k] = Σ_b x[i][b]·c[k][b] − Σ_b mean[b]·c[k][b]` (row-major `n × components`).
 *
 * @example
 * ```ts
 * const p = projectSample(sample, 128, basis.mean, basis.components);
 * ```
 */
export function projectSample(
  sample: Float32Array,
  bands: number,
  mean: readonly number[],
  components: readonly (readonly number[])[],
): Float64Array {
  const n = sample.length / bands, K = components.length;
  const offset = components.map((c) => c.reduce((s, ck, b) => s + ck * mean[b], 0));
  const out = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      const c = components[k];
      let acc = 0;
      for (let b = 0; b < bands; b++) acc += sample[i * bands + b] * c[b];
      out[i * K + k] = acc - offset[k];
    }
  }
  return out;
}

function equalisation(
  sample: Float32Array,
  B: number,
  mean: number[],
  components: number[][],
): Pick<PcaBasis, "medians" | "iqrs" | "stretch"> {
  const K = components.length;
  const medians: number[] = [], iqrs: number[] = [], min: number[] = [], max: number[] = [];
  const p = projectSample(sample, B, mean, components);
  const n = p.length / K;
  for (let k = 0; k < K; k++) {
    if (n === 0) {
      medians.push(0), iqrs.push(1), min.push(0), max.push(1);
      continue;
    }
    const col = sortedColumn(p, K, k);
    const m = percentileSorted(col, 50);
    const iqr = percentileSorted(col, 75) - percentileSorted(col, 25);
    const q = iqr > 0 ? iqr : 1;
    // (p − m)/q is monotonic, so sorting is preserved.
    const eq = col.map((x) => (x - m) / q);
    const lo = percentileSorted(eq, 1);
    let hi = percentileSorted(eq, 99);
    if (!(hi > lo)) hi = lo + 1;
    medians.push(m), iqrs.push(q), min.push(lo), max.push(hi);
  }
  return { medians, iqrs, stretch: { min, max } };
}

function emptyBasis(B: number): PcaBasis {
  const unit = (k: number) => Array.from({ length: B }, (_, b) => (b === k ? 1 : 0));
  return {
    mean: new Array(B).fill(0),
    components: [0, 1, 2].map(unit),
    explainedVariance: [0, 0, 0],
    medians: [0, 0, 0],
    iqrs: [1, 1, 1],
    stretch: { min: [0, 0, 0], max: [1, 1, 1] },
  };
}
