/**
 * The previews' part of the store format (SPEC §6, docs/format.md "Previews"): the two preview
 * names, where their pyramid levels live, the root attributes each preview owns (its done flag
 * last) and the `multiscales` entry; removing and adding a preview's attributes in the one
 * canonical key order (so a store never claims a half-written preview, and its bytes do not
 * depend on which pass ran first or how often); and parsing all of that back. Pure,
 * browser-safe.
 */
import { registerConventions } from "./georef.ts";

/** The two previews: full-resolution array names, which are also their `multiscales` keys. */
export type PreviewName = "rgb" | "pca_rgb";

/** Both previews, in their canonical order (`rgb` before `pca_rgb` everywhere). */
export const PREVIEW_NAMES: readonly PreviewName[] = ["rgb", "pca_rgb"];

/** One level of a preview pyramid as the `multiscales` attribute records it. */
export interface LevelInfo {
  level: number;
  path: string;
  pixel_size_m: number;
  transform: number[];
  shape: [number, number, 4];
}

/** The root `multiscales` attribute: each finished preview's levels, finest first. */
export type Multiscales = Partial<Record<PreviewName, LevelInfo[]>>;

/** One entry of `multiscales.layout` (GeoZarr multiscales convention v1, composed with spatial:). */
export interface LayoutEntry {
  asset: string;
  derived_from?: string;
  transform: { scale: number[]; translation: number[] };
  resampling_method?: string;
  "spatial:shape": [number, number];
  "spatial:transform": number[];
}

/**
 * The multiscales convention's `layout` of the recorded pyramids: every level of `rgb`, then
 * of `pca_rgb`, finest first; each overview level names the level it was reduced from
 * (`derived_from`, scale 2 per axis, alpha-aware mean) and carries its own `spatial:shape` and
 * `spatial:transform`.
 *
 * @example
 * ```ts
 * multiscalesLayout({ rgb: levels })[1].derived_from; // "rgb"
 * ```
 */
export function multiscalesLayout(ms: Multiscales): LayoutEntry[] {
  const out: LayoutEntry[] = [];
  for (const name of PREVIEW_NAMES) {
    const levels = ms[name] ?? [];
    levels.forEach((l, i) => {
      const from = i > 0 ? levels[i - 1] : undefined;
      const f = from ? l.pixel_size_m / from.pixel_size_m : 1;
      out.push({
        asset: l.path,
        ...(from ? { derived_from: from.path } : {}),
        transform: { scale: [f, f], translation: [0, 0] },
        ...(from ? { resampling_method: "average" } : {}),
        "spatial:shape": [l.shape[0], l.shape[1]],
        "spatial:transform": [...l.transform],
      });
    });
  }
  return out;
}

/**
 * Store path of level `k` of a preview (level 0 is the full-resolution array).
 *
 * @example
 * ```ts
 * levelPath("rgb", 2); // "rgb_overviews/2"
 * ```
 */
export function levelPath(name: PreviewName, k: number): string {
  return k === 0 ? name : overviewsGroup(name) + `/${k}`;
}

/**
 * The group holding a preview's overview levels.
 *
 * @example
 * ```ts
 * overviewsGroup("pca_rgb"); // "pca_rgb_overviews"
 * ```
 */
export function overviewsGroup(name: PreviewName): string {
  return `${name}_overviews`;
}

/** Root attributes owned by each preview, in canonical order, its done flag last. */
export const PREVIEW_ATTRIBUTES: Readonly<Record<PreviewName, readonly string[]>> = {
  rgb: ["rgb_bands", "rgb_stretch", "rgb_source", "has_rgb_preview"],
  pca_rgb: [
    "pca_components",
    "pca_mean",
    "pca_explained_variance",
    "pca_medians",
    "pca_iqrs",
    "pca_stretch",
    "pca_source",
    "has_pca_preview",
  ],
};

/**
 * Where a preview's stretch or basis came from (`rgb_source`, `pca_source`): the store's
 * statistics (`stats`/`pca` on a built store), the build's pre-pass over the input tiles
 * (every `row_step_px`-th zone row; lib/preview/input_sample.ts), or a parameter file the user
 * gave (`--rgb-stretch`/`--pca-basis`). `verify` re-derives the first two and takes the third
 * as given. Stores written before 2026-12-01 have none: their previews came from statistics.
 */
