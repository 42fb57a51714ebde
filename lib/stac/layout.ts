/**
 * Where the STAC documents of a folder of stores go and how they point at each other, pure.
 * A catalog is one folder (`DIR/stac` by default) holding `collection.json` and one folder
 * per Item (`{id}/{id}.json` with its thumbnails `{id}/{id}_{preview}.png`), the layout the
 * STAC best practices recommend for static catalogs.
 *
 * Hrefs are relative by default (a self-contained catalog: it can be copied or served from
 * anywhere with the stores, and has no `self` links). Given the public URL of the folder of
 * stores (`--href-base`), every href is absolute instead and every document has a `self` link:
 * each relative href resolved against its document's own URL, so both forms always agree.
 */
import { TesseraError } from "../errors.ts";
import type { PreviewName } from "../store/previews.ts";

/** The catalog's folder under the folder of stores, by default (and the route `serve` uses). */
export const STAC_DIR = "stac";
/** The Collection's file name in the catalog folder. */
export const COLLECTION_FILE = "collection.json";

/** Catalog-relative path of an Item's document. */
export function itemPath(id: string): string {
  return `${id}/${id}.json`;
}

/** Catalog-relative path of an Item's thumbnail of `preview`. */
export function thumbnailPath(id: string, preview: PreviewName): string {
  return `${id}/${id}_${preview}.png`;
}

/** How a catalog's hrefs are written. */
export interface HrefPlan {
  /** The folder of stores seen from the catalog folder, POSIX (`".."` for `DIR/stac`). */
  storesFromCatalog: string;
  /** Absolute URL of the catalog folder (ends with `/`), or undefined for relative hrefs. */
  catalogUrl?: string;
}

/**
 * The href to write in the document at catalog path `from` for the file at catalog path `to`
 * (both relative to the catalog folder, POSIX): relative (`./x`, `../x`) without a URL, else
 * absolute. A store is addressed as `to` = `@stores/{name}`.
 *
 * @example
 * ```ts
 * const plan = { storesFromCatalog: ".." };
 * catalogHref(plan, "utm30_2024/utm30_2024.json", "collection.json"); // "../collection.json"
 * catalogHref(plan, "utm30_2024/utm30_2024.json", "@stores/utm30_2024.zarr"); // "../../utm30_2024.zarr"
 * catalogHref({ ...plan, catalogUrl: "https://h/zarr/stac/" }, "collection.json", "utm30_2024/utm30_2024.json");
 * // "https://h/zarr/stac/utm30_2024/utm30_2024.json"
 * ```
 */
export function catalogHref(plan: HrefPlan, from: string, to: string): string {
  const target = to.startsWith("@stores/")
    ? joinPosix(plan.storesFromCatalog, to.slice("@stores/".length))
    : to;
  const rel = relativePosix(dirnamePosix(from), target);
  if (plan.catalogUrl === undefined) return rel;
  return resolveBelow(documentUrl(plan, from), rel);
}

/** Absolute URL of the document at catalog path `path` (only with a catalog URL). */
export function documentUrl(plan: HrefPlan, path: string): string {
  if (plan.catalogUrl === undefined) {
    throw new TesseraError("BadArgument", "documents have URLs only with --href-base");
  }
  return resolveBelow(plan.catalogUrl, path);
}

/**
 * The catalog folder's URL from the stores folder's (`--href-base`, normalised by
 * {@link storesBaseUrl}) and the catalog folder's path relative to the stores folder (POSIX,
 * `"stac"` by default; `"../stac"` for a sibling). Throws BadArgument when the path climbs
 * above the URL's root.
 *
 * @example
 * ```ts
 * catalogUrlFrom("https://h/data/zarr/", "../stac"); // "https://h/data/stac/"
 * ```
 */
export function catalogUrlFrom(storesUrl: string, catalogFromStores: string): string {
  const rel = catalogFromStores && catalogFromStores !== "." ? `${catalogFromStores}/` : "./";
  return resolveBelow(storesUrl, rel);
}

/**
 * Checks and normalises a `--href-base` value: an absolute http(s) URL (or file:) of the folder
 * of stores, given a trailing `/` so relative paths resolve inside it. Throws BadArgument.
 *
 * @example
 * ```ts
 * storesBaseUrl("https://data.example.org/tessera/zarr"); // "https://data.example.org/tessera/zarr/"
 * ```
 */
export function storesBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TesseraError(
      "BadArgument",
      `--href-base "${value}" is not an absolute URL: give the URL the folder of stores is ` +
        "published at, e.g. https://data.example.org/tessera/zarr/",
    );
  }
  if (!["http:", "https:", "file:"].includes(url.protocol)) {
    throw new TesseraError(
      "BadArgument",
      `--href-base "${value}": use an http(s) URL (or file:), not ${url.protocol}`,
    );
  }
  if (url.search || url.hash) {
    throw new TesseraError("BadArgument", `--href-base "${value}": drop the ?query or #fragment`);
  }
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url.href;
}

/** `rel` resolved against `base`, refusing paths that would climb above the URL's root. */
function resolveBelow(base: string, rel: string): string {
  const path = new URL(base).pathname;
  const depth = path.slice(0, path.lastIndexOf("/") + 1).split("/").filter(Boolean).length;
  let up = 0, min = 0;
  for (const seg of rel.split("/")) {
    if (seg === "..") up--;
    else if (seg && seg !== ".") up++;
    min = Math.min(min, up);
  }
  if (-min > depth) {
    throw new TesseraError(
      "BadArgument",
      `"${rel}" climbs above the root of ${base}: with --href-base, put --out inside DIR ` +
        "(or give the URL of a deeper folder)",
    );
  }
  return new URL(rel, base).href;
}

function dirnamePosix(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? "" : p.slice(0, i);
}

function joinPosix(a: string, b: string): string {
  return normalise([...a.split("/"), ...b.split("/")]).join("/");
}

function normalise(segs: string[]): string[] {
  const out: string[] = [];
  for (const s of segs) {
    if (!s || s === ".") continue;
    if (s === ".." && out.length && out[out.length - 1] !== "..") out.pop();
    else out.push(s);
  }
  return out;
}

/** The relative href from directory `fromDir` to path `to` (both catalog-relative), `./x` form. */
function relativePosix(fromDir: string, to: string): string {
  const a = normalise(fromDir.split("/")), b = normalise(to.split("/"));
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i] && a[i] !== "..") i++;
  const up = a.slice(i).map(() => "..");
  const rest = b.slice(i);
  return up.length || rest[0] === ".." ? [...up, ...rest].join("/") : `./${rest.join("/")}`;
}
