/**
 * PNG snapshots of preview levels, for a quick look without a viewer (`--png DIR`) and for the
 * docs: 8-bit RGBA encoding (pngjs: docs/decisions/2026-12-01-packages.md) and a reader that
 * assembles one whole pyramid level from its shards.
 */
import { Buffer } from "node:buffer";
import { PNG } from "../deps/pngjs.ts";
import { TesseraError } from "../errors.ts";
import { readDocument, readGroupAttributes } from "../store/documents.ts";
import { documentKey } from "../store/layout.ts";
import { parsePreviewAttributes, type PreviewName } from "../store/previews.ts";
import { arrayLayout, type ArrayMetadata } from "../zarr/metadata.ts";
import { FsStore } from "../zarr/fs_store.ts";
import { readDenseShard, wholeShardReader } from "./shard_read.ts";

/**
 * Encodes `rgba` (`width × height × 4`, row-major) as an 8-bit RGBA PNG with pngjs (deflate
 * level 9, per row the filter with the smallest sum of absolute differences).
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
  const png = new PNG({ width, height, colorType: 6, inputHasAlpha: true });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.length);
  const out = PNG.sync.write(png, { deflateLevel: 9, filterType: -1 });
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
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
