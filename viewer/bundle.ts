/**
 * `deno task viewer:bundle`: bundles the browser viewer into `viewer/dist/` — everything it
 * needs, so the page works with no network beyond the server that serves it:
 *
 *   index.html                the page (served at `/`)
 *   main.js, main.css         the app with MapLibre, zarrita, proj4 and MapLibre's CSS
 *   *.js chunks               loaded on demand (Observable Plot, the zstd codec)
 *   decode_worker.js          the decode worker (zarrita + zstd)
 *   maplibre-gl-worker.mjs    MapLibre's own worker
 *   countries-50m.json        Natural Earth land and borders (world-atlas) for the basemap
 *   build.json                source hash and file sizes
 *
 * Bundling uses `deno bundle` (esbuild inside Deno) on npm packages from Deno's cache; the
 * first build downloads them from the npm registry like any other dependency. The viewer also
 * bundles the toolkit's own pure grid maths (lib/grid: GeoBox, pixel rectangles, zone rules),
 * so the modules it imports from lib/ must not use Deno or node: APIs. `dist/` is a build
 * output, not committed: tests and `serve` call `ensureViewerBuilt()`, which rebuilds only
 * when the sources changed.
 */
import countries from "world-atlas/countries-50m.json" with { type: "json" };
import { fileURLToPath } from "node:url";
import { parseTaskArgs, runTask } from "../lib/cli/args.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
/** Where `deno task viewer:bundle` writes by default. */
export const VIEWER_DIST: string = `${HERE}dist`;

const USAGE = `
deno task viewer:bundle [--out DIR] [--check] [--if-stale]

Bundles the viewer (viewer/src, viewer/index.html) into DIR (default viewer/dist): the page,
the app and worker bundles, MapLibre's worker and CSS, and the offline basemap.

Options:
  --out DIR     output folder (default viewer/dist)
  --check       type-check the viewer sources first (deno check)
  --if-stale    do nothing when DIR was built from the same sources
`;

export interface BuildReport {
  out: string;
  files: Record<string, number>;
  sourceHash: string;
  rebuilt: boolean;
  ms: number;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await walk(p));
    else out.push(p);
  }
  return out.sort();
}

/** The bundle's entry points, relative to the repository. */
export const VIEWER_ENTRIES = ["viewer/src/main.ts", "viewer/src/decode_worker.ts"];

// Relative specifiers of static imports, re-exports, side-effect and dynamic imports.
const LOCAL_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.\.?\/[^"']+)["']/g;
/** A bare specifier (`"zarrita"`, `"numcodecs/zstd"`), looked up in deno.json's imports. */
const BARE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([a-z@][^"':]*)["']/g;

/**
 * Every file of the repository the bundle is made from: the entry points and, transitively,
 * each file they import by a relative path (viewer/src modules, styles, lib/grid), sorted.
 * npm packages are covered by deno.json's imports in {@link viewerSourceHash}.
 */
export async function viewerLocalSources(): Promise<string[]> {
  const root = `${HERE}..`;
  // Bare names deno.json maps to repository files (lib/deps/*.ts pins lib/'s packages).
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  const mapped = new Map<string, string>();
  for (const [name, target] of Object.entries(config.imports ?? {})) {
    if (typeof target === "string" && target.startsWith("./")) {
      mapped.set(name, fileURLToPath(new URL(target, `file://${root}/`)));
    }
  }
  const seen = new Set<string>();
  const todo = VIEWER_ENTRIES.map((e) => fileURLToPath(new URL(e, `file://${root}/`)));
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!/\.[cm]?[jt]s$/.test(file)) continue;
    const code = await Deno.readTextFile(file);
    for (const m of code.matchAll(LOCAL_IMPORT)) {
      todo.push(fileURLToPath(new URL(m[1], `file://${file}`)));
    }
    for (const m of code.matchAll(BARE_IMPORT)) {
      const local = mapped.get(m[1]);
      if (local) todo.push(local);
    }
  }
  return [...seen].sort();
}

/** SHA-256 of everything that goes into the bundle: sources, page, this script, imports. */
export async function viewerSourceHash(): Promise<string> {
  const files = [
    ...new Set([
      ...await walk(`${HERE}src`),
      ...await viewerLocalSources(),
      `${HERE}index.html`,
      fileURLToPath(import.meta.url),
    ]),
  ].sort();
  const root = fileURLToPath(new URL("..", import.meta.url));
  const parts: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const f of files) {
    parts.push(enc.encode(f.slice(root.length)), await Deno.readFile(f));
  }
  const config = JSON.parse(await Deno.readTextFile(`${HERE}../deno.json`));
  parts.push(enc.encode(JSON.stringify(config.imports ?? {})), enc.encode(Deno.version.deno));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function deno(args: string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: `${HERE}..`,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (!out.success) {
    const dec = new TextDecoder();
    throw new Error(
      `deno ${args.join(" ")} failed:\n${dec.decode(out.stdout)}${dec.decode(out.stderr)}`,
    );
  }
}

async function readBuildInfo(out: string): Promise<{ sourceHash?: string } | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(`${out}/build.json`));
  } catch {
    return undefined;
  }
}

