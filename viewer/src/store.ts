/**
 * Store discovery and metadata: `_stores.json`, each store's root attributes, its arrays'
 * `zarr.json` and `_chunk_manifest.json` (docs/decisions/2026-11-24-preview-serve-contract.md),
 * reduced to one immutable `StoreInfo` value that the rest of the viewer works from.
 *
 * The shard shape comes from each array's `chunk_grid.configuration.chunk_shape`: zarrita's
 * `arr.chunks` is the *inner* chunk shape of a sharded array, which is what broke the upstream
 * viewer (upstream-pr-spec §9.2.1).
 */
import type { BandStats, Stretch } from "./colour.ts";
import type { Affine } from "./geometry.ts";

/** One level of a preview pyramid (level 0 is the full-resolution `rgb` / `pca_rgb`). */
export interface LevelInfo {
  level: number;
  path: string;
  pixelSizeM: number;
  transform: Affine;
  /** Rows and columns. */
  shape: [number, number];
  /** Shard (outer chunk) rows and columns, from the array's `chunk_grid`. */
  shardShape: [number, number];
}

export type PreviewKind = "rgb" | "pca_rgb";

export interface StoreInfo {
  name: string;
  /** Absolute URL without a trailing slash. */
  url: string;
  zone: number;
  year: number | null;
  epsg: number;
  transform: Affine;
  pixelSizeM: number;
  shape: [number, number];
  bands: number;
  /** Shard shape of `embeddings` (rows, cols): the unit of the manifest and of the grid overlay. */
  shardShape: [number, number];
  /** Inner chunk shape of `embeddings` (rows, cols), for reading. */
  innerShape: [number, number];
  /** Shard indices holding data, as "row/col"; null when there is no manifest (all may). */
  shards: Set<string> | null;
  stats: BandStats | null;
  previews: Partial<Record<PreviewKind, LevelInfo[]>>;
  rgbBands: number[] | null;
  rgbStretch: Stretch | null;
  pcaExplainedVariance: number[] | null;
  attrs: Record<string, unknown>;
}

export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreError";
  }
}

async function fetchJson(url: string, signal?: AbortSignal): Promise<unknown | undefined> {
  const res = await fetch(url, { signal });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new StoreError(`${url}: HTTP ${res.status}`);
  return await res.json();
}

/**
 * The store names listed in `{base}/_stores.json`, or null when there is none (manual mode).
 *
 * @example
 * await listStores(new URL("./", location.href)); // ["utm30_2024.zarr", "utm31_2024.zarr"]
 */
export async function listStores(base: URL, signal?: AbortSignal): Promise<string[] | null> {
  const body = await fetchJson(new URL("_stores.json", base).href, signal).catch(() => undefined);
  if (!Array.isArray(body)) return null;
  return body.filter((s): s is string => typeof s === "string");
}

interface ArrayMeta {
  shape: number[];
  chunk_grid?: { configuration?: { chunk_shape?: number[] } };
  codecs?: { name: string; configuration?: { chunk_shape?: number[] } }[];
}

function shardShapeOf(meta: ArrayMeta): [number, number] {
  const s = meta.chunk_grid?.configuration?.chunk_shape;
  if (!s || s.length < 2) throw new StoreError("array metadata has no chunk_grid.chunk_shape");
  return [s[0], s[1]];
}

function innerShapeOf(meta: ArrayMeta): [number, number] {
  const sharding = meta.codecs?.find((c) => c.name === "sharding_indexed");
  const s = sharding?.configuration?.chunk_shape ?? meta.chunk_grid?.configuration?.chunk_shape;
  return s ? [s[0], s[1]] : shardShapeOf(meta);
}

function numbers(v: unknown): number[] | null {
  return Array.isArray(v) && v.every((x) => typeof x === "number") ? v as number[] : null;
}

function asAffine(v: unknown, what: string): Affine {
  const t = numbers(v);
  if (!t || t.length !== 6) throw new StoreError(`${what}: transform must be 6 numbers`);
  if (t[1] !== 0 || t[3] !== 0 || !(t[0] > 0) || !(t[4] < 0)) {
    throw new StoreError(`${what}: only north-up grids are supported (got ${t.join(", ")})`);
  }
  return t as unknown as Affine;
}

interface MultiscaleEntry {
  level: number;
  path: string;
  pixel_size_m: number;
  transform: number[];
  shape: number[];
}

async function previewLevels(
  url: string,
  entries: MultiscaleEntry[],
  signal?: AbortSignal,
): Promise<LevelInfo[]> {
  const sorted = [...entries].sort((a, b) => a.level - b.level);
  return await Promise.all(sorted.map(async (e) => {
    const meta = await fetchJson(`${url}/${e.path}/zarr.json`, signal) as ArrayMeta | undefined;
    if (!meta) throw new StoreError(`${url}/${e.path}: listed in multiscales but missing`);
    return {
      level: e.level,
      path: e.path,
      pixelSizeM: e.pixel_size_m,
      transform: asAffine(e.transform, `${e.path}`),
      shape: [meta.shape[0], meta.shape[1]] as [number, number],
      shardShape: shardShapeOf(meta),
    };
  }));
}

