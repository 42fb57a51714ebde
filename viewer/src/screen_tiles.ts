/**
 * Which tiles are on screen as the view changes: the current view's, plus the previous view's
 * until the new one has loaded (so zooming never flashes empty), and tiles decoded before the
 * map's style was ready, which wait here until it is. Draws through RasterLayers.
 */
import type { RasterLayers } from "./layers.ts";
import type { PinnedLruCache } from "./pinned_lru.ts";
import type { TileSpec } from "./tiles.ts";

export class ScreenTiles {
  /** Set once the map's style is ready to draw on. */
  #layers: RasterLayers | null = null;
  #wanted = new Set<string>();
  /** On screen but not wanted by the current view: hidden once it has loaded. */
  #stale = new Set<string>();
  #pending = new Map<string, { tile: TileSpec; image: ImageData }>();

  /** Whether the tile is drawn or waiting to be (the cache must keep its image). */
  holds(key: string): boolean {
    return !!this.#layers?.has(key) || this.#pending.has(key);
  }

  /** Tiles drawn. */
  get count(): number {
    return this.#layers?.count ?? 0;
  }

  /** The style is ready: draw on `layers` from now on, starting with what waited. */
  ready(layers: RasterLayers): void {
    this.#layers = layers;
    for (const { tile, image } of this.#pending.values()) {
      if (this.#wanted.has(tile.key)) layers.show(tile, image);
    }
    this.#pending.clear();
  }

  /**
   * A new view wants exactly `tiles`: those in `cache` are shown at once, what is on screen
   * and not wanted becomes stale. Returns the tiles to load.
   */
  want(tiles: readonly TileSpec[], cache: PinnedLruCache<string, ImageData | null>): TileSpec[] {
    this.#wanted = new Set(tiles.map((t) => t.key));
    const toLoad: TileSpec[] = [];
    for (const t of tiles) {
      if (!cache.has(t.key)) toLoad.push(t);
      else {
        const image = cache.get(t.key);
        if (image && !this.#layers?.has(t.key)) this.#show(t, image);
      }
    }
    for (const key of this.#pending.keys()) {
      if (!this.#wanted.has(key)) this.#pending.delete(key);
    }
    for (const key of this.#layers?.keys() ?? []) if (!this.#wanted.has(key)) this.#stale.add(key);
    for (const key of this.#wanted) this.#stale.delete(key);
    return toLoad;
  }

  /** A tile has been decoded: shown if the current view still wants it. */
  loaded(tile: TileSpec, image: ImageData): void {
    if (this.#wanted.has(tile.key)) this.#show(tile, image);
  }

  /** The view has everything it asked for: the previous view's tiles leave the screen. */
  dropStale(): void {
    for (const key of this.#stale) this.#layers?.hide(key);
    this.#stale.clear();
  }

  /** Nothing is shown any more (no stores). */
  clear(): void {
    this.#pending.clear();
    this.#layers?.hideAll();
    this.#stale.clear();
  }

  #show(tile: TileSpec, image: ImageData): void {
    if (this.#layers) this.#layers.show(tile, image);
    else this.#pending.set(tile.key, { tile, image });
  }
}
