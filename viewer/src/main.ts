/// <reference no-default-lib="true" />
/// <reference lib="esnext" />
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Entry point of the viewer page: reads the URL's settings (url_state.ts), finds the stores
 * (`_stores.json` beside the page, `?store=NAME[,NAME…]` or `?store=URL`), opens the first
 * ones before the map exists (so the first tiles decode while MapLibre starts), then creates
 * the Viewer and binds the panel (panel.ts) and the pointer (pointer.ts) to it.
 * `window.tesseraViewer` exposes the viewer for tests and benchmarks (idle promise, counters).
 */
import "maplibre-gl/dist/maplibre-gl.css";
import "./styles.css";
import { Viewer } from "./app.ts";
import { Panel } from "./panel.ts";
import { bindCursorReadout, bindInspector } from "./pointer.ts";
import { startDecodePool } from "./pool.ts";
import { listStores, openStore, type StoreInfo } from "./store.ts";
import { readUrlState, storeUrl } from "./url_state.ts";

const assets = new URL("./", import.meta.url);
const pageBase = new URL("./", location.href);
const url = readUrlState(location.search);
// The decode workers boot (module, codecs) while the stores are being found.
const pool = startDecodePool(assets);

// ---- which stores, opened early -------------------------------------------------------------

const opening = new Map<string, Promise<StoreInfo>>();
function openOnce(storeUrl: string): Promise<StoreInfo> {
  let p = opening.get(storeUrl);
  if (!p) {
    p = openStore(storeUrl);
    p.catch(() => {}); // reported when the viewer awaits it
    opening.set(storeUrl, p);
  }
  return p;
}
// Named stores are requested at once, in parallel with the listing.
for (const name of url.storeNames) openOnce(storeUrl(name, pageBase));
const names = await listStores(pageBase);
const selected = names
  ? (() => {
    const byName = url.storeNames.filter((n) => names.includes(n));
    return byName.length ? byName : url.storeUrls.length ? [] : names.slice(0, 1);
  })()
  : [];
const initialUrls = selected.length
  ? selected.map((n) => storeUrl(n, pageBase))
  : url.storeUrls.slice(0, 1);
// Wait (briefly) for them: a map created with them in view can have its first tiles decoding
// while it starts. A slow store just joins later.
const initial = await Promise.race([
  Promise.allSettled(initialUrls.map(openOnce)).then((rs) =>
    rs.flatMap((r) => r.status === "fulfilled" ? [r.value] : [])
  ),
  new Promise<StoreInfo[]>((resolve) => setTimeout(() => resolve([]), 1500)),
]);

// ---- the viewer -----------------------------------------------------------------------------

const panel = new Panel(url, { pageBase, opening });
const viewer = new Viewer(document.getElementById("map")!, assets, panel.events(), {
  initial,
  bands: url.bands,
  mode: url.mode,
  overviews: url.overviews,
  pool,
});

// For tests and benchmarks (viewer/headless.ts types it as PageGlobal).
Object.assign(globalThis, {
  tesseraViewer: { viewer, whenIdle: () => viewer.whenIdle(), stats: () => viewer.stats() },
});

panel.bind(viewer);
bindInspector(viewer);
bindCursorReadout(viewer);
panel.start(names, selected, initialUrls);
