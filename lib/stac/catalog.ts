/**
 * The STAC catalog of a folder of zone stores, from what is on disk: each store's root and
 * array metadata gives its Item, each finished preview's coarsest overview level its PNG
 * thumbnail. {@link stacCatalog} builds the documents in memory (the `serve` route answers
 * from it); {@link writeStacCatalog} writes them (`deno task stac`), each file replaced
 * atomically and left alone when already up to date.
 */
import { join, relative, resolve, sep } from "node:path";
import { TesseraError } from "../errors.ts";
import { writeFileAtomic } from "../fs_atomic.ts";
import { encodePng, readPreviewLevel } from "../preview/png.ts";
import { isStoreName } from "../store/names.ts";
import { openZoneMetadata } from "../store/open.ts";
import { PREVIEW_NAMES, type PreviewName } from "../store/previews.ts";
import { FsStore } from "../zarr/fs_store.ts";
import { reduceRgba, type ThumbnailGrid, thumbnailGrid } from "./thumbnail.ts";
import {
  type CollectionOptions,
  DEFAULT_COLLECTION_ID,
  stacCollection,
  type StacDocument,
  stacItem,
  type StacStoreInfo,
} from "./documents.ts";
import {
  catalogUrlFrom,
  COLLECTION_FILE,
  type HrefPlan,
  itemPath,
  STAC_DIR,
  storesBaseUrl,
  thumbnailPath,
} from "./layout.ts";

/** Options of {@link stacCatalog} and {@link writeStacCatalog}. */
export interface StacCatalogOptions extends CollectionOptions {
  /** The catalog folder (default `{dir}/stac`). */
  out?: string;
  /** Public URL of the folder of stores: absolute hrefs and `self` links (default relative). */
  hrefBase?: string;
}

/** A thumbnail to make: `grid` from `preview` of the store at `storePath`. */
export interface ThumbnailSource {
  storePath: string;
  preview: PreviewName;
  grid: ThumbnailGrid;
}

/** A catalog in memory: documents by catalog-relative path, thumbnails to encode on demand. */
export interface StacCatalog {
  /** The folder of stores. */
  dir: string;
  /** The catalog folder. */
  out: string;
  plan: HrefPlan;
  collection: StacDocument;
  /** Each Item, in store-name order. */
  items: StacDocument[];
  /** Every JSON document by catalog-relative path (`collection.json`, `{id}/{id}.json`). */
  documents: Map<string, StacDocument>;
  /** Every thumbnail by catalog-relative path (`{id}/{id}_rgb.png`). */
  thumbnails: Map<string, ThumbnailSource>;
  /** Stores that could not be catalogued, and why. */
  problems: { store: string; message: string }[];
}

/** What {@link writeStacCatalog} did. */
export interface StacReport {
  dir: string;
  out: string;
  collection: string;
  /** One entry per Item: its id, document path and thumbnail paths (relative to `out`). */
  items: { id: string; path: string; thumbnails: string[] }[];
  /** Files whose content changed (relative to `out`). */
  written: string[];
  /** Files already up to date. */
  unchanged: string[];
  /** Item folders of stores no longer in DIR, removed (relative to `out`). */
  removed: string[];
  problems: { store: string; message: string }[];
  /** Whether hrefs are absolute (`--href-base`). */
  absolute: boolean;
}

/**
 * The Item input of one store: its grid and finished previews. Throws BadStore for a store
 * that cannot be opened or whose build has not finished.
 *
 * @example
 * ```ts
 * const info = await stacStoreInfo("out/zarr/utm30_2024.zarr");
 * info.thumbnails.rgb?.path; // "rgb_overviews/2"
 * ```
 */
