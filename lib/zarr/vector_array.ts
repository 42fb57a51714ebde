/**
 * Writing small unsharded 1-D arrays whole: the coordinate arrays (`northing`, `easting`) and
 * `band`. They are a few MiB at most, so they are encoded in one go, unlike the grid arrays
 * that the builder assembles shard by shard.
 */

import { TesseraError } from "../errors.ts";
import { encodeChunk } from "./codecs.ts";
import { byteView, dataTypeOf, type NumericArray, typedArray } from "./dtype.ts";
import { arrayLayout, type ArrayMetadata, chunkKey, jsonBytes } from "./metadata.ts";

/** Anything objects can be written to (an {@link FsStore}, or another key/value store). */
export interface KeyValueWriter {
  set(key: string, bytes: Uint8Array): Promise<void>;
}

/**
 * Encodes a 1-D unsharded array's chunks in order. The last chunk is padded to full size with
 * the fill value (Zarr stores edge chunks full size); chunks made only of fill are null, i.e.
 * not stored.
 *
 * @example
 * ```ts
 * const bands = Int32Array.from({ length: 128 }, (_, i) => i);
 * encodeVectorChunks(bands, zoneArrays(h, w, 128, false).band);
 * // [Uint8Array(zstd frame)]
 * ```
 */
export function encodeVectorChunks(
  values: NumericArray,
  meta: ArrayMetadata,
): (Uint8Array | null)[] {
  const layout = arrayLayout(meta);
  if (layout.shape.length !== 1 || layout.innerChunkShape) {
    throw new TesseraError("BadArgument", "encodeVectorChunks handles unsharded 1-D arrays only");
  }
  if (dataTypeOf(values) !== layout.dataType || values.length !== layout.shape[0]) {
    throw new TesseraError(
      "BadArgument",
      `expected ${layout.shape[0]} ${layout.dataType} values, got ${values.length} ` +
        dataTypeOf(values),
    );
  }
  const chunkLength = layout.chunkShape[0];
  const fill = layout.fill;
  const isFill = (x: number) => x === fill || (Number.isNaN(fill) && Number.isNaN(x));
  const out: (Uint8Array | null)[] = [];
  for (let start = 0; start < values.length; start += chunkLength) {
    const chunk = typedArray(layout.dataType, chunkLength).fill(fill);
    chunk.set(values.subarray(start, start + chunkLength));
    out.push(chunk.every(isFill) ? null : encodeChunk(byteView(chunk), layout));
  }
  return out;
}

/**
 * Writes a 1-D unsharded array: its chunks, then its `zarr.json`, so the metadata never
 * announces data that is not there yet.
 *
 * @example
 * ```ts
 * const arrays = zoneArrays(h, w, 128, false);
 * const easting = coordinateValues(originE, 10, w, "increasing");
 * await writeVectorArray(store, "easting", arrays.easting, easting);
 * ```
 */
export async function writeVectorArray(
  store: KeyValueWriter,
  name: string,
  meta: ArrayMetadata,
  values: NumericArray,
): Promise<void> {
  const chunks = encodeVectorChunks(values, meta);
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i];
    if (chunk) await store.set(chunkKey(name, [i]), chunk);
  }
  await store.set(`${name}/zarr.json`, jsonBytes(meta));
}
