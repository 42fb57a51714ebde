/**
 * Which layout each BASE has, remembered for this process: detected once (layout_detect.ts,
 * called by `resolveBase` and `listTiles`), then every `tilePaths(base, tile)` — in this thread
 * and in the build's Web Workers — uses it without asking again. Workers are separate isolates
 * of the same process, so the choices also go into the environment (`TZ_LAYOUTS`, JSON), as
 * the remote settings do (lib/tiles/remote.ts). A BASE nobody chose a layout for has the
 * seed's.
 */
import { resolve } from "node:path";
import type { TileLayout } from "./layout.ts";

/** Environment variable carrying the choices to the workers: JSON `{ base key: layout }`. */
export const LAYOUTS_ENV = "TZ_LAYOUTS";

const chosen = new Map<string, TileLayout>();
let envCache: { raw: string; map: Record<string, TileLayout> } | undefined;

/** One key per BASE however it is spelled: a resolved path, or a URL with a trailing slash. */
function keyOf(base: string): string {
  if (/^https?:\/\//i.test(base)) {
    const url = new URL(base);
    url.search = "";
    url.hash = "";
    if (!url.pathname.endsWith("/")) url.pathname += "/";
    return url.href;
  }
  return resolve(base);
}

function fromEnv(): Record<string, TileLayout> {
  let raw: string | undefined;
  try {
    raw = Deno.env.get(LAYOUTS_ENV);
  } catch {
    return {}; // no env permission: only this isolate's choices count
  }
  if (!raw) return {};
  if (envCache?.raw !== raw) {
    try {
      envCache = { raw, map: JSON.parse(raw) };
    } catch {
      envCache = { raw, map: {} };
    }
  }
  return envCache.map;
}

/**
 * Records `layout` as the layout of `base` for this process and its workers.
 *
 * @example
 * ```ts
 * chooseLayout("/data", publicLayout("v1", "v1"));
 * tilePaths("/data", tile).embeddings; // "/data/npy/v1/2024/grid_…/grid_….npy"
 * ```
 */
export function chooseLayout(base: string, layout: TileLayout): void {
  const key = keyOf(base);
  chosen.set(key, layout);
  try {
    Deno.env.set(LAYOUTS_ENV, JSON.stringify({ ...fromEnv(), [key]: layout }));
  } catch {
    // Without env permission the workers cannot be told; this isolate still knows.
  }
}

/** The layout chosen for `base`, or undefined when none was. */
export function chosenLayout(base: string): TileLayout | undefined {
  const key = keyOf(base);
  return chosen.get(key) ?? fromEnv()[key];
}

/** The layout of `base`: the one chosen for it, else the seed's. */
export function layoutOf(base: string): TileLayout {
  return chosenLayout(base) ?? { kind: "seed" };
}
