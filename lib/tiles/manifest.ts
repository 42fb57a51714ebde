/**
 * The public layout's index files (upstream §1.10): `npy/{dataset}/manifest.parquet`, the tile
 * list of one dataset, and `landmasks/{version}/landmasks.parquet`, the landmask list of one
 * version. Columns and rules follow the upstream client and scanner exactly
 * (github.com/ucam-eo/geotessera, geotessera/registry.py `Registry._load_registry` /
 * `_load_landmasks_registry` at commit 2f873ba, and `s3scan_command` in
 * geotessera/registry_cli.py at commit d012d96):
 *
 * - manifest: required `lat, lon, year, grid_size`; the scanner also writes `version`,
 *   `variant`, `directory`, `grid_path`, `scales_path`, `grid_mtime`, `scales_mtime`,
 *   `scales_size`, `lon_i`, `lat_i`, sorted (version, variant, year, lon, lat). When `version`
 *   and `variant` are there, only the dataset's own rows count; duplicates of (year, lon, lat)
 *   keep the first. There are no digests (upstream checks Content-Length and the MD5 ETag).
 * - landmasks.parquet: required `lat, lon, file_size`; also `mtime`, `key`, `lon_i`, `lat_i`.
 *
 * The manifest lands in the same columnar `Registry` as registry.parquet (`grid_size` as the
 * `.npy` size), so listing its tiles is the registry's code; the listing is then put in
 * compositing order (year, lat, lon), which the scanner's (lon, lat) sort is not.
 */
import { join } from "node:path";
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from "../deps/hyparquet.ts";
import type { FileMetaData } from "../deps/hyparquet.ts";
import { compressors } from "../deps/hyparquet_compressors.ts";
import { TesseraError } from "../errors.ts";
import { datasetId } from "./dataset_name.ts";
import { layoutDirs, type TileLayout } from "./layout.ts";
import {
  type AsyncBufferLike,
  columnTypes,
  type ReadRegistryOptions,
  readTileIndex,
  type Registry,
} from "./registry.ts";
import {
  fetchRemote,
  isUrl,
  joinUrl,
  knownSize,
  remoteAsyncBuffer,
  remoteExists,
} from "./remote.ts";

/** The tile list of one dataset, in `npy/{dataset}/`. */
export const MANIFEST_FILE = "manifest.parquet";
/** The landmask list of one version, in `landmasks/{version}/`. */
export const LANDMASK_INDEX_FILE = "landmasks.parquet";
/** Columns a manifest must have (upstream's `required_columns`). */
export const MANIFEST_REQUIRED = ["lat", "lon", "year", "grid_size"] as const;
/** Columns a landmasks.parquet must have (upstream's `required_columns`). */
export const LANDMASK_INDEX_REQUIRED = ["lat", "lon", "file_size"] as const;

const MANIFEST_SCHEMA = {
  what: "manifest",
  required: MANIFEST_REQUIRED,
  sizeColumn: "grid_size",
  fix: "re-download the manifest or regenerate it (geotessera-registry s3-scan)",
  notA: "a geotessera manifest",
} as const;

function under(base: string, ...parts: string[]): string {
  return isUrl(base) ? joinUrl(base, ...parts) : join(base, ...parts);
}

/** Where the dataset's manifest is by default: `BASE/npy/{dataset}/manifest.parquet`. */
export function manifestLocation(base: string, layout: TileLayout): string {
  return under(base, ...layoutDirs(layout).embeddings, MANIFEST_FILE);
}

/** Where the landmask list is: `BASE/landmasks/{version}/landmasks.parquet`. */
export function landmaskIndexLocation(base: string, layout: TileLayout): string {
  return under(base, ...layoutDirs(layout).landmasks, LANDMASK_INDEX_FILE);
}

async function exists(path: string): Promise<boolean> {
  if (isUrl(path)) return await remoteExists(path);
  return (await Deno.stat(path).catch(() => undefined))?.isFile === true;
}

/**
 * Locates the manifest of a public-layout BASE. With `given` (a `.parquet` file or a folder
 * holding manifest.parquet, path or URL — `--registry` / `--registry-dir`), it must be there,
 * else `BadRegistry`; without, `BASE/npy/{dataset}/manifest.parquet`, and `undefined` when it
 * is not there (locally: walk the folders).
 *
 * @example
 * ```ts
 * await findManifest("/data", publicLayout("v1", "v1")); // "/data/npy/v1/manifest.parquet"
 * ```
 */
export async function findManifest(
  base: string,
  layout: TileLayout,
  given?: string,
): Promise<string | undefined> {
  if (given === undefined) {
    const path = manifestLocation(base, layout);
    return await exists(path) ? path : undefined;
  }
  const path = given.endsWith(".parquet") ? given : under(given, MANIFEST_FILE);
  if (await exists(path)) return path;
  throw new TesseraError(
    "BadRegistry",
    `no ${MANIFEST_FILE} there; give the manifest (a .parquet file or the folder holding ` +
      `${MANIFEST_FILE}), or leave --registry/--registry-dir out to use ` +
      `BASE/${layoutDirs(layout).embeddings.join("/")}/${MANIFEST_FILE}`,
    path,
  );
}

