/**
 * Zarr v3 `zarr.json` documents, generically: array and group builders that emit keys in
 * zarr-python's order, reading an array's chunk layout back out of its document, chunk keys,
 * and the JSON text form. Pure and browser-safe: nothing here touches a store. The zone store's
 * own documents (which arrays, what chunking) are lib/store/arrays.ts.
 */

import { TesseraError } from "../errors.ts";
import { type ChunkCodec, codecChain, type CodecJson, type Compression } from "./codec_chain.ts";
import { type DataType, isFloat, itemSize } from "./dtype.ts";

/** A `fill_value` as JSON: non-finite floats are spelled as strings (Zarr v3 core spec). */
export type FillValueJson = number | "NaN" | "Infinity" | "-Infinity";

/** A Zarr v3 array `zarr.json` document, keys in zarr-python's order. */
export interface ArrayMetadata {
  shape: number[];
  data_type: DataType;
  chunk_grid: { name: "regular"; configuration: { chunk_shape: number[] } };
  chunk_key_encoding: { name: "default"; configuration: { separator: "/" } };
  fill_value: FillValueJson;
  codecs: CodecJson[];
  attributes: Record<string, unknown>;
  dimension_names: string[];
  zarr_format: 3;
  node_type: "array";
  storage_transformers: [];
}

/** A Zarr v3 group `zarr.json` document. */
export interface GroupMetadata {
  attributes: Record<string, unknown>;
  zarr_format: 3;
  node_type: "group";
}

/** Input of {@link arrayMetadata}. */
export interface ArrayMetadataOptions {
  shape: readonly number[];
  dataType: DataType;
  /** The outer chunk: the shard when `innerChunkShape` is given, else the plain chunk. */
  chunkShape: readonly number[];
  /** Inner chunk shape; giving it makes the array sharded. */
  innerChunkShape?: readonly number[];
  fillValue: number;
  compress: Compression;
  /** zstd level (default 3). */
  level?: number;
  dimensionNames: readonly string[];
  attributes?: Record<string, unknown>;
}

const INDEX_CODECS: CodecJson[] = [
  { name: "bytes", configuration: { endian: "little" } },
  { name: "crc32c" },
];

/**
 * Builds an array's `zarr.json` document. With `innerChunkShape` the codecs are one
 * `sharding_indexed` codec (index at the end, CRC32C-protected) wrapping the inner chain.
 *
 * @example
 * ```ts
 * arrayMetadata({
 *   shape: [2048, 2048], dataType: "float32", chunkShape: [1024, 1024],
 *   innerChunkShape: [256, 256], fillValue: NaN, compress: "zstd",
 *   dimensionNames: ["northing", "easting"],
 * }).fill_value; // "NaN"
 * ```
 */
export function arrayMetadata(opts: ArrayMetadataOptions): ArrayMetadata {
  const { shape, chunkShape, innerChunkShape, dataType } = opts;
  const rank = shape.length;
  const bad = (msg: string) => new TesseraError("BadArgument", msg);
  if (!shape.every((n) => Number.isInteger(n) && n >= 0)) throw bad(`bad shape [${shape}]`);
  if (chunkShape.length !== rank || !chunkShape.every((n) => Number.isInteger(n) && n >= 1)) {
    throw bad(`chunk shape [${chunkShape}] does not fit shape [${shape}]`);
  }
  if (opts.dimensionNames.length !== rank) {
    throw bad(`${opts.dimensionNames.length} dimension names for a rank-${rank} array`);
  }
  if (
    innerChunkShape &&
    (innerChunkShape.length !== rank ||
      !innerChunkShape.every((n, k) => Number.isInteger(n) && n >= 1 && chunkShape[k] % n === 0))
  ) {
    throw bad(`inner chunk shape [${innerChunkShape}] must divide shard shape [${chunkShape}]`);
  }
  const inner = codecChain(dataType, opts);
  const codecs: CodecJson[] = innerChunkShape
    ? [{
      name: "sharding_indexed",
      configuration: {
        chunk_shape: [...innerChunkShape],
        codecs: inner,
        index_codecs: INDEX_CODECS.map((c) => structuredClone(c)),
        index_location: "end",
      },
    }]
    : inner;
  return {
    shape: [...shape],
    data_type: dataType,
    chunk_grid: { name: "regular", configuration: { chunk_shape: [...chunkShape] } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    fill_value: fillValueJson(dataType, opts.fillValue),
    codecs,
    attributes: { ...opts.attributes },
    dimension_names: [...opts.dimensionNames],
    zarr_format: 3,
    node_type: "array",
    storage_transformers: [],
  };
}

/**
 * Builds a group's `zarr.json` document.
 *
 * @example
 * ```ts
 * groupMetadata({ utm_zone: 30 }); // {attributes:{utm_zone:30}, zarr_format:3, node_type:"group"}
 * ```
 */
export function groupMetadata(attributes: Record<string, unknown> = {}): GroupMetadata {
  return { attributes: { ...attributes }, zarr_format: 3, node_type: "group" };
}

/**
 * JSON text as zarr-python writes it: 2-space indent, non-ASCII escaped as `\uXXXX` (Python's
 * `ensure_ascii`), plus a trailing newline. A non-finite number anywhere is a "BadArgument"
 * error, because `JSON.stringify` would silently turn it into `null`; spell NaN fills via
 * {@link arrayMetadata}, which writes the string "NaN".
 *
 * @example
 * ```ts
 * jsonText({ a: [1] }); // '{\n  "a": [\n    1\n  ]\n}\n'
 * ```
 */
export function jsonText(obj: unknown): string {
  const text = JSON.stringify(obj, (key, value) => {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new TesseraError("BadArgument", `non-finite number ${value} at JSON key "${key}"`);
    }
    return value;
  }, 2);
  return text.replace(
    /[\u0080-\uffff]/g,
    (ch) => "\\u" + ch.charCodeAt(0).toString(16).padStart(4, "0"),
  ) + "\n";
}

