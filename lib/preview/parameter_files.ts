/**
 * Preview parameters as files (docs/format.md "Preview parameter files"): an RGB stretch or a
 * PCA basis chosen in a notebook, by `deno task stats|pca --dry-run --save FILE`, or by the
 * build's pre-pass, handed to `build --rgb-stretch FILE` / `--pca-basis FILE` (or to
 * `stats`/`pca` to re-colour a store). JSON with a `format` tag and a version; everything that
 * decides a pixel's colour is in it, and every field is checked on reading, the error naming
 * the file and the field.
 */
import { TesseraError } from "../errors.ts";
import type { PcaBasis } from "./pca.ts";
import { PCA_COMPONENTS } from "./pca.ts";
import type { RgbParams } from "./stretch.ts";

/** `format` of an RGB stretch file. */
export const RGB_STRETCH_FORMAT = "tessera-zones rgb stretch";
/** `format` of a PCA basis file. */
export const PCA_BASIS_FORMAT = "tessera-zones pca basis";
/** Version of both file formats. */
export const PARAMETER_FILE_VERSION = 1;

/** Where a stretch or basis was chosen (informational; never changes a colour). */
export interface ParameterSource {
  /** e.g. "input tiles (pre-pass)", "store build-time statistics". */
  from: string;
  /** The data: a BASE, a store path. */
  data?: string;
  zone?: number;
  year?: number;
  /** Pixels the statistics summed, and sample vectors. */
  pixels?: number;
  sample?: number;
}

/** An RGB stretch file's content. */
export interface RgbStretchFile {
  format: typeof RGB_STRETCH_FORMAT;
  version: number;
  /** Bands shown as R, G, B. */
  bands: [number, number, number];
  /** Per channel: values mapped to 0 and to 255. */
  min: number[];
  max: number[];
  source?: ParameterSource;
}

/** A PCA basis file's content (the `pca_*` attributes, plus the band count). */
export interface PcaBasisFile {
  format: typeof PCA_BASIS_FORMAT;
  version: number;
  n_bands: number;
  mean: number[];
  components: number[][];
  explained_variance: number[];
  medians: number[];
  iqrs: number[];
  stretch: { min: number[]; max: number[] };
  source?: ParameterSource;
}

/**
 * The JSON document of an RGB stretch.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("stretch.json", rgbStretchJson(chooseRgb(input)));
 * ```
 */
