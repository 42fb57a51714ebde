/**
 * PNG snapshots of preview levels, for a quick look without a viewer (`--png DIR`) and for the
 * docs: a minimal 8-bit RGBA PNG encoder (one IDAT; per row the filter with the smallest sum of
 * absolute differences, the usual heuristic) and a reader that assembles one whole pyramid level
 * from its shards.
 */
import { crc32, deflateSync } from "node:zlib";
import { TesseraError } from "../errors.ts";
import { readDocument, readGroupAttributes } from "../store/documents.ts";
import { documentKey } from "../store/layout.ts";
import { parsePreviewAttributes, type PreviewName } from "../store/previews.ts";
import { arrayLayout, type ArrayMetadata } from "../zarr/metadata.ts";
import { FsStore } from "../zarr/fs_store.ts";
import { readDenseShard, wholeShardReader } from "./shard_read.ts";

/**
 * Encodes `rgba` (`width × height × 4`, row-major) as a PNG.
 *
 * @example
 * ```ts
 * await Deno.writeFile("a.png", encodePng(new Uint8Array(4 * 4 * 4), 4, 4));
 * ```
 */
export function encodePng(rgba: Uint8Array, width: number, height: number): Uint8Array {
  if (rgba.length !== width * height * 4) {
    throw new TesseraError(
      "BadArgument",
      `expected ${width}×${height}×4 bytes, got ${rgba.length}`,
    );
  }
  const stride = width * 4;
  const raw = new Uint8Array(height * (stride + 1));
  const zero = new Uint8Array(stride);
  const candidates = [0, 1, 2, 3, 4].map(() => new Uint8Array(stride));
  for (let r = 0; r < height; r++) {
    const row = rgba.subarray(r * stride, (r + 1) * stride);
    const up = r ? rgba.subarray((r - 1) * stride, r * stride) : zero;
    let best = 0, bestCost = Infinity;
    for (let f = 0; f < 5; f++) {
      const out = candidates[f];
      let cost = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= 4 ? row[i - 4] : 0, b = up[i], c = i >= 4 ? up[i - 4] : 0;
        const pred = f === 0
          ? 0
          : f === 1
          ? a
          : f === 2
          ? b
          : f === 3
          ? (a + b) >> 1
          : paeth(a, b, c);
        const v = (row[i] - pred) & 255;
        out[i] = v;
        cost += v < 128 ? v : 256 - v;
      }
      if (cost < bestCost) best = f, bestCost = cost;
    }
    raw[r * (stride + 1)] = best;
    raw.set(candidates[best], r * (stride + 1) + 1);
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, no filter, no interlace
  const parts = [
    Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", new Uint8Array(deflateSync(raw, { level: 9 }))),
    pngChunk("IEND", new Uint8Array(0)),
  ];
  const png = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) png.set(p, o), o += p.length;
  return png;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const c = new Uint8Array(12 + data.length);
  const dv = new DataView(c.buffer);
  dv.setUint32(0, data.length);
  c.set(new TextEncoder().encode(type), 4);
  c.set(data, 8);
  dv.setUint32(8 + data.length, crc32(c.subarray(4, 8 + data.length)));
  return c;
}

/**
 * One whole level of a finished preview as `height × width × 4` RGBA (the coarsest level by
 * default: at most 1024 px a side). Throws BadStore when the preview is not finished.
 *
 * @example
 * ```ts
 * const { rgba, width, height } = await readPreviewLevel("out/utm30_2024.zarr", "rgb");
 * ```
 */
export async function readPreviewLevel(
  storePath: string,
  name: PreviewName,
  level?: number,
): Promise<{ rgba: Uint8Array; width: number; height: number; level: number }> {
  const store = new FsStore(storePath);
  const previews = parsePreviewAttributes(await readGroupAttributes(store, storePath) ?? {});
  const levels = previews.multiscales?.[name];
  if (!levels || !(name === "rgb" ? previews.rgb : previews.pcaRgb)) {
    throw new TesseraError("BadStore", `has no finished ${name} preview`, storePath);
  }
  const info = levels[level ?? levels.length - 1];
  if (!info) throw new TesseraError("BadArgument", `${name} has no level ${level}`, storePath);
  const meta = await readDocument(store, documentKey(info.path), storePath) as ArrayMetadata;
  if (!meta) throw new TesseraError("BadStore", `${info.path}: listed but missing`, storePath);
  const layout = arrayLayout(meta);
  const [h, w] = meta.shape, [SH, SW] = layout.chunkShape;
  const rgba = new Uint8Array(h * w * 4);
  const reader = wholeShardReader(storePath, info.path, meta);
  let dense: Uint8Array | undefined;
  for (let sr = 0; sr * SH < h; sr++) {
    for (let sc = 0; sc * SW < w; sc++) {
      const read = await readDenseShard(reader, sr, sc, dense);
      const { data, exists } = read;
      dense = data as Uint8Array;
      if (!exists) continue;
      for (let y = sr * SH; y < Math.min(h, (sr + 1) * SH); y++) {
        const cols = Math.min(w, (sc + 1) * SW) - sc * SW;
        const from = (y - sr * SH) * SW * 4;
        rgba.set((data as Uint8Array).subarray(from, from + cols * 4), (y * w + sc * SW) * 4);
      }
    }
  }
  return { rgba, width: w, height: h, level: info.level };
}

/**
 * Writes the coarsest level of a finished preview to `file` as PNG; returns its size.
 *
 * @example
 * ```ts
 * await writePreviewPng("out/utm30_2024.zarr", "pca_rgb", "docs/previews/utm30_pca.png");
 * ```
 */
export async function writePreviewPng(
  storePath: string,
  name: PreviewName,
  file: string,
): Promise<{ width: number; height: number; level: number }> {
  const { rgba, width, height, level } = await readPreviewLevel(storePath, name);
  await Deno.writeFile(file, encodePng(rgba, width, height));
  return { width, height, level };
}