/**
 * {@link jsonText} as UTF-8 bytes, ready for `store.set("…/zarr.json", …)`.
 *
 * @example
 * ```ts
 * await store.set("zarr.json", jsonBytes(groupMetadata(attrs)));
 * ```
 */
export function jsonBytes(obj: unknown): Uint8Array {
  return new TextEncoder().encode(jsonText(obj));
}

/** What a writer needs to encode chunks that match an array's metadata. */
export interface ArrayLayout extends ChunkCodec {
  dataType: DataType;
  shape: number[];
  /** Outer chunk (shard) shape. */
  chunkShape: number[];
  /** Inner chunk shape when sharded. */
  innerChunkShape?: number[];
  fill: number;
}

/**
 * Reads the layout back out of metadata built by {@link arrayMetadata}, so shard encoding is
 * always driven by the very document written to `zarr.json` (and so a resumed build can check
 * an existing store). Codecs this toolkit does not write are a "BadStore" error.
 *
 * @example
 * ```ts
 * const l = arrayLayout(embeddingsMeta);
 * encodeDenseShard({ data, shardShape: l.chunkShape, innerShape: l.innerChunkShape!,
 *   fill: l.fill, compress: l.compress, level: l.level });
 * ```
 */
export function arrayLayout(meta: ArrayMetadata): ArrayLayout {
  let chain = meta.codecs;
  let innerChunkShape: number[] | undefined;
  if (chain.length === 1 && chain[0].name === "sharding_indexed") {
    const cfg = chain[0].configuration as { chunk_shape: number[]; codecs: CodecJson[] };
    innerChunkShape = [...cfg.chunk_shape];
    chain = cfg.codecs;
  }
  const zstd = chain[1];
  if (chain[0]?.name !== "bytes" || chain.length > 2 || (zstd && zstd.name !== "zstd")) {
    throw new TesseraError(
      "BadStore",
      `unsupported codec chain ${JSON.stringify(meta.codecs)}: expected bytes [+ zstd]`,
    );
  }
  const fv = meta.fill_value;
  return {
    dataType: meta.data_type,
    shape: [...meta.shape],
    chunkShape: [...meta.chunk_grid.configuration.chunk_shape],
    innerChunkShape,
    fill: typeof fv === "number"
      ? fv
      : { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity }[fv],
    compress: zstd ? "zstd" : "none",
    level: zstd ? (zstd.configuration?.level as number) : undefined,
  };
}

/**
 * The store key of a chunk (or shard) with the default "/" chunk key encoding.
 *
 * @example
 * ```ts
 * chunkKey("embeddings", [0, 1, 0]); // "embeddings/c/0/1/0"
 * ```
 */
export function chunkKey(arrayName: string, indices: readonly number[]): string {
  if (!indices.every((i) => Number.isInteger(i) && i >= 0)) {
    throw new TesseraError("BadArgument", `bad chunk indices [${indices}]`);
  }
  return [arrayName, "c", ...indices].join("/");
}

function fillValueJson(dataType: DataType, fill: number): FillValueJson {
  if (isFloat(dataType)) {
    if (Number.isNaN(fill)) return "NaN";
    if (fill === Infinity) return "Infinity";
    if (fill === -Infinity) return "-Infinity";
    return fill;
  }
  const bits = itemSize(dataType) * 8;
  const signed = dataType.startsWith("int");
  const min = signed ? -(2 ** (bits - 1)) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  if (!Number.isInteger(fill) || fill < min || fill > max) {
    throw new TesseraError("BadArgument", `fill value ${fill} is not a valid ${dataType}`);
  }
  return fill;
}