export function rgbStretchJson(p: RgbParams, source?: ParameterSource): string {
  const doc: RgbStretchFile = {
    format: RGB_STRETCH_FORMAT,
    version: PARAMETER_FILE_VERSION,
    bands: [...p.bands],
    min: [...p.stretch.min],
    max: [...p.stretch.max],
    ...(source ? { source } : {}),
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

/**
 * The JSON document of a PCA basis of `bands`-band vectors.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("basis.json", pcaBasisJson(pcaBasis(input), 128));
 * ```
 */
export function pcaBasisJson(b: PcaBasis, bands: number, source?: ParameterSource): string {
  const doc: PcaBasisFile = {
    format: PCA_BASIS_FORMAT,
    version: PARAMETER_FILE_VERSION,
    n_bands: bands,
    mean: b.mean,
    components: b.components,
    explained_variance: b.explainedVariance,
    medians: b.medians,
    iqrs: b.iqrs,
    stretch: { min: b.stretch.min, max: b.stretch.max },
    ...(source ? { source } : {}),
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

/**
 * Parses an RGB stretch document (`path` names it in errors). Throws BadArgument naming the
 * file and the field on anything malformed.
 *
 * @example
 * ```ts
 * const rgb = parseRgbStretch(await Deno.readTextFile(f), f); // { bands, stretch }
 * ```
 */
export function parseRgbStretch(text: string, path: string): RgbParams {
  const doc = parseDoc(text, path, RGB_STRETCH_FORMAT, "deno task stats --dry-run --save FILE");
  const bands = ints(doc.bands, "bands", 3, path);
  const min = finite(doc.min, "min", 3, path), max = finite(doc.max, "max", 3, path);
  for (let k = 0; k < 3; k++) {
    if (!(max[k] > min[k])) {
      throw bad(path, `max[${k}] (${max[k]}) must be greater than min[${k}] (${min[k]})`);
    }
  }
  return { bands: [bands[0], bands[1], bands[2]], stretch: { min, max } };
}

/**
 * Parses a PCA basis document: the basis and its band count. Throws BadArgument naming the file
 * and the field on anything malformed (sizes, non-finite numbers, IQRs ≤ 0, an empty stretch).
 *
 * @example
 * ```ts
 * const { basis, bands } = parsePcaBasis(await Deno.readTextFile(f), f);
 * ```
 */
export function parsePcaBasis(text: string, path: string): { basis: PcaBasis; bands: number } {
  const doc = parseDoc(text, path, PCA_BASIS_FORMAT, "deno task pca --dry-run --save FILE");
  const [B] = ints(doc.n_bands, "n_bands", 1, path);
  if (B < PCA_COMPONENTS) throw bad(path, `n_bands must be at least 3, got ${B}`);
  const K = PCA_COMPONENTS;
  if (!Array.isArray(doc.components) || doc.components.length !== K) {
    throw bad(path, `components must be ${K} arrays of ${B} numbers`);
  }
  const components = doc.components.map((c, k) => finite(c, `components[${k}]`, B, path));
  const stretch = (doc.stretch ?? {}) as Record<string, unknown>;
  const basis: PcaBasis = {
    mean: finite(doc.mean, "mean", B, path),
    components,
    explainedVariance: finite(doc.explained_variance, "explained_variance", K, path),
    medians: finite(doc.medians, "medians", K, path),
    iqrs: finite(doc.iqrs, "iqrs", K, path),
    stretch: {
      min: finite(stretch.min, "stretch.min", K, path),
      max: finite(stretch.max, "stretch.max", K, path),
    },
  };
  for (let k = 0; k < K; k++) {
    if (!(basis.iqrs[k] > 0)) throw bad(path, `iqrs[${k}] must be > 0, got ${basis.iqrs[k]}`);
    if (!(basis.stretch.max[k] > basis.stretch.min[k])) {
      throw bad(path, `stretch.max[${k}] must be greater than stretch.min[${k}]`);
    }
  }
  return { basis, bands: B };
}

/**
 * Reads and parses an RGB stretch file; a missing or unreadable file is a BadArgument naming it.
 *
 * @example
 * ```ts
 * const rgb = await readRgbStretch("stretch.json");
 * ```
 */
export async function readRgbStretch(path: string): Promise<RgbParams> {
  return parseRgbStretch(await readText(path, "--rgb-stretch"), path);
}

/**
 * Reads and parses a PCA basis file; a missing or unreadable file is a BadArgument naming it.
 *
 * @example
 * ```ts
 * const { basis, bands } = await readPcaBasis("basis.json");
 * ```
 */
export async function readPcaBasis(path: string): Promise<{ basis: PcaBasis; bands: number }> {
  return parsePcaBasis(await readText(path, "--pca-basis"), path);
}

/**
 * Throws BadArgument unless the stretch of `file` fits a store of `bands` bands.
 *
 * @example
 * ```ts
 * checkRgbFits(rgb, 128, "stretch.json");
 * ```
 */
export function checkRgbFits(rgb: RgbParams, bands: number, path: string, store?: string): void {
  const out = rgb.bands.find((b) => b >= bands);
  if (out !== undefined) {
    throw bad(
      path,
      `band ${out} does not exist in ${store ?? "the store"}, which has ${bands} bands`,
    );
  }
}

/**
 * Throws BadArgument unless a basis of `basisBands` bands fits a store of `bands` bands.
 *
 * @example
 * ```ts
 * checkPcaFits(128, 128, "basis.json");
 * ```
 */
export function checkPcaFits(
  basisBands: number,
  bands: number,
  path: string,
  store?: string,
): void {
  if (basisBands !== bands) {
    throw bad(
      path,
      `it is a basis of ${basisBands}-band vectors; ${store ?? "the store"} has ${bands} bands`,
    );
  }
}

async function readText(path: string, flag: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new TesseraError(
      "BadArgument",
      `cannot read the ${flag} file (${(e as Error).message.split(":")[0]})`,
      path,
    );
  }
}

function parseDoc(
  text: string,
  path: string,
  format: string,
  maker: string,
): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw bad(path, `not JSON (${(e as Error).message})`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw bad(path, "not a JSON object");
  const d = doc as Record<string, unknown>;
  if (d.format !== format) {
    throw bad(
      path,
      `its "format" is ${JSON.stringify(d.format)}, not "${format}" (make one with \`${maker}\`)`,
    );
  }
  if (d.version !== PARAMETER_FILE_VERSION) {
    throw bad(
      path,
      `version ${JSON.stringify(d.version)} is not ${PARAMETER_FILE_VERSION} (this toolkit's)`,
    );
  }
  return d;
}

function finite(v: unknown, field: string, n: number, path: string): number[] {
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => Number.isFinite(x))) {
    throw bad(path, `${field} must be ${n} finite number${n > 1 ? "s" : ""}`);
  }
  return v as number[];
}

function ints(v: unknown, field: string, n: number, path: string): number[] {
  const a = n === 1 && !Array.isArray(v) ? [v] : v;
  if (
    !Array.isArray(a) || a.length !== n ||
    !a.every((x) => Number.isInteger(x) && (x as number) >= 0)
  ) {
    throw bad(
      path,
      `${field} must be ${n === 1 ? "a" : n} non-negative integer${n > 1 ? "s" : ""}`,
    );
  }
  return a as number[];
}

function bad(path: string, message: string): TesseraError {
  return new TesseraError("BadArgument", message, path);
}
