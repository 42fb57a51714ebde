/**
 * Dataset names of the public repository's `npy/` tree (upstream §1.10): `v1`, `v1.1-cam`,
 * `v2-2B-L~beta1`, … — one folder per (version, variant) pair — and the landmask version each
 * uses. Pure functions. They follow the upstream client exactly: `KNOWN_DATASETS`,
 * `dataset_from_path`, `_DATASET_DIR_RE` and `_version_path_from_norm` in
 * geotessera/registry.py (github.com/ucam-eo/geotessera, read at commit 2f873ba).
 */
import { TesseraError } from "../errors.ts";

/** The dataset taken over HTTP when none is given: upstream's default (`Registry("v1")`). */
export const DEFAULT_DATASET = "v1";

/** Upstream's `KNOWN_DATASETS` (published rows): normalised version, variant, folder. */
const KNOWN_DATASETS: readonly (readonly [string, string, string])[] = [
  ["1.0", "vultr", "v1"],
  ["1.1", "cambridge", "v1.1-cam"],
  ["2.0", "2B-L~beta1", "v2-2B-L~beta1"],
  ["2.0", "2B-L~beta2", "v2-2B-L~beta2"],
];

/** Upstream's default variant when a version has no published row. */
const FALLBACK_VARIANT = "vultr";

/** Upstream's `_DATASET_DIR_RE`: a version path with an optional `-variant` suffix. */
const DATASET_RE = /^v(\d+)(?:\.(\d+))?(?:-(.+))?$/;

/** A landmask tree's version folder: `v1`, `v1.1`, `v2`. */
const LANDMASK_VERSION_RE = /^v\d+(?:\.\d+)?$/;

/** What a dataset folder name stands for. */
export interface DatasetId {
  /** The folder name under `npy/`, e.g. `v1.1-cam`. */
  readonly name: string;
  /** Normalised version as the manifest's `version` column holds it, e.g. `1.1`. */
  readonly version: string;
  /** The manifest's `variant` column value, e.g. `cambridge`. */
  readonly variant: string;
  /** The version's path form, which names its landmask folder: `v1`, `v1.1`, `v2`. */
  readonly versionPath: string;
}

function defaultVariant(version: string): string {
  return KNOWN_DATASETS.find(([v]) => v === version)?.[1] ?? FALLBACK_VARIANT;
}

/** `1.0` → `v1`, `1.1` → `v1.1` (upstream `_version_path_from_norm`). */
function versionPath(version: string): string {
  const [major, minor] = version.split(".");
  return !minor || minor === "0" ? `v${major}` : `v${major}.${minor}`;
}

/** True when `name` can be a dataset folder (`v1`, `v1.1-cam`, `v2-2B-L~beta1`, …). */
export function isDatasetName(name: string): boolean {
  return DATASET_RE.test(name) && !/[/\\]/.test(name);
}

/**
 * The (version, variant) a dataset folder stands for, as upstream's `dataset_from_path`: a
 * known folder maps to its row; otherwise `v{major}[.{minor}][-{variant}]`, a bare version
 * taking that version's default variant. Throws BadArgument for a name that is not a dataset
 * folder name.
 *
 * @example
 * ```ts
 * datasetId("v1.1-cam"); // { name: "v1.1-cam", version: "1.1", variant: "cambridge", versionPath: "v1.1" }
 * datasetId("v2-2B-L~beta1").variant; // "2B-L~beta1"
 * ```
 */
export function datasetId(name: string): DatasetId {
  const m = DATASET_RE.exec(name);
  if (!m || !isDatasetName(name)) {
    throw new TesseraError(
      "BadArgument",
      `"${name}" is not a dataset name: expected v<major>[.<minor>][-<variant>] as the public ` +
        "repository's npy/ folders are named, e.g. v1, v1.1-cam, v2-2B-L~beta1",
    );
  }
  const known = KNOWN_DATASETS.find(([, , dir]) => dir === name);
  const version = known?.[0] ?? `${m[1]}.${m[2] ?? "0"}`;
  const variant = known?.[1] ?? m[3] ?? defaultVariant(version);
  return { name, version, variant, versionPath: versionPath(version) };
}

/**
 * The landmask folder a dataset uses when none is given: its version path, as upstream's
 * client fetches `landmasks/{version_path}/…` for the dataset's version.
 *
 * @example
 * ```ts
 * defaultLandmaskVersion("v2-2B-L~beta1"); // "v2"
 * ```
 */
export function defaultLandmaskVersion(dataset: string): string {
  return datasetId(dataset).versionPath;
}

/** Throws BadArgument unless `v` is a landmask version folder name (`v1`, `v1.1`, …). */
export function checkLandmaskVersion(v: string): string {
  if (!LANDMASK_VERSION_RE.test(v)) {
    throw new TesseraError(
      "BadArgument",
      `"${v}" is not a landmask version: expected v<major>[.<minor>], e.g. v1 or v1.1 ` +
        "(the folder under landmasks/)",
    );
  }
  return v;
}
