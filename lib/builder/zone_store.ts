/**
 * The zone store's metadata (SPEC §4): the group attributes (upstream-compatible and GeoZarr),
 * the array documents, the coordinate arrays and, at the end of a build, the statistics.
 * Shard data is written by the workers; this file writes everything else.
 */
import { utmWkt } from "../grid/crs.ts";
import type { GeoBox } from "../grid/geobox.ts";
import { geoboxBounds } from "../grid/geobox.ts";
import { coordinateValues } from "../zarr/coords.ts";
import type { FsStore } from "../zarr/fs_store.ts";
import {
  type ArrayMetadata,
  arrayMetadata,
  groupMetadata,
  jsonBytes,
  type ZoneArrays,
  zoneArrays,
} from "../zarr/metadata.ts";
import { writeVectorArray } from "../zarr/vector_array.ts";
import { encodeChunk } from "../zarr/codecs.ts";
import type { StatsPartial } from "./stats.ts";
import { SAMPLE_STEP_PX, STATS_STEP_PX } from "./stats.ts";

/** Store format version written in `tessera_zones_format`. */
export const FORMAT_VERSION = 1;
/** Builder name and version written into every store. */
export const BUILDER = { name: "tessera-zones", version: "0.1.0" };

/** What the group attributes describe. */
export interface StoreInfo {
  zone: number;
  year: number;
  epsg: number;
  geobox: GeoBox;
  nTiles: number;
  bands: number;
  datasetVersion: string;
  maxValidScale: number;
  compress: "none" | "zstd";
}

/** Group attributes of SPEC §4.4 (before any preview or statistics pass). */
export function storeAttributes(info: StoreInfo): Record<string, unknown> {
  const { geobox } = info;
  const [minX, minY, maxX, maxY] = geoboxBounds(geobox);
  return {
    utm_zone: info.zone,
    year: info.year,
    crs_epsg: info.epsg,
    crs_wkt: utmWkt(info.zone),
    transform: [...geobox.transform],
    pixel_size_m: geobox.transform[0],
    n_tiles: info.nTiles,
    n_bands: info.bands,
    tessera_dataset_version: info.datasetVersion,
    builder: BUILDER.name,
    builder_version: BUILDER.version,
    tessera_zones_format: FORMAT_VERSION,
    max_valid_scale: info.maxValidScale,
    embeddings_compression: info.compress,
    "proj:code": `EPSG:${info.epsg}`,
    "spatial:dimensions": ["northing", "easting"],
    "spatial:transform": [...geobox.transform],
    "spatial:shape": [geobox.height, geobox.width],
    "spatial:bbox": [minX, minY, maxX, maxY],
    "spatial:registration": "pixel",
  };
}

/** The core array documents for a store. */
export function storeArrays(info: StoreInfo): ZoneArrays {
  return zoneArrays(info.geobox.height, info.geobox.width, info.bands, info.compress === "zstd");
}

/**
 * Writes the group document (marked incomplete, keeping `later` — attributes of passes run
 * on the store since, such as previews), the array documents and the coordinate arrays.
 * Idempotent: a resumed build rewrites the same bytes.
 */
export async function initZoneStore(
  store: FsStore,
  info: StoreInfo,
  later: Record<string, unknown> = {},
): Promise<void> {
  const arrays = storeArrays(info);
  await store.set(
    "zarr.json",
    jsonBytes(groupMetadata({ ...storeAttributes(info), build_complete: false, ...later })),
  );
  for (const [name, meta] of Object.entries(arrays)) {
    await store.set(`${name}/zarr.json`, jsonBytes(meta));
  }
  const [, , e0, , , n0] = info.geobox.transform;
  await writeVectorArray(
    store,
    "easting",
    arrays.easting,
    coordinateValues(e0, 10, info.geobox.width, "increasing"),
  );
  await writeVectorArray(
    store,
    "northing",
    arrays.northing,
    coordinateValues(n0, 10, info.geobox.height, "decreasing"),
  );
  await writeVectorArray(
    store,
    "band",
    arrays.band,
    Int32Array.from({ length: info.bands }, (_, i) => i),
  );
}

function singleChunkArray(
  shape: number[],
  dataType: "float64" | "float32",
  dims: string[],
): ArrayMetadata {
  return arrayMetadata({
    shape,
    dataType,
    chunkShape: shape.map((n) => Math.max(1, n)),
    fillValue: 0,
    compress: "zstd",
    dimensionNames: dims,
  });
}

async function writeSingleChunk(
  store: FsStore,
  name: string,
  meta: ArrayMetadata,
  data: Float64Array | Float32Array,
) {
  await store.set(`${name}/zarr.json`, jsonBytes(meta));
  if (data.length === 0) return;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  await store.set(
    `${name}/c/${meta.shape.map(() => 0).join("/")}`,
    encodeChunk(bytes, { compress: "zstd", level: 3 }),
  );
}

/**
 * Writes the merged statistics as the `stats` group (sum, full symmetric sum of products and
 * the vector sample) and returns the attributes that describe them.
 */
export async function writeStats(
  store: FsStore,
  st: StatsPartial,
): Promise<Record<string, unknown>> {
  const B = st.bands;
  const full = new Float64Array(B * B);
  let k = 0;
  for (let i = 0; i < B; i++) {
    for (let j = i; j < B; j++) {
      full[i * B + j] = st.sumProducts[k];
      full[j * B + i] = st.sumProducts[k++];
    }
  }
  const n = st.priorities.length;
  await store.set(
    "stats/zarr.json",
    jsonBytes(groupMetadata({
      description: "build-time statistics of valid pixels on a regular lattice (SPEC §5)",
    })),
  );
  await writeSingleChunk(store, "stats/sum", singleChunkArray([B], "float64", ["band"]), st.sum);
  await writeSingleChunk(
    store,
    "stats/sum_products",
    singleChunkArray([B, B], "float64", ["band", "band2"]),
    full,
  );
  await writeSingleChunk(
    store,
    "stats/sample",
    singleChunkArray([n, B], "float32", ["sample", "band"]),
    st.vectors,
  );
  return {
    stats_count: st.count,
    stats_lattice_px: STATS_STEP_PX,
    stats_sample_lattice_px: SAMPLE_STEP_PX,
    stats_sample_size: n,
    // Store-wide per-band stretch for viewers, so none needs the sample to pick colours.
    stats_band_p2: bandPercentiles(st, 2),
    stats_band_p98: bandPercentiles(st, 98),
  };
}

/**
 * Per-band percentile `q` (0..100) of the sample's dequantised values, linear interpolation
 * between order statistics (numpy's default); NaN-free by construction (only valid pixels are
 * sampled). Empty sample → zeros.
 */
export function bandPercentiles(st: StatsPartial, q: number): number[] {
  const n = st.priorities.length, B = st.bands;
  const out: number[] = [];
  const col = new Float64Array(n);
  for (let b = 0; b < B; b++) {
    if (n === 0) {
      out.push(0);
      continue;
    }
    for (let i = 0; i < n; i++) col[i] = st.vectors[i * B + b];
    col.sort();
    const pos = (q / 100) * (n - 1);
    const lo = Math.floor(pos), hi = Math.min(n - 1, lo + 1);
    out.push(col[lo] + (col[hi] - col[lo]) * (pos - lo));
  }
  return out;
}
