/**
 * Manifests (SPEC §7; layout agreed in docs/decisions/2026-11-24-preview-serve-contract.md):
 * `{dir}/_stores.json` lists the zone stores of a folder, and each store's
 * `_chunk_manifest.json` says which shards exist plus what a viewer needs before reading any
 * array (grid, stretch, preview levels), so a sparse store costs no 404s. Derived only from
 * what is on disk; rewritten atomically, and left untouched when nothing changed (so ETags
 * and mtimes stay stable across `serve` restarts).
 */
import { join } from "node:path";
import { TesseraError } from "../errors.ts";

/** Name of the store list written into the folder. */
export const STORES_FILE = "_stores.json";
/** Name of the per-store manifest. */
export const CHUNK_MANIFEST_FILE = "_chunk_manifest.json";
/** Version of the `_chunk_manifest.json` layout. */
export const MANIFEST_FORMAT = 1;

/** Store directory names: `utm{ZZ}_{YYYY}.zarr`. */
const STORE_NAME = /^utm(\d{2})_(\d{4})\.zarr$/;
/** Canonical chunk-key integers only (no "01", no temporaries). */
const INDEX = /^(0|[1-9]\d*)$/;

/** The contents of a store's `_chunk_manifest.json`. */
export interface ChunkManifest {
  format: number;
  store: string;
  zone: number;
  year: number;
  epsg: number;
  /** Affine `[a, b, c, d, e, f]` of the full-resolution grid (outer corner of pixel 0, 0). */
  transform: number[];
  /** `[H, W]` in pixels. */
  shape: [number, number];
  bands: number;
  /** Shard edge in pixels; `chunks` are in these units. */
  shard_px: number;
  /** `[row, col]` of every shard whose `scales` shard file exists, in row-major order. */
  chunks: [number, number][];
  /** The preview's done flag (`has_rgb_preview`), not mere array existence. */
  has_rgb: boolean;
  /** `has_pca_preview`. */
  has_pca_rgb: boolean;
  multiscales: Record<string, unknown> | null;
  band_p2: number[] | null;
  band_p98: number[] | null;
  pca_explained_variance: number[] | null;
}

/** What {@link writeManifests} found and wrote. */
export interface ManifestReport {
  dir: string;
  /** The list written to `_stores.json`. */
  stores: string[];
  /** One manifest per listed store, in the same order. */
  manifests: ChunkManifest[];
  /** Files whose content changed (paths relative to `dir`). */
  written: string[];
  /** Files already up to date. */
  unchanged: string[];
  /** Directories named like stores that could not be indexed, and why. */
  problems: { store: string; message: string }[];
}

/**
 * Builds the manifest of one store from its root and `scales` metadata and its shard files.
 * Throws "BadStore" when the store has no readable root `zarr.json` with `utm_zone`, or no
 * `scales` array.
 *
 * @example
 * ```ts
 * const m = await chunkManifest("out/zarr/utm30_2024.zarr");
 * m.chunks; // [[0, 0], [0, 1], …]
 * ```
 */
export async function chunkManifest(storeDir: string): Promise<ChunkManifest> {
  const name = storeDir.replace(/[/\\]+$/, "").split(/[/\\]/).pop()!;
  const root = await readJson(join(storeDir, "zarr.json"));
  const attrs = (root?.attributes ?? {}) as Record<string, unknown>;
  if (!root || root.node_type !== "group" || typeof attrs.utm_zone !== "number") {
    throw new TesseraError(
      "BadStore",
      "not a zone store: no root zarr.json group with a utm_zone attribute " +
        "(rebuild it with `deno task build`)",
      storeDir,
    );
  }
  const transform = attrs.transform;
  if (!Array.isArray(transform) || transform.length !== 6 || !transform.every(Number.isFinite)) {
    throw new TesseraError(
      "BadStore",
      "root zarr.json has no 6-number transform attribute",
      storeDir,
    );
  }
  const scales = await readJson(join(storeDir, "scales", "zarr.json"));
  const shape = scales?.shape as number[] | undefined;
  const grid = (scales?.chunk_grid as { configuration?: { chunk_shape?: number[] } } | undefined)
    ?.configuration?.chunk_shape;
  if (!shape || shape.length !== 2 || !grid || grid.length !== 2 || grid[0] !== grid[1]) {
    throw new TesseraError(
      "BadStore",
      "scales/zarr.json is missing or is not a 2-D array with square shards; rebuild the store",
      storeDir,
    );
  }
  const shardPx = grid[0];
  const zone = attrs.utm_zone;
  const chunks = await listChunks(
    join(storeDir, "scales"),
    scales!.chunk_key_encoding as KeyEncoding | undefined,
    [Math.ceil(shape[0] / shardPx), Math.ceil(shape[1] / shardPx)],
  );
  return {
    format: MANIFEST_FORMAT,
    store: name,
    zone,
    year: numberOr(attrs.year, Number(STORE_NAME.exec(name)?.[2])),
    epsg: numberOr(attrs.crs_epsg, 32600 + zone),
    transform: transform as number[],
    shape: [shape[0], shape[1]],
    bands: numberOr(attrs.n_bands, await embeddingBands(storeDir)),
    shard_px: shardPx,
    chunks,
    has_rgb: attrs.has_rgb_preview === true,
    has_pca_rgb: attrs.has_pca_preview === true,
    multiscales: (attrs.multiscales as Record<string, unknown> | undefined) ?? null,
    band_p2: (attrs.stats_band_p2 as number[] | undefined) ?? null,
    band_p98: (attrs.stats_band_p98 as number[] | undefined) ?? null,
    pca_explained_variance: (attrs.pca_explained_variance as number[] | undefined) ?? null,
  };
}

