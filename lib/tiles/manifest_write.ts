/**
 * Writes the public layout's index files in upstream's columns (see manifest.ts for the
 * source): `npy/{dataset}/manifest.parquet` (version, variant, year, lon, lat, directory,
 * grid_path, scales_path, grid_mtime, scales_mtime, grid_size, scales_size, lon_i, lat_i;
 * sorted version, variant, year, lon, lat) and `landmasks/{version}/landmasks.parquet` (lon,
 * lat, file_size, mtime, key, lon_i, lat_i; sorted lon, lat). Upstream's path columns hold
 * `s3://bucket/key` URIs; here they hold the key relative to BASE (`npy/v1/2024/grid_…`),
 * which nothing reads. Used by fixtures and tests; the toolkit itself only reads these files.
 * The files appear atomically (temporary name, then rename).
 */
import { renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { SchemaElement } from "../deps/hyparquet.ts";
import { type ColumnSource, fileWriter, ParquetWriter } from "../deps/hyparquet_writer.ts";
import { TesseraError } from "../errors.ts";
import { datasetId } from "./dataset_name.ts";
import { NPY_DIR, PUBLIC_LANDMASKS_DIR, tileName } from "./layout.ts";

/** One manifest row: a tile of one year and its two files' sizes and times. */
export interface ManifestRow {
  readonly year: number;
  readonly lonI: number;
  readonly latI: number;
  /** `.npy` size in bytes. */
  readonly gridSize: number;
  /** Scales `.npy` size in bytes. */
  readonly scalesSize: number;
  /** Modification times, seconds since the epoch (default 0). */
  readonly gridMtimeS?: number;
  readonly scalesMtimeS?: number;
}

/** One landmasks.parquet row. */
export interface LandmaskIndexRow {
  readonly lonI: number;
  readonly latI: number;
  readonly fileSize: number;
  readonly mtimeS?: number;
}

const text = (name: string): SchemaElement => ({
  name,
  type: "BYTE_ARRAY",
  converted_type: "UTF8",
  repetition_type: "OPTIONAL",
});
const int64 = (name: string): SchemaElement => ({
  name,
  type: "INT64",
  repetition_type: "OPTIONAL",
});
const double = (name: string): SchemaElement => ({
  name,
  type: "DOUBLE",
  repetition_type: "OPTIONAL",
});
const int32 = (name: string): SchemaElement => ({
  name,
  type: "INT32",
  repetition_type: "OPTIONAL",
});
const time = (name: string): SchemaElement => ({
  name,
  type: "INT64",
  converted_type: "TIMESTAMP_MILLIS",
  repetition_type: "OPTIONAL",
});

async function writeParquet(
  path: string,
  schema: SchemaElement[],
  columns: ColumnSource[],
): Promise<void> {
  const tmp = join(
    dirname(path),
    `.${basename(path, ".parquet")}_tmp_${crypto.randomUUID().slice(0, 8)}.parquet`,
  );
  try {
    const pq = new ParquetWriter({
      writer: fileWriter(tmp),
      schema: [{ name: "schema", num_children: schema.length }, ...schema],
      codec: "SNAPPY",
      createdBy: "tessera-zones manifest_write",
    });
    await pq.write({ columnData: columns, rowGroupSize: Math.max(1, columns[0].data.length) });
    await pq.finish();
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new TesseraError(
      "BadRegistry",
      `could not write it (${(e as Error).message}); check the directory is writable`,
      path,
      { cause: e },
    );
  }
}

const ms = (s: number | undefined) => BigInt(Math.round((s ?? 0) * 1000));

/**
 * Writes the manifest of `dataset` (e.g. `v1.1-cam`, giving version `1.1`, variant
 * `cambridge`) to `path`.
 *
 * @example
 * ```ts
 * await writeManifest("/data/npy/v1/manifest.parquet", "v1", [
 *   { year: 2024, lonI: 15, latI: 5225, gridSize: 1000, scalesSize: 100 },
 * ]);
 * ```
 */
export async function writeManifest(
  path: string,
  dataset: string,
  rows: readonly ManifestRow[],
): Promise<void> {
  const id = datasetId(dataset);
  const sorted = [...rows].sort((a, b) => a.year - b.year || a.lonI - b.lonI || a.latI - b.latI);
  const dir = (r: ManifestRow) => `${NPY_DIR}/${dataset}/${r.year}/${tileName(r.lonI, r.latI)}`;
  const name = (r: ManifestRow) => tileName(r.lonI, r.latI);
  const schema = [
    text("version"),
    text("variant"),
    int64("year"),
    double("lon"),
    double("lat"),
    text("directory"),
    text("grid_path"),
    text("scales_path"),
    time("grid_mtime"),
    time("scales_mtime"),
    int64("grid_size"),
    int64("scales_size"),
    int32("lon_i"),
    int32("lat_i"),
  ];
  await writeParquet(path, schema, [
    { name: "version", data: sorted.map(() => id.version) },
    { name: "variant", data: sorted.map(() => id.variant) },
    { name: "year", data: sorted.map((r) => BigInt(r.year)) },
    { name: "lon", data: sorted.map((r) => r.lonI / 100) },
    { name: "lat", data: sorted.map((r) => r.latI / 100) },
    { name: "directory", data: sorted.map(dir) },
    { name: "grid_path", data: sorted.map((r) => `${dir(r)}/${name(r)}.npy`) },
    { name: "scales_path", data: sorted.map((r) => `${dir(r)}/${name(r)}_scales.npy`) },
    { name: "grid_mtime", data: sorted.map((r) => ms(r.gridMtimeS)) },
    { name: "scales_mtime", data: sorted.map((r) => ms(r.scalesMtimeS ?? r.gridMtimeS)) },
    { name: "grid_size", data: sorted.map((r) => BigInt(r.gridSize)) },
    { name: "scales_size", data: sorted.map((r) => BigInt(r.scalesSize)) },
    { name: "lon_i", data: sorted.map((r) => r.lonI) },
    { name: "lat_i", data: sorted.map((r) => r.latI) },
  ]);
}

/**
 * Writes the landmask list of landmask version `version` to `path`.
 *
 * @example
 * ```ts
 * await writeLandmaskIndex("/data/landmasks/v1/landmasks.parquet", "v1", [
 *   { lonI: 15, latI: 5225, fileSize: 4000 },
 * ]);
 * ```
 */
export async function writeLandmaskIndex(
  path: string,
  version: string,
  rows: readonly LandmaskIndexRow[],
): Promise<void> {
  const sorted = [...rows].sort((a, b) => a.lonI - b.lonI || a.latI - b.latI);
  const schema = [
    double("lon"),
    double("lat"),
    int64("file_size"),
    time("mtime"),
    text("key"),
    int32("lon_i"),
    int32("lat_i"),
  ];
  await writeParquet(path, schema, [
    { name: "lon", data: sorted.map((r) => r.lonI / 100) },
    { name: "lat", data: sorted.map((r) => r.latI / 100) },
    { name: "file_size", data: sorted.map((r) => BigInt(r.fileSize)) },
    { name: "mtime", data: sorted.map((r) => ms(r.mtimeS)) },
    {
      name: "key",
      data: sorted.map((r) =>
        `${PUBLIC_LANDMASKS_DIR}/${version}/${tileName(r.lonI, r.latI)}.tiff`
      ),
    },
    { name: "lon_i", data: sorted.map((r) => r.lonI) },
    { name: "lat_i", data: sorted.map((r) => r.latI) },
  ]);
}
