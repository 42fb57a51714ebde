/**
 * A fast path for reading windows of band 1 of a landmask GeoTIFF held in memory: the layout
 * published landmasks (and our writer, and GDAL's defaults) use — 8-bit samples, pixels
 * interleaved, strips, no predictor, Deflate or no compression — decoded with the runtime's
 * native zlib and copied a row at a time. geotiff.js does the same through pako and a
 * per-pixel DataView loop, ~10× the CPU, which made landmask decoding a tenth of a build.
 * Anything else (tiles, planes, predictors, other codecs, files over HTTP) returns undefined
 * from {@link stripLayout} and stays with geotiff.js.
 */
import { inflateSync } from "node:zlib";
import type { GeoTIFFImage } from "../deps/geotiff.ts";

/** Where the strips of a simple 8-bit strip-organised image are, and how they decode. */
export interface StripLayout {
  readonly width: number;
  readonly height: number;
  /** Samples per pixel (interleaved); band 1 is sample 0. */
  readonly samples: number;
  readonly rowsPerStrip: number;
  /** 1 = none, 8 or 32946 = Deflate (zlib stream). */
  readonly compression: number;
  readonly offsets: readonly number[];
  readonly counts: readonly number[];
}

/**
 * The strip layout of `image` when the fast path can read it, else undefined.
 *
 * @example
 * const layout = await stripLayout(image); // undefined: use image.readRasters
 */
export async function stripLayout(image: GeoTIFFImage): Promise<StripLayout | undefined> {
  const dir = image.fileDirectory;
  if (dir.hasTag("TileOffsets") || !dir.hasTag("StripOffsets")) return undefined;
  const samples = image.getSamplesPerPixel();
  for (let s = 0; s < samples; s++) if (image.getBitsPerSample(s) !== 8) return undefined;
  type Tag = Parameters<typeof dir.loadValue>[0];
  const value = async (tag: Tag) => dir.hasTag(tag) ? await dir.loadValue(tag) : undefined;
  const planar = Number(await value("PlanarConfiguration") ?? 1);
  const predictor = Number(await value("Predictor") ?? 1);
  const compression = Number(await value("Compression") ?? 1);
  if (planar !== 1 || predictor !== 1 || ![1, 8, 32946].includes(compression)) return undefined;
  const width = image.getWidth(), height = image.getHeight();
  const rowsPerStrip = Math.min(height, Number(await value("RowsPerStrip") ?? height));
  const offsets = Array.from(await value("StripOffsets") as ArrayLike<number>, Number);
  const counts = Array.from(await value("StripByteCounts") as ArrayLike<number>, Number);
  if (!(rowsPerStrip >= 1) || offsets.length !== Math.ceil(height / rowsPerStrip)) return undefined;
  if (counts.length !== offsets.length) return undefined;
  return { width, height, samples, rowsPerStrip, compression, offsets, counts };
}

/**
 * Band 1 of rows r0..r1-1, columns c0..c1-1 of the image whose file is `bytes`, row-major.
 * Throws (a plain Error naming the strip) when a strip is corrupt or decodes short.
 *
 * @example
 * const land = readStripWindow(bytes, layout, 0, 64, 100, 740); // 64 × 640 values
 */
export function readStripWindow(
  bytes: Uint8Array,
  layout: StripLayout,
  r0: number,
  r1: number,
  c0: number,
  c1: number,
): Uint8Array {
  const { width, samples, rowsPerStrip } = layout;
  const cols = c1 - c0;
  const out = new Uint8Array((r1 - r0) * cols);
  if (out.length === 0) return out;
  for (let s = Math.floor(r0 / rowsPerStrip); s * rowsPerStrip < r1; s++) {
    const first = s * rowsPerStrip;
    const rows = Math.min(rowsPerStrip, layout.height - first);
    const strip = decodeStrip(bytes, layout, s, rows * width * samples);
    for (let y = Math.max(r0, first); y < Math.min(r1, first + rows); y++) {
      const row = (y - first) * width * samples;
      const dst = (y - r0) * cols;
      if (samples === 1) out.set(strip.subarray(row + c0, row + c1), dst);
      else for (let x = 0; x < cols; x++) out[dst + x] = strip[row + (c0 + x) * samples];
    }
  }
  return out;
}

function decodeStrip(bytes: Uint8Array, layout: StripLayout, s: number, need: number): Uint8Array {
  const from = layout.offsets[s], n = layout.counts[s];
  if (!(from >= 0 && n >= 0 && from + n <= bytes.length)) {
    throw new Error(`strip ${s} (${n} bytes at ${from}) lies outside the file`);
  }
  const raw = bytes.subarray(from, from + n);
  let strip: Uint8Array;
  if (layout.compression === 1) strip = raw;
  else {
    try {
      strip = inflateSync(raw);
    } catch (e) {
      throw new Error(`strip ${s} is not a valid Deflate stream (${(e as Error).message})`);
    }
  }
  if (strip.length < need) {
    throw new Error(`strip ${s} decodes to ${strip.length} bytes, expected ${need}`);
  }
  return strip;
}