/** The manifest's `version` value as upstream compares it (`astype(str)`): 1.0 → "1.0". */
function versionText(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? v.toFixed(1) : String(v);
  if (typeof v === "bigint") return `${v}.0`;
  return String(v);
}

/** Decodes one string-ish column of the whole file into an array, row group by row group. */
async function readColumn(
  file: AsyncBufferLike,
  metadata: FileMetaData,
  column: string,
): Promise<unknown[]> {
  const out = new Array<unknown>(Number(metadata.num_rows));
  await parquetRead({
    file,
    metadata,
    columns: [column],
    compressors,
    onChunk: ({ columnData, rowStart }) => {
      for (let k = 0; k < columnData.length; k++) out[rowStart + k] = columnData[k];
    },
  });
  return out;
}

/**
 * Rows of the dataset's own (version, variant), as upstream filters a manifest holding several;
 * undefined (all rows) when the manifest has neither column. A manifest whose rows are all of
 * other datasets is a `BadRegistry` naming what it holds.
 */
async function datasetRows(
  path: string,
  dataset: string,
  file: AsyncBufferLike,
  metadata: FileMetaData,
): Promise<Uint8Array | undefined> {
  const types = columnTypes(metadata);
  if (!types.has("version") && !types.has("variant")) return undefined;
  const id = datasetId(dataset);
  const n = Number(metadata.num_rows);
  const versions = types.has("version") ? await readColumn(file, metadata, "version") : undefined;
  const variants = types.has("variant") ? await readColumn(file, metadata, "variant") : undefined;
  const mask = new Uint8Array(n);
  const seen = new Map<string, number>();
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const v = versions ? versionText(versions[i]) : id.version;
    const w = variants ? String(variants[i]) : id.variant;
    if (v === id.version && w === id.variant) {
      mask[i] = 1;
      kept++;
    } else {
      const k = `version ${v}, variant ${w}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
  }
  if (kept === 0 && n > 0) {
    const held = [...seen].map(([k, c]) => `${k} (${c} rows)`).join("; ");
    throw new TesseraError(
      "BadRegistry",
      `the manifest has no rows of dataset ${dataset} (version ${id.version}, variant ` +
        `${id.variant}); it holds ${held} — give the dataset it was made for with --dataset, ` +
        "or the right manifest",
      path,
    );
  }
  return mask;
}

/**
 * Reads a manifest into a {@link Registry} (`grid_size` as the `.npy` size), keeping only the
 * rows of `dataset` when the manifest says which rows are whose. Throws `BadRegistry` for an
 * unreadable file, a missing required column (`lat, lon, year, grid_size`) or no rows of the
 * dataset.
 *
 * @example
 * ```ts
 * const reg = await readManifest("/data/npy/v1/manifest.parquet", "v1", { years: [2024] });
 * ```
 */
export function readManifest(
  path: string,
  dataset: string,
  options: ReadRegistryOptions = {},
): Promise<Registry> {
  return readTileIndex(path, MANIFEST_SCHEMA, {
    ...options,
    keepRows: (file, metadata) => datasetRows(path, dataset, file, metadata),
  });
}

/** A parquet AsyncBuffer over a URL that fetches only the ranges read (the footer, here). */
async function rangedRemoteBuffer(url: string): Promise<AsyncBufferLike> {
  const first = await fetchRemote(url, { offset: 0, length: 1 });
  if (first === undefined) {
    throw new TesseraError("BadRegistry", "the server has no such file (HTTP 404)", url);
  }
  const size = knownSize(url);
  if (size === undefined) return await remoteAsyncBuffer(url); // no ranges: fetch it whole
  return {
    byteLength: size,
    async slice(start: number, end = size) {
      const bytes = await fetchRemote(url, { offset: start, length: end - start });
      if (bytes === undefined) throw new TesseraError("BadRegistry", "vanished (HTTP 404)", url);
      return bytes.slice().buffer;
    },
  } as AsyncBufferLike;
}

/**
 * Checks a landmasks.parquet (local or URL) has upstream's required columns, reading its footer
 * only; returns its row count. `BadRegistry` naming the file and the missing columns otherwise.
 *
 * @example
 * ```ts
 * await checkLandmaskIndex("/data/landmasks/v1/landmasks.parquet"); // e.g. 4
 * ```
 */
export async function checkLandmaskIndex(path: string): Promise<number> {
  let metadata: FileMetaData;
  try {
    const file = isUrl(path) ? await rangedRemoteBuffer(path) : await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file, { geoparquet: false });
  } catch (e) {
    if (e instanceof TesseraError && e.kind !== "BadRegistry") throw e;
    throw new TesseraError(
      "BadRegistry",
      `not a readable parquet landmask list (${(e as Error).message}); re-download it`,
      path,
      { cause: e },
    );
  }
  const types = columnTypes(metadata);
  const missing = LANDMASK_INDEX_REQUIRED.filter((c) => !types.has(c));
  if (missing.length) {
    throw new TesseraError(
      "BadRegistry",
      `missing required column(s) ${missing.join(", ")} (has: ${[...types.keys()].join(", ")}); ` +
        "this is not a geotessera landmasks.parquet — re-download it or regenerate it " +
        "(geotessera-registry s3-scan)",
      path,
    );
  }
  return Number(metadata.num_rows);
}
