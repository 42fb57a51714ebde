/// <reference no-default-lib="true" />
/// <reference lib="esnext" />
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The side panel, bound to the Viewer: the store list (grouped by year, one year at a time)
 * and the manual URL box; the colour controls (RGB bands, PCA with its explained variance,
 * the note saying where colours come from, opacity); the overlay switches, the basemap URL
 * and the collapse button; and the other way round, the Viewer's status line, progress bar
 * and info fields.
 */
import type { Viewer, ViewerEvents } from "./app.ts";
import type { Mode } from "./colour_source.ts";
import type { StoreInfo } from "./store.ts";
import { setStoresInUrl, storeUrl, type UrlState, yearOf } from "./url_state.ts";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/** Where the panel's store names and URLs lead: the page's folder, and opens under way. */
export interface StoreSource {
  pageBase: URL;
  opening: Map<string, Promise<StoreInfo>>;
}

export function setStatus(text: string, level: "info" | "warn" | "error" = "info"): void {
  const el = $("status");
  el.textContent = text;
  el.className = `status ${level}`;
}

export class Panel {
  #viewer: Viewer | null = null;
  #bandInputs = ["band-r", "band-g", "band-b"].map((id) => $<HTMLInputElement>(id));

  constructor(readonly url: UrlState, readonly source: StoreSource) {}

  get #v(): Viewer {
    if (!this.#viewer) throw new Error("panel used before bind()");
    return this.#viewer;
  }

  /** What the Viewer reports to the panel. */
  events(): ViewerEvents {
    return {
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
      storesChanged: (stores) => this.#storesChanged(stores),
      padding: () => ({
        top: 30,
        bottom: 30,
        left: 30,
        right: $("panel").classList.contains("collapsed") ? 30 : $("panel").offsetWidth + 40,
      }),
    };
  }

  /** Wires the controls to `viewer`. */
  bind(viewer: Viewer): void {
    this.#viewer = viewer;
    $("manual-open").addEventListener("click", () => {
      const url = $<HTMLInputElement>("manual-url").value.trim().replace(/\/+$/, "");
      if (!url) return;
      for (const box of document.querySelectorAll<HTMLInputElement>("#store-list input")) {
        box.checked = false;
      }
      viewer.setStores([new URL(url, this.source.pageBase).href]);
    });
    this.#bindColours(viewer);
    this.#bindMapControls(viewer);
  }

  /**
   * Shows the URL's settings and the store list (`names` from `_stores.json`, or null in
   * manual mode, `selected` checked), then opens `initialUrls`.
   */
  start(names: string[] | null, selected: readonly string[], initialUrls: string[]): void {
    const viewer = this.#v;
    if (this.url.bandsListed) {
      this.#bandInputs.forEach((input, k) => (input.value = String(viewer.bands[k])));
    }
    if (viewer.mode === "pca") {
      document.querySelector<HTMLInputElement>('input[name="mode"][value="pca"]')!.checked = true;
    }
    if (this.url.storeUrls.length) {
      $<HTMLInputElement>("manual-url").value = this.url.storeUrls[0];
      ($("manual") as HTMLDetailsElement).open = true;
    }
    if (names) this.#buildStoreList(names, new Set(selected));
    else {
      $("store-list").innerHTML =
        '<span class="muted">No _stores.json here: enter a store URL.</span>';
      ($("manual") as HTMLDetailsElement).open = true;
    }
    if (initialUrls.length) viewer.setStores(initialUrls, this.source.opening);
    else {setStatus(
        names ? "No stores listed in _stores.json." : "Enter a store URL below.",
        "warn",
      );}
  }

  // ---- store list ---------------------------------------------------------------------------

  #showStores(names: string[]): void {
    setStoresInUrl(names);
    const { pageBase, opening } = this.source;
    this.#v.setStores(names.map((n) => storeUrl(n, pageBase)), opening);
  }

  #buildStoreList(names: string[], selected: Set<string>): void {
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
          this.#showStores(
            [...list.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value),
          );
        });
        label.append(box, ` ${name}`);
        list.append(label);
      }
    }
  }

  // ---- colours ------------------------------------------------------------------------------

  #storesChanged(stores: readonly StoreInfo[]): void {
    const viewer = this.#v;
    const bands = Math.min(...stores.map((s) => s.bands));
    for (const input of this.#bandInputs) {
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
    this.#updateSourceNote();
  }

  #updateSourceNote(): void {
    const viewer = this.#v;
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

  #bindColours(viewer: Viewer): void {
    let bandTimer: ReturnType<typeof setTimeout> | undefined;
    for (const input of this.#bandInputs) {
      input.addEventListener("input", () => {
        clearTimeout(bandTimer);
        bandTimer = setTimeout(() => {
          const max = Number(input.max);
          const bands = this.#bandInputs.map((i) => {
            const v = Math.round(Number(i.value));
            return Number.isFinite(v) ? Math.min(max, Math.max(0, v)) : 0;
          });
          viewer.setBands(bands);
          this.#updateSourceNote();
        }, 150);
      });
    }
    for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="mode"]')) {
      radio.addEventListener("change", () => {
        if (!radio.checked) return;
        viewer.setMode(radio.value as Mode);
        this.#updateSourceNote();
      });
    }
    $<HTMLInputElement>("opacity").addEventListener("input", (ev) => {
      viewer.setOpacity(Number((ev.target as HTMLInputElement).value) / 100);
    });
  }

  // ---- overlays, basemap, panel -------------------------------------------------------------

  #bindMapControls(viewer: Viewer): void {
    const overlayBoxes = [$<HTMLInputElement>("ov-grid"), $<HTMLInputElement>("ov-zone")];
    for (const box of overlayBoxes) {
      box.addEventListener(
        "change",
        () => viewer.setOverlays(overlayBoxes[0].checked, overlayBoxes[1].checked),
      );
    }
    const basemapInput = $<HTMLInputElement>("basemap-url");
    basemapInput.value = this.url.basemap;
    if (basemapInput.value) viewer.setBasemap(basemapInput.value);
    basemapInput.addEventListener("change", () => viewer.setBasemap(basemapInput.value));
    $("collapse").addEventListener("click", () => {
      const panel = $("panel");
      panel.classList.toggle("collapsed");
      $("collapse").textContent = panel.classList.contains("collapsed") ? "+" : "–";
    });
  }
}
