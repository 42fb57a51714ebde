/**
 * What each store's tiles are coloured from, for the viewer's mode and bands: a preview
 * pyramid (`pca_rgb`; `rgb` when the bands are its `rgb_bands`) or three embedding bands; the
 * stretch those bands share across all stores shown (store-wide p2..p98); the lookup tables
 * that re-stretch an `rgb` preview to it; and the part of a tile's cache key these choices
 * change. Pure: no DOM, no map.
 */
import { restretchTables, sameStretch, sharedStretch, type Stretch } from "./colour.ts";
import type { StoreInfo } from "./store.ts";
import type { Source } from "./tiles.ts";

export type Mode = "rgb" | "pca";

/** The viewer's colour settings. */
export interface Colouring {
  mode: Mode;
  bands: readonly number[];
}

/** Used only when a store has no `stats_band_p2/p98` (built before they existed). */
const FALLBACK_STRETCH = 4;

export function sameBands(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * What a store's tiles are coloured from.
 *
 * @example
 * sourceFor(store, { mode: "rgb", bands: store.rgbBands! }); // "rgb" once the preview is done
 */
export function sourceFor(store: StoreInfo, { mode, bands }: Colouring): Source {
  if (mode === "pca" && store.previews.pca_rgb) return "pca_rgb";
  if (store.previews.rgb && store.rgbBands && sameBands(store.rgbBands, bands)) return "rgb";
  return "bands";
}

/** The stretch of `bands`, shared by all `stores` shown (±4 when none has statistics). */
export function bandStretch(stores: readonly StoreInfo[], bands: readonly number[]): Stretch {
  const stats = stores.flatMap((s) => s.stats ? [s.stats] : []);
  if (!stats.length) {
    return { min: bands.map(() => -FALLBACK_STRETCH), max: bands.map(() => FALLBACK_STRETCH) };
  }
  return sharedStretch(stats, bands);
}

/**
 * Tables re-stretching `store`'s `rgb` preview to the stretch shared with the other stores
 * shown, or null when it is shown alone or already has that stretch.
 */
export function previewTables(
  stores: readonly StoreInfo[],
  store: StoreInfo,
): Uint8Array[] | null {
  if (stores.length < 2 || !store.rgbStretch || !store.rgbBands) return null;
  const target = bandStretch(stores, store.rgbBands);
  return sameStretch(store.rgbStretch, target) ? null : restretchTables(store.rgbStretch, target);
}

/** Whatever changes the colours of `store`'s tiles from `source`: part of their cache key. */
export function colourKey(
  stores: readonly StoreInfo[],
  store: StoreInfo,
  source: Source,
  bands: readonly number[],
): string {
  if (source === "pca_rgb") return "pca";
  const s = source === "bands"
    ? bandStretch(stores, bands)
    : previewTables(stores, store)
    ? bandStretch(stores, store.rgbBands!)
    : null;
  const stretch = s ? s.min.concat(s.max).map((v) => v.toPrecision(7)).join(",") : "as-is";
  return source === "bands" ? `b${bands.join(",")}:${stretch}` : `rgb:${stretch}`;
}
