/**
 * Region reads on the store's own grid, never resampled (upstream's rule: distribution stays
 * UTM). A lon/lat box becomes the envelope of its densely sampled edges in the store CRS
 * (corners alone miss up to ~400 m of curved edge), snapped outward to whole store pixels; the
 * result carries its own GeoBox. Every shard and inner chunk the window touches is read once,
 * neighbouring chunks coalesced, in parallel under the storage's limiter.
 */
import { TesseraError } from "../errors.ts";
import { type GeoBox, geobox, pixelCorner, pixelSizeM } from "../grid/geobox.ts";
import { boundsToPixelRect } from "../grid/pixel_rect.ts";
import { utmForward } from "../grid/utm.ts";
import type { InputCrs } from "./point.ts";
import type { ShardReader } from "./shard_reader.ts";
import type { ZoneStore } from "./zone_store.ts";

/** [west, south, east, north]: lon/lat degrees, or store-CRS metres (minE, minN, maxE, maxN). */
export type BBox = readonly [number, number, number, number];

/** A window of store pixels: rows `row0 … row0 + rows − 1`, likewise columns. */
export interface PixelWindow {
  row0: number;
  col0: number;
  rows: number;
  cols: number;
}

/** Options of {@link readRegion}. */
export interface RegionOptions {
  /** CRS of the bbox (default "EPSG:4326"); else the store CRS. */
  crs?: InputCrs;
  /** Float32 `int8 × scale` (default true; NaN where not valid), or the stored int8. */
  dequantise?: boolean;
  /**
   * Clip the window to the store grid (default true). With false, parts off the grid are
   * returned as fill (invalid), so the result covers the whole box.
   */
  clip?: boolean;
  /**
   * Keep the fetched chunks in the store's chunk cache. Default: only when the region is at
   * most a quarter of the cache, so one large read does not flush what point reads rely on
   * (and its chunks are not copied out of their coalesced requests).
   */
  cache?: boolean;
  /** Points sampled along each bbox edge for the envelope (default 64). */
  edgeSamples?: number;
  signal?: AbortSignal;
}

/** A region read: `rows × cols × bands` values in row-major (northing, easting, band) order. */
export interface RegionRead<T extends Int8Array | Float32Array> {
  data: T;
  /** rows × cols scales (NaN where not valid). */
  scales: Float32Array;
  /** rows × cols: 1 where the pixel has data. */
  valid: Uint8Array;
  /** The result's own grid: a window of the store grid. */
  geobox: GeoBox;
  window: PixelWindow;
  bands: number;
}

/**
 * The window of store pixels covering a box, snapped outward to whole pixels and, unless
 * `clip` is false, clipped to the grid (possibly to zero rows or columns).
 *
 * @example
 * ```ts
 * regionWindow(store, [-0.12, 51.48, -0.1, 51.5]); // { row0, col0, rows, cols }
 * ```
 */
export function regionWindow(
  store: ZoneStore,
  bbox: BBox,
  opts: Pick<RegionOptions, "crs" | "clip" | "edgeSamples"> = {},
): PixelWindow {
  const [w, s, e, n] = bbox;
  if (!bbox.every(Number.isFinite) || w > e || s > n) {
    throw new TesseraError(
      "BadArgument",
      `bbox must be finite [west, south, east, north] with west ≤ east and south ≤ north, ` +
        `got [${bbox}]`,
    );
  }
  let minE = w, minN = s, maxE = e, maxN = n;
  if (opts.crs === undefined || opts.crs === "EPSG:4326") {
    if (w < -180 || e > 180 || s < -90 || n > 90) {
      throw new TesseraError("BadArgument", `lon/lat bbox out of range: [${bbox}]`);
    }
    [minE, minN, maxE, maxN] = [Infinity, Infinity, -Infinity, -Infinity];
    const k = Math.max(2, opts.edgeSamples ?? 64);
    for (let i = 0; i <= k; i++) {
      const t = i / k;
      const lon = w + (e - w) * t, lat = s + (n - s) * t;
      for (const [x, y] of [[lon, s], [lon, n], [w, lat], [e, lat]]) {
        const [pe, pn] = utmForward(x, y, store.zone, false);
        minE = Math.min(minE, pe);
        maxE = Math.max(maxE, pe);
        minN = Math.min(minN, pn);
        maxN = Math.max(maxN, pn);
      }
    }
  } else if (opts.crs !== store.crs) {
    throw new TesseraError(
      "BadArgument",
      `bbox in ${opts.crs}: give EPSG:4326 or the store's ${store.crs}`,
    );
  }
  // A box edge that lies on a pixel edge (to float noise) must not pull in the next pixel;
  // a box within one pixel (a point) still reads that pixel.
  const px = boundsToPixelRect(store.geobox, [minE, minN, maxE, maxN], 1e-6);
  const row0 = px.r0, col0 = px.c0;
  const col1 = Math.max(col0 + 1, px.c1);
  const row1 = Math.max(row0 + 1, px.r1);
  if (opts.clip === false) return { row0, col0, rows: row1 - row0, cols: col1 - col0 };
  const { height: H, width: W } = store.geobox;
  const r0 = Math.min(Math.max(row0, 0), H), r1 = Math.min(Math.max(row1, 0), H);
  const c0 = Math.min(Math.max(col0, 0), W), c1 = Math.min(Math.max(col1, 0), W);
  return { row0: r0, col0: c0, rows: r1 - r0, cols: c1 - c0 };
}

