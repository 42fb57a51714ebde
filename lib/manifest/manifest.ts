/**
 * Manifests (SPEC §7; layout agreed in docs/decisions/2026-11-24-preview-serve-contract.md):
 * `{dir}/_stores.json` lists the zone stores of a folder, and each store's manifest
 * `{dir}/{store}.manifest.json` — beside the store, never inside it, so the store's directory
 * holds nothing but Zarr nodes (zarr-python warns about any other object) — says which shards
 * exist plus what a viewer needs before reading any array (grid, stretch, preview levels), so
 * a sparse store costs no 404s. Derived only from what is on disk; rewritten atomically, and
 * left untouched when nothing changed (so ETags and mtimes stay stable across `serve`
 * restarts). A `_chunk_manifest.json` an older version wrote inside a store is removed.
 */
import { join } from "node:path";
import { TesseraError } from "../errors.ts";
import { readDocument } from "../store/documents.ts";
import { isStoreName, storeBasename } from "../store/names.ts";
import { openZoneMetadata } from "../store/open.ts";
import { listShardFiles } from "../store/shard_files.ts";
import { FsStore } from "../zarr/fs_store.ts";

/** Name of the store list written into the folder. */
export const STORES_FILE = "_stores.json";
/** Suffix of a store's manifest, which sits beside it: `utm30_2024.zarr.manifest.json`. */
export const MANIFEST_SUFFIX = ".manifest.json";
/**
 * Name of the per-store manifest older versions wrote *inside* the store; `writeManifests`
 * removes it (it made zarr-python warn), verify reports it.
 */
export const CHUNK_MANIFEST_FILE = "_chunk_manifest.json";

/**
 * The file name of a store's manifest, in the folder that holds the store.
 *
 * @example
 * ```ts
 * manifestName("utm30_2024.zarr"); // "utm30_2024.zarr.manifest.json"
 * ```
 */
export function manifestName(store: string): string {
  return `${store}${MANIFEST_SUFFIX}`;
}
/** Version of the `_chunk_manifest.json` layout. */
export const MANIFEST_FORMAT = 1;

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
  const name = storeBasename(storeDir);
  const source = new FsStore(storeDir);
  const meta = await openZoneMetadata(source, { arrays: ["scales"], name, where: storeDir });
  const z = meta.zone, scales = meta.arrays.scales!;
  const grid = scales.chunk_grid.configuration.chunk_shape;
  if (grid[0] !== grid[1]) {
    throw new TesseraError(
      "BadStore",
      "scales/zarr.json does not have square shards; rebuild the store",
      storeDir,
    );
  }
  const bands = z.bands ?? (await readDocument(source, "embeddings/zarr.json", storeDir))
    ?.shape?.[2] ??
    0;
  return {
    format: MANIFEST_FORMAT,
    store: name,
    zone: z.zone,
    year: z.year,
    epsg: z.epsg,
    transform: z.transform,
    shape: [meta.height, meta.width],
    bands,
    shard_px: grid[0],
    chunks: await listShardFiles(join(storeDir, "scales"), scales),
    has_rgb: z.previews.rgb,
    has_pca_rgb: z.previews.pcaRgb,
    multiscales: z.previews.multiscales ?? null,
    band_p2: z.bandPercentiles?.p2 ?? null,
    band_p98: z.bandPercentiles?.p98 ?? null,
    pca_explained_variance: z.previews.pcaExplainedVariance ?? null,
  };
}

/**
 * Writes the manifest `{store}.manifest.json` beside every zone store directly under `dir`
 * (directories named `utm{ZZ}_{YYYY}.zarr`; symlinks and other names are ignored) and
 * `_stores.json` listing the stores that could be indexed, sorted; removes an older
 * version's `_chunk_manifest.json` from inside each store. A store that cannot be indexed is
 * left out and reported in `problems`. Throws "BadArgument" when `dir` is not a directory.
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
    if (e.isDirectory && isStoreName(e.name)) names.push(e.name);
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
    const rel = manifestName(name);
    record(rel, await writeTextAtomic(join(dir, rel), JSON.stringify(manifest) + "\n"));
    await Deno.remove(join(dir, name, CHUNK_MANIFEST_FILE)).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
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
