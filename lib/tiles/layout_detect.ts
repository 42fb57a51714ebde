/**
 * Which layout a BASE has, found from what is there (upstream §1.10): on disk from which
 * folders exist (`global_0.1_degree_representation/` or `global_0.1_degree_tiff_all/` or
 * `registry.parquet` → the seed's; `npy/` → the public one, with its dataset folders listed);
 * over HTTP from which index file answers (`registry.parquet`, else
 * `npy/{dataset}/manifest.parquet`). `--layout`, `--dataset` and `--landmask-version` choose
 * instead; every mismatch is a BadArgument naming what was looked for and the flag that fixes it.
 */
import { join } from "node:path";
import { TesseraError } from "../errors.ts";
import {
  checkLandmaskVersion,
  DEFAULT_DATASET,
  defaultLandmaskVersion,
  isDatasetName,
} from "./dataset_name.ts";
import {
  EMBEDDINGS_DIR,
  LANDMASKS_DIR,
  type LayoutKind,
  NPY_DIR,
  PUBLIC_LANDMASKS_DIR,
  publicLayout,
  SEED_LAYOUT,
  type TileLayout,
} from "./layout.ts";
import {
  checkLandmaskIndex,
  findManifest,
  LANDMASK_INDEX_FILE,
  landmaskIndexLocation,
  MANIFEST_FILE,
} from "./manifest.ts";
import { REGISTRY_FILE } from "./registry.ts";
import { isUrl, joinUrl, remoteExists } from "./remote.ts";

/** What the user asked for (`--layout`, `--dataset`, `--landmask-version`, `--registry`). */
export interface LayoutRequest {
  layout?: LayoutKind;
  dataset?: string;
  landmaskVersion?: string;
  /** `--registry` / `--registry-dir`: the index file or its folder (seed: registry, public: manifest). */
  registry?: string;
}

const usage = (message: string) => new TesseraError("BadArgument", message);

async function isDir(path: string): Promise<boolean> {
  return (await Deno.stat(path).catch(() => undefined))?.isDirectory === true;
}

async function isFile(path: string): Promise<boolean> {
  return (await Deno.stat(path).catch(() => undefined))?.isFile === true;
}

async function subdirs(path: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(path)) {
      if (e.isDirectory || (e.isSymlink && await isDir(join(path, e.name)))) out.push(e.name);
    }
  } catch {
    return [];
  }
  return out.sort();
}

/** The kind asked for: `--layout`, or public implied by `--dataset` / `--landmask-version`. */
function askedKind(req: LayoutRequest): LayoutKind | undefined {
  const publicOnly = req.dataset !== undefined
    ? "--dataset"
    : req.landmaskVersion !== undefined
    ? "--landmask-version"
    : undefined;
  if (req.layout === "seed" && publicOnly) {
    throw usage(
      `${publicOnly} applies to the public layout (npy/{dataset}/…, landmasks/{version}/…) ` +
        "only; drop it, or use --layout public",
    );
  }
  if (req.dataset !== undefined && !isDatasetName(req.dataset)) {
    throw usage(
      `--dataset "${req.dataset}" is not a dataset name: expected v<major>[.<minor>]` +
        "[-<variant>], e.g. v1, v1.1-cam, v2-2B-L~beta1",
    );
  }
  if (req.landmaskVersion !== undefined) checkLandmaskVersion(req.landmaskVersion);
  return req.layout ?? (publicOnly ? "public" : undefined);
}

/**
 * The layout of `base` (a folder or an http(s) URL): what `req` chooses, else what is there.
 * Throws BadArgument when the choice does not match what is there, when a folder holds both
 * layouts (choose with `--layout`), when no dataset or several are present (choose with
 * `--dataset`), or when the landmask folder is missing; `BadRegistry` for a landmasks.parquet
 * without upstream's columns. A folder with neither layout is the seed's, so the seed's
 * messages about it apply.
 *
 * @example
 * ```ts
 * await detectLayout("/data"); // { kind: "public", dataset: "v1", landmaskVersion: "v1" }
 * await detectLayout("https://host/tessera/", { dataset: "v1.1-cam" });
 * ```
 */
export async function detectLayout(base: string, req: LayoutRequest = {}): Promise<TileLayout> {
  const asked = askedKind(req);
  return isUrl(base) ? await detectRemote(base, asked, req) : await detectLocal(base, asked, req);
}

