/**
 * The zone store's array documents (SPEC §4.1–4.2, docs/format.md "Arrays"): the core arrays
 * (`embeddings`, `scales`, coordinates, `band`) and the statistics arrays as the builder writes
 * them, and each array's layout read back from a stored document. Pure, browser-safe; generic
 * Zarr metadata is lib/zarr/metadata.ts.
 */
import { type ArrayMetadata, arrayMetadata } from "../zarr/metadata.ts";
import type { StoreInfo } from "./attributes.ts";
import {
  coordinateAttributes,
  GRID_MAPPING_ARRAY,
  gridDataAttributes,
  gridMappingAttributes,
} from "./georef.ts";
import {
  COORD_CHUNK_MAX,
  EMBEDDINGS_INNER_PX,
  SCALES_INNER_PX,
  SHARD_PX,
  type StatsArray,
} from "./layout.ts";

/** The arrays of a zone store (SPEC §4.1) other than the optional previews. */
export interface ZoneArrays {
  embeddings: ArrayMetadata;
  scales: ArrayMetadata;
  northing: ArrayMetadata;
  easting: ArrayMetadata;
  band: ArrayMetadata;
  /** The CF grid mapping: a scalar whose attributes are the CRS (georef.ts). */
  spatial_ref: ArrayMetadata;
}

/**
 * Metadata for the core arrays of a `height × width` zone with `bands` bands: sharded
 * `embeddings` (raw, or zstd when `compressEmbeddings`) and `scales`, and unsharded zstd
 * coordinate arrays.
 *
 * @example
 * ```ts
 * const arrays = zoneArrays(2278, 1454, 128, false);
 * arrays.embeddings.chunk_grid.configuration.chunk_shape; // [1024, 1024, 128]
 * ```
 */
export function zoneArrays(
  height: number,
  width: number,
  bands: number,
  compressEmbeddings: boolean,
): ZoneArrays {
  const coord = (n: number, name: string): ArrayMetadata =>
    arrayMetadata({
      shape: [n],
      dataType: "float64",
      chunkShape: [n <= COORD_CHUNK_MAX ? Math.max(n, 1) : COORD_CHUNK_MAX],
      // NaN, not upstream's 0.0: a coordinate chunk that failed to be written reads back as
      // obviously missing instead of as a plausible number.
      fillValue: NaN,
      compress: "zstd",
      dimensionNames: [name],
    });
  return {
    embeddings: arrayMetadata({
      shape: [height, width, bands],
      dataType: "int8",
      chunkShape: [SHARD_PX, SHARD_PX, bands],
      innerChunkShape: [EMBEDDINGS_INNER_PX, EMBEDDINGS_INNER_PX, bands],
      fillValue: 0,
      compress: compressEmbeddings ? "zstd" : "none",
      dimensionNames: ["northing", "easting", "band"],
    }),
    scales: arrayMetadata({
      shape: [height, width],
      dataType: "float32",
      chunkShape: [SHARD_PX, SHARD_PX],
      innerChunkShape: [SCALES_INNER_PX, SCALES_INNER_PX],
      fillValue: NaN,
      compress: "zstd",
      dimensionNames: ["northing", "easting"],
    }),
    northing: coord(height, "northing"),
    easting: coord(width, "easting"),
    band: arrayMetadata({
      shape: [bands],
      dataType: "int32",
      chunkShape: [Math.max(bands, 1)],
      fillValue: 0,
      compress: "zstd",
      dimensionNames: ["band"],
    }),
    // A scalar whose only chunk equals the fill value, so (as every all-fill chunk) it is not
    // stored: the array exists for its attributes.
    [GRID_MAPPING_ARRAY]: arrayMetadata({
      shape: [],
      dataType: "int32",
      chunkShape: [],
      fillValue: 0,
      compress: "none",
      dimensionNames: [],
    }),
  };
}

/**
 * The core array documents of the store `info` describes: {@link zoneArrays}' layout with the
 * georeferencing attributes (georef.ts) — CF on the coordinates, `grid_mapping` on the grid
 * arrays — and the `spatial_ref` scalar.
 *
 * @example
 * ```ts
 * storeArrays(info).scales.attributes.grid_mapping; // "spatial_ref"
 * ```
 */