/** Copies `len` elements of a decoded chunk from element `from` to element `to` of the output. */
type RowCopy = (from: number, to: number, len: number) => void;

/**
 * Calls `copier(chunkBytes)` for every stored inner chunk of `reader` inside `win`, then the
 * returned function once per row segment (element offsets, `depth` elements a pixel). Pixels
 * off the grid or in absent chunks are skipped: the output keeps its fill. `after` delays the
 * copying (not the fetching) until it settles.
 */
async function fillWindow(
  reader: ShardReader,
  win: PixelWindow,
  copier: (bytes: Uint8Array) => RowCopy,
  opts: { signal?: AbortSignal; store: boolean; after?: Promise<unknown> },
): Promise<void> {
  const [H, W] = reader.layout.shape;
  const [sh, sw] = reader.shardShape, [ih, iw] = reader.innerShape;
  const depth = reader.shardShape.length === 3 ? reader.innerShape[2] : 1;
  const r0 = Math.max(win.row0, 0), r1 = Math.min(win.row0 + win.rows, H);
  const c0 = Math.max(win.col0, 0), c1 = Math.min(win.col0 + win.cols, W);
  if (r0 >= r1 || c0 >= c1) return;
  const tasks: Promise<void>[] = [];
  for (let sr = Math.floor(r0 / sh); sr * sh < r1; sr++) {
    for (let sc = Math.floor(c0 / sw); sc * sw < c1; sc++) {
      const shard = depth > 1 ? [sr, sc, 0] : [sr, sc];
      const chunks: { id: number; top: number; left: number }[] = [];
      const ir0 = Math.floor((Math.max(r0, sr * sh) - sr * sh) / ih);
      const ir1 = Math.ceil((Math.min(r1, (sr + 1) * sh) - sr * sh) / ih);
      const ic0 = Math.floor((Math.max(c0, sc * sw) - sc * sw) / iw);
      const ic1 = Math.ceil((Math.min(c1, (sc + 1) * sw) - sc * sw) / iw);
      for (let ir = ir0; ir < ir1; ir++) {
        for (let ic = ic0; ic < ic1; ic++) {
          chunks.push({
            id: reader.innerIndex(depth > 1 ? [ir, ic, 0] : [ir, ic]),
            top: sr * sh + ir * ih,
            left: sc * sw + ic * iw,
          });
        }
      }
      const ids = chunks.map((c) => c.id);
      const fetched = reader.chunks(shard, ids, opts.signal, { store: opts.store });
      tasks.push(
        Promise.all([fetched, opts.after]).then(([data]) => {
          chunks.forEach((c, k) => {
            if (!data[k]) return;
            const copy = copier(data[k]!);
            const left = Math.max(c0, c.left), right = Math.min(c1, c.left + iw);
            const len = (right - left) * depth;
            for (let r = Math.max(r0, c.top); r < Math.min(r1, c.top + ih); r++) {
              const from = ((r - c.top) * iw + (left - c.left)) * depth;
              copy(from, ((r - win.row0) * win.cols + (left - win.col0)) * depth, len);
            }
          });
        }),
      );
    }
  }
  await Promise.all(tasks);
}

