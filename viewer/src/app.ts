/// <reference no-default-lib="true" />
/// <reference lib="esnext" />
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The viewer's core: a MapLibre map, the stores shown, and the loop that turns a view into
 * tiles — plan (tiles.ts) → cache or schedule (scheduler.ts, nearest first, aborting what the
 * view no longer needs) → decode in workers (pool.ts) → draw (layers.ts). Tiles of the
 * previous view stay on screen until the new view has loaded, so zooming never flashes empty.
 *
 * Colours: with an `rgb` / `pca_rgb` preview whose pyramid matches, the preview levels are
 * used (overviews at low zoom); otherwise three embedding bands are dequantised and stretched
 * with the store-wide p2..p98 (`stats_band_p2/p98`), shared by all stores shown, at full
 * resolution only. Stores of neighbouring zones are clipped at their common zone edge.
 */
import * as maplibregl from "maplibre-gl";
import { baseStyle, loadCountries, setRasterBasemap } from "./basemap.ts";
import { restretchTables, sameStretch, sharedStretch, type Stretch } from "./colour.ts";
import { densifyBox, meridianColumns, utmToLonLat, zoneBand } from "./geometry.ts";
import { RasterLayers } from "./layers.ts";
import { LruCache } from "./lru.ts";
import { addOverlays, RASTER_BEFORE, setOverlayStores, setOverlayVisibility } from "./overlays.ts";
import { DecodePool, type RenderResult } from "./pool.ts";
import type { Job } from "./protocol.ts";
import { TileScheduler } from "./scheduler.ts";
import { prefetchInspector } from "./inspector.ts";
import { openStore, shardGrid, type StoreInfo } from "./store.ts";
import {
  BAND_TILE_PX,
  metresPerPixel,
  planTiles,
  type Source,
  type TileSpec,
  type ViewSpec,
} from "./tiles.ts";
import { type Camera, cameraBounds, fitCamera } from "./camera.ts";

/** `[west, south, east, north]` around the stores' grids (their corners, reprojected). */
function storesBounds(stores: readonly StoreInfo[]): [number, number, number, number] {
  const pts = stores.flatMap((s) => {
    const [h, w] = s.shape;
    return [[0, 0], [0, w], [h, w], [h, 0]].map(([r, c]) =>
      utmToLonLat(s.zone, s.transform[0] * c + s.transform[2], s.transform[4] * r + s.transform[5])
    );
  });
  const lons = pts.map((p) => p[0]), lats = pts.map((p) => p[1]);
  return [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
}

export type Mode = "rgb" | "pca";

/**
 * Bytes of embeddings one view may load for band colours: 256 MiB is 32 band tiles at 128
 * bands, a full 1280 × 800 screen at one data pixel per screen pixel with margin. Beyond it
 * the nearest tiles are loaded and the panel says to zoom in (or to build previews).
 */
export const BAND_BYTES_PER_VIEW = 256 << 20;
/** Tiles decoded at once (each is several range requests, coalesced per shard). */
const CONCURRENCY = 6;
const RAW_CACHE_BYTES = 256 << 20;
const BITMAP_CACHE_BYTES = 384 << 20;
const BITMAP_CACHE_ENTRIES = 600;
/** Used only when a store has no `stats_band_p2/p98` (built before they existed). */
const FALLBACK_STRETCH = 4;

export interface ViewerEvents {
  status(text: string, level?: "info" | "warn" | "error"): void;
  progress(done: number, total: number): void;
  info(fields: Record<string, string>): void;
  storesChanged(stores: readonly StoreInfo[]): void;
  /** Screen space taken by panels, kept clear when fitting the stores into view. */
  padding(): { top: number; bottom: number; left: number; right: number };
}

export interface ViewerStats {
  generation: number;
  tilesRendered: number;
  tilesEmpty: number;
  tilesFailed: number;
  /** Tiles started (decode jobs sent to workers). */
  tilesStarted: number;
  /** Tiles aborted because the view moved on. */
  tilesAborted: number;
  /** Fetches aborted in the decode workers. */
  fetchesAborted: number;
  requests: number;
  bytes: number;
  displayed: number;
  cached: number;
}

/** The decode workers, `min(4, cores)` of them. */
export function startDecodePool(assets: URL): DecodePool {
  const workers = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2));
  return new DecodePool(new URL("decode_worker.js", assets), workers, RAW_CACHE_BYTES);
}

