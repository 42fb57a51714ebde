/**
 * Store discovery and metadata: `_stores.json`, each store's root `zarr.json` (its inline
 * consolidated metadata holds every array's document: one request opens a store) and its
 * manifest `{store}.manifest.json` beside it (docs/decisions/2026-11-24-preview-serve-contract.md),
 * fetched together, reduced to one immutable `StoreInfo` value that the rest of the viewer
 * works from. The store format is parsed by the toolkit's own lib/store (the same code as the
 * read API and the manifests), over `fetch`.
 *
 * The shard shape comes from each array's `chunk_grid.configuration.chunk_shape`: zarrita's
 * `arr.chunks` is the *inner* chunk shape of a sharded array, which is what broke the upstream
 * viewer (upstream-pr-spec §9.2.1).
 */
import { isTesseraError } from "../../lib/errors.ts";
import { type GeoBox, geoboxFromTransform, pixelSizeM } from "../../lib/grid/geobox.ts";
import { arrayInfo } from "../../lib/store/arrays.ts";
import type { StoreReader } from "../../lib/store/documents.ts";
import { shardGridShape } from "../../lib/store/layout.ts";
import { storeBasename } from "../../lib/store/names.ts";
import { nodeDocument, openZoneMetadata, type ZoneMetadata } from "../../lib/store/open.ts";
import {
  type LevelInfo as MultiscaleLevel,
  parseMultiscales,
  PREVIEW_NAMES,
  type PreviewName,
} from "../../lib/store/previews.ts";
import type { ArrayMetadata } from "../../lib/zarr/metadata.ts";
import type { BandStats, Stretch } from "./colour.ts";

/** A store's manifest sits beside it: `{store}.manifest.json` (lib/manifest). */
const MANIFEST_SUFFIX = ".manifest.json";

/** One level of a preview pyramid (level 0 is the full-resolution `rgb` / `pca_rgb`). */
export interface LevelInfo {
  level: number;
  path: string;
  pixelSizeM: number;
  /** The level's grid: its rows, columns and transform (the store's CRS). */
  geobox: GeoBox;
  /** Shard (outer chunk) rows and columns, from the array's `chunk_grid`. */
  shardShape: [number, number];
}

export type PreviewKind = PreviewName;

export interface StoreInfo {
  name: string;
  /** Absolute URL without a trailing slash. */
  url: string;
  zone: number;
  year: number | null;
  epsg: number;
  /** The grid of `embeddings` and `scales`: rows, columns, transform, EPSG. */
  geobox: GeoBox;
  pixelSizeM: number;
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

/** A store's objects over HTTP: `get(key)` for lib/store (404 is "absent"). */
function httpReader(url: string, signal?: AbortSignal): StoreReader {
  return {
    async get(key) {
      const res = await fetch(`${url}/${key}`, { signal });
      if (res.status === 404) return undefined;
      if (!res.ok) throw new StoreError(`${url}/${key}: HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

/** lib/store's errors (TesseraError "BadStore", naming the store) as the viewer's StoreError. */
function asStoreError(e: unknown): unknown {
  return isTesseraError(e) ? new StoreError(e.message) : e;
}

function numbers(v: unknown): number[] | null {
  return Array.isArray(v) && v.every((x) => typeof x === "number") ? v as number[] : null;
}

async function previewLevels(
  url: string,
  source: StoreReader,
  store: ZoneMetadata,
  entries: MultiscaleLevel[],
): Promise<LevelInfo[]> {
  const epsg = store.zone.epsg;
  const sorted = [...entries].sort((a, b) => a.level - b.level);
  return await Promise.all(sorted.map(async (e) => {
    const meta = await nodeDocument(store, source, e.path, url).catch((err) => {
      throw asStoreError(err);
    });
    if (!meta?.shape) throw new StoreError(`${url}/${e.path}: listed in multiscales but missing`);
    const t = e.transform;
    if (t[1] !== 0 || t[3] !== 0 || !(t[0] > 0) || !(t[4] < 0)) {
      throw new StoreError(`${e.path}: only north-up grids are supported (got ${t.join(", ")})`);
    }
    const shard = arrayInfo(e.path, meta as ArrayMetadata).chunkShape;
    return {
      level: e.level,
      path: e.path,
      pixelSizeM: e.pixel_size_m,
      geobox: geoboxFromTransform(meta.shape[1], meta.shape[0], t, epsg),
      shardShape: [shard[0], shard[1]] as [number, number],
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
  const name = storeBasename(url);
  const source = httpReader(url, signal);
  const [meta, manifest] = await Promise.all([
    openZoneMetadata(source, { arrays: ["embeddings"], name, where: url }).catch((e) => {
      throw asStoreError(e);
    }),
    fetchJson(`${url}${MANIFEST_SUFFIX}`, signal).catch(() => undefined),
  ]);
  const z = meta.zone;
  const emb = arrayInfo("embeddings", meta.arrays.embeddings!);
  const geobox = geoboxFromTransform(meta.width, meta.height, z.transform, z.epsg);
  // The manifest (written with the store's attributes) wins where it has a value.
  const m = (manifest ?? {}) as Record<string, unknown>;
  const chunks = Array.isArray(m.chunks) ? m.chunks as [number, number][] : null;
  const stats = z.bandPercentiles
    ? { ...z.bandPercentiles, count: z.statistics?.count ?? 1 }
    : null;
  const multiscales = parseMultiscales(m.multiscales) ?? z.previews.multiscales ?? {};
  const done: Record<PreviewKind, boolean> = {
    rgb: typeof m.has_rgb === "boolean" ? m.has_rgb : z.previews.rgb,
    pca_rgb: typeof m.has_pca_rgb === "boolean" ? m.has_pca_rgb : z.previews.pcaRgb,
  };
  const previews: Partial<Record<PreviewKind, LevelInfo[]>> = {};
  await Promise.all(
    PREVIEW_NAMES.filter((k) => done[k]).map(async (kind) => {
      const entries = multiscales[kind] ??
        [{
          level: 0,
          path: kind,
          pixel_size_m: pixelSizeM(geobox),
          transform: [...geobox.transform],
          shape: [geobox.height, geobox.width, 4],
        }];
      previews[kind] = await previewLevels(url, source, meta, entries);
    }),
  );
  return {
    name,
    url,
    zone: z.zone,
    year: z.year,
    epsg: z.epsg,
    geobox,
    pixelSizeM: pixelSizeM(geobox),
    bands: meta.bands,
    shardShape: [emb.chunkShape[0], emb.chunkShape[1]],
    innerShape: emb.innerChunkShape
      ? [emb.innerChunkShape[0], emb.innerChunkShape[1]]
      : [emb.chunkShape[0], emb.chunkShape[1]],
    shards: chunks ? new Set(chunks.map(([r, c]) => `${r}/${c}`)) : null,
    stats,
    previews,
    rgbBands: z.previews.rgbBands ?? null,
    rgbStretch: z.previews.rgbStretch ?? null,
    pcaExplainedVariance: numbers(m.pca_explained_variance) ??
      z.previews.pcaExplainedVariance ?? null,
    attrs: meta.attributes,
  };
}

/** Number of shard rows and columns of the embeddings grid. */
export function shardGrid(s: StoreInfo): [number, number] {
  return shardGridShape(s.geobox.height, s.geobox.width, s.shardShape);
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
