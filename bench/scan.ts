/**
 * Benchmark: `scan --plan-only` on a registry the size of the real one (~2.7 million rows:
 * 8 years × ~340k land-like tiles over every UTM zone and both hemispheres, sorted year, lat,
 * lon, with 64-hex hashes). The target (issue: scan) is < 15 s and < 2 GiB peak RSS for
 * planning every zone without touching a tile file.
 *
 * Each measurement is a separate `deno run` process, so wall time includes Deno's start-up
 * and peak RSS is that process's alone (from `/usr/bin/time -v`, else VmHWM polled in /proc).
 * Baselines measured in the same run, the same way:
 *   - raw:      `Deno.readFile` of the parquet bytes (the I/O + start-up floor);
 *   - registry: `readRegistry` (the five decoded columns), the first thing scan does.
 *
 * The synthetic registry is cached in /tmp between runs (`--fresh` rebuilds it). Results are
 * printed as a markdown table and written to the "## scan" section of docs/benchmarks.md.
 *
 *   deno task bench scan [--rows-per-year 340000] [--years 8] [--runs 3] [--fresh]
 *                        [--no-docs] [--poll-rss]     (or: deno run -A bench/scan.ts …)
 *
 * `--poll-rss` reads VmHWM from /proc instead of using /usr/bin/time (a cross-check).
 */
import { parseArgs } from "node:util";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readRegistry } from "../lib/tiles/registry.ts";
import { type RegistryRow, writeRegistry } from "../lib/tiles/registry_write.ts";
import { landCells } from "./land_cells.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const DOCS = join(ROOT, "docs", "benchmarks.md");
const TARGET_S = 15;
const TARGET_MIB = 2048;

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    "rows-per-year": { type: "string", default: "340000" },
    years: { type: "string", default: "8" },
    runs: { type: "string", default: "3" },
    fresh: { type: "boolean", default: false },
    "poll-rss": { type: "boolean", default: false },
    "no-docs": { type: "boolean", default: false },
    child: { type: "string" },
    file: { type: "string" },
  },
});

// ---------------------------------------------------------------------------------------------
// Children: each prints one JSON line on stdout.

if (args.child === "raw") {
  const t0 = performance.now();
  const bytes = await Deno.readFile(args.file!);
  console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, bytes: bytes.length }));
  Deno.exit(0);
}
if (args.child === "registry") {
  const t0 = performance.now();
  const reg = await readRegistry(args.file!);
  console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, rows: reg.n }));
  Deno.exit(0);
}

// ---------------------------------------------------------------------------------------------
// The synthetic registry.

/** Deterministic 32-bit hash, so every run benchmarks the same file. */
function mix(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b, 0xc2b2ae35) ^ c;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

function hex64(a: number, b: number, c: number): string {
  let s = "";
  for (let k = 0; k < 8; k++) s += mix(a, b, c * 8 + k).toString(16).padStart(8, "0");
  return s;
}

async function writeSynthetic(path: string, perYear: number, nYears: number) {
  const cells = landCells(perYear);
  const rows: RegistryRow[] = [];
  for (let y = 0; y < nYears; y++) {
    const year = 2017 + y;
    for (let i = 0; i < cells.lonI.length; i++) {
      const lonI = cells.lonI[i], latI = cells.latI[i];
      const h = mix(lonI, latI, year);
      if (h % 100 < 2) continue; // a few tiles absent in some years
      const missing = h % 1000 === 7; // scan records 0 for a file that was not there
      rows.push({
        year,
        lonI,
        latI,
        hash: hex64(lonI, latI, year),
        scalesHash: hex64(latI, lonI, year),
        mtimeS: 1_700_000_000 + (h % 10_000_000),
        fileSize: missing ? 0 : 100_000_000 + (h % 60_000_000),
        scalesSize: missing ? 0 : 4_000_000 + (h % 1_000_000),
      });
    }
  }
  const zones = new Set<number>();
  let south = 0;
  for (let i = 0; i < cells.lonI.length; i++) {
    zones.add(Math.floor((cells.lonI[i] + 18000) / 600) + 1);
    if (cells.latI[i] < 0) south++;
  }
  await writeRegistry(path, rows);
  return { rows: rows.length, cells: cells.lonI.length, zones: zones.size, southCells: south };
}

