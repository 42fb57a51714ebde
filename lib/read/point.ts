/**
 * Point reads: one pixel's 128-vector (`readPoint`), its state only (`probe`), and many points
 * at once (`samplePoints`, one read per inner chunk however many points share it).
 *
 * Pixel states, and what the store can and cannot tell apart. The store keeps one scale per
 * pixel: valid scales as they are, everything else as NaN — water (landmask 0), invalid
 * scales (NaN, ±inf, ≤ 0, ≥ max_valid_scale) *and* grid positions no tile covers (the fill
 * value). Shards with no valid pixel are not written. So:
 * - `outside`: the point is not on the store grid at all (for a collection: no store for its
 *   zone, or off every candidate grid).
 * - `valid`: the scale is valid; the vector is `int8 × scale`.
 * - `nodata`: the scale is NaN and the pixel's `scales` shard (1024 × 1024 px, ~10 km) does
 *   not exist: nothing valid anywhere near. Usually no tile covers it; an all-water shard
 *   (open sea, a large lake) reads the same way.
 * - `water`: the scale is NaN inside a shard that has data. Usually landmask water, but also
 *   an invalid source scale or a gap no tile covers next to covered ground (a missing tile,
 *   the ragged edge of a zone): the store does not record coverage, so NaN inside a written
 *   shard cannot be split further.
 */
import { TesseraError } from "../errors.ts";
import { pixelContaining } from "../grid/geobox.ts";
import { utmForward } from "../grid/utm.ts";
import type { ShardReader } from "./shard_reader.ts";
import type { ZoneStore } from "./zone_store.ts";

// What is at a point (SPEC §4.3; see the module comment for what each state can and cannot
// mean): the store format's one definition.
export { type PixelState, pixelState } from "../store/pixel_state.ts";
import { type PixelState, pixelState } from "../store/pixel_state.ts";

/** The CRS of input coordinates: lon/lat, or the store's own UTM (easting, northing). */
export type InputCrs = "EPSG:4326" | string;

/** Options of point reads. */
export interface PointOptions {
  /** CRS of the coordinates (default "EPSG:4326": lon, lat); else the store CRS (E, N). */
  crs?: InputCrs;
  signal?: AbortSignal;
}

/** Where a point falls on a store's grid. */
export interface PixelLocation {
  row: number;
  col: number;
  /** The point in the store CRS (canonical northing: negative south of the equator). */
  easting: number;
  northing: number;
  inside: boolean;
}

/** One point read. `raw` is null only when `outside`; `vector` is null unless `valid`. */
export interface PointRead {
  state: PixelState;
  /** Dequantised embedding (`raw × scale`), or null. */
  vector: Float32Array | null;
  /** Stored int8 values (all 0 when not valid), or null outside the grid. */
  raw: Int8Array | null;
  /** The stored scale (NaN when not valid). */
  scale: number;
  row: number;
  col: number;
  easting: number;
  northing: number;
}

/**
 * Projects a point to the store CRS and finds its pixel. Points off the grid keep their
 * (out-of-range) row and column and `inside: false`; nothing is snapped to an edge.
 *
 * @example
 * ```ts
 * locatePixel(store, -0.1, 51.5); // { row, col, easting, northing, inside: true }
 * ```
 */
export function locatePixel(store: ZoneStore, x: number, y: number, crs?: InputCrs): PixelLocation {
  let easting = x, northing = y;
  if (crs === undefined || crs === "EPSG:4326") {
    [easting, northing] = Number.isFinite(x) && Number.isFinite(y)
      ? utmForward(x, y, store.zone, false)
      : [NaN, NaN];
  } else if (crs !== store.crs) {
    throw new TesseraError(
      "BadArgument",
      `coordinates in ${crs}: give EPSG:4326 (lon, lat) or the store's ${store.crs} (E, N)`,
    );
  }
  const { row, col } = pixelContaining(store.geobox, easting, northing);
  const inside = row >= 0 && row < store.geobox.height && col >= 0 && col < store.geobox.width;
  return { row, col, easting, northing, inside };
}

/**
 * Shard, inner chunk and element offset (within the decoded chunk) of pixel (row, col) of a
 * 2-D array or of band 0 of a (rows, cols, bands) array whose chunks hold every band.
 *
 * @example
 * ```ts
 * pixelAddress(store.scales, 1030, 5); // { shard: [1, 0], chunk: 0, element: 6 * 256 + 5 }
 * ```
 */
