/// <reference no-default-lib="true" />
/// <reference lib="esnext" />
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Pixel inspector: a click becomes (store, row, col); zarrita reads that pixel's band vector
 * and its scale (one shard-index request and one inner chunk of each array, the index then
 * cached), the vector is dequantised (`float32(int8) · scale`) and plotted with Observable
 * Plot, and the panel shows lon/lat, easting/northing of the pixel centre, the scale and the
 * pixel's state. A store whose zone contains the click wins where two stores overlap.
 */
import * as zarr from "zarrita";
import { pixelCentre, pixelContaining } from "../../lib/grid/geobox.ts";
import { utmZone } from "../../lib/grid/zone.ts";
import { type LonLat, lonLatToUtm, utmToLonLat } from "./geometry.ts";
import { hasShard, type StoreInfo } from "./store.ts";

export type PixelState = "valid" | "no-data" | "empty-shard" | "outside";

export interface PixelReading {
  store: string;
  row: number;
  col: number;
  /** Pixel centre. */
  lon: number;
  lat: number;
  easting: number;
  northing: number;
  scale: number;
  state: PixelState;
  /** The stored int8 values, or null when nothing was read. */
  raw: number[] | null;
  /** Dequantised values, or null when the pixel has no data. */
  values: number[] | null;
}

const STATE_TEXT: Record<PixelState, string> = {
  "valid": "valid",
  "no-data": "no data (scale NaN: water, invalid scale or no tile)",
  "empty-shard": "no data (empty shard: nothing written)",
  "outside": "outside the store's grid",
};

/** The store and level-0 pixel under a click; the click's zone first, then any store. */
export function pickPixel(
  stores: readonly StoreInfo[],
  [lon, lat]: LonLat,
): { store: StoreInfo; row: number; col: number } | null {
  const zone = utmZone(lon);
  const ordered = [...stores].sort((a, b) => +(b.zone === zone) - +(a.zone === zone));
  for (const store of ordered) {
    const [e, n] = lonLatToUtm(store.zone, lon, lat);
    const { row, col } = pixelContaining(store.geobox, e, n);
    if (row >= 0 && col >= 0 && row < store.geobox.height && col < store.geobox.width) {
      return { store, row, col };
    }
  }
  return null;
}

/**
 * Gets the first click's fixed costs out of its way: loads the plot library and the zstd
 * codec and opens the stores' arrays (two small zarr.json requests each).
 */
export function prefetchInspector(stores: readonly StoreInfo[]): void {
  for (const s of stores) openArrays(s).catch(() => {});
  import("@observablehq/plot").catch(() => {});
  import("numcodecs/zstd").then((m) =>
    m.default.fromConfig({ id: "zstd", level: 1 }).encode(new Uint8Array(1))
  )
    .catch(() => {});
}

type Arr = zarr.Array<zarr.DataType, zarr.FetchStore>;
const arrays = new Map<string, Promise<{ emb: Arr; scales: Arr }>>();

function openArrays(store: StoreInfo): Promise<{ emb: Arr; scales: Arr }> {
  let p = arrays.get(store.url);
  if (!p) {
    const root = zarr.root(new zarr.FetchStore(store.url, { useSuffixRequest: true }));
    p = Promise.all([
      zarr.open.v3(root.resolve("embeddings"), { kind: "array" }),
      zarr.open.v3(root.resolve("scales"), { kind: "array" }),
    ]).then(([emb, scales]) => ({ emb, scales }));
    p.catch(() => arrays.delete(store.url));
    arrays.set(store.url, p);
  }
  return p;
}

/** Reads one pixel of a store (level-0 row and column). */
export async function readPixel(store: StoreInfo, row: number, col: number): Promise<PixelReading> {
  const [easting, northing] = pixelCentre(store.geobox, row, col);
  const [lon, lat] = utmToLonLat(store.zone, easting, northing);
  const base = { store: store.name, row, col, lon, lat, easting, northing };
  const [sr, sc] = store.shardShape;
  if (!hasShard(store, Math.floor(row / sr), Math.floor(col / sc))) {
    return { ...base, scale: NaN, state: "empty-shard", raw: null, values: null };
  }
  const { emb, scales } = await openArrays(store);
  const [vec, scale] = await Promise.all([
    zarr.get(emb, [row, col, null]),
    zarr.get(scales, [row, col]),
  ]);
  const raw = Array.from((vec as zarr.Chunk<zarr.DataType>).data as Int8Array);
  const s = Number(scale);
  const valid = Number.isFinite(s);
  return {
    ...base,
    scale: s,
    state: valid ? "valid" : "no-data",
    raw,
    values: valid ? raw.map((v) => Math.fround(v * s)) : null,
  };
}

function fmt(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

/** Renders a reading into the inspector panel (plot loaded on first use). */
export async function showReading(panel: HTMLElement, r: PixelReading | null): Promise<void> {
  panel.hidden = false;
  const body = panel.querySelector<HTMLElement>(".body")!;
  const plotBox = panel.querySelector<HTMLElement>(".plot")!;
  plotBox.replaceChildren();
  if (!r) {
    body.textContent = "No store covers this point.";
    panel.dataset.state = "none";
    return;
  }
  panel.dataset.state = r.state;
  panel.dataset.reading = JSON.stringify({
    ...r,
    scale: Number.isFinite(r.scale) ? r.scale : null,
  });
  const ns = r.lat >= 0 ? "N" : "S", ew = r.lon >= 0 ? "E" : "W";
  const rows: [string, string][] = [
    ["store", r.store],
    ["pixel", `row ${r.row}, col ${r.col}`],
    ["lon/lat", `${fmt(Math.abs(r.lat), 6)}°${ns}, ${fmt(Math.abs(r.lon), 6)}°${ew}`],
    ["E/N", `${fmt(r.easting, 1)} E, ${fmt(r.northing, 1)} N`],
    ["scale", Number.isFinite(r.scale) ? String(r.scale) : "NaN"],
    ["state", STATE_TEXT[r.state]],
  ];
  const dl = document.createElement("dl");
  for (const [k, v] of rows) {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = k;
    dd.textContent = v;
    dd.dataset.field = k;
    dl.append(dt, dd);
  }
  body.replaceChildren(dl);
  if (!r.values) return;
  const values = r.values;
  const Plot = await import("@observablehq/plot");
  const data = values.map((v, band) => ({ band, v }));
  const chart = Plot.plot({
    width: 330,
    height: 170,
    marginLeft: 44,
    style: { background: "transparent", color: "#cbd5e1", fontSize: "10px" },
    x: { label: "band", domain: [0, values.length - 1] },
    y: { label: "value", grid: true },
    marks: [
      Plot.ruleY([0], { stroke: "#475569" }),
      Plot.lineY(data, { x: "band", y: "v", stroke: "#38bdf8" }),
      Plot.dot(data, { x: "band", y: "v", r: 1.5, fill: "#38bdf8", tip: true }),
    ],
  });
  plotBox.replaceChildren(chart);
  const list = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = `${values.length} values`;
  const pre = document.createElement("pre");
  pre.textContent = values.map((v, i) => `${i}: ${v} (${r.raw![i]})`).join("\n");
  list.append(summary, pre);
  plotBox.append(list);
}
