/**
 * The published directory layouts (SPEC §2, upstream §1.10): tile names and the paths of a
 * tile's files under a base directory or URL, in either layout — the seed's
 * (`global_0.1_degree_representation/{year}/…`, `global_0.1_degree_tiff_all/…`) or the public
 * repository's (`npy/{dataset}/{year}/…`, `landmasks/{version}/…`). String functions without
 * I/O, so every other module derives paths from here; which layout a BASE has is detected once
 * (layout_detect.ts) and remembered per BASE (layout_choice.ts).
 */

import { join } from "node:path";
import { TesseraError } from "../errors.ts";
import { layoutOf } from "./layout_choice.ts";
import type { TileRef } from "./tile_ref.ts";

/** Seed layout: directory (under BASE) holding `{year}/grid_X_Y/grid_X_Y{,_scales}.npy`. */
export const EMBEDDINGS_DIR = "global_0.1_degree_representation";

/** Seed layout: flat directory (under BASE, no year level) holding `grid_X_Y.tiff` landmasks. */
export const LANDMASKS_DIR = "global_0.1_degree_tiff_all";

/** Public layout: directory (under BASE) holding one `{dataset}/` folder per dataset. */
export const NPY_DIR = "npy";

/** Public layout: directory (under BASE) holding one `{version}/` landmask folder per version. */
export const PUBLIC_LANDMASKS_DIR = "landmasks";

/** The two layouts tiles are published in. */
export type LayoutKind = "seed" | "public";

/** A BASE's layout: which tree holds the tiles, and for the public one which dataset. */
export interface TileLayout {
  readonly kind: LayoutKind;
  /** Public layout: the `npy/` folder, e.g. `v1`, `v1.1-cam`, `v2-2B-L~beta1`. */
  readonly dataset?: string;
  /** Public layout: the `landmasks/` folder, e.g. `v1`. */
  readonly landmaskVersion?: string;
}

/** The seed's layout, the default for a BASE nobody said otherwise about. */
export const SEED_LAYOUT: TileLayout = Object.freeze({ kind: "seed" });

/**
 * The public layout of one dataset with its landmask version.
 *
 * @example
 * ```ts
 * publicLayout("v1.1-cam", "v1.1"); // { kind: "public", dataset: "v1.1-cam", landmaskVersion: "v1.1" }
 * ```
 */
export function publicLayout(dataset: string, landmaskVersion: string): TileLayout {
  return Object.freeze({ kind: "public", dataset, landmaskVersion });
}

/** Path segments (under BASE) of the embeddings tree and the landmask folder of a layout. */
export function layoutDirs(layout: TileLayout): { embeddings: string[]; landmasks: string[] } {
  if (layout.kind === "seed") return { embeddings: [EMBEDDINGS_DIR], landmasks: [LANDMASKS_DIR] };
  if (!layout.dataset || !layout.landmaskVersion) {
    throw new TesseraError(
      "BadArgument",
      "the public layout needs a dataset and a landmask version (publicLayout(dataset, version))",
    );
  }
  return {
    embeddings: [NPY_DIR, layout.dataset],
    landmasks: [PUBLIC_LANDMASKS_DIR, layout.landmaskVersion],
  };
}

/** One line naming a layout, for messages: `seed layout`, `public layout, dataset v1 (landmasks v1)`. */
export function describeLayout(layout: TileLayout): string {
  return layout.kind === "seed"
    ? "seed layout"
    : `public layout, dataset ${layout.dataset} (landmasks ${layout.landmaskVersion})`;
}

const TILE_NAME_RE = /^grid_(-?\d+\.\d\d)_(-?\d+\.\d\d)$/;

/** Formats integer hundredths as `{x:.2f}`; exact, and keeps the sign of -0.05. */
function hundredthsToString(n: number): string {
  const a = Math.abs(n);
  const frac = a % 100;
  return `${n < 0 ? "-" : ""}${(a - frac) / 100}.${frac < 10 ? "0" : ""}${frac}`;
}

/** Parses a `-?\d+\.\d\d` string into integer hundredths without going through a float. */
function stringToHundredths(s: string): number {
  const neg = s.startsWith("-");
  const [whole, frac] = (neg ? s.slice(1) : s).split(".");
  const v = Number(whole) * 100 + Number(frac);
  return neg ? -v : v;
}

/** True when `x` hundredths is a cell centre on the 0.05 grid (…, -0.05, 0.05, 0.15, …). */
function onCentreGrid(x: number): boolean {
  return ((x % 10) + 10) % 10 === 5;
}

/**
 * The tile name `grid_{lon:.2f}_{lat:.2f}` from integer hundredths of a degree. Computed from
 * the integers, so there is no float formatting drift.
 *
 * @example
 * ```ts
 * tileName(-5, 5145); // "grid_-0.05_51.45"
 * tileName(15, -5); // "grid_0.15_-0.05"
 * ```
 */
