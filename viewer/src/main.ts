/// <reference no-default-lib="true" />
/// <reference lib="esnext" />
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Entry point of the viewer page: finds the stores (`_stores.json` beside the page,
 * `?store=NAME[,NAME…]` or `?store=URL`), opens the first ones before the map exists (so the
 * first tiles decode while MapLibre starts), binds the panel to the Viewer, and wires the pixel
 * inspector and the cursor readout. View settings may come from the URL too: `?bands=R,G,B`,
 * `?mode=pca`, `?overviews=0`, `?basemap=URL`. `window.tesseraViewer` exposes the viewer for
 * tests and benchmarks (idle promise, counters).
 */
import "maplibre-gl/dist/maplibre-gl.css";
import "./styles.css";
import { type Mode, startDecodePool, Viewer } from "./app.ts";
import { lonLatToUtm, zoneOfLon } from "./geometry.ts";
import { pickPixel, readPixel, showReading } from "./inspector.ts";
import { setInspectedPixel } from "./overlays.ts";
import { listStores, openStore, type StoreInfo } from "./store.ts";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const assets = new URL("./", import.meta.url);
const pageBase = new URL("./", location.href);
const params = new URLSearchParams(location.search);
// The decode workers boot (module, codecs) while the stores are being found.
const pool = startDecodePool(assets);

function setStatus(text: string, level: "info" | "warn" | "error" = "info"): void {
  const el = $("status");
  el.textContent = text;
  el.className = `status ${level}`;
}

function storeUrl(name: string): string {
  return new URL(`${name}/`, pageBase).href.replace(/\/$/, "");
}

function yearOf(name: string): string {
  return /_(\d{4})\.zarr$/.exec(name)?.[1] ?? "other";
}

// ---- which stores, opened early -------------------------------------------------------------

/** `?store=` entries: store names (`utm30_2024[.zarr]`) and URLs of stores elsewhere. */
const wanted = (params.get("store") ?? "").split(",").map((s) => s.trim().replace(/\/+$/, ""))
  .filter(Boolean);
const manualUrls = wanted.filter((w) => /^[a-z]+:\/\//i.test(w));
const askedNames = wanted.filter((w) => !manualUrls.includes(w)).map((w) => w.split("/").pop()!)
  .map((w) => w.endsWith(".zarr") ? w : `${w}.zarr`);

const opening = new Map<string, Promise<StoreInfo>>();
function openOnce(url: string): Promise<StoreInfo> {
  let p = opening.get(url);
  if (!p) {
    p = openStore(url);
    p.catch(() => {}); // reported when the viewer awaits it
    opening.set(url, p);
  }
  return p;
}
// Named stores are requested at once, in parallel with the listing.
for (const name of askedNames) openOnce(storeUrl(name));
const names = await listStores(pageBase);
const selected = names
  ? (() => {
    const byName = askedNames.filter((n) => names.includes(n));
    return byName.length ? byName : manualUrls.length ? [] : names.slice(0, 1);
  })()
  : [];
const initialUrls = selected.length ? selected.map(storeUrl) : manualUrls.slice(0, 1);
// Wait (briefly) for them: a map created with them in view can have its first tiles decoding
// while it starts. A slow store just joins later.
const initial = await Promise.race([
  Promise.allSettled(initialUrls.map(openOnce)).then((rs) =>
    rs.flatMap((r) => r.status === "fulfilled" ? [r.value] : [])
  ),
  new Promise<StoreInfo[]>((resolve) => setTimeout(() => resolve([]), 1500)),
]);

// ---- the viewer -----------------------------------------------------------------------------

const urlBands = (params.get("bands") ?? "").split(",").map(Number);
const viewer = new Viewer($("map"), assets, {
  status: setStatus,
  progress(done, total) {
    const bar = $("progress");
    $("progress-bar").style.width = `${total ? (100 * done / total).toFixed(1) : 100}%`;
    bar.classList.toggle("done", done >= total);
  },
  info(fields) {
    for (const [k, v] of Object.entries(fields)) {
      const el = document.getElementById(`info-${k}`);
      if (el) el.textContent = v;
    }
  },
  storesChanged: onStoresChanged,
  padding: () => ({
    top: 30,
    bottom: 30,
    left: 30,
    right: $("panel").classList.contains("collapsed") ? 30 : $("panel").offsetWidth + 40,
  }),
}, {
  initial,
  bands: urlBands.length === 3 && urlBands.every((b) => Number.isInteger(b) && b >= 0)
    ? urlBands
    : undefined,
  mode: params.get("mode") === "pca" ? "pca" : "rgb",
  overviews: params.get("overviews") !== "0",
  pool,
});

// For tests and benchmarks (viewer/headless.ts types it as PageGlobal).
Object.assign(globalThis, {
  tesseraViewer: { viewer, whenIdle: () => viewer.whenIdle(), stats: () => viewer.stats() },
});

// ---- store list -----------------------------------------------------------------------------

function checkedStores(): string[] {
  return [...document.querySelectorAll<HTMLInputElement>("#store-list input:checked")]
    .map((i) => i.value);
}

function showStores(names: string[]): void {
  const q = new URLSearchParams(location.search);
  if (names.length) q.set("store", names.join(","));
  else q.delete("store");
  const qs = q.toString();
  history.replaceState(null, "", `${location.pathname}${qs ? `?${qs}` : ""}${location.hash}`);
  viewer.setStores(names.map(storeUrl), opening);
}

function buildStoreList(names: string[], selected: Set<string>): void {
  const list = $("store-list");
  list.replaceChildren();
  for (const [year, group] of Map.groupBy(names, yearOf)) {
    const head = document.createElement("div");
    head.className = "year";
    head.textContent = year;
    list.append(head);
    for (const name of group) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = name;
      box.checked = selected.has(name);
      box.addEventListener("change", () => {
        // Stores shown together share a stretch: keep them to one year.
        if (box.checked) {
          for (const other of list.querySelectorAll<HTMLInputElement>("input:checked")) {
            if (other !== box && yearOf(other.value) !== year) other.checked = false;
          }
        }
        showStores(checkedStores());
      });
      label.append(box, ` ${name}`);
      list.append(label);
    }
  }
}

