/// <reference no-default-lib="true" />
/// <reference lib="esnext" />
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The viewer's core: a MapLibre map, the stores shown, and the loop that turns a view into
 * tiles — plan (view_plan.ts) → cache or schedule (scheduler.ts, nearest first, aborting what
 * the view no longer needs) → decode in workers (tile_job.ts, pool.ts) → draw (screen_tiles.ts,
 * layers.ts). Tiles of the previous view stay on screen until the new view has loaded, so
 * zooming never flashes empty.
 *
 * Colours (colour_source.ts): with an `rgb` / `pca_rgb` preview whose pyramid matches, the
 * preview levels are used (overviews at low zoom); otherwise three embedding bands are
 * dequantised and stretched with the store-wide p2..p98, shared by all stores shown, at full
 * resolution only. Stores of neighbouring zones are clipped at their common zone edge.
 */
import type * as maplibregl from "maplibre-gl";
import { DeferredBasemap, loadCountries, setRasterBasemap } from "./basemap.ts";
import { type Camera, fitCamera } from "./camera.ts";
import type { Stretch } from "./colour.ts";
import { bandStretch, type Mode, sameBands, sourceFor } from "./colour_source.ts";
import { gridsBounds } from "./geometry.ts";
import { prefetchInspector } from "./inspector.ts";
import { RasterLayers } from "./layers.ts";
import { PinnedLruCache } from "./pinned_lru.ts";
import { createMap } from "./map_setup.ts";
import { addOverlays, RASTER_BEFORE, setOverlayStores, setOverlayVisibility } from "./overlays.ts";
import { type DecodePool, type RenderResult, startDecodePool } from "./pool.ts";
import { TileScheduler } from "./scheduler.ts";
import { ScreenTiles } from "./screen_tiles.ts";
import { openStore, type StoreInfo } from "./store.ts";
import { hasSharedView } from "./url_state.ts";
import { tileJob } from "./tile_job.ts";
import type { Source, TileSpec, ViewSpec } from "./tiles.ts";
import { viewInfo, viewStatus } from "./view_info.ts";
import { planView, viewOfCamera, viewOfMap } from "./view_plan.ts";

/** Tiles decoded at once (each is several range requests, coalesced per shard). */
const CONCURRENCY = 6;
const BITMAP_CACHE_BYTES = 384 << 20;
const BITMAP_CACHE_ENTRIES = 600;
/** The basemap waits this long for the first view's tiles to be drawn. */
const BASEMAP_DELAY_MS = 3000;

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

function abortError(): Error {
  const e = new Error("aborted");
  e.name = "AbortError";
  return e;
}

export class Viewer {
  readonly map: maplibregl.Map;
  readonly pool: DecodePool;
  readonly layers: RasterLayers;
  readonly scheduler: TileScheduler<TileSpec, RenderResult>;
  readonly cache: PinnedLruCache<string, ImageData | null>;
  stores: StoreInfo[] = [];
  mode: Mode = "rgb";
  bands: number[] = [0, 1, 2];
  /** Use the preview pyramids' overview levels (false: always full resolution). */
  overviews = true;
  generation = 0;