export type PreviewSource =
  | { from: "statistics" }
  | { from: "input"; row_step_px: number }
  | { from: "given" };

/** The source recorded for `name`; `{from: "statistics"}` when absent (older stores). */
export function parsePreviewSource(
  attrs: Readonly<Record<string, unknown>>,
  name: PreviewName,
): PreviewSource | undefined {
  const v = attrs[name === "rgb" ? "rgb_source" : "pca_source"];
  if (v === undefined) return { from: "statistics" };
  const o = v as { from?: unknown; row_step_px?: unknown };
  if (o?.from === "statistics" || o?.from === "given") return { from: o.from };
  if (o?.from === "input" && Number.isInteger(o.row_step_px) && (o.row_step_px as number) > 0) {
    return { from: "input", row_step_px: o.row_step_px as number };
  }
  return undefined;
}

/**
 * Root attribute flagging a finished preview: true only once the preview and all its levels
 * are completely written.
 *
 * @example
 * ```ts
 * doneFlag("pca_rgb"); // "has_pca_preview"
 * ```
 */
export function doneFlag(name: PreviewName): string {
  return PREVIEW_ATTRIBUTES[name].at(-1)!;
}

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
    for (const k of PREVIEW_ATTRIBUTES[n]) delete out[k];
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

/**
 * Non-preview attributes in their order, then `multiscales` (the convention's `layout`, then
 * each preview's levels), then each preview's keys; `zarr_conventions` registers multiscales
 * exactly when there is a layout.
 */
function canonical(attrs: Record<string, unknown>, ms: Multiscales): Record<string, unknown> {
  const owned = new Set(["multiscales", ...PREVIEW_NAMES.flatMap((n) => PREVIEW_ATTRIBUTES[n])]);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attrs)) if (!owned.has(k)) out[k] = v;
  const levels: Multiscales = {};
  for (const n of PREVIEW_NAMES) if (ms[n]) levels[n] = ms[n];
  if (Object.keys(levels).length) {
    out.multiscales = { layout: multiscalesLayout(levels), ...levels };
  }
  for (const n of PREVIEW_NAMES) {
    for (const k of PREVIEW_ATTRIBUTES[n]) if (k in attrs) out[k] = attrs[k];
  }
  return "zarr_conventions" in out ? registerConventions(out) : out;
}

/** A per-channel stretch: `min` and `max` of the three channels. */
export interface Stretch3 {
  min: number[];
  max: number[];
}

/** What the `rgb_*` attributes record: the bands shown as R, G, B and their stretch. */
export interface RgbAttributeValues {
  bands: readonly number[];
  stretch: Stretch3;
}

/**
 * The root attributes recording an RGB preview (without its done flag).
 *
 * @example
 * ```ts
 * rgbAttributes({ bands: [0, 1, 2], stretch }); // { rgb_bands: [0, 1, 2], rgb_stretch: {…} }
 * ```
 */
export function rgbAttributes(
  p: RgbAttributeValues,
  source: PreviewSource = { from: "statistics" },
): Record<string, unknown> {
  return {
    rgb_bands: [...p.bands],
    rgb_stretch: { min: p.stretch.min, max: p.stretch.max },
    rgb_source: source,
  };
}

/** What the `pca_*` attributes record: enough to recompute any PCA preview pixel. */
export interface PcaAttributeValues {
  /** Three unit vectors of `bands` loadings, largest eigenvalue first. */
  components: number[][];
  mean: number[];
  explainedVariance: number[];
  medians: number[];
  iqrs: number[];
  stretch: Stretch3;
}

/**
 * The root attributes recording a PCA preview (without its done flag), in canonical order.
 *
 * @example
 * ```ts
 * pcaAttributes(basis).pca_explained_variance; // [0.53, 0.2, 0.09]
 * ```
 */