function abortError(): Error {
  const e = new Error("aborted");
  e.name = "AbortError";
  return e;
}

function sameBands(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export class Viewer {
  readonly map: maplibregl.Map;
  readonly pool: DecodePool;
  readonly layers: RasterLayers;
  readonly scheduler: TileScheduler<TileSpec, RenderResult>;
  readonly cache: LruCache<string, ImageData | null>;
  stores: StoreInfo[] = [];
  mode: Mode = "rgb";
  bands: number[] = [0, 1, 2];
  /** Use the preview pyramids' overview levels (false: always full resolution). */
  overviews = true;
  generation = 0;

  #events: ViewerEvents;
  #mapReady: Promise<void>;
  #keepView: boolean;
  #wanted = new Set<string>();
  #stale = new Set<string>();
  #storesGen = 0;
  #loading: Promise<void> = Promise.resolve();
  #counts = { rendered: 0, empty: 0, failed: 0 };
  #styleReady = false;
  /** Tiles decoded before the map's style was ready to draw them. */
  #pendingShows = new Map<string, { tile: TileSpec; image: ImageData }>();
  #basemap: (() => void) | null;
  #basemapTimer: ReturnType<typeof setTimeout> | undefined;
  #basemapDone: Promise<void>;
  #firstDrawn = false;
  #prefetched = new Set<string>();
  /** Band tiles loaded and wanted by the current view. */
  #bandTiles: [number, number] = [0, 0];

  /**
   * `opts.initial`: stores already open. Their first tiles are planned and sent to the decode
   * workers before the map is created (with a camera fitted here), so MapLibre's start-up
   * overlaps with decoding instead of preceding it.
   */
  constructor(
    container: HTMLElement,
    assets: URL,
    events: ViewerEvents,
    opts: {
      initial?: StoreInfo[];
      bands?: number[];
      mode?: Mode;
      overviews?: boolean;
      /** Decode workers started earlier (they take a while to boot). */
      pool?: DecodePool;
    } = {},
  ) {
    this.#events = events;
    const initial = opts.initial ?? [];
    if (opts.bands) this.bands = [...opts.bands];
    if (opts.mode) this.mode = opts.mode;
    if (opts.overviews === false) this.overviews = false;
    let basemapLoaded = () => {};
    this.#basemapDone = new Promise((resolve) => (basemapLoaded = resolve));
    this.#basemap = () => {
      this.#mapReady.then(() => loadCountries(this.map, assets))
        .catch((e) => console.warn("basemap:", e)).finally(basemapLoaded);
    };
    this.pool = opts.pool ?? startDecodePool(assets);
    this.cache = new LruCache(BITMAP_CACHE_ENTRIES, BITMAP_CACHE_BYTES, {
      isPinned: (key) => !!this.layers?.has(key) || this.#pendingShows.has(key),
    });
    this.scheduler = new TileScheduler<TileSpec, RenderResult>({
      concurrency: CONCURRENCY,
      run: (tile, signal) => this.#render(tile, signal),
      onDone: (tile, r) => this.#loaded(tile, r),
      onError: (tile, e) => {
        this.#counts.failed++;
        console.warn(`tile ${tile.key} failed:`, e);
      },
      onProgress: (p) => {
        this.#events.progress(p.done, p.total);
        if (this.scheduler.idle) this.#settled();
      },
    });

    // A shared link (#zoom/lat/lon) keeps its view; otherwise each store load fits the stores.
    this.#keepView = /^#\d/.test(location.hash);
    let camera: Camera = { center: [0, 30], zoom: 1.5 };
    if (initial.length && !this.#keepView) {
      camera = fitCamera(
        storesBounds(initial),
        container.clientWidth,
        container.clientHeight,
        events.padding(),
      );
      this.stores = initial;
      this.#plan(this.#viewOf(camera, container.clientWidth, container.clientHeight));
      this.#keepView = true;
    }
    maplibregl.setWorkerUrl(new URL("maplibre-gl-worker.mjs", assets).href);
    this.map = new maplibregl.Map({
      container,
      style: baseStyle(),
      center: camera.center,
      zoom: camera.zoom,
      maxZoom: 19,
      hash: true,
      dragRotate: false,
      pitchWithRotate: false,
      touchPitch: false,
      fadeDuration: 0,
      attributionControl: { compact: true, customAttribution: "Basemap: Natural Earth" },
    });
    this.map.touchZoomRotate.disableRotation();
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "bottom-right");
    this.map.addControl(new maplibregl.ScaleControl({ maxWidth: 120 }), "bottom-right");
    this.layers = new RasterLayers(this.map, RASTER_BEFORE);
    this.#mapReady = new Promise((resolve) => {
      this.map.once("load", () => {
        performance.mark("tz-map-load");
        addOverlays(this.map);
        this.#styleReady = true;
        for (const { tile, image } of this.#pendingShows.values()) {
          if (this.#wanted.has(tile.key)) this.layers.show(tile, image);
        }
        this.#pendingShows.clear();
        // The basemap waits until the first view's tiles are drawn (or 3 s): data first.
        this.#basemapTimer = setTimeout(() => this.#loadBasemap(), 3000);
        resolve();
      });
    });
    // While the map moves, start nothing new; when it stops, plan the new view at once (the
    // plan aborts what the new view does not need). MapLibre already sends one moveend per
    // gesture, so no debounce is needed.
    this.map.on("movestart", () => this.scheduler.pause());
    this.map.on("moveend", () => this.updateView());
  }

  // ---- stores -------------------------------------------------------------------------------

  /**
   * Opens and shows the stores at `urls` (absolute), replacing the current ones. `opening`
   * may hold `openStore` calls already under way (started before the map, to save time).
   */
  setStores(urls: string[], opening: Map<string, Promise<StoreInfo>> = new Map()): Promise<void> {
    this.#loading = this.#setStores(urls, opening);
    return this.#loading;
  }

  async #setStores(urls: string[], opening: Map<string, Promise<StoreInfo>>): Promise<void> {
    const gen = ++this.#storesGen;
    this.#events.status(`Opening ${urls.length} store(s)…`);
    const results = await Promise.allSettled(urls.map((u) => opening.get(u) ?? openStore(u)));
    if (gen !== this.#storesGen) return;
    performance.mark("tz-stores-open");
    const errors = results.flatMap((r, i) =>
      r.status === "rejected" ? [`${urls[i]}: ${(r.reason as Error).message ?? r.reason}`] : []
    );
    const stores = results.flatMap((r) => r.status === "fulfilled" ? [r.value] : [])
      .sort((a, b) => a.zone - b.zone);
    // No cancelling here: the next plan aborts what it does not want, keeps what it does
    // (the tiles planned before the map existed, when these are the initial stores), and the
    // old stores' tiles leave the screen once the new view is drawn.
    this.stores = stores;
    this.#mapReady.then(() => {
      if (gen === this.#storesGen) setOverlayStores(this.map, stores);
    });
    this.#events.storesChanged(stores);
    if (errors.length) this.#events.status(errors.join("\n"), "error");
    const years = new Set(stores.map((s) => s.year));
    if (years.size > 1) {
      this.#events.status("Stores of different years are shown together.", "warn");
    }
    if (!stores.length) {
      this.scheduler.cancelAll();
      this.#pendingShows.clear();
      if (this.#styleReady) this.layers.hideAll();
      this.#stale.clear();
      this.#loadBasemap();
      return;
    }
    if (!this.#keepView) {
      const [w, s, e, n] = storesBounds(stores);
      this.map.fitBounds([[w, s], [e, n]], { padding: this.#events.padding(), animate: false });
    }
    this.#keepView = false;
    this.#updateInfo();
    this.updateView();
  }

  // ---- colours ------------------------------------------------------------------------------

  setMode(mode: Mode): void {
    this.mode = mode;
    this.#updateInfo();
    this.updateView();
  }

  setBands(bands: number[]): void {
    if (sameBands(bands, this.bands)) return;
    this.bands = [...bands];
    this.#updateInfo();
    this.updateView();
  }

  setOpacity(opacity: number): void {
    this.layers.setOpacity(opacity);
  }

  setOverlays(grid: boolean, zone: boolean): void {
    this.#mapReady.then(() => setOverlayVisibility(this.map, grid, zone));
  }

  setBasemap(template: string): void {
    this.#mapReady.then(() => setRasterBasemap(this.map, template));
  }

  /** What a store's tiles are coloured from in the current mode. */
  sourceFor(store: StoreInfo): Source {
    if (this.mode === "pca" && store.previews.pca_rgb) return "pca_rgb";
    if (store.previews.rgb && store.rgbBands && sameBands(store.rgbBands, this.bands)) return "rgb";
    return "bands";
  }

  /** The stretch of the current bands, shared by all stores shown. */
  bandStretch(bands: readonly number[] = this.bands): Stretch {
    const stats = this.stores.flatMap((s) => s.stats ? [s.stats] : []);
    if (!stats.length) {
      return { min: bands.map(() => -FALLBACK_STRETCH), max: bands.map(() => FALLBACK_STRETCH) };
    }
    return sharedStretch(stats, bands);
  }

  /** Tables re-stretching a store's `rgb` preview to the shared stretch, or null if equal. */
  #previewTables(store: StoreInfo): Uint8Array[] | null {
    if (this.stores.length < 2 || !store.rgbStretch || !store.rgbBands) return null;
    const target = this.bandStretch(store.rgbBands);
    return sameStretch(store.rgbStretch, target) ? null : restretchTables(store.rgbStretch, target);
  }

  #colourKey(store: StoreInfo, source: Source): string {
    if (source === "pca_rgb") return "pca";
    const s = source === "bands"
      ? this.bandStretch()
      : this.#previewTables(store)
      ? this.bandStretch(store.rgbBands!)
      : null;
    const stretch = s ? s.min.concat(s.max).map((v) => v.toPrecision(7)).join(",") : "as-is";
    return source === "bands" ? `b${this.bands.join(",")}:${stretch}` : `rgb:${stretch}`;
  }

  // ---- the view loop ------------------------------------------------------------------------

  /** Plans the map's current view and (re)schedules what is missing. */
  updateView(): void {
    if (!this.stores.length) {
      this.scheduler.resume();
      return;
    }
    const b = this.map.getBounds(), c = this.map.getCenter();
    this.#plan({
      ring: densifyBox(b.getWest(), b.getSouth(), b.getEast(), b.getNorth()),
      centre: [c.lng, c.lat],
      metresPerPx: metresPerPixel(this.map.getZoom(), c.lat) / (globalThis.devicePixelRatio || 1),
    });
  }

  /** The view of a camera in a `width × height` viewport (before the map exists). */
  #viewOf(cam: Camera, width: number, height: number): ViewSpec {
    const [w, s, e, n] = cameraBounds(cam, width, height);
    return {
      ring: densifyBox(w, s, e, n),
      centre: cam.center,
      metresPerPx: metresPerPixel(cam.zoom, cam.center[1]) / (globalThis.devicePixelRatio || 1),
    };
  }

  #plan(view: ViewSpec): void {
    this.generation++;
    const zonesShown = new Set(this.stores.map((s) => s.zone));
    let tiles = this.stores.flatMap((s) => {
      const source = this.sourceFor(s);
      return planTiles(s, source, view, {
        zonesShown,
        colourKey: this.#colourKey(s, source),
        overviews: this.overviews,
        maxTiles: Math.ceil(BAND_BYTES_PER_VIEW / (BAND_TILE_PX * BAND_TILE_PX * (s.bands + 4))),
      });
    }).sort((a, b) => a.priority - b.priority);
    const bandTiles = tiles.filter((t) => t.source === "bands");
    let budget = BAND_BYTES_PER_VIEW, keep = 0;
    for (const t of bandTiles) {
      const bytes = (t.rect.r1 - t.rect.r0) * (t.rect.c1 - t.rect.c0) * (t.store.bands + 4);
      if (bytes > budget && keep > 0) break;
      budget -= bytes;
      keep++;
    }
    this.#bandTiles = [keep, bandTiles.length];
    if (keep < bandTiles.length) {
      const drop = new Set(bandTiles.slice(keep).map((t) => t.key));
      tiles = tiles.filter((t) => !drop.has(t.key));
    }
    this.#wanted = new Set(tiles.map((t) => t.key));
    const toLoad: TileSpec[] = [];
    for (const t of tiles) {
      if (!this.cache.has(t.key)) toLoad.push(t);
      else {
        const image = this.cache.get(t.key);
        if (image && !this.layers?.has(t.key)) this.#show(t, image);
      }
    }
    for (const key of this.#pendingShows.keys()) {
      if (!this.#wanted.has(key)) this.#pendingShows.delete(key);
    }
    for (const key of this.layers?.keys() ?? []) if (!this.#wanted.has(key)) this.#stale.add(key);
    for (const key of this.#wanted) this.#stale.delete(key);
    this.scheduler.setWanted(toLoad);
    this.#updateInfo(tiles);
    if (this.scheduler.idle) this.#settled();
  }

  async #render(tile: TileSpec, signal: AbortSignal): Promise<RenderResult> {
    const clip = (on: boolean, lon: number) =>
      on ? meridianColumns(tile.store.zone, tile.transform, tile.rect, lon) : null;
    const [west, east] = zoneBand(tile.store.zone);
    const clipWest = clip(tile.clipWest, west), clipEast = clip(tile.clipEast, east);
    let job: Job, affinity: string | undefined;
    if (tile.source === "bands") {
      job = {
        kind: "bands",
        storeUrl: tile.store.url,
        rect: tile.rect,
        bands: this.bands,
        stretch: this.bandStretch(),
        clipWest,
        clipEast,
      };
      const { r0, c0 } = tile.rect;
      affinity = `${tile.store.url}|${r0}|${c0}`;
    } else {
      job = {
        kind: "preview",
        storeUrl: tile.store.url,
        path: tile.path,
        rect: tile.rect,
        tables: tile.source === "rgb" ? this.#previewTables(tile.store) : null,
        clipWest,
        clipEast,
      };
    }
    const r = await this.pool.render(job, signal, affinity);
    if (signal.aborted) throw abortError();
    return r;
  }

  #loaded(tile: TileSpec, r: RenderResult): void {
    if (r.image && this.#counts.rendered === 0) performance.mark("tz-first-tile");
    if (r.image) this.#counts.rendered++;
    else this.#counts.empty++;
    this.cache.set(tile.key, r.image, r.width * r.height * 4);
    if (r.image && this.#wanted.has(tile.key)) this.#show(tile, r.image);
  }

  #show(tile: TileSpec, image: ImageData): void {
    if (this.#styleReady) this.layers.show(tile, image);
    else this.#pendingShows.set(tile.key, { tile, image });
  }

  /** The view has everything it asked for: drop the previous view's tiles. */
  #settled(): void {
    for (const key of this.#stale) this.layers.hide(key);
    this.#stale.clear();
    this.cache.trim();
    this.#updateInfo();
    if (this.#counts.rendered === 0) return;
    if (!this.#firstDrawn) {
      this.#firstDrawn = true;
      this.#mapReady.then(() => this.map.once("render", () => performance.mark("tz-drawn")));
      this.#loadBasemap();
    }
    // A click's fixed costs (code, array metadata) are paid now, while nothing else runs.
    const fresh = this.stores.filter((s) => !this.#prefetched.has(s.url));
    if (fresh.length) {
      for (const s of fresh) this.#prefetched.add(s.url);
      setTimeout(() => prefetchInspector(fresh), 0);
    }
  }

  #loadBasemap(): void {
    clearTimeout(this.#basemapTimer);
    const load = this.#basemap;
    this.#basemap = null;
    load?.();
  }

  // ---- information --------------------------------------------------------------------------

  #updateInfo(tiles?: TileSpec[]): void {
    const s = this.stores;
    if (!s.length) return;
    const fields: Record<string, string> = {
      zone: s.map((x) => x.zone).join(", "),
      epsg: s.map((x) => x.epsg).join(", "),
      grid: s.map((x) =>
        `${x.shape[1]}×${x.shape[0]} px (${(x.shape[1] * x.pixelSizeM / 1000).toFixed(1)}×${
          (x.shape[0] * x.pixelSizeM / 1000).toFixed(1)
        } km)`
      ).join("; "),
      shards: s.map((x) => {
        const [nr, nc] = shardGrid(x);
        return `${x.shards ? x.shards.size : "?"} with data / ${nr * nc}`;
      }).join("; "),
    };
    if (tiles) {
      const levels = new Map<string, string>();
      for (const t of tiles) {
        levels.set(
          t.store.name,
          t.source === "bands"
            ? `bands ${this.bands.join(",")} (${t.pixelSizeM} m)`
            : `${t.source} L${t.level} (${t.pixelSizeM} m)`,
        );
      }
      fields.level = [...levels.values()].join("; ") || "nothing in view";
    }
    const p = this.scheduler.progress;
    fields.tiles = `${p.done}/${p.total} loaded, ${this.layers?.count ?? 0} shown`;
    this.#events.info(fields);
    const [kept, all] = this.#bandTiles;
    if (kept < all) {
      this.#events.status(
        `Bands: showing the nearest ${kept} of ${all} tiles (${BAND_BYTES_PER_VIEW >> 20} MiB ` +
          "per view); zoom in, or build previews (deno task stats) for overviews.",
        "warn",
      );
    } else if (this.scheduler.idle) {
      const failed = this.#counts.failed;
      this.#events.status(
        failed ? `${failed} tile(s) failed (see console)` : "Ready",
        failed ? "warn" : "info",
      );
    } else this.#events.status("Loading…");
  }

  stats(): ViewerStats {
    const net = this.pool.net;
    return {
      generation: this.generation,
      tilesRendered: this.#counts.rendered,
      tilesEmpty: this.#counts.empty,
      tilesFailed: this.#counts.failed,
      tilesStarted: this.scheduler.counts.started,
      tilesAborted: this.scheduler.counts.aborted,
      fetchesAborted: net.aborted,
      requests: net.requests,
      bytes: net.bytes,
      displayed: this.layers.count,
      cached: this.cache.size,
    };
  }

  /** Resolves once the stores are open and the current view is completely drawn. */
  async whenIdle(): Promise<void> {
    await this.#mapReady;
    await this.#loading;
    if (this.stores.length) {
      await this.scheduler.whenIdle();
      await this.#basemapDone;
    }
    for (let i = 0; i < 1000; i++) {
      while (this.map.isMoving()) await new Promise((r) => setTimeout(r, 20));
      await this.scheduler.whenIdle();
      if (!this.map.isMoving() && this.scheduler.idle) break;
    }
    await new Promise<void>((resolve) => {
      this.map.once("idle", () => resolve());
      this.map.triggerRepaint();
    });
  }
}