  #events: ViewerEvents;
  #mapReady: Promise<void>;
  #keepView: boolean;
  #screen = new ScreenTiles();
  #storesGen = 0;
  #loading: Promise<void> = Promise.resolve();
  #counts = { rendered: 0, empty: 0, failed: 0 };
  #basemap: DeferredBasemap;
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
    this.#basemap = new DeferredBasemap(() =>
      this.#mapReady.then(() => loadCountries(this.map, assets))
    );
    this.pool = opts.pool ?? startDecodePool(assets);
    this.cache = new PinnedLruCache(BITMAP_CACHE_ENTRIES, BITMAP_CACHE_BYTES, {
      isPinned: (key) => this.#screen.holds(key),
    });
    this.scheduler = this.#createScheduler();

    // A shared link (#zoom/lat/lon) keeps its view; otherwise each store load fits the stores.
    this.#keepView = hasSharedView(location.hash);
    let camera: Camera = { center: [0, 30], zoom: 1.5 };
    if (initial.length && !this.#keepView) {
      const { clientWidth: width, clientHeight: height } = container;
      camera = fitCamera(gridsBounds(initial), width, height, events.padding());
      this.stores = initial;
      this.#plan(viewOfCamera(camera, width, height));
      this.#keepView = true;
    }
    this.map = createMap(container, assets, camera);
    this.layers = new RasterLayers(this.map, RASTER_BEFORE);
    this.#mapReady = new Promise((resolve) => {
      this.map.once("load", () => {
        this.#onMapLoad();
        resolve();
      });
    });
    // While the map moves, start nothing new; when it stops, plan the new view at once (the
    // plan aborts what the new view does not need). MapLibre already sends one moveend per
    // gesture, so no debounce is needed.
    this.map.on("movestart", () => this.scheduler.pause());
    this.map.on("moveend", () => this.updateView());
  }

  #createScheduler(): TileScheduler<TileSpec, RenderResult> {
    return new TileScheduler<TileSpec, RenderResult>({
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
  }

  /** The style is ready: overlays, the tiles decoded meanwhile, then (later) the basemap. */
  #onMapLoad(): void {
    performance.mark("tz-map-load");
    addOverlays(this.map);
    this.#screen.ready(this.layers);
    // The basemap waits until the first view's tiles are drawn (or 3 s): data first.
    this.#basemap.loadAfter(BASEMAP_DELAY_MS);
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
      this.#screen.clear();
      this.#basemap.loadNow();
      return;
    }
    if (!this.#keepView) {
      const [w, s, e, n] = gridsBounds(stores);
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
    return sourceFor(store, this);
  }

  /** The stretch of the current bands, shared by all stores shown. */
  bandStretch(bands: readonly number[] = this.bands): Stretch {
    return bandStretch(this.stores, bands);
  }

  // ---- the view loop ------------------------------------------------------------------------

  /** Plans the map's current view and (re)schedules what is missing. */
  updateView(): void {
    if (!this.stores.length) {
      this.scheduler.resume();
      return;
    }
    this.#plan(viewOfMap(this.map));
  }

  #plan(view: ViewSpec): void {
    this.generation++;
    const { tiles, bandTiles } = planView(this.stores, view, this, this.overviews);
    this.#bandTiles = bandTiles;
    this.scheduler.setWanted(this.#screen.want(tiles, this.cache));
    this.#updateInfo(tiles);
    if (this.scheduler.idle) this.#settled();
  }

  async #render(tile: TileSpec, signal: AbortSignal): Promise<RenderResult> {
    const { job, affinity } = tileJob(tile, this.stores, this.bands);
    const r = await this.pool.render(job, signal, affinity);
    if (signal.aborted) throw abortError();
    return r;
  }

  #loaded(tile: TileSpec, r: RenderResult): void {
    if (r.image && this.#counts.rendered === 0) performance.mark("tz-first-tile");
    if (r.image) this.#counts.rendered++;
    else this.#counts.empty++;
    this.cache.set(tile.key, r.image, r.width * r.height * 4);
    if (r.image) this.#screen.loaded(tile, r.image);
  }

  /** The view has everything it asked for: drop the previous view's tiles. */
  #settled(): void {
    this.#screen.dropStale();
    this.cache.trim();
    this.#updateInfo();
    if (this.#counts.rendered === 0) return;
    if (!this.#firstDrawn) {
      this.#firstDrawn = true;
      this.#mapReady.then(() => this.map.once("render", () => performance.mark("tz-drawn")));
      this.#basemap.loadNow();
    }
    // A click's fixed costs (code, array metadata) are paid now, while nothing else runs.
    const fresh = this.stores.filter((s) => !this.#prefetched.has(s.url));
    if (fresh.length) {
      for (const s of fresh) this.#prefetched.add(s.url);
      setTimeout(() => prefetchInspector(fresh), 0);
    }
  }

  // ---- information --------------------------------------------------------------------------

  #updateInfo(tiles?: TileSpec[]): void {
    if (!this.stores.length) return;
    const { progress } = this.scheduler;
    this.#events.info(viewInfo(this.stores, tiles, this.bands, progress, this.#screen.count));
    const { text, level } = viewStatus(
      this.#bandTiles,
      this.scheduler.idle,
      this.#counts.failed,
    );
    this.#events.status(text, level);
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
      displayed: this.#screen.count,
      cached: this.cache.size,
    };
  }

  /** Resolves once the stores are open and the current view is completely drawn. */
  async whenIdle(): Promise<void> {
    await this.#mapReady;
    await this.#loading;
    if (this.stores.length) {
      await this.scheduler.whenIdle();
      await this.#basemap.done;
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
