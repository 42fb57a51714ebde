/**
 * Tiles on the map: each rendered tile becomes a MapLibre image source pinned at its four
 * reprojected corners (no per-pixel reprojection: within a tile the UTM → Web Mercator map is
 * smooth enough that MapLibre's warp between the corners is sub-pixel), with a raster layer
 * inserted below the overlay lines. A tile wider than `SPLIT_KM` (coarse overview levels) is
 * cut into parts, each with its own corners, so the curvature of a big footprint is followed.
 */
import type { ImageSource, Map as MapLibreMap } from "maplibre-gl";
import type { PixelRect } from "../../lib/grid/pixel_rect.ts";
import { rectCorners } from "./geometry.ts";
import type { TileSpec } from "./tiles.ts";

/** Footprint size above which a tile is drawn in several parts. */
const SPLIT_KM = 40;

/** Copies the pixels of `rect` (relative to the image) into a new ImageData. */
function crop(image: ImageData, r0: number, r1: number, c0: number, c1: number): ImageData {
  const w = c1 - c0, out = new Uint8ClampedArray((r1 - r0) * w * 4);
  for (let r = r0; r < r1; r++) {
    out.set(
      image.data.subarray((r * image.width + c0) * 4, (r * image.width + c1) * 4),
      (r - r0) * w * 4,
    );
  }
  return new ImageData(out, w, r1 - r0);
}

export class RasterLayers {
  #shown = new Map<string, string[]>();
  #opacity = 0.85;
  #nextId = 0;

  constructor(readonly map: MapLibreMap, readonly beforeId: string) {}

  has(key: string): boolean {
    return this.#shown.has(key);
  }

  keys(): string[] {
    return [...this.#shown.keys()];
  }

  get count(): number {
    return this.#shown.size;
  }

  show(tile: TileSpec, image: ImageData): void {
    if (this.#shown.has(tile.key)) this.hide(tile.key);
    const ids: string[] = [];
    this.#shown.set(tile.key, ids);
    const { r0, r1, c0, c1 } = tile.rect;
    const km = Math.max(r1 - r0, c1 - c0) * tile.pixelSizeM / 1000;
    const n = Math.min(8, Math.max(1, Math.ceil(km / SPLIT_KM)));
    const parts: { rect: PixelRect; image: ImageData }[] = [];
    if (n === 1) parts.push({ rect: tile.rect, image });
    else {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const rect = {
            r0: r0 + Math.round((r1 - r0) * i / n),
            r1: r0 + Math.round((r1 - r0) * (i + 1) / n),
            c0: c0 + Math.round((c1 - c0) * j / n),
            c1: c0 + Math.round((c1 - c0) * (j + 1) / n),
          };
          parts.push({
            rect,
            image: crop(image, rect.r0 - r0, rect.r1 - r0, rect.c0 - c0, rect.c1 - c0),
          });
        }
      }
    }
    for (const part of parts) {
      const id = `tz-tile-${this.#nextId++}`;
      const corners = n === 1 ? tile.corners : rectCorners(tile.store.zone, tile.geobox, part.rect);
      this.map.addSource(id, { type: "image", coordinates: corners });
      const src = this.map.getSource(id) as ImageSource;
      src.setWarp?.("flat");
      src.updateImage({ image: part.image });
      this.map.addLayer({
        id,
        type: "raster",
        source: id,
        paint: {
          "raster-opacity": this.#opacity,
          "raster-fade-duration": 0,
          "raster-resampling": tile.pixelSizeM <= 10 ? "nearest" : "linear",
        },
      }, this.beforeId);
      ids.push(id);
    }
  }

  hide(key: string): void {
    const ids = this.#shown.get(key);
    if (!ids) return;
    this.#shown.delete(key);
    for (const id of ids) {
      if (this.map.getLayer(id)) this.map.removeLayer(id);
      if (this.map.getSource(id)) this.map.removeSource(id);
    }
  }

  hideAll(): void {
    for (const key of this.keys()) this.hide(key);
  }

  setOpacity(opacity: number): void {
    this.#opacity = opacity;
    for (const ids of this.#shown.values()) {
      for (const id of ids) this.map.setPaintProperty(id, "raster-opacity", opacity);
    }
  }
}