export async function stacStoreInfo(storePath: string): Promise<StacStoreInfo> {
  const store = storePath.split(/[\\/]/).filter(Boolean).pop()!;
  const meta = await openZoneMetadata(new FsStore(storePath), { name: store, where: storePath });
  const z = meta.zone;
  if (!z.build.complete) {
    throw new TesseraError(
      "BadStore",
      "its build has not finished: finish it with `deno task build … --resume` first",
      storePath,
    );
  }
  const thumbnails: StacStoreInfo["thumbnails"] = {};
  for (const name of PREVIEW_NAMES) {
    const done = name === "rgb" ? z.previews.rgb : z.previews.pcaRgb;
    const levels = z.previews.multiscales?.[name];
    if (done && levels?.length) thumbnails[name] = thumbnailGrid(levels[levels.length - 1]);
  }
  return {
    id: store.replace(/\.zarr$/, ""),
    store,
    zone: z.zone,
    year: z.year,
    epsg: z.epsg,
    transform: z.transform,
    shape: [meta.height, meta.width],
    bands: meta.bands,
    thumbnails,
  };
}

/**
 * Builds the catalog of the stores directly under `dir` in memory. Stores that cannot be read
 * are left out and listed in `problems` (with none left, the Collection is `{}` and
 * `documents` empty). Throws BadArgument for a bad `hrefBase`.
 *
 * @example
 * ```ts
 * const cat = await stacCatalog("out/zarr");
 * cat.documents.get("collection.json"); // the Collection
 * ```
 */
export async function stacCatalog(
  dir: string,
  opts: StacCatalogOptions = {},
): Promise<StacCatalog> {
  const out = resolve(opts.out ?? join(dir, STAC_DIR));
  const catalogFromStores = posix(relative(resolve(dir), out));
  const plan: HrefPlan = {
    storesFromCatalog: posix(relative(out, resolve(dir))) || ".",
    catalogUrl: opts.hrefBase === undefined
      ? undefined
      : catalogUrlFrom(storesBaseUrl(opts.hrefBase), catalogFromStores),
  };
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory && isStoreName(e.name)) names.push(e.name);
  }
  names.sort();
  const problems: StacCatalog["problems"] = [];
  const infos: StacStoreInfo[] = [];
  for (const name of names) {
    try {
      infos.push(await stacStoreInfo(join(dir, name)));
    } catch (e) {
      if (!(e instanceof TesseraError)) throw e;
      problems.push({ store: name, message: e.message });
    }
  }
  const items = infos.map((info) => stacItem(info, opts.id ?? DEFAULT_COLLECTION_ID, plan));
  const documents = new Map<string, StacDocument>();
  const thumbnails = new Map<string, ThumbnailSource>();
  infos.forEach((info, i) => {
    documents.set(itemPath(info.id), items[i]);
    for (const [preview, grid] of Object.entries(info.thumbnails)) {
      thumbnails.set(thumbnailPath(info.id, preview as PreviewName), {
        storePath: join(dir, info.store),
        preview: preview as PreviewName,
        grid: grid!,
      });
    }
  });
  const collection = items.length ? stacCollection(items, plan, opts) : {};
  if (items.length) documents.set(COLLECTION_FILE, collection);
  return { dir, out, plan, collection, items, documents, thumbnails, problems };
}

/**
 * The PNG of one thumbnail (RGBA): its overview level, reduced to its grid.
 *
 * @example
 * ```ts
 * const png = await thumbnailPng(cat.thumbnails.get("utm30_2024/utm30_2024_rgb.png")!);
 * ```
 */
export async function thumbnailPng(src: ThumbnailSource): Promise<Uint8Array> {
  const level = await readPreviewLevel(src.storePath, src.preview, src.grid.level);
  const t = reduceRgba(level.rgba, level.width, level.height, src.grid.reductions);
  return encodePng(t.rgba, t.width, t.height);
}

/** A document as written: two-space JSON and a final newline. */
export function documentBytes(doc: StacDocument): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(doc, null, 2) + "\n");
}

