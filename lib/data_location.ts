/**
 * Where the data is when the user does not say: `$TESSERA_DATA`, else the bundled sample
 * dataset (`fixtures/sample`), generated on first use. This is what lets `deno task build
 * --zones 30` and `deno task serve` work out of the box. Also the checks every task makes of a
 * BASE (it must be a dataset) and the message for a selection with no tiles (naming the zones
 * and years that have some).
 *
 * `$TZ_SAMPLE` moves and shrinks the sample, for tests: JSON such as
 * `{"dir": "/tmp/x/sample", "tiles": 1, "bands": 8, "groups": ["greenwich"]}` (any of
 * `deno task fixtures`' options; `dir` is required).
 */
import { basename, dirname, join, resolve } from "node:path";
import { besideModule, userCacheDir } from "./module_path.ts";
import { NothingSelected } from "./cli/args.ts";
import { progress } from "./cli/progress.ts";
import { processAlive } from "./store/lock.ts";
import { TesseraError } from "./errors.ts";
import {
  FIXTURE_FORMAT_VERSION,
  type FixtureOptions,
  generateFixtures,
  readFixtureManifest,
} from "./sample_data/generate.ts";
import { utmZoneOfLonI } from "./grid/zone.ts";
import { listTiles } from "./tiles/tile_list.ts";
import { EMBEDDINGS_DIR, NPY_DIR, type TileLayout } from "./tiles/layout.ts";
import { chooseLayout } from "./tiles/layout_choice.ts";
import { detectLayout, type LayoutRequest } from "./tiles/layout_detect.ts";
import { findRegistry, REGISTRY_FILE } from "./tiles/registry.ts";
import { isUrl, REMOTE_ENV } from "./tiles/remote.ts";

/** The bundled sample dataset's directory. */
export const SAMPLE_DIR: string = besideModule("../fixtures/sample", import.meta.url) ??
  userCacheDir("sample");

/** Where the sample dataset is and how it is generated (see `$TZ_SAMPLE` above). */
export interface SampleLocation {
  dir: string;
  fixtures: Omit<FixtureOptions, "out" | "onTile">;
}

/** The sample's location: `$TZ_SAMPLE` when set, else {@link SAMPLE_DIR} with the defaults. */
export function sampleLocation(): SampleLocation {
  const spec = Deno.env.get("TZ_SAMPLE");
  if (!spec) return { dir: SAMPLE_DIR, fixtures: {} };
  let parsed: { dir?: unknown } & SampleLocation["fixtures"];
  try {
    parsed = JSON.parse(spec);
  } catch {
    parsed = {};
  }
  if (typeof parsed?.dir !== "string" || parsed.dir === "") {
    throw new TesseraError(
      "BadArgument",
      `$TZ_SAMPLE must be JSON with a "dir", e.g. {"dir":"/tmp/sample","tiles":1,"bands":8}; ` +
        `got ${spec}`,
    );
  }
  const { dir, ...fixtures } = parsed;
  return { dir: resolve(dir), fixtures };
}

/** True when `path` is the sample's directory (so it may be generated). */
export function isSampleDir(path: string): boolean {
  return resolve(path) === resolve(sampleLocation().dir);
}

/** Default output folder for a BASE: `BASE/zarr`, as upstream. */
export function defaultOutputDir(base: string): string {
  if (isUrl(base)) {
    throw new TesseraError(
      "BadArgument",
      `BASE is a URL (${base}): give --output-dir DIR for the stores`,
    );
  }
  return join(base, "zarr");
}

/**
 * Resolves the BASE directory: the argument, else `$TESSERA_DATA`, else the sample dataset
 * (generated if it is missing or incomplete), and its layout — `opts.layout` (`--layout`,
 * `--dataset`, `--landmask-version`) or what is there (lib/tiles/layout_detect.ts) — which it
 * records for the BASE (lib/tiles/layout_choice.ts), so the tile list and every tile path use
 * it. Throws BadArgument when the BASE given does not exist, is not a directory or is not a
 * dataset (no embeddings folder and no registry), when `registryDir` holds no registry, or
 * when the layout asked for is not what is there.
 *
 * @example
 * const base = await resolveBase(positionals[0], { registryDir: values["registry-dir"] });
 */