function start(): void {
  if (urlBands.length === 3) {
    bandInputs.forEach((input, k) => (input.value = String(viewer.bands[k])));
  }
  if (viewer.mode === "pca") {
    document.querySelector<HTMLInputElement>('input[name="mode"][value="pca"]')!.checked = true;
  }
  if (manualUrls.length) {
    $<HTMLInputElement>("manual-url").value = manualUrls[0];
    ($("manual") as HTMLDetailsElement).open = true;
  }
  if (names) buildStoreList(names, new Set(selected));
  else {
    $("store-list").innerHTML =
      '<span class="muted">No _stores.json here: enter a store URL.</span>';
    ($("manual") as HTMLDetailsElement).open = true;
  }
  if (initialUrls.length) viewer.setStores(initialUrls, opening);
  else setStatus(names ? "No stores listed in _stores.json." : "Enter a store URL below.", "warn");
}

$("manual-open").addEventListener("click", () => {
  const url = $<HTMLInputElement>("manual-url").value.trim().replace(/\/+$/, "");
  if (!url) return;
  for (const box of document.querySelectorAll<HTMLInputElement>("#store-list input")) {
    box.checked = false;
  }
  viewer.setStores([new URL(url, pageBase).href]);
});

// ---- colour controls ------------------------------------------------------------------------

const bandInputs = ["band-r", "band-g", "band-b"].map((id) => $<HTMLInputElement>(id));

function onStoresChanged(stores: readonly StoreInfo[]): void {
  const bands = Math.min(...stores.map((s) => s.bands));
  for (const input of bandInputs) {
    input.max = String(Number.isFinite(bands) ? bands - 1 : 127);
  }
  const withPca = stores.filter((s) => s.previews.pca_rgb);
  const pca = $<HTMLInputElement>("mode-pca");
  pca.disabled = withPca.length === 0;
  if (pca.disabled && viewer.mode === "pca") {
    document.querySelector<HTMLInputElement>('input[name="mode"][value="rgb"]')!.checked = true;
    viewer.setMode("rgb");
  }
  $("variance").textContent = withPca.map((s) => {
    const v = s.pcaExplainedVariance;
    const text = v ? v.map((x) => `${(100 * x).toFixed(1)}%`).join(" + ") : "?";
    return `${withPca.length > 1 ? `${s.name}: ` : ""}Variance ${text}`;
  }).join("\n") + (withPca.length > 1 ? "\n(each store has its own PCA basis)" : "");
  updateSourceNote();
}