export function tileName(lonI: number, latI: number): string {
  if (!Number.isSafeInteger(lonI) || !Number.isSafeInteger(latI)) {
    throw new TesseraError(
      "BadTileName",
      `tile keys must be integer hundredths of a degree, got lonI=${lonI}, latI=${latI}; ` +
        "use Math.round(x * 100)",
    );
  }
  return `grid_${hundredthsToString(lonI)}_${hundredthsToString(latI)}`;
}

/**
 * Parses a tile name back into integer hundredths. Throws `BadTileName` unless the name is
 * exactly what {@link tileName} would produce for a centre on the 0.05 grid inside ±180/±90;
 * non-canonical spellings (`grid_00.15_1.05`) are refused because the files would never be
 * found under the canonical name.
 *
 * @example
 * ```ts
 * parseTileName("grid_-0.05_51.45"); // { lonI: -5, latI: 5145 }
 * ```
 */
export function parseTileName(name: string): { lonI: number; latI: number } {
  const m = TILE_NAME_RE.exec(name);
  const fail = (why: string): never => {
    throw new TesseraError(
      "BadTileName",
      `"${name}" is not a tile name: ${why}; expected grid_{lon:.2f}_{lat:.2f} with centres on ` +
        "the 0.05 grid, e.g. grid_0.15_52.25",
    );
  };
  if (!m) return fail("it does not match grid_<lon>_<lat> with two decimals");
  const lonI = stringToHundredths(m[1]);
  const latI = stringToHundredths(m[2]);
  if (!onCentreGrid(lonI) || !onCentreGrid(latI)) return fail("the centre is not on the 0.05 grid");
  if (Math.abs(lonI) > 18000 || Math.abs(latI) > 9000) return fail("the centre is out of range");
  if (tileName(lonI, latI) !== name) return fail("it is not spelled canonically");
  return { lonI, latI };
}

/** Where a tile's files live. `sha256` is optional in the published data. */
export interface TilePaths {
  /** `{base}/global_0.1_degree_representation/{year}/{name}` (public: `{base}/npy/{dataset}/{year}/{name}`) */
  readonly dir: string;
  /** int8 (H, W, 128) embedding: `{dir}/{name}.npy` */
  readonly embeddings: string;
  /** float32 (H, W) scales: `{dir}/{name}_scales.npy` */
  readonly scales: string;
  /** sha256sum-style checksums: `{dir}/SHA256` */
  readonly sha256: string;
  /** Landmask GeoTIFF, no year level: `{base}/global_0.1_degree_tiff_all/{name}.tiff` (public: `{base}/landmasks/{version}/{name}.tiff`) */
  readonly landmask: string;
}

/**
 * The paths of one tile's files under `base` (joined and normalised with `node:path`) in
 * `layout` — by default the layout chosen for `base` in this process (see layout_choice.ts),
 * else the seed's. The public layout's paths are upstream's `embedding_url(dataset_dir,
 * "{year}/{name}/{name}.npy")` and `landmask_url(version_path, "{name}.tiff")`
 * (geotessera/registry.py).
 *
 * @example
 * ```ts
 * tilePaths("/data", tileRef(2024, 15, 5225)).embeddings;
 * // "/data/global_0.1_degree_representation/2024/grid_0.15_52.25/grid_0.15_52.25.npy"
 * tilePaths("/data", tileRef(2024, 15, 5225), publicLayout("v1", "v1")).landmask;
 * // "/data/landmasks/v1/grid_0.15_52.25.tiff"
 * ```
 */
export function tilePaths(
  base: string,
  tile: TileRef,
  layout: TileLayout = layoutOf(base),
): TilePaths {
  const name = tileName(tile.lonI, tile.latI);
  const dirs = layoutDirs(layout);
  // A URL base (lib/tiles/remote.ts): the same layout as URL path segments.
  if (/^https?:\/\//i.test(base)) {
    const dir = urlJoin(base, ...dirs.embeddings, String(tile.year), name);
    return {
      dir,
      embeddings: urlJoin(dir, `${name}.npy`),
      scales: urlJoin(dir, `${name}_scales.npy`),
      sha256: urlJoin(dir, "SHA256"),
      landmask: urlJoin(base, ...dirs.landmasks, `${name}.tiff`),
    };
  }
  const dir = join(base, ...dirs.embeddings, String(tile.year), name);
  return {
    dir,
    embeddings: join(dir, `${name}.npy`),
    scales: join(dir, `${name}_scales.npy`),
    sha256: join(dir, "SHA256"),
    landmask: join(base, ...dirs.landmasks, `${name}.tiff`),
  };
}

/** `base` URL with path segments appended (no `node:path`: it would fold `http://`). */
function urlJoin(base: string, ...parts: string[]): string {
  const url = new URL(base);
  url.search = "";
  url.hash = "";
  const head = url.pathname.endsWith("/") ? url.pathname : `${url.pathname}/`;
  url.pathname = head + parts.map(encodeURIComponent).join("/");
  return url.href;
}
