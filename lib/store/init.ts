/**
 * Writing a new (or resumed) zone store's metadata: the root group document, the core array
 * documents and the coordinate arrays — everything but the shards, which the build's workers
 * write, and the statistics, written when the build finishes (stats_codec.ts). Through the
 * narrow `set(key, bytes)` of documents.ts.
 */
import { coordinateArrays } from "../zarr/coords.ts";
import { jsonBytes } from "../zarr/metadata.ts";
import { writeVectorArray } from "../zarr/vector_array.ts";
import { storeArrays } from "./arrays.ts";
import { type StoreInfo, zoneGroupAttributes } from "./attributes.ts";
import { type StoreWriter, writeGroup } from "./documents.ts";
import { documentKey } from "./layout.ts";

/**
 * Writes the group document (marked incomplete, keeping `later` — attributes of passes run on
 * the store since, such as previews), the array documents and the coordinate arrays.
 * Idempotent: a resumed build rewrites the same bytes.
 *
 * @example
 * ```ts
 * await initZoneStore(new FsStore("out/utm30_2024.zarr"), storeInfo(plan));
 * ```
 */
export async function initZoneStore(
  sink: StoreWriter,
  info: StoreInfo,
  later: Readonly<Record<string, unknown>> = {},
): Promise<void> {
  const arrays = storeArrays(info);
  await writeGroup(sink, zoneGroupAttributes(info, undefined, later));
  for (const [name, meta] of Object.entries(arrays)) {
    await sink.set(documentKey(name), jsonBytes(meta));
  }
  const { easting, northing } = coordinateArrays(info.geobox);
  await writeVectorArray(sink, "easting", arrays.easting, easting);
  await writeVectorArray(sink, "northing", arrays.northing, northing);
  await writeVectorArray(
    sink,
    "band",
    arrays.band,
    Int32Array.from({ length: info.bands }, (_, i) => i),
  );
}
