/**
 * Writes `registry.parquet` in the published GeoParquet shape (SPEC §2, upstream §1.7): the
 * columns `geotessera-registry scan` writes, rows sorted (year, lat, lon), `geo` metadata, and
 * an atomic rename so a reader never sees a half-written registry. Used by fixtures, tests and
 * benchmarks; the toolkit itself only reads registries.
 *
 * Compression is SNAPPY: hyparquet-writer ships a snappy compressor but no zstd one (upstream
 * writes zstd); readers handle both.
 */

import { renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { SchemaElement } from "../deps/hyparquet.ts";
import { fileWriter, ParquetWriter } from "../deps/hyparquet_writer.ts";
import type { ColumnSource } from "../deps/hyparquet_writer.ts";
import { TesseraError } from "../errors.ts";

/** One registry row: a tile of one year and what `scan` recorded about its files. */
export interface RegistryRow {
  readonly year: number;
  /** `round(lon * 100)`; the written `lon` is exactly `lonI / 100`. */
  readonly lonI: number;
  /** `round(lat * 100)`; the written `lat` is exactly `latI / 100`. */
  readonly latI: number;
  /** sha256 hex of the .npy (from the tile's SHA256 file); null when unknown. */
  readonly hash?: string | null;
  /** sha256 hex of the scales .npy; null when unknown. */
  readonly scalesHash?: string | null;
  /** .npy modification time in seconds since the epoch; null when unknown. */
  readonly mtimeS?: number | null;
  /** .npy size in bytes; 0 means "not published" and readers skip the row. */
  readonly fileSize: number;
  /** Scales .npy size in bytes; 0 means "not published". */
  readonly scalesSize: number;
}

/** Options for {@link writeRegistry}. */
export interface WriteRegistryOptions {
  /** Rows per row group. Default 1 Mi rows, pyarrow's default, so benchmarks see real shapes. */
  rowGroupRows?: number;
}

// Nullable like the pandas → pyarrow files upstream writes, so readers are exercised on the
// same definition-level encoding as the real registry.
const SCHEMA: SchemaElement[] = [
  { name: "schema", num_children: 11 },
  { name: "lat", type: "DOUBLE", repetition_type: "OPTIONAL" },
  { name: "lon", type: "DOUBLE", repetition_type: "OPTIONAL" },
  { name: "year", type: "INT64", repetition_type: "OPTIONAL" },
  { name: "hash", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
  { name: "scales_hash", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
  { name: "mtime", type: "INT64", converted_type: "TIMESTAMP_MILLIS", repetition_type: "OPTIONAL" },
  { name: "file_size", type: "INT64", repetition_type: "OPTIONAL" },
  { name: "scales_size", type: "INT64", repetition_type: "OPTIONAL" },
  { name: "lon_i", type: "INT32", repetition_type: "OPTIONAL" },
  { name: "lat_i", type: "INT32", repetition_type: "OPTIONAL" },
  { name: "geometry", type: "BYTE_ARRAY", repetition_type: "OPTIONAL" },
];

const WKB_POINT_BYTES = 21;

function checkRow(r: RegistryRow, i: number, path: string): void {
  const ints = [r.year, r.lonI, r.latI, r.fileSize, r.scalesSize];
  if (!ints.every(Number.isSafeInteger) || r.fileSize < 0 || r.scalesSize < 0) {
    throw new TesseraError(
      "BadArgument",
      `registry row ${i} has a non-integer or negative field (${JSON.stringify(r)}); ` +
        "year, lonI, latI and sizes must be integers, sizes ≥ 0",
      path,
    );
  }
}

/** The `geo` file metadata of GeoParquet 1.0; crs omitted means OGC:CRS84 (lon/lat WGS84). */
function geoMetadata(rows: readonly RegistryRow[]): string {
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const r of rows) {
    minX = Math.min(minX, r.lonI);
    maxX = Math.max(maxX, r.lonI);
    minY = Math.min(minY, r.latI);
    maxY = Math.max(maxY, r.latI);
  }
  const column: Record<string, unknown> = { encoding: "WKB", geometry_types: ["Point"] };
  if (rows.length) column.bbox = [minX / 100, minY / 100, maxX / 100, maxY / 100];
  return JSON.stringify({
    version: "1.0.0",
    primary_column: "geometry",
    columns: { geometry: column },
  });
}

/** Column data for rows[start, end) of the sorted rows. */
function columnsFor(rows: readonly RegistryRow[], start: number, end: number): ColumnSource[] {
  const n = end - start;
  const lat = new Array<number>(n);
  const lon = new Array<number>(n);
  const year = new Array<bigint>(n);
  const hash = new Array<string | null>(n);
  const scalesHash = new Array<string | null>(n);
  const mtime = new Array<bigint | null>(n);
  const fileSize = new Array<bigint>(n);
  const scalesSize = new Array<bigint>(n);
  const lonI = new Array<number>(n);
  const latI = new Array<number>(n);
  const geometry = new Array<Uint8Array>(n);
  // One backing buffer for all points: 2.7M separate 21-byte allocations cost far more.
  const wkb = new Uint8Array(n * WKB_POINT_BYTES);
  const view = new DataView(wkb.buffer);
  for (let k = 0; k < n; k++) {
    const r = rows[start + k];
    lat[k] = r.latI / 100;
    lon[k] = r.lonI / 100;
    year[k] = BigInt(r.year);
    hash[k] = r.hash ?? null;
    scalesHash[k] = r.scalesHash ?? null;
    mtime[k] = r.mtimeS == null ? null : BigInt(Math.round(r.mtimeS * 1000));
    fileSize[k] = BigInt(r.fileSize);
    scalesSize[k] = BigInt(r.scalesSize);
    lonI[k] = r.lonI;
    latI[k] = r.latI;
    const o = k * WKB_POINT_BYTES;
    view.setUint8(o, 1); // little-endian
    view.setUint32(o + 1, 1, true); // wkbPoint
    view.setFloat64(o + 5, lon[k], true);
    view.setFloat64(o + 13, lat[k], true);
    geometry[k] = wkb.subarray(o, o + WKB_POINT_BYTES);
  }
  return [
    { name: "lat", data: lat },
    { name: "lon", data: lon },
    { name: "year", data: year },
    { name: "hash", data: hash },
    { name: "scales_hash", data: scalesHash },
    { name: "mtime", data: mtime },
    { name: "file_size", data: fileSize },
    { name: "scales_size", data: scalesSize },
    { name: "lon_i", data: lonI },
    { name: "lat_i", data: latI },
    { name: "geometry", data: geometry },
  ];
}

/**
 * Writes `rows` to `path` as a GeoParquet registry, sorted (year, lat, lon). The file appears
 * atomically: it is written as `.registry_tmp_*.parquet` next to `path`, then renamed.
 *
 * @example
 * ```ts
 * await writeRegistry("/data/registry.parquet", [
 *   { year: 2024, lonI: 15, latI: 5225, fileSize: 1_000, scalesSize: 100 },
 * ]);
 * ```
 */
export async function writeRegistry(
  path: string,
  rows: readonly RegistryRow[],
  options: WriteRegistryOptions = {},
): Promise<void> {
  rows.forEach((r, i) => checkRow(r, i, path));
  const sorted = [...rows].sort((a, b) => a.year - b.year || a.latI - b.latI || a.lonI - b.lonI);
  const stem = basename(path).replace(/\.parquet$/, "");
  const tmp = join(
    dirname(path),
    `.${stem}_tmp_${crypto.randomUUID().slice(0, 8)}.parquet`,
  );
  const groupRows = options.rowGroupRows ?? 1 << 20;
  try {
    const pq = new ParquetWriter({
      writer: fileWriter(tmp),
      schema: SCHEMA,
      codec: "SNAPPY",
      kvMetadata: [{ key: "geo", value: geoMetadata(sorted) }],
      createdBy: "tessera-zones registry_write",
    });
    // Column arrays are built one row group at a time to bound memory on 2.7M-row registries.
    for (let start = 0; start < sorted.length; start += groupRows) {
      const end = Math.min(start + groupRows, sorted.length);
      await pq.write({ columnData: columnsFor(sorted, start, end), rowGroupSize: end - start });
    }
    await pq.finish();
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    if (e instanceof TesseraError) throw e;
    throw new TesseraError(
      "BadRegistry",
      `could not write the registry (${(e as Error).message}); check the directory is writable`,
      path,
      { cause: e },
    );
  }
}
