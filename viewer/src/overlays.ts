/**
 * Overlays: the shard grid of each shown store (grid lines through reprojected shard corners;
 * shards the manifest lists as empty shaded grey) and the UTM zone band's outline over both
 * hemispheres. Also the outline of the inspected pixel. Tiles are drawn between the fills and
 * the lines (`RASTER_BEFORE`). No fill covers the whole view: without a GPU every full-screen
 * layer costs tens of milliseconds per frame.
 */
import type { GeoJSONSource, Map as MapLibreMap } from "maplibre-gl";
import { pixelCorner } from "../../lib/grid/geobox.ts";
import { type LonLat, rectCorners, utmToLonLat, zoneOutline } from "./geometry.ts";
import { hasShard, shardGrid, type StoreInfo } from "./store.ts";

/** Raster tiles are inserted before this layer. */
export const RASTER_BEFORE = "tz-grid-lines";

/** Above this many shards per store, empty shards get no polygon of their own (lines only). */
const MAX_EMPTY_POLYGONS = 20000;

type Feature = {
  type: "Feature";
  properties: Record<string, unknown>;
  geometry: { type: string; coordinates: unknown };
};
const collection = (features: Feature[]) => ({ type: "FeatureCollection" as const, features });

/** Shard polygons (property `data`) and grid lines for the stores, as GeoJSON. */
export function shardFeatures(
  stores: readonly StoreInfo[],
): { cells: Feature[]; lines: Feature[] } {
  const cells: Feature[] = [], lines: Feature[] = [];
  for (const s of stores) {
    const [nr, nc] = shardGrid(s);
    const [sr, sc] = s.shardShape;
    const { height: h, width: w } = s.geobox;
    const withEmpty = nr * nc <= MAX_EMPTY_POLYGONS;
    for (let r = 0; r < nr; r++) {
      for (let c = 0; c < nc; c++) {
        const data = hasShard(s, r, c);
        if (!data && !withEmpty) continue;
        const q = rectCorners(s.zone, s.geobox, {
          r0: r * sr,
          r1: Math.min(h, (r + 1) * sr),
          c0: c * sc,
          c1: Math.min(w, (c + 1) * sc),
        });
        cells.push({
          type: "Feature",
          properties: { store: s.name, row: r, col: c, data },
          geometry: { type: "Polygon", coordinates: [[...q, q[0]]] },
        });
      }
    }
    const at = (row: number, col: number): LonLat =>
      utmToLonLat(s.zone, ...pixelCorner(s.geobox, row, col));
    const rowsAt = Array.from({ length: nr + 1 }, (_, i) => Math.min(h, i * sr));
    const colsAt = Array.from({ length: nc + 1 }, (_, j) => Math.min(w, j * sc));
    for (const r of rowsAt) {
      lines.push({
        type: "Feature",
        properties: { store: s.name },
        geometry: { type: "LineString", coordinates: colsAt.map((c) => at(r, c)) },
      });
    }
    for (const c of colsAt) {
      lines.push({
        type: "Feature",
        properties: { store: s.name },
        geometry: { type: "LineString", coordinates: rowsAt.map((r) => at(r, c)) },
      });
    }
  }
  return { cells, lines };
}

/** Adds the overlay sources and layers (empty) to a loaded map. */
export function addOverlays(map: MapLibreMap): void {
  const empty = collection([]);
  for (const id of ["tz-zones", "tz-cells", "tz-grid", "tz-inspect"]) {
    map.addSource(id, { type: "geojson", data: empty });
  }
  map.addLayer({
    id: "tz-cell-empty",
    type: "fill",
    source: "tz-cells",
    filter: ["==", ["get", "data"], false],
    paint: { "fill-color": "#6b7280", "fill-opacity": 0.18 },
  });
  map.addLayer({
    id: RASTER_BEFORE,
    type: "line",
    source: "tz-grid",
    paint: { "line-color": "#7dd3fc", "line-opacity": 0.45, "line-width": 0.8 },
  });
  map.addLayer({
    id: "tz-zone-line",
    type: "line",
    source: "tz-zones",
    paint: {
      "line-color": "#39ff14",
      "line-opacity": 0.7,
      "line-width": 1.5,
      "line-dasharray": [6, 4],
    },
  });
  map.addLayer({
    id: "tz-inspect-line",
    type: "line",
    source: "tz-inspect",
    paint: { "line-color": "#ffffff", "line-width": 2 },
  });
}

/** Replaces the overlays' data with the given stores' grids and zones. */
export function setOverlayStores(map: MapLibreMap, stores: readonly StoreInfo[]): void {
  const { cells, lines } = shardFeatures(stores);
  (map.getSource("tz-cells") as GeoJSONSource).setData(collection(cells));
  (map.getSource("tz-grid") as GeoJSONSource).setData(collection(lines));
  const zones = [...new Set(stores.map((s) => s.zone))];
  (map.getSource("tz-zones") as GeoJSONSource).setData(collection(zones.map((z) => ({
    type: "Feature",
    properties: { zone: z },
    geometry: zoneOutline(z),
  }))));
}

export function setOverlayVisibility(map: MapLibreMap, grid: boolean, zone: boolean): void {
  const v = (on: boolean) => on ? "visible" : "none";
  for (const id of ["tz-cell-empty", RASTER_BEFORE]) {
    map.setLayoutProperty(id, "visibility", v(grid));
  }
  map.setLayoutProperty("tz-zone-line", "visibility", v(zone));
}

/** Outlines one pixel (level-0 row, col) of a store, or clears the outline. */
export function setInspectedPixel(
  map: MapLibreMap,
  store: StoreInfo | null,
  row = 0,
  col = 0,
): void {
  const src = map.getSource("tz-inspect") as GeoJSONSource;
  if (!store) {
    src.setData(collection([]));
    return;
  }
  const q = rectCorners(store.zone, store.geobox, {
    r0: row,
    r1: row + 1,
    c0: col,
    c1: col + 1,
  });
  src.setData(collection([{
    type: "Feature",
    properties: {},
    geometry: { type: "Polygon", coordinates: [[...q, q[0]]] },
  }]));
}
