/**
 * Benchmark: reading a registry the size of the real one (~2.7 million rows: 8 years × ~340k
 * tiles on land-like cells, sorted year, lat, lon, with 64-hex hashes) and listing every
 * year's tiles, which `scan` must do in < 15 s and < 2 GiB RSS.
 *
 * Each measurement runs in its own child process so peak RSS (VmHWM) is that of the reader
 * alone, not of the writer that made the file. The baseline is hyparquet's row-object API
 * (`parquetReadObjects`) on the same columns, measured in the same run.
 *
 *   deno run -A bench/registry_read.ts [--rows-per-year 340000] [--years 8] [--no-hashes]
 *                                      [--keep] [--baseline]
 */

import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { readRegistry, registryTiles, registryYears } from "../lib/tiles/registry.ts";
import { type RegistryRow, writeRegistry } from "../lib/tiles/registry_write.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    "rows-per-year": { type: "string", default: "340000" },
    years: { type: "string", default: "8" },
    "no-hashes": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    baseline: { type: "boolean", default: false },
    child: { type: "string" },
    file: { type: "string" },
  },
});

/** Peak resident set size of this process in MiB (Linux), else current RSS. */
function peakRssMiB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) / 1024;
  } catch { /* not Linux */ }
  return Deno.memoryUsage().rss / 2 ** 20;
}

/** Deterministic 32-bit hash, so every run benchmarks the same file. */
function mix(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b, 0xc2b2ae35) ^ c;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Land-like blobs between 56°S and 72°N: smooth "continents" so rows cluster like real tiles. */
function landCells(target: number): Int32Array[] {
  const lonIs: number[] = [];
  const latIs: number[] = [];
  const score = (lon: number, lat: number) =>
    Math.sin(lat / 9) * Math.cos(lon / 13) + 0.6 * Math.sin(lon / 4 + lat / 6);
  // Pick the threshold from a coarse sample so the cell count lands near `target`.
  const sample: number[] = [];
  for (let lat = -55.95; lat < 72; lat += 0.5) {
    for (let lon = -179.95; lon < 180; lon += 0.5) sample.push(score(lon, lat));
  }
  sample.sort((a, b) => b - a);
  const cells = 1280 * 3600;
  const threshold = sample[Math.floor((sample.length * target) / cells)];
  for (let latI = -5595; latI < 7200; latI += 10) {
    for (let lonI = -17995; lonI < 18000; lonI += 10) {
      if (score(lonI / 100, latI / 100) > threshold) {
        lonIs.push(lonI);
        latIs.push(latI);
      }
    }
  }
  return [Int32Array.from(lonIs), Int32Array.from(latIs)];
}

function hex64(a: number, b: number, c: number): string {
  let s = "";
  for (let k = 0; k < 8; k++) s += mix(a, b, c * 8 + k).toString(16).padStart(8, "0");
  return s;
}

async function writeSynthetic(path: string): Promise<{ rows: number; seconds: number }> {
  const perYear = Number(args["rows-per-year"]);
  const nYears = Number(args.years);
  const hashes = !args["no-hashes"];
  const [lonIs, latIs] = landCells(perYear);
  const rows: RegistryRow[] = [];
  for (let y = 0; y < nYears; y++) {
    const year = 2017 + y;
    for (let i = 0; i < lonIs.length; i++) {
      const h = mix(lonIs[i], latIs[i], year);
      if (h % 100 < 2) continue; // a few tiles absent in some years
      const missing = h % 1000 === 7; // scan records 0 for a file that was not there
      rows.push({
        year,
        lonI: lonIs[i],
        latI: latIs[i],
        hash: hashes ? hex64(lonIs[i], latIs[i], year) : null,
        scalesHash: hashes ? hex64(latIs[i], lonIs[i], year) : null,
        mtimeS: 1_700_000_000 + (h % 10_000_000),
        fileSize: missing ? 0 : 100_000_000 + (h % 60_000_000),
        scalesSize: missing ? 0 : 4_000_000 + (h % 1_000_000),
      });
    }
  }
  const t0 = performance.now();
  await writeRegistry(path, rows);
  return { rows: rows.length, seconds: (performance.now() - t0) / 1000 };
}

/** Child: the code path `scan` uses, every year. */
async function childOurs(path: string): Promise<void> {
  const t0 = performance.now();
  const reg = await readRegistry(path);
  const t1 = performance.now();
  let tiles = 0;
  for (const y of registryYears(reg)) tiles += registryTiles(reg, y).length;
  const t2 = performance.now();
  console.log(JSON.stringify({
    rows: reg.n,
    tiles,
    readS: (t1 - t0) / 1000,
    listS: (t2 - t1) / 1000,
    totalS: (t2 - t0) / 1000,
    peakRssMiB: peakRssMiB(),
  }));
}

/** Child: the naive baseline, row objects for the same columns. */
async function childBaseline(path: string): Promise<void> {
  const t0 = performance.now();
  const rows = await parquetReadObjects({
    file: await asyncBufferFromFile(path),
    columns: ["year", "file_size", "scales_size", "lon_i", "lat_i"],
    compressors,
  });
  let tiles = 0;
  for (const r of rows) if (r.file_size > 0n && r.scales_size > 0n) tiles++;
  const t1 = performance.now();
  console.log(JSON.stringify({
    rows: rows.length,
    tiles,
    totalS: (t1 - t0) / 1000,
    peakRssMiB: peakRssMiB(),
  }));
}

async function runChild(kind: string, file: string): Promise<Record<string, number>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--child", kind, "--file", file],
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`${kind} child failed`);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
}

if (args.child === "ours") await childOurs(args.file!);
else if (args.child === "baseline") await childBaseline(args.file!);
else {
  const dir = await Deno.makeTempDir({ prefix: "tz-registry-bench-" });
  const path = join(dir, "registry.parquet");
  try {
    const w = await writeSynthetic(path);
    const mib = (await Deno.stat(path)).size / 2 ** 20;
    console.log(
      `wrote ${w.rows.toLocaleString()} rows (${mib.toFixed(1)} MiB, snappy) in ` +
        `${w.seconds.toFixed(1)} s → ${path}`,
    );
    const ours = await runChild("ours", path);
    console.log(
      `readRegistry + registryTiles (all years): ${ours.totalS.toFixed(2)} s ` +
        `(read ${ours.readS.toFixed(2)} s, list ${ours.listS.toFixed(2)} s), ` +
        `peak RSS ${ours.peakRssMiB.toFixed(0)} MiB, ${ours.tiles.toLocaleString()} tiles`,
    );
    if (args.baseline) {
      const base = await runChild("baseline", path);
      console.log(
        `baseline parquetReadObjects: ${base.totalS.toFixed(2)} s, peak RSS ` +
          `${base.peakRssMiB.toFixed(0)} MiB → ours is ${
            (base.totalS / ours.totalS).toFixed(1)
          }× ` +
          `faster, ${(base.peakRssMiB / ours.peakRssMiB).toFixed(1)}× less memory`,
      );
    }
  } finally {
    if (!args.keep) await Deno.remove(dir, { recursive: true });
  }
}