/**
 * Opens a store's metadata: root attributes (required: `utm_zone`, `transform`), the
 * `embeddings` array metadata, the manifest if any, and the preview pyramids whose done flags
 * are set.
 *
 * @example
 * const info = await openStore("http://127.0.0.1:8000/utm30_2024.zarr");
 * info.shardShape; // [1024, 1024]
 */
export async function openStore(url: string, signal?: AbortSignal): Promise<StoreInfo> {
  url = url.replace(/\/+$/, "");
  const name = url.slice(url.lastIndexOf("/") + 1);
  const [root, embMeta, manifest] = await Promise.all([
    fetchJson(`${url}/zarr.json`, signal),
    fetchJson(`${url}/embeddings/zarr.json`, signal),
    fetchJson(`${url}/_chunk_manifest.json`, signal).catch(() => undefined),
  ]);
  if (!root) throw new StoreError(`${url}: no zarr.json (not a Zarr v3 store?)`);
  const attrs = (root as { attributes?: Record<string, unknown> }).attributes ?? {};
  const emb = embMeta as ArrayMeta | undefined;
  if (!emb) throw new StoreError(`${url}: no embeddings array`);
  const zone = attrs.utm_zone;
  if (typeof zone !== "number") throw new StoreError(`${url}: missing attribute utm_zone`);
  const transform = asAffine(attrs.transform, url);
  const m = (manifest ?? {}) as Record<string, unknown>;
  const chunks = Array.isArray(m.chunks) ? m.chunks as [number, number][] : null;

  const p2 = numbers(attrs.stats_band_p2), p98 = numbers(attrs.stats_band_p98);
  const stats = p2 && p98
    ? { p2, p98, count: typeof attrs.stats_count === "number" ? attrs.stats_count : 1 }
    : null;

  const multiscales = (m.multiscales ?? attrs.multiscales ?? {}) as Record<
    string,
    MultiscaleEntry[] | undefined
  >;
  const done: Record<PreviewKind, boolean> = {
    rgb: typeof m.has_rgb === "boolean" ? m.has_rgb : attrs.has_rgb_preview === true,
    pca_rgb: typeof m.has_pca_rgb === "boolean" ? m.has_pca_rgb : attrs.has_pca_preview === true,
  };
  const previews: Partial<Record<PreviewKind, LevelInfo[]>> = {};
  await Promise.all(
    (["rgb", "pca_rgb"] as const).filter((k) => done[k]).map(async (kind) => {
      const entries = multiscales[kind] ??
        [{
          level: 0,
          path: kind,
          pixel_size_m: transform[0],
          transform: [...transform],
          shape: [],
        }];
      previews[kind] = await previewLevels(url, entries, signal);
    }),
  );
  const rgbStretch = attrs.rgb_stretch as Stretch | undefined;
  return {
    name,
    url,
    zone,
    year: typeof attrs.year === "number" ? attrs.year : null,
    epsg: typeof attrs.crs_epsg === "number" ? attrs.crs_epsg : 32600 + zone,
    transform,
    pixelSizeM: transform[0],
    shape: [emb.shape[0], emb.shape[1]],
    bands: emb.shape[2] ?? 1,
    shardShape: shardShapeOf(emb),
    innerShape: innerShapeOf(emb),
    shards: chunks ? new Set(chunks.map(([r, c]) => `${r}/${c}`)) : null,
    stats,
    previews,
    rgbBands: numbers(attrs.rgb_bands),
    rgbStretch: rgbStretch && numbers(rgbStretch.min) && numbers(rgbStretch.max)
      ? rgbStretch
      : null,
    pcaExplainedVariance: numbers(m.pca_explained_variance) ??
      numbers(attrs.pca_explained_variance),
    attrs,
  };
}

/** Number of shard rows and columns of the embeddings grid. */
export function shardGrid(s: StoreInfo): [number, number] {
  return [Math.ceil(s.shape[0] / s.shardShape[0]), Math.ceil(s.shape[1] / s.shardShape[1])];
}

/** Whether the level-0 shard (row, col) has data (true for every shard without a manifest). */
export function hasShard(s: StoreInfo, row: number, col: number): boolean {
  return s.shards === null || s.shards.has(`${row}/${col}`);
}

/** Whether any level-0 shard under the level-0 pixel rectangle has data. */
export function anyShardIn(s: StoreInfo, r0: number, r1: number, c0: number, c1: number): boolean {
  if (s.shards === null) return true;
  const [sr, sc] = s.shardShape;
  for (let r = Math.floor(r0 / sr); r <= Math.floor((r1 - 1) / sr); r++) {
    for (let c = Math.floor(c0 / sc); c <= Math.floor((c1 - 1) / sc); c++) {
      if (s.shards.has(`${r}/${c}`)) return true;
    }
  }
  return false;
}