// ---------------------------------------------------------------------------------------------
// Measuring a child process.

interface Measured {
  wallS: number;
  peakMiB: number;
  stdout: string;
}

const HAVE_TIME = !args["poll-rss"] && existsSync("/usr/bin/time");

/** Runs `deno <args>` from the project root; wall time and peak RSS of that process. */
async function measure(denoArgs: string[]): Promise<Measured> {
  const cmd = HAVE_TIME ? "/usr/bin/time" : Deno.execPath();
  const argv = HAVE_TIME ? ["-v", Deno.execPath(), ...denoArgs] : denoArgs;
  const t0 = performance.now();
  const child = new Deno.Command(cmd, {
    args: argv,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let polledKiB = 0;
  const poll = HAVE_TIME ? undefined : setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
      if (m) polledKiB = Math.max(polledKiB, Number(m[1]));
    } catch { /* exited */ }
  }, 10);
  const out = await child.output();
  const wallS = (performance.now() - t0) / 1000;
  if (poll !== undefined) clearInterval(poll);
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const timeStatus = /Exit status: (\d+)/.exec(stderr);
  const code = timeStatus ? Number(timeStatus[1]) : out.code;
  if (code !== 0) throw new Error(`deno ${denoArgs.join(" ")} exited ${code}:\n${stderr}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  return { wallS, peakMiB: (rss ? Number(rss[1]) : polledKiB) / 1024, stdout };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function repeat(runs: number, denoArgs: string[]) {
  const all: (Measured & { json: Record<string, unknown> })[] = [];
  for (let i = 0; i < runs; i++) {
    const m = await measure(denoArgs);
    all.push({ ...m, json: JSON.parse(m.stdout) });
  }
  return {
    wallS: median(all.map((m) => m.wallS)),
    peakMiB: median(all.map((m) => m.peakMiB)),
    innerS: median(all.map((m) => Number(m.json.seconds))),
    json: all[0].json,
  };
}

// ---------------------------------------------------------------------------------------------
// docs/benchmarks.md

async function machineLine(): Promise<string> {
  const v = await new Deno.Command(Deno.execPath(), { args: ["--version"] }).output();
  const deno = new TextDecoder().decode(v.stdout).split("\n")[0].trim();
  let cpu = "";
  try {
    cpu = /model name\s*:\s*(.+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1].trim() ?? "";
  } catch { /* not Linux */ }
  const mem = Math.round(Deno.systemMemoryInfo().total / 2 ** 30);
  return `${navigator.hardwareConcurrency} cores${cpu ? ` (${cpu})` : ""}, ${mem} GiB RAM, ` +
    `${Deno.build.os}/${Deno.build.arch}, ${deno}`;
}

/** Replaces (or appends) the `## scan` section, leaving every other section as it is. */
async function writeDocs(section: string): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(DOCS);
  } catch {
    text = `# Benchmarks\n\nMachine: ${await machineLine()}\n`;
  }
  const lines = text.split("\n");
  const start = lines.findIndex((l) => /^## scan\s*$/.test(l));
  if (start < 0) {
    text = text.trimEnd() + "\n\n" + section.trimEnd() + "\n";
  } else {
    let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
    if (end < 0) end = lines.length;
    const before = lines.slice(0, start).join("\n").trimEnd();
    const after = lines.slice(end).join("\n").trim();
    text = before + "\n\n" + section.trimEnd() + "\n" + (after ? "\n" + after + "\n" : "");
  }
  await Deno.writeTextFile(DOCS, text);
}

// ---------------------------------------------------------------------------------------------

const perYear = Number(args["rows-per-year"]);
const nYears = Number(args.years);
const runs = Number(args.runs);
const dir = `/tmp/tessera_bench_scan_${perYear}x${nYears}_v2`;
const file = join(dir, "registry.parquet");
const metaFile = join(dir, "meta.json");