/**
 * Builds the viewer into `out` (default viewer/dist). The new build is assembled in a
 * temporary folder and swapped in, so a server never sees half a build.
 *
 * @example
 * const report = await buildViewer({ ifStale: true });
 */
export async function buildViewer(
  opts: { out?: string; check?: boolean; ifStale?: boolean } = {},
): Promise<BuildReport> {
  const t0 = performance.now();
  const out = (opts.out ?? VIEWER_DIST).replace(/\/+$/, "");
  const sourceHash = await viewerSourceHash();
  if (opts.ifStale) {
    const info = await readBuildInfo(out);
    if (info?.sourceHash === sourceHash) {
      return { out, files: {}, sourceHash, rebuilt: false, ms: performance.now() - t0 };
    }
  }
  if (opts.check) await deno(["check", ...VIEWER_ENTRIES]);
  const tmp = `${out}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(tmp, { recursive: true });
  try {
    const common = ["bundle", "--platform", "browser", "--format", "esm", "--minify"];
    // One build for both entries: code they share (zarrita, the zstd codec) becomes chunks
    // the page and the module workers load once; Plot and the codecs load on first use.
    await deno([
      ...common,
      "--code-splitting",
      "--outdir",
      tmp,
      ...VIEWER_ENTRIES,
    ]);
    // MapLibre's worker is a separate module it loads from beside its bundle; copied as is
    // (bundling it would tree-shake it away: the package declares it side-effect free).
    const mlWorker = fileURLToPath(import.meta.resolve("maplibre-gl/dist/maplibre-gl-worker.mjs"));
    await Deno.copyFile(mlWorker, `${tmp}/maplibre-gl-worker.mjs`);
    await Deno.writeTextFile(`${tmp}/countries-50m.json`, JSON.stringify(countries));
    await Deno.copyFile(`${HERE}index.html`, `${tmp}/index.html`);
    const files: Record<string, number> = {};
    for (const f of await walk(tmp)) files[f.slice(tmp.length + 1)] = (await Deno.stat(f)).size;
    await Deno.writeTextFile(
      `${tmp}/build.json`,
      JSON.stringify({ sourceHash, deno: Deno.version.deno, files }, null, 2) + "\n",
    );
    await Deno.remove(out, { recursive: true }).catch(() => {});
    await Deno.rename(tmp, out);
    return { out, files, sourceHash, rebuilt: true, ms: performance.now() - t0 };
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
}

let pending: Promise<BuildReport> | undefined;

/** Builds viewer/dist unless it is up to date; returns its path. Safe to call repeatedly. */
export async function ensureViewerBuilt(): Promise<string> {
  pending ??= buildViewer({ ifStale: true }).finally(() => (pending = undefined));
  return (await pending).out;
}

if (import.meta.main) {
  await runTask("viewer:bundle", async () => {
    const { values } = parseTaskArgs(Deno.args, {
      name: "viewer:bundle",
      positionals: [],
      usage: USAGE,
      options: {
        out: { type: "string" },
        check: { type: "boolean" },
        "if-stale": { type: "boolean" },
      },
    });
    const r = await buildViewer({
      out: values.out,
      check: values.check,
      ifStale: values["if-stale"],
    });
    if (!r.rebuilt) {
      console.log(`viewer: ${r.out} is up to date`);
      return 0;
    }
    const total = Object.values(r.files).reduce((a, b) => a + b, 0);
    for (const [name, size] of Object.entries(r.files)) {
      console.log(`  ${name.padEnd(28)} ${(size / 1024).toFixed(1).padStart(8)} KiB`);
    }
    console.log(
      `viewer: built ${r.out} (${(total / 1048576).toFixed(2)} MiB) in ${
        (r.ms / 1000).toFixed(1)
      } s`,
    );
    return 0;
  });
}