/**
 * Reads a window of store pixels (see {@link regionWindow}); the building block of
 * {@link readRegion}.
 *
 * @example
 * ```ts
 * const r = await readWindow(store, { row0: 0, col0: 0, rows: 256, cols: 256 }, { dequantise: false });
 * ```
 */
export async function readWindow(
  store: ZoneStore,
  win: PixelWindow,
  opts: Pick<RegionOptions, "dequantise" | "signal" | "cache"> = {},
): Promise<RegionRead<Int8Array | Float32Array>> {
  const n = win.rows * win.cols, B = store.bands;
  const cache = opts.cache ?? n * (B + 4) <= store.embeddings.cache.maxWeight / 4;
  const scales = new Float32Array(n).fill(NaN);
  const valid = new Uint8Array(n);
  const max = store.maxValidScale;
  const scalesDone = fillWindow(store.scales, win, (bytes) => {
    const src = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    return (from, to, len) => scales.set(src.subarray(from, from + len), to);
  }, { signal: opts.signal, store: cache }).then(() => {
    for (let i = 0; i < n; i++) {
      const s = scales[i];
      if (Number.isFinite(s) && s > 0 && s < max) valid[i] = 1;
      else scales[i] = NaN;
    }
  });
  let data: Int8Array | Float32Array;
  if (opts.dequantise === false) {
    const raw = data = new Int8Array(n * B);
    await Promise.all([
      scalesDone,
      fillWindow(store.embeddings, win, (bytes) => {
        const src = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        return (from, to, len) => raw.set(src.subarray(from, from + len), to);
      }, { signal: opts.signal, store: cache }),
    ]);
  } else {
    // Straight from the chunks to float32 (no int8 copy of the region): each embeddings
    // chunk waits for the scales, which are small and usually arrive first.
    const f = data = new Float32Array(n * B);
    await Promise.all([
      scalesDone,
      fillWindow(store.embeddings, win, (bytes) => {
        const src = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        return (from, to, len) => {
          for (let j = 0; j < len; j += B) {
            const s = scales[(to + j) / B];
            for (let b = j; b < j + B; b++) f[to + b] = src[from + b] * s;
          }
        };
      }, { signal: opts.signal, store: cache, after: scalesDone }),
    ]);
    // Not valid means NaN, also where no embeddings chunk was stored.
    for (let i = 0; i < n; i++) if (!valid[i]) f.fill(NaN, i * B, (i + 1) * B);
  }
  // Not sliceGeoBox: an unclipped window (`clip: false`) keeps its off-grid rows and columns.
  const [x0, y0] = pixelCorner(store.geobox, win.row0, win.col0);
  return {
    data,
    scales,
    valid,
    geobox: geobox(win.cols, win.rows, x0, y0, store.epsg, pixelSizeM(store.geobox)),
    window: win,
    bands: B,
  };
}

/**
 * Reads the pixels of a box (lon/lat by default) on the store grid: data `rows × cols × bands`
 * (float32 dequantised by default, NaN where not valid; or the stored int8), scales, a
 * validity mask and the result's GeoBox.
 *
 * @example
 * ```ts
 * const r = await readRegion(store, [36.84, -0.08, 36.88, -0.03]);
 * r.geobox; // { width, height, transform: [10, 0, e, 0, -10, n], epsg: 32637 }
 * const q = await readRegion(store, [255130, -11060, 256130, -10060], {
 *   crs: store.crs, dequantise: false,
 * }); // q.data is an Int8Array
 * ```
 */
export function readRegion(
  store: ZoneStore,
  bbox: BBox,
  opts: RegionOptions & { dequantise: false },
): Promise<RegionRead<Int8Array>>;
export function readRegion(
  store: ZoneStore,
  bbox: BBox,
  opts?: RegionOptions & { dequantise?: true },
): Promise<RegionRead<Float32Array>>;
export function readRegion(
  store: ZoneStore,
  bbox: BBox,
  opts?: RegionOptions,
): Promise<RegionRead<Int8Array | Float32Array>>;
export function readRegion(
  store: ZoneStore,
  bbox: BBox,
  opts: RegionOptions = {},
): Promise<RegionRead<Int8Array | Float32Array>> {
  return readWindow(store, regionWindow(store, bbox, opts), opts);
}
