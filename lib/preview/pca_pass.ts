/**
 * The PCA preview's attributes (SPEC §6.2): `pca_components` [3][B], `pca_mean` [B],
 * `pca_explained_variance` [3], `pca_medians`, `pca_iqrs`, `pca_stretch {min, max}` — enough
 * to recompute any pixel. The maths is pca.ts; the pass is {@link writePreviews}.
 */
import type { PcaBasis } from "./pca.ts";

/**
 * The root attributes recording a PCA preview (without its done flag).
 *
 * @example
 * ```ts
 * pcaAttributes(pcaBasis(input)).pca_explained_variance; // [0.53, 0.2, 0.09]
 * ```
 */
export function pcaAttributes(b: PcaBasis): Record<string, unknown> {
  return {
    pca_components: b.components,
    pca_mean: b.mean,
    pca_explained_variance: b.explainedVariance,
    pca_medians: b.medians,
    pca_iqrs: b.iqrs,
    pca_stretch: { min: b.stretch.min, max: b.stretch.max },
  };
}

/**
 * Reads a PCA basis back from root attributes written by {@link pcaAttributes} (for readers
 * that recompute pixels, and tests).
 *
 * @example
 * ```ts
 * const basis = pcaFromAttributes(group.attrs);
 * ```
 */
export function pcaFromAttributes(a: Record<string, unknown>): PcaBasis {
  const stretch = a.pca_stretch as { min: number[]; max: number[] };
  return {
    components: a.pca_components as number[][],
    mean: a.pca_mean as number[],
    explainedVariance: a.pca_explained_variance as number[],
    medians: a.pca_medians as number[],
    iqrs: a.pca_iqrs as number[],
    stretch: { min: stretch.min, max: stretch.max },
  };
}
