/**
 * What a preview pass needs to know about the local store it colours: its grid, bands,
 * `max_valid_scale`, root attributes and core array documents, read and checked by lib/store
 * (the same parsing as the read API's `openZoneStore`, over the local directory).
 */
import { TesseraError } from "../errors.ts";
import { storeBasename } from "../store/names.ts";
import { openZoneMetadata } from "../store/open.ts";
import { arrayLayout, type ArrayMetadata } from "../zarr/metadata.ts";
import { FsStore } from "../zarr/fs_store.ts";

/** What the preview passes need to know about a zone store. */
export interface PreviewStoreInfo {
  path: string;
  attributes: Record<string, unknown>;
  height: number;
  width: number;
  bands: number;
  /** Affine transform of level 0 `[a, b, c, d, e, f]`. */
  transform: number[];
  maxValidScale: number;
  embeddings: ArrayMetadata;
  scales: ArrayMetadata;
}

/**
 * Reads a zone store's root and core array metadata for a preview pass. Refuses a store whose
 * build has not finished (`build_complete: false`): its previews would silently miss shards.
 *
 * @example
 * ```ts
 * const info = await readPreviewStoreInfo("out/utm30_2024.zarr");
 * info.bands; // 128
 * ```
 */
export async function readPreviewStoreInfo(path: string): Promise<PreviewStoreInfo> {
  const meta = await openZoneMetadata(new FsStore(path), {
    where: path,
    name: storeBasename(path),
  });
  if (meta.zone.build.unfinished) {
    throw new TesseraError(
      "BadStore",
      "its build has not finished (build_complete is false); finish it with `deno task build --resume` first",
      path,
    );
  }
  const embeddings = meta.arrays.embeddings!, scales = meta.arrays.scales!;
  // Both layouts must be ones this toolkit writes (throws BadStore otherwise).
  arrayLayout(embeddings);
  arrayLayout(scales);
  return {
    path,
    attributes: meta.attributes,
    height: meta.height,
    width: meta.width,
    bands: meta.bands,
    transform: meta.zone.transform,
    maxValidScale: meta.zone.maxValidScale,
    embeddings,
    scales,
  };
}