function updateSourceNote(): void {
  const stores = viewer.stores;
  const sources = new Set(stores.map((s) => viewer.sourceFor(s)));
  const notes: string[] = [];
  if (sources.has("pca_rgb")) notes.push("PCA preview with overviews");
  if (sources.has("rgb")) notes.push("rgb preview with overviews");
  if (sources.has("bands")) {
    const s = viewer.bandStretch();
    if (stores.some((x) => !x.stats)) {
      notes.push("no stats_band_p2/p98 in the store: fixed ±4 stretch");
    }
    notes.push(
      `bands from embeddings, full resolution; stretch ${
        s.min.map((lo, k) => `${lo.toFixed(2)}..${s.max[k].toFixed(2)}`).join(" / ")
      }`,
    );
  }
  $("source-note").textContent = notes.join("; ");
  document.querySelector(".bands")!.classList.toggle("off", viewer.mode === "pca");
}

let bandTimer: ReturnType<typeof setTimeout> | undefined;
for (const input of bandInputs) {
  input.addEventListener("input", () => {
    clearTimeout(bandTimer);
    bandTimer = setTimeout(() => {
      const max = Number(input.max);
      const bands = bandInputs.map((i) => {
        const v = Math.round(Number(i.value));
        return Number.isFinite(v) ? Math.min(max, Math.max(0, v)) : 0;
      });
      viewer.setBands(bands);
      updateSourceNote();
    }, 150);
  });
}

for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="mode"]')) {
  radio.addEventListener("change", () => {
    if (!radio.checked) return;
    viewer.setMode(radio.value as Mode);
    updateSourceNote();
  });
}

$<HTMLInputElement>("opacity").addEventListener("input", (ev) => {
  viewer.setOpacity(Number((ev.target as HTMLInputElement).value) / 100);
});

const overlayBoxes = [$<HTMLInputElement>("ov-grid"), $<HTMLInputElement>("ov-zone")];
for (const box of overlayBoxes) {
  box.addEventListener(
    "change",
    () => viewer.setOverlays(overlayBoxes[0].checked, overlayBoxes[1].checked),
  );
}

const basemapInput = $<HTMLInputElement>("basemap-url");
basemapInput.value = new URLSearchParams(location.search).get("basemap") ?? "";
if (basemapInput.value) viewer.setBasemap(basemapInput.value);
basemapInput.addEventListener("change", () => viewer.setBasemap(basemapInput.value));

$("collapse").addEventListener("click", () => {
  const panel = $("panel");
  panel.classList.toggle("collapsed");
  $("collapse").textContent = panel.classList.contains("collapsed") ? "+" : "–";
});

// ---- inspector and cursor readout -----------------------------------------------------------

const inspector = $("inspector");
let inspectSeq = 0;
viewer.map.on("click", async (ev) => {
  const seq = ++inspectSeq;
  performance.mark(`tz-inspect-start-${seq}`);
  const hit = pickPixel(viewer.stores, [ev.lngLat.lng, ev.lngLat.lat]);
  inspector.dataset.busy = "1";
  try {
    const reading = hit ? await readPixel(hit.store, hit.row, hit.col) : null;
    performance.mark(`tz-inspect-read-${seq}`);
    if (seq === inspectSeq) {
      await showReading(inspector, reading);
      performance.mark(`tz-inspect-done-${seq}`);
      // The outline last: redrawing the map is the slow part without a GPU.
      setInspectedPixel(viewer.map, hit?.store ?? null, hit?.row, hit?.col);
    }
  } catch (e) {
    if (seq === inspectSeq) {
      inspector.hidden = false;
      inspector.querySelector(".body")!.textContent = `Read failed: ${(e as Error).message}`;
    }
  } finally {
    if (seq === inspectSeq) delete inspector.dataset.busy;
  }
});
$("inspector-close").addEventListener("click", () => {
  inspector.hidden = true;
  setInspectedPixel(viewer.map, null);
});

viewer.map.on("mousemove", (ev) => {
  const { lng, lat } = ev.lngLat;
  const zone = viewer.stores.find((s) => s.zone === zoneOfLon(lng))?.zone ?? zoneOfLon(lng);
  const [e, n] = lonLatToUtm(zone, lng, lat);
  $("coords").textContent = `${Math.abs(lat).toFixed(5)}°${lat >= 0 ? "N" : "S"}, ` +
    `${Math.abs(lng).toFixed(5)}°${lng >= 0 ? "E" : "W"} | ${e.toFixed(0)} E ${
      n.toFixed(0)
    } N (zone ${zone})`;
});

start();