export function pixelAddress(
  reader: ShardReader,
  row: number,
  col: number,
): { shard: number[]; chunk: number; element: number } {
  const [sh, sw] = reader.shardShape, [ih, iw] = reader.innerShape;
  const r = row % sh, c = col % sw;
  const shard = reader.shardShape.length === 3
    ? [Math.floor(row / sh), Math.floor(col / sw), 0]
    : [Math.floor(row / sh), Math.floor(col / sw)];
  const inner = reader.shardShape.length === 3
    ? [Math.floor(r / ih), Math.floor(c / iw), 0]
    : [Math.floor(r / ih), Math.floor(c / iw)];
  const depth = reader.shardShape.length === 3 ? reader.innerShape[2] : 1;
  return {
    shard,
    chunk: reader.innerIndex(inner),
    element: ((r % ih) * iw + (c % iw)) * depth,
  };
}

async function readScale(store: ZoneStore, row: number, col: number, signal?: AbortSignal) {
  const a = pixelAddress(store.scales, row, col);
  const index = await store.scales.index(a.shard, signal);
  if (!index) return { scale: NaN, shardExists: false };
  const [chunk] = await store.scales.chunks(a.shard, [a.chunk], signal);
  if (!chunk) return { scale: NaN, shardExists: true };
  return { scale: new Float32Array(chunk.buffer, chunk.byteOffset)[a.element], shardExists: true };
}

async function readRaw(store: ZoneStore, row: number, col: number, signal?: AbortSignal) {
  const a = pixelAddress(store.embeddings, row, col);
  const [chunk] = await store.embeddings.chunks(a.shard, [a.chunk], signal);
  const raw = new Int8Array(store.bands);
  if (chunk) raw.set(new Int8Array(chunk.buffer, chunk.byteOffset + a.element, store.bands));
  return raw;
}

function dequantise(raw: Int8Array, scale: number): Float32Array {
  const v = new Float32Array(raw.length);
  for (let b = 0; b < raw.length; b++) v[b] = raw[b] * scale;
  return v;
}

/**
 * Reads the embedding at a point (lon/lat by default). A cold read costs at most four range
 * requests — the `embeddings` and `scales` shard indexes and one inner chunk of each, fetched
 * in two parallel rounds — and nothing once those are cached.
 *
 * @example
 * ```ts
 * const p = await readPoint(store, 36.87, -0.06);
 * if (p.state === "valid") console.log(p.vector); // Float32Array(128)
 * ```
 */
export async function readPoint(
  store: ZoneStore,
  x: number,
  y: number,
  opts: PointOptions = {},
): Promise<PointRead> {
  const loc = locatePixel(store, x, y, opts.crs);
  const base = { row: loc.row, col: loc.col, easting: loc.easting, northing: loc.northing };
  if (!loc.inside) return { state: "outside", vector: null, raw: null, scale: NaN, ...base };
  const [s, raw] = await Promise.all([
    readScale(store, loc.row, loc.col, opts.signal),
    readRaw(store, loc.row, loc.col, opts.signal),
  ]);
  const state = pixelState(s.scale, s.shardExists, store.maxValidScale);
  const valid = state === "valid";
  return {
    state,
    vector: valid ? dequantise(raw, s.scale) : null,
    raw: valid ? raw : raw.fill(0),
    scale: valid ? s.scale : NaN,
    ...base,
  };
}

/**
 * The state of the pixel at a point, reading only `scales`: cold, the scales shard index and
 * one scales chunk (two requests), no embeddings.
 *
 * @example
 * ```ts
 * await probe(store, -0.1, 51.5); // "valid" | "water" | "nodata" | "outside"
 * ```
 */
export async function probe(
  store: ZoneStore,
  x: number,
  y: number,
  opts: PointOptions = {},
): Promise<PixelState> {
  const loc = locatePixel(store, x, y, opts.crs);
  if (!loc.inside) return "outside";
  const s = await readScale(store, loc.row, loc.col, opts.signal);
  return pixelState(s.scale, s.shardExists, store.maxValidScale);
}

