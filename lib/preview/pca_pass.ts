/**
 * The PCA preview's attributes (SPEC §6.2): `pca_components` [3][B], `pca_mean` [B],
 * `pca_explained_variance` [3], `pca_medians`, `pca_iqrs`, `pca_stretch {min, max}` — enough
 * to recompute any pixel. The maths is pca.ts; the pass is {@link writePreviews}.
 */
import { TesseraError } from "../errors.ts";
import {
  parsePcaAttributes,
  pcaAttributes as encode,
  type PreviewSource,
} from "../store/previews.ts";
import type { PcaBasis } from "./pca.ts";

/**
 * The root attributes recording a PCA preview (without its done flag); the encoding is
 * lib/store/previews.ts's.
 *
 * @example
 * ```ts
 * pcaAttributes(pcaBasis(input)).pca_explained_variance; // [0.53, 0.2, 0.09]
 * ```
 */
export function pcaAttributes(b: PcaBasis, source?: PreviewSource): Record<string, unknown> {
  return encode(b, source);
}

/**
 * Reads a PCA basis back from root attributes written by {@link pcaAttributes} (for readers
 * that recompute pixels, and tests). Missing or malformed `pca_*` attributes are a "BadStore"
 * error.
 *
 * @example
 * ```ts
 * const basis = pcaFromAttributes(group.attrs);
 * ```
 */
export function pcaFromAttributes(a: Record<string, unknown>): PcaBasis {
  const p = parsePcaAttributes(a);
  if (!p) {
    throw new TesseraError("BadStore", "no complete pca_* attributes: run `deno task pca` first");
  }
  return p;
}