/**
 * Writes the catalog of the stores in `dir` to `opts.out` (default `{dir}/stac`): the
 * Collection, every Item and its thumbnails; removes the Item folders of stores that are gone
 * (only folders holding nothing but catalog files). Throws BadArgument when no store could be
 * catalogued (nothing is written then).
 *
 * @example
 * ```ts
 * const r = await writeStacCatalog("out/zarr", { hrefBase: "https://data.example.org/zarr/" });
 * r.items.map((i) => i.id); // ["utm30_2024", "utm31_2024"]
 * ```
 */
export async function writeStacCatalog(
  dir: string,
  opts: StacCatalogOptions = {},
): Promise<StacReport> {
  const cat = await stacCatalog(dir, opts);
  if (cat.items.length === 0) {
    throw new TesseraError(
      "BadStore",
      `no store in ${dir} could be catalogued: ` +
        (cat.problems.map((p) => `${p.store}: ${p.message}`).join("; ") || "no stores"),
      dir,
    );
  }
  const report: StacReport = {
    dir,
    out: cat.out,
    collection: COLLECTION_FILE,
    items: [],
    written: [],
    unchanged: [],
    removed: [],
    problems: cat.problems,
    absolute: cat.plan.catalogUrl !== undefined,
  };
  const put = async (rel: string, bytes: Uint8Array) => {
    const path = join(cat.out, rel);
    const old = await Deno.readFile(path).catch(() => undefined);
    if (old && equalBytes(old, bytes)) return void report.unchanged.push(rel);
    await writeFileAtomic(path, bytes);
    report.written.push(rel);
  };
  for (const [rel, doc] of cat.documents) {
    if (rel !== COLLECTION_FILE) await put(rel, documentBytes(doc));
  }
  for (const [rel, src] of cat.thumbnails) await put(rel, await thumbnailPng(src));
  // The Collection last: a reader that finds it finds every Item it links.
  await put(COLLECTION_FILE, documentBytes(cat.collection));
  for (const item of cat.items) {
    const id = String(item.id);
    report.items.push({
      id,
      path: itemPath(id),
      thumbnails: [...cat.thumbnails.keys()].filter((k) => k.startsWith(`${id}/`)),
    });
  }
  report.removed = await removeStaleItems(cat.out, new Set(report.items.map((i) => i.id)));
  return report;
}

/** Removes `{out}/{id}/` folders of store ids not in `keep` that hold only catalog files. */
async function removeStaleItems(out: string, keep: Set<string>): Promise<string[]> {
  const removed: string[] = [];
  for await (const e of Deno.readDir(out)) {
    if (!e.isDirectory || keep.has(e.name) || !isStoreName(`${e.name}.zarr`)) continue;
    const own = new Set([itemPath(e.name), ...PREVIEW_NAMES.map((p) => thumbnailPath(e.name, p))]);
    let ours = true;
    for await (const f of Deno.readDir(join(out, e.name))) {
      if (!f.isFile || !own.has(`${e.name}/${f.name}`)) ours = false;
    }
    if (!ours) continue;
    await Deno.remove(join(out, e.name), { recursive: true });
    removed.push(`${e.name}/`);
  }
  return removed;
}

/**
 * The human-readable summary of a report: one line per Item, one per problem, then where the
 * Collection went.
 */
export function formatStacReport(r: StacReport): string {
  const lines = r.items.map((i) =>
    `  ${i.path}` + (i.thumbnails.length ? ` + ${i.thumbnails.length} thumbnail(s)` : "")
  );
  for (const p of r.problems) lines.push(`  ${p.store}: NOT CATALOGUED — ${p.message}`);
  for (const d of r.removed) lines.push(`  ${d}: removed (its store is gone)`);
  const changed = r.written.length ? `${r.written.length} file(s) updated` : "all up to date";
  lines.push(
    `${r.items.length} item(s) in ${join(r.out, r.collection)} ` +
      `(${r.absolute ? "absolute" : "relative"} hrefs); ${changed}`,
  );
  return lines.join("\n");
}

function posix(p: string): string {
  return p.split(sep).join("/");
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