/** Many points read at once; row i of each array belongs to input point i. */
export interface PointSamples {
  count: number;
  bands: number;
  states: PixelState[];
  /** count × bands dequantised values; NaN rows where not valid. */
  vectors: Float32Array;
  /** count × bands stored int8 values; 0 where not valid. */
  raw: Int8Array;
  /** Scales (NaN where not valid). */
  scales: Float32Array;
  /** Pixel of each point (may be off the grid for "outside" points; −1 for NaN input). */
  rows: Int32Array;
  cols: Int32Array;
}

/** Groups point indices by shard, then by inner chunk (element offsets kept per point). */
function groupByChunk(reader: ShardReader, pixels: { i: number; row: number; col: number }[]) {
  const shards = new Map<string, { shard: number[]; chunks: Map<number, [number, number][]> }>();
  for (const p of pixels) {
    const a = pixelAddress(reader, p.row, p.col);
    const key = a.shard.join(".");
    let s = shards.get(key);
    if (!s) shards.set(key, s = { shard: a.shard, chunks: new Map() });
    const list = s.chunks.get(a.chunk);
    if (list) list.push([p.i, a.element]);
    else s.chunks.set(a.chunk, [[p.i, a.element]]);
  }
  return [...shards.values()];
}

/**
 * Reads many points: grouped by shard and inner chunk, each needed inner chunk read once
 * (neighbours coalesced). `scales` first, then `embeddings` only where the scale is valid, so
 * water and nodata points cost no embedding bytes. Non-finite coordinates give "outside".
 *
 * @example
 * ```ts
 * const s = await samplePoints(store, [[-0.1, 51.5], [-0.12, 51.51]]);
 * s.states; // ["valid", "water"]
 * s.vectors.subarray(0, s.bands); // the first point's vector
 * ```
 */
export async function samplePoints(
  store: ZoneStore,
  points: ArrayLike<readonly [number, number]>,
  opts: PointOptions = {},
): Promise<PointSamples> {
  const n = points.length, B = store.bands;
  const out = emptySamples(n, B);
  const inside: { i: number; row: number; col: number }[] = [];
  for (let i = 0; i < n; i++) {
    const loc = locatePixel(store, points[i][0], points[i][1], opts.crs);
    if (Number.isFinite(loc.row) && Number.isFinite(loc.col)) {
      out.rows[i] = loc.row;
      out.cols[i] = loc.col;
    }
    if (loc.inside) inside.push({ i, row: loc.row, col: loc.col });
  }
  await Promise.all(
    groupByChunk(store.scales, inside).map(async ({ shard, chunks }) => {
      const ids = [...chunks.keys()];
      const data = await store.scales.chunks(shard, ids, opts.signal);
      const exists = (await store.scales.index(shard, opts.signal)) !== null;
      ids.forEach((id, k) => {
        const f = data[k] && new Float32Array(data[k]!.buffer, data[k]!.byteOffset);
        for (const [i, el] of chunks.get(id)!) {
          const s = f ? f[el] : NaN;
          out.states[i] = pixelState(s, exists, store.maxValidScale);
          if (out.states[i] === "valid") out.scales[i] = s;
        }
      });
    }),
  );
  const valid = inside.filter((p) => out.states[p.i] === "valid");
  await Promise.all(
    groupByChunk(store.embeddings, valid).map(async ({ shard, chunks }) => {
      const ids = [...chunks.keys()];
      const data = await store.embeddings.chunks(shard, ids, opts.signal);
      ids.forEach((id, k) => {
        const d = data[k];
        for (const [i, el] of chunks.get(id)!) {
          const s = out.scales[i];
          for (let b = 0; b < B; b++) {
            const v = d ? (d[el + b] << 24) >> 24 : 0;
            out.raw[i * B + b] = v;
            out.vectors[i * B + b] = v * s;
          }
        }
      });
    }),
  );
  return out;
}

/** Samples of `n` points × `bands`, all "outside" until filled in. */
export function emptySamples(n: number, bands: number): PointSamples {
  return {
    count: n,
    bands,
    states: new Array<PixelState>(n).fill("outside"),
    vectors: new Float32Array(n * bands).fill(NaN),
    raw: new Int8Array(n * bands),
    scales: new Float32Array(n).fill(NaN),
    rows: new Int32Array(n).fill(-1),
    cols: new Int32Array(n).fill(-1),
  };
}
