/**
 * The preview passes' root attributes: removing a preview's attributes before it is rewritten
 * (so a store never claims a preview that is half written) and adding them back when it is
 * done, always in one canonical key order so the store's bytes do not depend on which pass ran
 * first or how often.
 */
import type { LevelInfo, PreviewName } from "./overviews.ts";

/** Attributes owned by each preview, in canonical order (its done flag last). */
const OWNED: Record<PreviewName, readonly string[]> = {
  rgb: ["rgb_bands", "rgb_stretch", "has_rgb_preview"],
  pca_rgb: [
    "pca_components",
    "pca_mean",
    "pca_explained_variance",
    "pca_medians",
    "pca_iqrs",
    "pca_stretch",
    "has_pca_preview",
  ],
};
const NAMES: readonly PreviewName[] = ["rgb", "pca_rgb"];

/**
 * Root attribute flagging a finished preview.
 *
 * @example
 * ```ts
 * doneFlag("pca_rgb"); // "has_pca_preview"
 * ```
 */
export function doneFlag(name: PreviewName): string {
  return name === "rgb" ? "has_rgb_preview" : "has_pca_preview";
}

type Multiscales = Partial<Record<PreviewName, LevelInfo[]>>;

/**
 * `attrs` without the attributes and `multiscales` entry of `names`.
 *
 * @example
 * ```ts
 * withoutPreviews({ a: 1, has_rgb_preview: true }, ["rgb"]); // { a: 1 }
 * ```
 */
export function withoutPreviews(
  attrs: Record<string, unknown>,
  names: readonly PreviewName[],
): Record<string, unknown> {
  const ms = { ...(attrs.multiscales as Multiscales | undefined) };
  const out = { ...attrs };
  for (const n of names) {
    for (const k of OWNED[n]) delete out[k];
    delete ms[n];
  }
  return canonical(out, ms);
}

/**
 * `attrs` with `added` (preview attributes, done flags included) and the `multiscales` entries
 * of `levels` merged in, in canonical order.
 *
 * @example
 * ```ts
 * withPreviews(attrs, { ...rgbAttributes(p), has_rgb_preview: true }, { rgb: levels });
 * ```
 */
export function withPreviews(
  attrs: Record<string, unknown>,
  added: Record<string, unknown>,
  levels: Multiscales,
): Record<string, unknown> {
  const ms = { ...(attrs.multiscales as Multiscales | undefined), ...levels };
  return canonical({ ...attrs, ...added }, ms);
}

/** Non-preview attributes in their order, then `multiscales`, then each preview's keys. */
function canonical(attrs: Record<string, unknown>, ms: Multiscales): Record<string, unknown> {
  const owned = new Set(["multiscales", ...NAMES.flatMap((n) => OWNED[n])]);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attrs)) if (!owned.has(k)) out[k] = v;
  const multiscales: Multiscales = {};
  for (const n of NAMES) if (ms[n]) multiscales[n] = ms[n];
  if (Object.keys(multiscales).length) out.multiscales = multiscales;
  for (const n of NAMES) for (const k of OWNED[n]) if (k in attrs) out[k] = attrs[k];
  return out;
}
