/**
 * The zone store's layout (SPEC §4.1–4.2, docs/format.md): chunk sizes, the names of its arrays
 * and groups, the keys of its shards and of a build's `_build` markers, and the shard grid.
 * Constants and key arithmetic only: no I/O, browser-safe.
 */
import { chunkKey } from "../zarr/metadata.ts";

/** Shards are 1024 × 1024 pixels on every 2-D grid array (SPEC §4.2). */
export const SHARD_PX = 1024;
/** Embedding inner chunks are 32 × 32 pixels × all bands: 128 KiB, one range request a point. */
export const EMBEDDINGS_INNER_PX = 32;
/**
 * Scales inner chunks are 64 × 64 pixels (16 KiB raw): a cold point read then moves ≤ 200 KB
 * (docs/decisions/2026-12-01-format-geo-consolidated.md); they were 256 × 256 until then.
 */
export const SCALES_INNER_PX = 64;
/** Full-resolution preview inner chunks are 256 × 256 pixels (the viewer's tile unit). */
export const PREVIEW_INNER_PX = 256;
/** Coordinate arrays up to this many elements are one chunk; longer ones use chunks this long. */
export const COORD_CHUNK_MAX = 1 << 20;

/** The core arrays of every zone store, in the order the builder writes their documents. */
export const CORE_ARRAYS = [
  "embeddings",
  "scales",
  "northing",
  "easting",
  "band",
  "spatial_ref",
] as const;
/** A core array's name. */
export type CoreArray = typeof CORE_ARRAYS[number];

/** The group holding the build-time statistics (SPEC §5). */
export const STATS_GROUP = "stats";
/** The arrays of the statistics group, by their name inside it. */
export const STATS_ARRAYS = ["sum", "sum_products", "sample"] as const;
/** A statistics array's name inside {@link STATS_GROUP}. */
export type StatsArray = typeof STATS_ARRAYS[number];

/**
 * The `zarr.json` key of the node at `path` ("" is the root group).
 *
 * @example
 * ```ts
 * documentKey(""); // "zarr.json"
 * documentKey("stats/sum"); // "stats/sum/zarr.json"
 * ```
 */
export function documentKey(path: string): string {
  return path === "" ? "zarr.json" : `${path}/zarr.json`;
}

/**
 * Number of shard rows and columns of a `height × width` grid: the one shard grid of a zone
 * (plans, manifests, verify and the viewer all count shards with it).
 *
 * @example
 * ```ts
 * shardGridShape(2280, 1476); // [3, 2]
 * ```
 */
export function shardGridShape(
  height: number,
  width: number,
  shardPx: number | readonly [number, number] = SHARD_PX,
): [number, number] {
  const [sh, sw] = typeof shardPx === "number" ? [shardPx, shardPx] : shardPx;
  return [Math.ceil(height / sh), Math.ceil(width / sw)];
}

/**
 * The key of shard (row, col) of a 2-D grid array, or of a 3-D one whose shards span the last
 * axis (`embeddings`, previews): `scales/c/1/2`, `embeddings/c/1/2/0`.
 *
 * @example
 * ```ts
 * shardKey("embeddings", 3, 1, 2); // "embeddings/c/1/2/0"
 * ```
 */
export function shardKey(array: string, rank: number, row: number, col: number): string {
  return chunkKey(array, rank === 3 ? [row, col, 0] : [row, col]);
}

/** Directory (inside the store) of the per-shard markers of a build in progress. */
export const BUILD_DIR = "_build";

/**
 * Key of a shard's completion marker (its statistics partial, stats_codec.ts `encodeStats`).
 *
 * @example
 * ```ts
 * markerKey(0, 1); // "_build/shards/0.1.stats"
 * ```
 */
export function markerKey(row: number, col: number): string {
  return `${BUILD_DIR}/shards/${row}.${col}.stats`;
}

/** Key of a shard's failure list (present only when tiles failed). */
export function failuresKey(row: number, col: number): string {
  return `${BUILD_DIR}/shards/${row}.${col}.failures.json`;
}

/** Key of a shard's bad-scale counts per tile name (present only when there are any). */
export function badScalesKey(row: number, col: number): string {
  return `${BUILD_DIR}/shards/${row}.${col}.bad_scales.json`;
}

/**
 * Key of a shard's notes about odd but usable tiles (all-NaN scales, a multi-band landmask),
 * by tile name (present only when there are any); lib/builder/tile_warnings.ts reads them.
 */
export function tileNotesKey(row: number, col: number): string {
  return `${BUILD_DIR}/shards/${row}.${col}.tile_notes.json`;
}
