/**
 * A minimal GeoTIFF writer for landmasks, used by the sample-data generator and the tests.
 * It writes exactly what the published landmasks contain (one uint8 band, UTM EPSG, 10 m
 * pixels, an origin off the 10 m lattice) and nothing else. It is hand-rolled rather than
 * geotiff.js `writeArrayBuffer` so that the GeoKeyDirectory is ours and the origin is stored
 * as IEEE doubles, bit-exact.
 */

import { deflateSync } from "node:zlib";
import { TesseraError } from "../errors.ts";
import { writeFileAtomic } from "../fs_atomic.ts";

/** What to put in a landmask GeoTIFF. */
export interface LandmaskTiffOptions {
  readonly width: number;
  readonly height: number;
  /** EPSG code written as ProjectedCSTypeGeoKey (4000–4999 are written as geographic). */
  readonly epsg: number;
  /** Affine transform, order a, b, c, d, e, f (GDAL's c, a, b, f, d, e reordered). */
  readonly transform: readonly number[];
  /** Row-major `height × width` pixels; 0 = water, anything else = land. */
  readonly data: Uint8Array;
  /** Strip compression; Deflate (TIFF code 8, zlib stream) unless told otherwise. */
  readonly compress?: "deflate" | "none";
  /** Rows per strip; 16 keeps a strip small enough that a window read decodes little waste. */
  readonly rowsPerStrip?: number;
  /**
   * uint8 bands (samples per pixel), default 1 as published. More than one makes `data`
   * pixel-interleaved `height × width × bands`: only tests write such (defect) landmasks.
   */
  readonly bands?: number;
}

// TIFF field types.
const SHORT = 3;
const LONG = 4;
const DOUBLE = 12;
const TYPE_SIZE: Record<number, number> = { [SHORT]: 2, [LONG]: 4, [DOUBLE]: 8 };

interface Entry {
  tag: number;
  type: number;
  values: readonly number[];
}

/**
 * Encodes a landmask as a classic little-endian GeoTIFF (one uint8 band, strips).
 *
 * @example
 * ```ts
 * const bytes = encodeLandmaskTiff({
 *   width: 2, height: 1, epsg: 32631,
 *   transform: [10, 0, 301822.86261, 0, -10, 5798366.72759],
 *   data: new Uint8Array([0, 1]),
 * });
 * ```
 */