export async function resolveBase(
  arg?: string,
  opts: { quiet?: boolean; registryDir?: string; layout?: LayoutRequest } = {},
): Promise<string> {
  const explicit = arg || Deno.env.get("TESSERA_DATA") || undefined;
  const from = arg ? "BASE" : "$TESSERA_DATA";
  // $TESSERA_DATA naming the sample's own folder still gets the sample made on first use.
  if (!explicit || (!arg && isSampleDir(explicit))) {
    await ensureSample(opts);
    const dir = sampleLocation().dir;
    await useLayout(dir, opts);
    return dir;
  }
  if (!isUrl(explicit)) await checkIsDirectory(explicit, from);
  const layout = await useLayout(explicit, opts);
  if (layout.kind === "public") return explicit;
  if (isUrl(explicit)) {
    await checkRemoteDataset(explicit, opts.registryDir);
    return explicit;
  }
  await checkDataset(explicit, from, opts.registryDir);
  return explicit;
}

/** Detects (or takes) the layout of `base` and records it; refuses a hash check it cannot do. */
async function useLayout(
  base: string,
  opts: { registryDir?: string; layout?: LayoutRequest },
): Promise<TileLayout> {
  let layout: TileLayout;
  try {
    layout = await detectLayout(base, { ...opts.layout, registry: opts.registryDir });
  } catch (e) {
    // A server that cannot be reached is, like a missing folder, bad usage (exit 2).
    if (!(e instanceof TesseraError && e.kind === "RemoteFetch")) throw e;
    throw new TesseraError("BadArgument", e.message, undefined, { cause: e });
  }
  if (layout.kind === "public" && Deno.env.get(REMOTE_ENV.checkHashes) === "1") {
    throw new TesseraError(
      "BadArgument",
      "--check-hashes: the public layout's manifest.parquet has no hash or scales_hash column " +
        "(upstream checks downloads against Content-Length and the MD5 ETag instead), so there " +
        "is nothing to check the tiles against; drop --check-hashes",
    );
  }
  chooseLayout(base, layout);
  return layout;
}

const GIVE = `give the folder that holds ${EMBEDDINGS_DIR}/ or ${NPY_DIR}/ (or make sample ` +
  "data there with `deno task fixtures DIR`)";

async function checkIsDirectory(base: string, from: string): Promise<void> {
  const stat = await Deno.stat(base).catch(() => undefined);
  if (stat?.isDirectory) return;
  throw new TesseraError(
    "BadArgument",
    `${from} "${base}" is not a directory (${stat ? "it is a file" : "it does not exist"}); ` +
      GIVE,
  );
}

async function isDirectory(path: string): Promise<boolean> {
  return (await Deno.stat(path).catch(() => undefined))?.isDirectory === true;
}

/**
 * BadArgument unless the server has a registry for `base` (a URL): over HTTP there is no
 * directory to walk, so the registry is the tile list.
 */
async function checkRemoteDataset(base: string, registry?: string): Promise<void> {
  let found: string | undefined;
  try {
    found = await findRegistry(base, registry);
  } catch (e) {
    // A server that cannot be reached is, like a missing folder, bad usage (exit 2).
    if (!(e instanceof TesseraError && (e.kind === "BadRegistry" || e.kind === "RemoteFetch"))) {
      throw e;
    }
    throw new TesseraError("BadArgument", e.message, undefined, { cause: e });
  }
  if (found) return;
  throw new TesseraError(
    "BadArgument",
    `no ${REGISTRY_FILE} at ${base}: over HTTP tiles cannot be found by walking folders, so a ` +
      "registry is needed — give --registry URL, or a BASE URL that has registry.parquet",
  );
}

/** BadArgument unless `base` is a dataset folder (and `registryDir`, if given, has a registry). */
async function checkDataset(base: string, from: string, registryDir?: string): Promise<void> {
  if (registryDir !== undefined) {
    try {
      await findRegistry(base, registryDir);
      return;
    } catch (e) {
      if (!(e instanceof TesseraError && e.kind === "BadRegistry")) throw e;
      const there = await Deno.stat(registryDir).then(() => true, () => false);
      throw new TesseraError(
        "BadArgument",
        `--registry-dir "${registryDir}" ${
          there ? "holds no registry.parquet" : "does not exist"
        }: give the folder that holds registry.parquet, or leave it out to search BASE, its ` +
          "parent and grandparent",
      );
    }
  }
  if (await isDirectory(join(base, EMBEDDINGS_DIR)) || await findRegistry(base)) return;
  throw new TesseraError(
    "BadArgument",
    `${from} "${base}" is not a TESSERA dataset: it has no ${EMBEDDINGS_DIR}/ (seed layout) ` +
      `nor ${NPY_DIR}/ (public layout), and there is no registry.parquet in it, its parent or ` +
      `grandparent; ${GIVE}`,
  );
}

