/**
 * The basemap: offline by default — land and country borders from Natural Earth 1:50m
 * (world-atlas TopoJSON, 0.75 MB, copied beside the bundle and turned into GeoJSON here) on a
 * dark background, no glyphs, no network beyond our own server. A raster tile URL template may
 * be given to draw imagery underneath instead; it is the only thing that would leave the
 * machine.
 */
import type {
  GeoJSONSourceSpecification,
  LayerSpecification,
  Map as MapLibreMap,
  StyleSpecification,
} from "maplibre-gl";
import { feature, mesh } from "topojson-client";

/** The TopoJSON file the build copies into dist/. */
export const BASEMAP_FILE = "countries-50m.json";
const RASTER_ID = "basemap-raster";

/**
 * The map style: a background only. The countries come later (`loadCountries`): a style with
 * a source makes MapLibre's load event wait for its worker, and the first tiles need not.
 */
export function baseStyle(): StyleSpecification {
  return {
    version: 8,
    // Paint changes (opacity) apply at once, not over MapLibre's default 300 ms.
    transition: { duration: 0, delay: 0 },
    sources: {},
    layers: [
      { id: "background", type: "background", paint: { "background-color": "#0b1220" } },
    ],
  };
}

const COUNTRY_LAYERS: LayerSpecification[] = [
  {
    id: "land-fill",
    type: "fill",
    source: "countries",
    filter: ["==", ["get", "kind"], "land"],
    paint: { "fill-color": "#18212f" },
  },
  {
    id: "coast-line",
    type: "line",
    source: "countries",
    filter: ["==", ["get", "kind"], "coast"],
    paint: { "line-color": "#4a5a73", "line-width": 0.8 },
  },
  {
    id: "border-line",
    type: "line",
    source: "countries",
    filter: ["==", ["get", "kind"], "border"],
    paint: { "line-color": "#6b7a92", "line-width": 0.8, "line-dasharray": [3, 2] },
  },
];

/** The layer right above the background: basemap layers go below it. */
function aboveBackground(map: MapLibreMap): string | undefined {
  const layers = map.getStyle().layers;
  return layers[layers.findIndex((l) => l.id === "background") + 1]?.id;
}

/**
 * Lines broken where they jump across the antimeridian (±180°): drawn as is, such a jump is a
 * line around the whole world (Fiji's coast made one at 16.6°S).
 */
export function splitAtAntimeridian(lines: [number, number][][]): [number, number][][] {
  const out: [number, number][][] = [];
  for (const line of lines) {
    let part: [number, number][] = [];
    for (const p of line) {
      if (part.length && Math.abs(p[0] - part[part.length - 1][0]) > 180) {
        if (part.length > 1) out.push(part);
        part = [];
      }
      part.push(p);
    }
    if (part.length > 1) out.push(part);
  }
  return out;
}

/**
 * A polygon ring made continuous across the antimeridian (longitudes shifted by ±360° after a
 * jump), so a country there (Fiji, Chukotka) is drawn as itself rather than as a sliver around
 * the world; MapLibre draws longitudes beyond ±180° on the neighbouring world copy.
 */
export function unwrapRing(ring: [number, number][]): [number, number][] {
  let shift = 0;
  return ring.map(([lon, lat], i) => {
    if (i > 0) {
      const prev = ring[i - 1][0];
      if (lon - prev > 180) shift -= 360;
      else if (prev - lon > 180) shift += 360;
    }
    return [lon + shift, lat];
  });
}

/** Fetches the country TopoJSON from `assets` and shows land and borders. */
export async function loadCountries(map: MapLibreMap, assets: URL): Promise<void> {
  const res = await fetch(new URL(BASEMAP_FILE, assets));
  if (!res.ok) throw new Error(`basemap ${BASEMAP_FILE}: HTTP ${res.status}`);
  const topo = await res.json();
  // topojson-client ships no types: name what we use.
  type Geometry = { type: string; coordinates: unknown };
  type Feature = { type: "Feature"; geometry: Geometry };
  const land = feature(topo, topo.objects.land) as Feature | { features: Feature[] };
  const borders = mesh(
    topo,
    topo.objects.countries,
    (a: unknown, b: unknown) => a !== b,
  ) as Geometry;
  const coast = mesh(topo, topo.objects.land) as { coordinates: [number, number][][] };
  const landFeatures = "features" in land ? land.features : [land];
  performance.mark("tz-basemap-parsed");
  map.addSource("countries", {
    type: "geojson",
    data: {
      type: "FeatureCollection",
      features: [
        ...landFeatures.map((f) => ({
          type: "Feature",
          properties: { kind: "land" },
          geometry: {
            type: "MultiPolygon",
            coordinates: polygonsOf(f.geometry).map((p) => p.map(unwrapRing)),
          },
        })),
        { type: "Feature", properties: { kind: "border" }, geometry: borders },
        {
          type: "Feature",
          properties: { kind: "coast" },
          geometry: {
            type: "MultiLineString",
            coordinates: splitAtAntimeridian(coast.coordinates),
          },
        },
      ],
    } as GeoJSONSourceSpecification["data"],
  });
  const before = map.getLayer(RASTER_ID) ? aboveRaster(map) : aboveBackground(map);
  for (const layer of COUNTRY_LAYERS) map.addLayer(layer, before);
  if (map.getLayer(RASTER_ID)) map.setLayoutProperty("land-fill", "visibility", "none");
}

function polygonsOf(g: { type: string; coordinates: unknown }): [number, number][][][] {
  return (g.type === "Polygon" ? [g.coordinates] : g.coordinates) as [number, number][][][];
}

function aboveRaster(map: MapLibreMap): string | undefined {
  const layers = map.getStyle().layers;
  return layers[layers.findIndex((l) => l.id === RASTER_ID) + 1]?.id;
}

/**
 * Shows raster tiles from `template` (`…/{z}/{x}/{y}.png`) under everything, or removes them
 * when `template` is empty. The vector land fill is hidden while a raster is shown.
 */
export function setRasterBasemap(map: MapLibreMap, template: string): void {
  if (map.getLayer(RASTER_ID)) map.removeLayer(RASTER_ID);
  if (map.getSource(RASTER_ID)) map.removeSource(RASTER_ID);
  const url = template.trim();
  if (map.getLayer("land-fill")) {
    map.setLayoutProperty("land-fill", "visibility", url ? "none" : "visible");
  }
  if (!url) return;
  map.addSource(RASTER_ID, { type: "raster", tiles: [url], tileSize: 256, maxzoom: 19 });
  map.addLayer({ id: RASTER_ID, type: "raster", source: RASTER_ID }, aboveBackground(map));
}

/**
 * The countries layer, loaded once and late: data first. `loadNow` (the first view is drawn,
 * or there is nothing to draw) or the timer started when the map is ready, whichever comes
 * first, starts `load`; `done` settles when it has finished or failed (a failure is only
 * logged: the map works without a basemap).
 */
export class DeferredBasemap {
  readonly done: Promise<void>;
  #start: (() => void) | null;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(load: () => Promise<void>) {
    let settle = () => {};
    this.done = new Promise((resolve) => (settle = resolve));
    this.#start = () => {
      load().catch((e) => console.warn("basemap:", e)).finally(settle);
    };
  }

  /** Loads after `ms` unless {@link loadNow} comes first. */
  loadAfter(ms: number): void {
    this.#timer = setTimeout(() => this.loadNow(), ms);
  }

  /** Starts loading, if not started yet. */
  loadNow(): void {
    clearTimeout(this.#timer);
    const start = this.#start;
    this.#start = null;
    start?.();
  }
}