export function encodeLandmaskTiff(opts: LandmaskTiffOptions): Uint8Array {
  const { width, height, epsg, transform, data } = opts;
  const compress = opts.compress ?? "deflate";
  const rowsPerStrip = opts.rowsPerStrip ?? 16;
  const bands = opts.bands ?? 1;
  checkOptions(opts, rowsPerStrip, bands);

  const strips: Uint8Array[] = [];
  const rowBytes = width * bands;
  for (let r = 0; r < height; r += rowsPerStrip) {
    const raw = data.subarray(r * rowBytes, Math.min(height, r + rowsPerStrip) * rowBytes);
    strips.push(compress === "deflate" ? new Uint8Array(deflateSync(raw)) : raw);
  }
  // Filled in once the layout is known; entry sizes do not depend on these values.
  const stripOffsets: number[] = strips.map(() => 0);

  const [a, b, c, d, e, f] = transform;
  const entries: Entry[] = [
    { tag: 256, type: LONG, values: [width] },
    { tag: 257, type: LONG, values: [height] },
    { tag: 258, type: SHORT, values: Array(bands).fill(8) },
    { tag: 259, type: SHORT, values: [compress === "deflate" ? 8 : 1] },
    { tag: 262, type: SHORT, values: [1] }, // BlackIsZero
    { tag: 273, type: LONG, values: stripOffsets },
    { tag: 277, type: SHORT, values: [bands] },
    { tag: 278, type: LONG, values: [rowsPerStrip] },
    { tag: 279, type: LONG, values: strips.map((s) => s.length) },
    { tag: 284, type: SHORT, values: [1] }, // chunky: samples of a pixel are adjacent
    // ExtraSamples (unspecified) must list every sample beyond the one BlackIsZero implies.
    ...(bands > 1 ? [{ tag: 338, type: SHORT, values: Array(bands - 1).fill(0) }] : []),
    { tag: 339, type: SHORT, values: Array(bands).fill(1) }, // unsigned integer
  ];
  if (b === 0 && d === 0 && a > 0 && e < 0) {
    entries.push({ tag: 33550, type: DOUBLE, values: [a, -e, 0] });
    entries.push({ tag: 33922, type: DOUBLE, values: [0, 0, 0, c, f, 0] });
  } else {
    // Rotated or flipped grids cannot be said with scale + tiepoint; only tests write these.
    entries.push({
      tag: 34264,
      type: DOUBLE,
      values: [a, b, 0, c, d, e, 0, f, 0, 0, 0, 0, 0, 0, 0, 1],
    });
  }
  const geographic = epsg >= 4000 && epsg < 5000;
  const geoKeys = [
    [1024, 0, 1, geographic ? 2 : 1], // GTModelTypeGeoKey: projected (or geographic)
    [1025, 0, 1, 1], // GTRasterTypeGeoKey: PixelIsArea, so the tiepoint is a pixel corner
    [geographic ? 2048 : 3072, 0, 1, epsg], // Projected (or Geographic) CSTypeGeoKey
  ];
  // Header: directory version 1, revision 1.0, key count.
  entries.push({ tag: 34735, type: SHORT, values: [1, 1, 0, geoKeys.length, ...geoKeys.flat()] });

  // Layout as GDAL writes it: header, IFD, its out-of-line values, then the strips. Metadata
  // first means a truncated file keeps a readable IFD and fails on its strip offsets.
  const ifdOffset = 8;
  const ifdSize = 2 + entries.length * 12 + 4;
  let pos = ifdOffset + ifdSize;
  const extraOffsets = entries.map((en) => {
    const size = TYPE_SIZE[en.type] * en.values.length;
    if (size <= 4) return -1;
    const at = pos;
    pos += size + (size % 2); // TIFF wants values on a word boundary.
    return at;
  });
  strips.forEach((s, i) => {
    stripOffsets[i] = pos;
    pos += s.length;
  });

  const out = new Uint8Array(pos);
  const view = new DataView(out.buffer);
  out[0] = 0x49; // "II": little-endian
  out[1] = 0x49;
  view.setUint16(2, 42, true);
  view.setUint32(4, ifdOffset, true);
  strips.forEach((s, i) => out.set(s, stripOffsets[i]));

  view.setUint16(ifdOffset, entries.length, true);
  entries.forEach((en, i) => {
    const p = ifdOffset + 2 + i * 12;
    view.setUint16(p, en.tag, true);
    view.setUint16(p + 2, en.type, true);
    view.setUint32(p + 4, en.values.length, true);
    const at = extraOffsets[i] >= 0 ? extraOffsets[i] : p + 8;
    if (extraOffsets[i] >= 0) view.setUint32(p + 8, at, true);
    en.values.forEach((v, k) => {
      if (en.type === SHORT) view.setUint16(at + 2 * k, v, true);
      else if (en.type === LONG) view.setUint32(at + 4 * k, v, true);
      else view.setFloat64(at + 8 * k, v, true);
    });
  });
  view.setUint32(ifdOffset + ifdSize - 4, 0, true); // no next IFD
  return out;
}

/**
 * Writes a landmask GeoTIFF to `path`, atomically: a temporary name in the same directory,
 * then a rename, so a crash never leaves a half-written landmask that looks real.
 *
 * @example
 * ```ts
 * await writeLandmaskTiff("/tmp/grid_0.15_52.25.tiff", {
 *   width: 1, height: 1, epsg: 32631,
 *   transform: [10, 0, 301822.86261, 0, -10, 5798366.72759],
 *   data: new Uint8Array([1]),
 * });
 * ```
 */
export async function writeLandmaskTiff(path: string, opts: LandmaskTiffOptions): Promise<void> {
  await writeFileAtomic(path, encodeLandmaskTiff(opts));
}

function checkOptions(opts: LandmaskTiffOptions, rowsPerStrip: number, bands: number): void {
  const { width, height, epsg, transform, data } = opts;
  const bad = (what: string) =>
    new TesseraError("BadArgument", `cannot write landmask GeoTIFF: ${what}`);
  if (!isDim(width) || !isDim(height)) {
    throw bad(`width and height must be integers in 1..65535, got ${width} × ${height}`);
  }
  if (!Number.isInteger(bands) || bands < 1 || bands > 255) {
    throw bad(`bands must be an integer in 1..255, got ${bands}`);
  }
  if (data.length !== width * height * bands) {
    throw bad(
      `data has ${data.length} values, expected width × height${bands > 1 ? " × bands" : ""} = ` +
        `${width * height * bands}`,
    );
  }
  if (!Number.isInteger(epsg) || epsg < 1 || epsg > 65535) {
    throw bad(`epsg must be an integer in 1..65535, got ${epsg}`);
  }
  if (transform.length !== 6 || !transform.every(Number.isFinite)) {
    throw bad(`transform must be 6 finite numbers [a, b, c, d, e, f], got [${transform}]`);
  }
  if (!Number.isInteger(rowsPerStrip) || rowsPerStrip < 1) {
    throw bad(`rowsPerStrip must be a positive integer, got ${rowsPerStrip}`);
  }
}

function isDim(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}
