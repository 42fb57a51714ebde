/**
 * The MapLibre map the viewer draws on: the background-only style (basemap.ts), the position
 * kept in the URL hash (`#zoom/lat/lon`), north-up only (no rotation or pitch), the zoom and
 * scale controls, and MapLibre's own worker loaded from beside the bundle.
 */
import * as maplibregl from "maplibre-gl";
import { baseStyle } from "./basemap.ts";
import type { Camera } from "./camera.ts";

/** Creates the map in `container` at `camera`; `assets` is the bundle's folder. */
export function createMap(container: HTMLElement, assets: URL, camera: Camera): maplibregl.Map {
  maplibregl.setWorkerUrl(new URL("maplibre-gl-worker.mjs", assets).href);
  const map = new maplibregl.Map({
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
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "bottom-right");
  map.addControl(new maplibregl.ScaleControl({ maxWidth: 120 }), "bottom-right");
  return map;
}