/**
 * Writes `_chunk_manifest.json` into every zone store directly under `dir` (directories named
 * `utm{ZZ}_{YYYY}.zarr`; symlinks and other names are ignored) and `_stores.json` listing the
 * stores that could be indexed, sorted. A store that cannot be indexed is left out and
 * reported in `problems`. Throws "BadArgument" when `dir` is not a directory.
 *
 * @example
 * ```ts
 * const report = await writeManifests("out/zarr");
 * report.stores; // ["utm30_2024.zarr", "utm31_2024.zarr"]
 * ```
 */
export async function writeManifests(dir: string): Promise<ManifestReport> {
  const info = await Deno.stat(dir).catch(() => undefined);
  if (!info?.isDirectory) {
    throw new TesseraError(
      "BadArgument",
      "not a directory: give the folder that holds the *.zarr stores",
      dir,
    );
  }
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory && STORE_NAME.test(e.name)) names.push(e.name);
  }
  names.sort();
  const report: ManifestReport = {
    dir,
    stores: [],
    manifests: [],
    written: [],
    unchanged: [],
    problems: [],
  };
  const record = (rel: string, changed: boolean) =>
    (changed ? report.written : report.unchanged).push(rel);
  for (const name of names) {
    let manifest: ChunkManifest;
    try {
      manifest = await chunkManifest(join(dir, name));
    } catch (e) {
      if (!(e instanceof TesseraError)) throw e;
      report.problems.push({ store: name, message: e.message });
      continue;
    }
    const rel = `${name}/${CHUNK_MANIFEST_FILE}`;
    record(rel, await writeTextAtomic(join(dir, rel), JSON.stringify(manifest) + "\n"));
    report.stores.push(name);
    report.manifests.push(manifest);
  }
  record(
    STORES_FILE,
    await writeTextAtomic(join(dir, STORES_FILE), JSON.stringify(report.stores) + "\n"),
  );
  return report;
}

/**
 * The human-readable summary of a report: one line per store (shards, preview flags), one per
 * problem, then where the list went.
 *
 * @example
 * ```ts
 * console.log(formatManifestReport(await writeManifests("out/zarr")));
 * ```
 */
export function formatManifestReport(r: ManifestReport): string {
  const lines = r.manifests.map((m) =>
    `  ${m.store}: ${m.chunks.length} shard(s) of ${m.shard_px} px` +
    `${m.has_rgb ? " +rgb" : ""}${m.has_pca_rgb ? " +pca" : ""}`
  );
  for (const p of r.problems) lines.push(`  ${p.store}: NOT INDEXED — ${p.message}`);
  const changed = r.written.length ? `${r.written.length} file(s) updated` : "all up to date";
  lines.push(`${r.stores.length} store(s) listed in ${join(r.dir, STORES_FILE)}; ${changed}`);
  return lines.join("\n");
}

interface KeyEncoding {
  name?: string;
  configuration?: { separator?: string };
}

/**
 * Shard indices whose chunk file exists, for Zarr v3 `default` (`c/r/c`, `c.r.c`) or `v2`
 * (`r/c`, `r.c`) key encodings, within the chunk grid, in row-major order.
 */
async function listChunks(
  arrayDir: string,
  encoding: KeyEncoding | undefined,
  [rows, cols]: [number, number],
): Promise<[number, number][]> {
  const v2 = encoding?.name === "v2";
  const sepChar = encoding?.configuration?.separator ?? (v2 ? "." : "/");
  const out: [number, number][] = [];
  const add = (r: string, c: string) => {
    if (INDEX.test(r) && INDEX.test(c) && +r < rows && +c < cols) out.push([+r, +c]);
  };
  if (sepChar === "/") {
    const base = v2 ? arrayDir : join(arrayDir, "c");
    for (const r of await entries(base)) {
      if (!r.isDirectory || !INDEX.test(r.name)) continue;
      for (const c of await entries(join(base, r.name))) if (c.isFile) add(r.name, c.name);
    }
  } else {
    const prefix = v2 ? "" : `c${sepChar}`;
    for (const e of await entries(arrayDir)) {
      if (!e.isFile || !e.name.startsWith(prefix)) continue;
      const parts = e.name.slice(prefix.length).split(sepChar);
      if (parts.length === 2) add(parts[0], parts[1]);
    }
  }
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

async function entries(dir: string): Promise<Deno.DirEntry[]> {
  try {
    return await Array.fromAsync(Deno.readDir(dir));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return [];
    throw e;
  }
}

async function embeddingBands(storeDir: string): Promise<number> {
  const meta = await readJson(join(storeDir, "embeddings", "zarr.json"));
  const shape = meta?.shape as number[] | undefined;
  return shape?.length === 3 ? shape[2] : 0;
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

/** A JSON object from a file; undefined when the file is missing; "BadStore" when unparseable. */
async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw e;
  }
  try {
    const v = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? v : undefined;
  } catch {
    throw new TesseraError("BadStore", "is not valid JSON; rebuild the store", path);
  }
}

/**
 * Writes `text` to `path` through a temporary sibling and a rename, unless the file already
 * holds exactly that text. Returns true when it wrote. The temporary's name matches the one
 * `FsStore.sweepTemps` cleans up after a crash.
 */
async function writeTextAtomic(path: string, text: string): Promise<boolean> {
  const old = await Deno.readTextFile(path).catch(() => undefined);
  if (old === text) return false;
  const hex = Array.from(
    crypto.getRandomValues(new Uint8Array(6)),
    (b) => b.toString(16).padStart(2, "0"),
  );
  const tmp = `${path}.tmp-${hex.join("")}`;
  try {
    await Deno.writeTextFile(tmp, text);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  return true;
}
