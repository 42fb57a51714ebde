/**
 * The default folder of zone stores: `$TESSERA_DATA/zarr`, else the sample dataset's stores —
 * made on first use (dataset generated, every zone built, with RGB and PCA previews) so that
 * `deno task serve`, the preview tasks and the notebooks work before `deno task demo` ever ran.
 *
 * The stores are built by the build task itself, in a subprocess, with the very command
 * `deno task demo` runs: they are the demo's stores, with the build's locking, resume and signal
 * handling. Preparation is serialised across processes by the sample lock.
 */
import { join } from "node:path";
import { parseBuildState } from "./store/attributes.ts";
import { readGroupAttributes } from "./store/documents.ts";
import { isStoreName, storeName } from "./store/names.ts";
import { parsePreviewAttributes } from "./store/previews.ts";
import { FsStore } from "./zarr/fs_store.ts";
import { TesseraError } from "./errors.ts";
import {
  defaultOutputDir,
  ensureSample,
  isSampleDir,
  resolveBase,
  sampleLocation,
  withSampleLock,
} from "./data_location.ts";
import { readFixtureManifest } from "./sample_data/generate.ts";

/** The build task, by URL: a local path or, when imported over HTTP, the remote module. */
const BUILD_TASK = new URL("../tasks/build.ts", import.meta.url).href;

/** Options of {@link ensureSampleStores} and {@link defaultStoreDir}. */
export interface SampleStoreOptions {
  /** No messages or progress (errors still say what went wrong). */
  quiet?: boolean;
  /** Parallel shard builders (default 2). */
  workers?: number;
}

/** The sample's store names (from its FIXTURE.json), or undefined without a complete sample. */
async function expectedStores(dir: string): Promise<string[] | undefined> {
  const manifest = await readFixtureManifest(dir);
  if (!manifest) return undefined;
  return [...new Set(manifest.tiles.map((t) => storeName(t.zone, t.year)))].sort();
}

/** True when every store of the sample is built, with both previews. */
async function storesReady(dir: string): Promise<boolean> {
  const names = await expectedStores(dir);
  if (!names?.length) return false;
  for (const name of names) {
    const store = new FsStore(join(defaultOutputDir(dir), name));
    const attrs = await readGroupAttributes(store).catch(() => undefined);
    if (!attrs) return false;
    const previews = parsePreviewAttributes(attrs);
    if (!parseBuildState(attrs).complete || !previews.rgb || !previews.pcaRgb) return false;
  }
  return true;
}

/**
 * Makes sure the sample dataset exists with complete, previewed stores and returns the stores'
 * folder (`fixtures/sample/zarr`, or that of `$TZ_SAMPLE`).
 *
 * @example
 * const dir = await ensureSampleStores(); // first use: ~40 s; then immediate
 */
export async function ensureSampleStores(opts: SampleStoreOptions = {}): Promise<string> {
  const { dir } = sampleLocation();
  const zarrDir = defaultOutputDir(dir);
  if (await storesReady(dir)) return zarrDir;
  await withSampleLock(async () => {
    await ensureSample(opts);
    if (await storesReady(dir)) return;
    if (!opts.quiet) {
      console.error(
        `Building the sample stores, with previews, in ${zarrDir} (first use only)…`,
      );
    }
    // `--resume` continues stores an earlier attempt left unfinished, or keeps finished ones.
    const args = [dir, "--workers", String(opts.workers ?? 2), "--resume", "--rgb", "--pca"];
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", BUILD_TASK, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const tail: string[] = [];
    const relay = (stream: ReadableStream<Uint8Array>) =>
      forEachLine(stream, (line) => {
        tail.push(line);
        if (tail.length > 40) tail.shift();
        if (!opts.quiet) console.error(line);
      });
    const [status] = await Promise.all([child.status, relay(child.stdout), relay(child.stderr)]);
    if (!status.success || !(await storesReady(dir))) {
      throw new TesseraError(
        "BadStore",
        `building the sample stores failed (build exit ${status.code}); see why with ` +
          `\`deno task build ${args.join(" ")}\`:\n${tail.join("\n")}`,
        zarrDir,
      );
    }
  }, opts);
  return zarrDir;
}

/** Calls `fn` with each line of `stream` (the last one even without a newline). */
async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  fn: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    const lines = (pending + decoder.decode(chunk, { stream: true })).split("\n");
    pending = lines.pop()!;
    lines.forEach(fn);
  }
  if (pending) fn(pending);
}

/**
 * The default folder of zone stores: `$TESSERA_DATA/zarr` when `$TESSERA_DATA` is set (it must
 * be a dataset; the folder may not exist yet), else the sample's stores, made on first use.
 *
 * @example
 * const dir = positionals[0] ?? await defaultStoreDir();
 */
export async function defaultStoreDir(opts: SampleStoreOptions = {}): Promise<string> {
  const data = Deno.env.get("TESSERA_DATA");
  if (data && !isSampleDir(data)) return defaultOutputDir(await resolveBase(undefined, opts));
  return await ensureSampleStores(opts);
}

/**
 * The default zone stores, for notebooks: their folder and their names, sorted. The sample's
 * are made on first use; a `$TESSERA_DATA` without stores is an error giving the exact command
 * that builds them.
 *
 * @example
 * const { dir, names } = await defaultStores();
 */
export async function defaultStores(
  opts: SampleStoreOptions = {},
): Promise<{ dir: string; names: string[] }> {
  const dir = await defaultStoreDir(opts);
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory && isStoreName(e.name)) names.push(e.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (names.length === 0) {
    const base = Deno.env.get("TESSERA_DATA") ?? sampleLocation().dir;
    throw new TesseraError(
      "BadStore",
      `no zone stores in ${dir}: build them with \`deno task build ${base} --rgb --pca\``,
    );
  }
  return { dir, names: names.sort() };
}
