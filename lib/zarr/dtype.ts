/**
 * The Zarr v3 numeric data types this toolkit writes, with their element sizes and typed-array
 * views. Kept apart so codecs, metadata and shard encoding agree on one list.
 */

/** A Zarr v3 `data_type` name that the writers support. */
export type DataType =
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "float32"
  | "float64";

/** A typed array holding the elements of one of the supported data types. */
export type NumericArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

const ITEM_SIZE: Record<DataType, number> = {
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  float64: 8,
};

/**
 * Bytes per element of `dataType`.
 *
 * @example
 * ```ts
 * itemSize("float32"); // 4
 * ```
 */
export function itemSize(dataType: DataType): number {
  return ITEM_SIZE[dataType];
}

/**
 * True for the floating-point types, whose fill value may be NaN.
 *
 * @example
 * ```ts
 * isFloat("float64"); // true
 * ```
 */
export function isFloat(dataType: DataType): boolean {
  return dataType === "float32" || dataType === "float64";
}

/**
 * The data type a typed array holds.
 *
 * @example
 * ```ts
 * dataTypeOf(new Int8Array(4)); // "int8"
 * ```
 */
export function dataTypeOf(data: NumericArray): DataType {
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Uint8Array) return "uint8";
  if (data instanceof Int16Array) return "int16";
  if (data instanceof Uint16Array) return "uint16";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Uint32Array) return "uint32";
  if (data instanceof Float32Array) return "float32";
  return "float64";
}

/**
 * A zeroed typed array of `dataType` with `length` elements.
 *
 * @example
 * ```ts
 * typedArray("float32", 4); // Float32Array(4)
 * ```
 */
export function typedArray(dataType: DataType, length: number): NumericArray {
  return new CTORS[dataType](length);
}

const CTORS: Record<DataType, new (length: number) => NumericArray> = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
};

/**
 * The little-endian byte view of a typed array (no copy). Zarr's `bytes` codec stores elements
 * little endian, which is the memory order of every platform Deno runs on; the module refuses
 * to load on a big-endian host rather than write wrong bytes.
 *
 * @example
 * ```ts
 * byteView(new Float32Array([1])); // Uint8Array [0, 0, 128, 63]
 * ```
 */
export function byteView(data: NumericArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("tessera-zones writes little-endian Zarr bytes and needs a little-endian host");
}