/**
 * The error for a tile selection that matches nothing in an existing dataset: names the
 * selection and what the dataset does have (years, and the zones of each), so the user can fix
 * `--year` / `--zones`.
 *
 * @example
 * if (list.tiles.length === 0) throw await noTilesSelected(base, { years: [year], zones });
 */
export async function noTilesSelected(
  base: string,
  selection: { years?: readonly number[]; zones?: readonly number[]; registryDir?: string },
): Promise<NothingSelected> {
  const asked = [
    selection.years ? `year(s) ${selection.years.join(",")}` : "",
    selection.zones ? `zone(s) ${selection.zones.join(",")}` : "",
  ].filter(Boolean).join(" in ");
  const all = await listTiles(base, { registryDir: selection.registryDir });
  const zonesByYear = new Map<number, Set<number>>();
  for (const t of all.tiles) {
    const zones = zonesByYear.get(t.year) ?? new Set<number>();
    zones.add(utmZoneOfLonI(t.lonI));
    zonesByYear.set(t.year, zones);
  }
  const there = [...zonesByYear.entries()].sort(([a], [b]) => a - b).map(([year, zones]) =>
    `${year} in zone(s) ${[...zones].sort((a, b) => a - b).join(", ")}`
  );
  return new NothingSelected(
    `no tiles${asked ? ` for ${asked}` : ""} under ${base}; ` +
      (there.length
        ? `it has tiles for ${there.join("; ")} — choose from those with --year and --zones`
        : "it has no tiles at all"),
  );
}

/**
 * Generates the sample dataset unless a complete one is already there (one process at a time;
 * see {@link withSampleLock}). An old sample (made by an earlier generator) is replaced, stores
 * included.
 */
export async function ensureSample(opts: { quiet?: boolean } = {}): Promise<void> {
  const { dir, fixtures } = sampleLocation();
  const ready = async () =>
    (await readFixtureManifest(dir))?.formatVersion === FIXTURE_FORMAT_VERSION;
  if (await ready()) return;
  await withSampleLock(async () => {
    if (await ready()) return;
    if (await readFixtureManifest(dir)) await Deno.remove(dir, { recursive: true });
    if (!opts.quiet) {
      console.error(`No data given: generating the sample dataset in ${dir} (first use only)…`);
    }
    let bar: ReturnType<typeof progress> | undefined;
    await generateFixtures({
      ...fixtures,
      out: dir,
      onTile: (done, total) => {
        bar ??= progress("fixtures", total, { quiet: opts.quiet, unit: "tiles" });
        bar.tick();
        if (done === total) bar.stop();
      },
    });
  }, opts);
}

/** How many holders of the sample lock this process has (the lock is re-entrant). */
let sampleLockDepth = 0;

/**
 * Runs `fn` holding the cross-process lock of the sample (`.sample.lock` beside its folder,
 * holding the owner's pid): processes started together (parallel test files, notebooks) make
 * the sample once instead of racing. A lock whose owner is gone is taken over.
 */
export async function withSampleLock<T>(
  fn: () => Promise<T>,
  opts: { quiet?: boolean } = {},
): Promise<T> {
  if (sampleLockDepth > 0) return await runHeld(fn);
  const { dir } = sampleLocation();
  const lock = join(dirname(dir), `.${basename(dir)}.lock`);
  await Deno.mkdir(dirname(lock), { recursive: true });
  let told = false;
  for (;;) {
    try {
      await Deno.writeTextFile(lock, String(Deno.pid), { createNew: true });
      break;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      const holder = Number(await Deno.readTextFile(lock).catch(() => "0"));
      if (holder && !processAlive(holder)) {
        await Deno.remove(lock).catch(() => {});
        continue;
      }
      if (!told && !opts.quiet) {
        console.error(`Waiting for process ${holder} to finish preparing the sample in ${dir}…`);
        told = true;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await runHeld(fn);
  } finally {
    await Deno.remove(lock).catch(() => {});
  }
}

async function runHeld<T>(fn: () => Promise<T>): Promise<T> {
  sampleLockDepth++;
  try {
    return await fn();
  } finally {
    sampleLockDepth--;
  }
}
