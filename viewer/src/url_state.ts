/// <reference lib="dom" />
/**
 * What the page's URL asks for, and the one thing written back to it: `?store=NAME[,NAME…]`
 * or `?store=URL`, `?bands=R,G,B`, `?mode=pca`, `?overviews=0`, `?basemap=URL`; the map
 * position in the hash (`#zoom/lat/lon`, kept by MapLibre) marks a shared view. Store names
 * resolve beside the page. Parsing is pure; `setStoresInUrl` edits the history entry.
 */
import type { Mode } from "./colour_source.ts";
import { parseStoreName } from "../../lib/store/names.ts";

export interface UrlState {
  /** `?store=` store names, each ending in `.zarr`. */
  storeNames: string[];
  /** `?store=` URLs of stores elsewhere (manual mode). */
  storeUrls: string[];
  /** `?bands=`: three band numbers, when three were given and all are valid. */
  bands: number[] | undefined;
  /** Whether `?bands=` listed three values (valid or not: the inputs then show the bands used). */
  bandsListed: boolean;
  mode: Mode;
  /** False with `?overviews=0`: full resolution only. */
  overviews: boolean;
  /** `?basemap=` raster tile template, or "". */
  basemap: string;
}

/**
 * The settings in a page URL's query string.
 *
 * @example
 * readUrlState("?store=utm30_2024,http://h/x.zarr&bands=3,4,5").storeNames; // ["utm30_2024.zarr"]
 */
export function readUrlState(search: string): UrlState {
  const params = new URLSearchParams(search);
  const wanted = (params.get("store") ?? "").split(",").map((s) => s.trim().replace(/\/+$/, ""))
    .filter(Boolean);
  const storeUrls = wanted.filter((w) => /^[a-z]+:\/\//i.test(w));
  const storeNames = wanted.filter((w) => !storeUrls.includes(w)).map((w) => w.split("/").pop()!)
    .map((w) => w.endsWith(".zarr") ? w : `${w}.zarr`);
  const bands = (params.get("bands") ?? "").split(",").map(Number);
  return {
    storeNames,
    storeUrls,
    bands: bands.length === 3 && bands.every((b) => Number.isInteger(b) && b >= 0)
      ? bands
      : undefined,
    bandsListed: bands.length === 3,
    mode: params.get("mode") === "pca" ? "pca" : "rgb",
    overviews: params.get("overviews") !== "0",
    basemap: params.get("basemap") ?? "",
  };
}

/** Whether the URL hash holds a map position (a shared link): the view is kept as it is. */
export function hasSharedView(hash: string): boolean {
  return /^#\d/.test(hash);
}

/** The absolute URL (no trailing slash) of the store `name` beside the page at `pageBase`. */
export function storeUrl(name: string, pageBase: URL): string {
  return new URL(`${name}/`, pageBase).href.replace(/\/$/, "");
}

/** The year in a store name (`utm30_2024.zarr` → "2024"), or "other". */
export function yearOf(name: string): string {
  const year = parseStoreName(name)?.year;
  return year === undefined ? "other" : String(year);
}

/** Records the stores shown in `?store=` (replacing the history entry), keeping the rest. */
export function setStoresInUrl(names: readonly string[]): void {
  const q = new URLSearchParams(location.search);
  if (names.length) q.set("store", names.join(","));
  else q.delete("store");
  const qs = q.toString();
  history.replaceState(null, "", `${location.pathname}${qs ? `?${qs}` : ""}${location.hash}`);
}