let meta: { rows: number; cells: number; zones: number; southCells: number; writeS: number };
if (!args.fresh && existsSync(file) && existsSync(metaFile)) {
  meta = JSON.parse(await Deno.readTextFile(metaFile));
  console.log(`reusing ${file} (${meta.rows.toLocaleString()} rows; --fresh rebuilds it)`);
} else {
  await Deno.mkdir(dir, { recursive: true });
  const t0 = performance.now();
  const w = await writeSynthetic(file, perYear, nYears);
  meta = { ...w, writeS: (performance.now() - t0) / 1000 };
  await Deno.writeTextFile(metaFile, JSON.stringify(meta));
  console.log(`wrote ${file}: ${meta.rows.toLocaleString()} rows in ${meta.writeS.toFixed(1)} s`);
}
const fileMiB = (await Deno.stat(file)).size / 2 ** 20;
console.log(
  `${meta.rows.toLocaleString()} rows, ${meta.cells.toLocaleString()} cells/year over ` +
    `${meta.zones} zones (${((100 * meta.southCells) / meta.cells).toFixed(0)}% south), ` +
    `${fileMiB.toFixed(1)} MiB; ${runs} run(s) each, medians; peak RSS via ` +
    `${HAVE_TIME ? "/usr/bin/time -v" : "/proc VmHWM polling"}\n`,
);

const raw = await repeat(runs, ["run", "-A", SELF, "--child", "raw", "--file", file]);
const reg = await repeat(runs, ["run", "-A", SELF, "--child", "registry", "--file", file]);
const scanCmd = ["run", "-A", "tasks/scan.ts", dir, "--plan-only", "--json"];
const scan = await repeat(runs, scanCmd);
const report = scan.json as { totalTiles: number; zones: unknown[]; ok: boolean; years: number[] };
if (report.totalTiles <= 0 || !report.ok) {
  throw new Error("scan --plan-only did not plan the registry");
}

const pass = scan.wallS < TARGET_S && scan.peakMiB < TARGET_MIB;
const row = (what: string, m: { wallS: number; innerS: number; peakMiB: number }) =>
  `| ${what} | ${m.wallS.toFixed(2)} | ${m.innerS.toFixed(2)} | ${m.peakMiB.toFixed(0)} | ` +
  `${(m.wallS / raw.wallS).toFixed(1)}× |`;
const table = [
  "| process | wall s | in-process s | peak RSS MiB | wall vs raw read |",
  "|---|---:|---:|---:|---:|",
  row(`baseline: \`Deno.readFile\` of the parquet (${fileMiB.toFixed(0)} MiB)`, raw),
  row("baseline: `readRegistry` (5 columns → typed arrays)", reg),
  row(
    `\`scan --plan-only --json\`: ${report.totalTiles.toLocaleString()} tiles → ` +
      `${report.zones.length} zone plans`,
    scan,
  ),
].join("\n");
console.log(table);
console.log(
  `\ntarget < ${TARGET_S} s and < ${TARGET_MIB} MiB: ${pass ? "PASS" : "MISSED"} ` +
    `(scan ${scan.wallS.toFixed(2)} s, ${scan.peakMiB.toFixed(0)} MiB)`,
);

if (!args["no-docs"]) {
  const section = [
    "## scan",
    "",
    `\`deno task scan BASE --plan-only\` on a synthetic registry the size of the real one: ` +
    `${meta.rows.toLocaleString()} rows (${nYears} years × ~${Math.round(meta.cells / 1000)}k ` +
    `land-like cells over ${meta.zones} UTM zones, both hemispheres, sorted year/lat/lon, ` +
    `64-hex hashes, snappy, ${fileMiB.toFixed(1)} MiB), planning every (year, zone) store ` +
    "without opening a tile file.",
    "",
    "Each row is its own `deno run` process: wall time includes Deno start-up and peak RSS is " +
    `that process's alone (${HAVE_TIME ? "`/usr/bin/time -v`" : "VmHWM"}); medians of ${runs} ` +
    "runs. In-process is the time the process reports itself (scan: its `seconds` field).",
    "",
    `Command: \`deno task bench scan\` (= \`deno run -A bench/scan.ts\`; ${
      new Date().toISOString().slice(0, 10)
    }, ` +
    `${await machineLine()})`,
    "",
    table,
    "",
    `Target < ${TARGET_S} s and < 2 GiB RSS: **${pass ? "met" : "missed"}**.`,
  ].join("\n");
  await writeDocs(section);
  console.log(`\nupdated ${DOCS} (## scan)`);
}