async function detectLocal(
  base: string,
  asked: LayoutKind | undefined,
  req: LayoutRequest,
): Promise<TileLayout> {
  const seedThere = await isDir(join(base, EMBEDDINGS_DIR)) ||
    await isDir(join(base, LANDMASKS_DIR)) || await isFile(join(base, REGISTRY_FILE));
  const publicThere = await isDir(join(base, NPY_DIR));
  const seedWhat = `${EMBEDDINGS_DIR}/ (the seed layout)`;
  const publicWhat = `${NPY_DIR}/ (the public layout)`;
  if (asked === undefined && seedThere && publicThere) {
    throw usage(
      `BASE "${base}" holds both layouts, ${seedWhat} and ${publicWhat}; choose one with ` +
        "--layout seed or --layout public",
    );
  }
  const kind = asked ?? (publicThere ? "public" : "seed");
  if (kind === "seed") {
    if (asked === "seed" && !seedThere && publicThere) {
      throw usage(
        `--layout seed, but BASE "${base}" has no ${EMBEDDINGS_DIR}/ and holds ${publicWhat}; ` +
          "use --layout public, or leave --layout out",
      );
    }
    return SEED_LAYOUT;
  }
  if (!publicThere) {
    throw usage(
      `no ${NPY_DIR}/ folder in BASE "${base}" (the public layout: ` +
        `${NPY_DIR}/{dataset}/{year}/grid_…/grid_….npy)` +
        (seedThere
          ? `; it holds ${seedWhat} — use --layout seed or leave --layout/--dataset out`
          : "; give the folder that holds npy/ and landmasks/"),
    );
  }
  const present = (await subdirs(join(base, NPY_DIR))).filter(isDatasetName);
  const listed = present.length ? present.join(", ") : "none";
  let dataset = req.dataset;
  if (dataset === undefined) {
    if (present.length !== 1) {
      throw usage(
        present.length === 0
          ? `BASE "${base}" has ${NPY_DIR}/ but no dataset folder in it (v1, v1.1-cam, …); ` +
            "give the folder of a TESSERA repository copy"
          : `BASE "${base}" holds several datasets in ${NPY_DIR}/ (${listed}); choose one ` +
            "with --dataset NAME",
      );
    }
    dataset = present[0];
  } else if (!present.includes(dataset)) {
    throw usage(
      `no dataset ${dataset} in ${join(base, NPY_DIR)}/ (present: ${listed}); choose one of ` +
        "those with --dataset NAME",
    );
  }
  const landmaskVersion = req.landmaskVersion ?? defaultLandmaskVersion(dataset);
  const layout = publicLayout(dataset, landmaskVersion);
  const lmDir = join(base, PUBLIC_LANDMASKS_DIR, landmaskVersion);
  if (!(await isDir(lmDir))) {
    const versions = (await subdirs(join(base, PUBLIC_LANDMASKS_DIR))).join(", ") || "none";
    throw usage(
      `no landmask folder ${lmDir}/ for dataset ${dataset} (landmask versions present: ` +
        `${versions}); choose one with --landmask-version V`,
    );
  }
  const index = landmaskIndexLocation(base, layout);
  if (await isFile(index)) await checkLandmaskIndex(index);
  return layout;
}

async function detectRemote(
  base: string,
  asked: LayoutKind | undefined,
  req: LayoutRequest,
): Promise<TileLayout> {
  const registryUrl = joinUrl(base, REGISTRY_FILE);
  if (asked === undefined) {
    // A given index file says which layout it belongs to by its name.
    if (req.registry !== undefined) {
      return req.registry.endsWith(MANIFEST_FILE) ? await remotePublic(base, req) : SEED_LAYOUT;
    }
    if (await remoteExists(registryUrl)) return SEED_LAYOUT;
    const manifest = joinUrl(base, NPY_DIR, DEFAULT_DATASET, MANIFEST_FILE);
    if (await remoteExists(manifest)) return await remotePublic(base, req);
    throw usage(
      `no tile index answers at ${base}: looked for ${registryUrl} (seed layout) and ` +
        `${manifest} (public layout, dataset ${DEFAULT_DATASET}); over HTTP tiles cannot be ` +
        "found by walking folders — give --dataset NAME for another dataset, or --registry URL",
    );
  }
  return asked === "seed" ? SEED_LAYOUT : await remotePublic(base, req);
}

/** The dataset a given `…/{dataset}/manifest.parquet` URL names, if it names one. */
function datasetOfManifest(registry: string | undefined): string | undefined {
  const segs = registry?.split("?")[0].split("/") ?? [];
  if (segs.at(-1) !== MANIFEST_FILE) return undefined;
  const name = decodeURIComponent(segs.at(-2) ?? "");
  return isDatasetName(name) ? name : undefined;
}

async function remotePublic(base: string, req: LayoutRequest): Promise<TileLayout> {
  const dataset = req.dataset ?? datasetOfManifest(req.registry) ?? DEFAULT_DATASET;
  const landmaskVersion = req.landmaskVersion ?? defaultLandmaskVersion(dataset);
  const layout = publicLayout(dataset, landmaskVersion);
  const manifest = await findManifest(base, layout, req.registry).catch((e) => {
    throw usage((e as Error).message);
  });
  if (!manifest) {
    throw usage(
      `no ${NPY_DIR}/${dataset}/${MANIFEST_FILE} at ${base} (public layout, dataset ` +
        `${dataset}${req.dataset ? "" : ", the default"}); over HTTP tiles cannot be found by ` +
        "walking folders — give the dataset the server has with --dataset NAME, or the " +
        "manifest with --registry URL",
    );
  }
  const index = landmaskIndexLocation(base, layout);
  if (await remoteExists(index)) {
    await checkLandmaskIndex(index);
  } else if (req.landmaskVersion === undefined) {
    throw usage(
      `no ${PUBLIC_LANDMASKS_DIR}/${landmaskVersion}/${LANDMASK_INDEX_FILE} at ${base} (the ` +
        `landmasks of dataset ${dataset}); give the landmask version the server has with ` +
        "--landmask-version V (its TIFFs are then fetched without the list)",
    );
  }
  return layout;
}