export function storeArrays(info: StoreInfo): ZoneArrays {
  const a = zoneArrays(
    info.geobox.height,
    info.geobox.width,
    info.bands,
    info.compress === "zstd",
  );
  a.embeddings.attributes = gridDataAttributes(
    "TESSERA embedding, int8; dequantised value = embeddings * scales",
  );
  a.scales.attributes = gridDataAttributes("per-pixel dequantisation scale (NaN: no data)");
  a.northing.attributes = coordinateAttributes("northing");
  a.easting.attributes = coordinateAttributes("easting");
  a.band.attributes = { long_name: "embedding band (0-based)" };
  a.spatial_ref = { ...a.spatial_ref, attributes: gridMappingAttributes(info.zone, info.geobox) };
  return a;
}

/** `description` of the `stats` group. */
export const STATS_GROUP_DESCRIPTION =
  "build-time statistics of valid pixels on a regular lattice (SPEC §5)";

/**
 * The statistics arrays of a store with `bands` bands and a vector sample of `sampleSize`:
 * `sum` (B), `sum_products` (B × B, symmetric) float64 and `sample` (K × B) float32, each one
 * zstd chunk, fill 0.
 *
 * @example
 * ```ts
 * statsArrays(128, 8192).sample.shape; // [8192, 128]
 * ```
 */
export function statsArrays(bands: number, sampleSize: number): Record<StatsArray, ArrayMetadata> {
  const single = (
    shape: number[],
    dataType: "float64" | "float32",
    dims: string[],
  ): ArrayMetadata =>
    arrayMetadata({
      shape,
      dataType,
      chunkShape: shape.map((n) => Math.max(1, n)),
      fillValue: 0,
      compress: "zstd",
      dimensionNames: dims,
    });
  return {
    sum: single([bands], "float64", ["band"]),
    sum_products: single([bands, bands], "float64", ["band", "band2"]),
    sample: single([sampleSize, bands], "float32", ["sample", "band"]),
  };
}

/** The layout of one array, as its `zarr.json` describes it. */
export interface ArrayInfo {
  name: string;
  shape: number[];
  dataType: string;
  /** Outer chunk (shard) shape, and inner chunk shape when sharded. */
  chunkShape: number[];
  innerChunkShape?: number[];
  fillValue: number | string;
  dimensionNames: string[];
  /** Codec names: `sharding_indexed` first when sharded, then the inner chain. */
  codecs: string[];
}

/**
 * The layout summary of array `name` from its document: shapes, inner chunks when sharded,
 * and codec names (any codecs, not only the ones this toolkit writes).
 *
 * @example
 * ```ts
 * arrayInfo("embeddings", meta).innerChunkShape; // [32, 32, 128]
 * ```
 */
export function arrayInfo(name: string, meta: ArrayMetadata): ArrayInfo {
  const outer = meta.codecs?.[0];
  const cfg = outer?.configuration as { chunk_shape?: number[]; codecs?: { name: string }[] };
  const sharded = outer?.name === "sharding_indexed";
  return {
    name,
    shape: [...(meta.shape ?? [])],
    dataType: meta.data_type,
    chunkShape: [...(meta.chunk_grid?.configuration?.chunk_shape ?? meta.shape ?? [])],
    innerChunkShape: sharded && cfg?.chunk_shape ? [...cfg.chunk_shape] : undefined,
    fillValue: meta.fill_value,
    dimensionNames: [...(meta.dimension_names ?? [])],
    codecs: sharded
      ? ["sharding_indexed", ...(cfg?.codecs ?? []).map((c) => c.name)]
      : (meta.codecs ?? []).map((c) => c.name),
  };
}

/**
 * The embeddings codec an array document says its inner chunks use: "zstd" when the chain has
 * zstd, else "none" (the value `embeddings_compression` must record).
 *
 * @example
 * ```ts
 * embeddingsCompression(storeArrays(info).embeddings); // info.compress
 * ```
 */
export function embeddingsCompression(meta: ArrayMetadata): "none" | "zstd" {
  return arrayInfo("embeddings", meta).codecs.includes("zstd") ? "zstd" : "none";
}