export function pcaAttributes(
  b: PcaAttributeValues,
  source: PreviewSource = { from: "statistics" },
): Record<string, unknown> {
  return {
    pca_components: b.components,
    pca_mean: b.mean,
    pca_explained_variance: b.explainedVariance,
    pca_medians: b.medians,
    pca_iqrs: b.iqrs,
    pca_stretch: { min: b.stretch.min, max: b.stretch.max },
    pca_source: source,
  };
}

/**
 * The PCA parameters recorded in root attributes, or undefined when any is missing or not
 * numbers.
 *
 * @example
 * ```ts
 * parsePcaAttributes(pcaAttributes(basis)); // the same values as basis
 * ```
 */
export function parsePcaAttributes(
  a: Readonly<Record<string, unknown>>,
): PcaAttributeValues | undefined {
  const components = Array.isArray(a.pca_components) ? a.pca_components.map(numbers) : undefined;
  const stretch = a.pca_stretch as { min?: unknown; max?: unknown } | undefined;
  const min = numbers(stretch?.min), max = numbers(stretch?.max);
  const mean = numbers(a.pca_mean), explainedVariance = numbers(a.pca_explained_variance);
  const medians = numbers(a.pca_medians), iqrs = numbers(a.pca_iqrs);
  if (
    !components || !components.every((c) => c) || !min || !max || !mean ||
    !explainedVariance || !medians || !iqrs
  ) {
    return undefined;
  }
  return {
    components: components as number[][],
    mean,
    explainedVariance,
    medians,
    iqrs,
    stretch: { min, max },
  };
}

/** The preview attributes of a store, parsed; absent or malformed values are undefined. */
export interface PreviewAttributes {
  /** Done flags: the preview and all its levels are written. */
  rgb: boolean;
  pcaRgb: boolean;
  rgbBands?: number[];
  rgbStretch?: Stretch3;
  pcaExplainedVariance?: number[];
  /** Each finished preview's pyramid levels, as recorded (only well-formed entries). */
  multiscales?: Multiscales;
}

/**
 * Parses the preview attributes out of root group attributes. Never throws: a store without
 * previews (or with damaged preview attributes) just has none.
 *
 * @example
 * ```ts
 * parsePreviewAttributes({ has_rgb_preview: true, rgb_bands: [0, 1, 2] });
 * // { rgb: true, pcaRgb: false, rgbBands: [0, 1, 2], … }
 * ```
 */
export function parsePreviewAttributes(
  attrs: Readonly<Record<string, unknown>>,
): PreviewAttributes {
  const stretch = attrs.rgb_stretch as { min?: unknown; max?: unknown } | undefined;
  return {
    rgb: attrs[doneFlag("rgb")] === true,
    pcaRgb: attrs[doneFlag("pca_rgb")] === true,
    rgbBands: numbers(attrs.rgb_bands),
    rgbStretch: stretch && numbers(stretch.min) && numbers(stretch.max)
      ? { min: stretch.min as number[], max: stretch.max as number[] }
      : undefined,
    pcaExplainedVariance: numbers(attrs.pca_explained_variance),
    multiscales: parseMultiscales(attrs.multiscales),
  };
}

/**
 * The well-formed entries of a `multiscales` attribute (a level needs a number `level` and
 * `pixel_size_m`, a string `path`, a 6-number `transform` and a shape), or undefined.
 *
 * @example
 * ```ts
 * parseMultiscales({ rgb: [{ level: 0, path: "rgb", pixel_size_m: 10, transform, shape }] });
 * ```
 */
export function parseMultiscales(v: unknown): Multiscales | undefined {
  if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
  const out: Multiscales = {};
  for (const name of PREVIEW_NAMES) {
    const list = (v as Record<string, unknown>)[name];
    if (!Array.isArray(list)) continue;
    const levels = list.filter((l): l is LevelInfo =>
      !!l && typeof l === "object" && typeof l.level === "number" &&
      typeof l.path === "string" && typeof l.pixel_size_m === "number" &&
      numbers(l.transform)?.length === 6 && Array.isArray(l.shape)
    );
    if (levels.length) out[name] = levels;
  }
  return Object.keys(out).length ? out : undefined;
}

function numbers(v: unknown): number[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === "number") ? v as number[] : undefined;
}
