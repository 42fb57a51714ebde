/**
 * Phases 2 and 5 of a preview pass, the two ends of its crash safety: withdraw the old
 * previews (attributes and done flags first, then their arrays) before anything is
 * rewritten, and publish the new ones (attributes, done flags strictly last) once every
 * level is written. A pass killed in between leaves no flag, so no reader trusts a partial
 * preview.
 */
import { updateRootAttributes } from "../store/documents.ts";
import type { FsStore } from "../zarr/fs_store.ts";
import { doneFlag, withoutPreviews, withPreviews } from "./attributes.ts";
import type { LevelInfo, PreviewName } from "./overviews.ts";
import type { PcaBasis } from "./pca.ts";
import { pcaAttributes } from "./pca_pass.ts";
import { rgbAttributes } from "./rgb_pass.ts";
import type { RgbParams } from "./stretch.ts";
import { forgetBuildPreviews } from "./in_build.ts";
import type { PreviewSource } from "../store/previews.ts";

/**
 * Removes previews `names` from the store: their attributes and flags, then their arrays and
 * overview groups, then any temporary objects left by a killed writer.
 *
 * @example
 * ```ts
 * await withdrawPreviews(store, ["rgb"]);
 * ```
 */
export async function withdrawPreviews(
  store: FsStore,
  names: readonly PreviewName[],
): Promise<void> {
  await updateRootAttributes(store, (a) => withoutPreviews(a, [...names]), store.root);
  for (const name of names) {
    for (const dir of [name, `${name}_overviews`]) await store.deleteTree(dir);
  }
  await store.sweepTemps();
  await forgetBuildPreviews(store, names);
}

/**
 * Records the written previews in the root attributes: their parameters, the multiscales of
 * `levels`, and each done flag last.
 *
 * @example
 * ```ts
 * await publishPreviews(store, { rgb }, levels);
 * ```
 */
export async function publishPreviews(
  store: FsStore,
  params: { rgb?: RgbParams; pca?: PcaBasis },
  levels: Record<PreviewName, LevelInfo[]>,
  sources: { rgb?: PreviewSource; pca?: PreviewSource } = {},
): Promise<void> {
  const added: Record<string, unknown> = {};
  if (params.rgb) {
    Object.assign(added, rgbAttributes(params.rgb, sources.rgb), { [doneFlag("rgb")]: true });
  }
  if (params.pca) {
    Object.assign(added, pcaAttributes(params.pca, sources.pca), { [doneFlag("pca_rgb")]: true });
  }
  await updateRootAttributes(store, (a) => withPreviews(a, added, levels), store.root);
}
