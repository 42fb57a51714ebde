/**
 * End-to-end build throughput (`deno task bench build`): builds one zone of nine full-size
 * 128-band tiles through the real CLI and compares it, in the same run, with a plain `cp` of
 * the same input files (the floor for "read every input byte once and write about as many").
 * Wall time and peak RSS come from `/usr/bin/time` around each child process; Web Workers
 * are threads of that process, so %M covers them.
 *
 *   deno task bench build [--fresh] [--runs N (default 3)] [--no-write-docs]
 *
 * The dataset (greenwich group, 3 tiles a side: zones 30 and 31, 9 tiles each) is generated
 * once under /tmp/tz-bench-build and reused unless --fresh. Only zone 31 is built.
 */
import { benchSection, writeBenchSection } from "./docs_section.ts";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { planZones } from "../lib/plan/zone_plan.ts";
import { tilePaths } from "../lib/tiles/layout.ts";
import { listTiles } from "../lib/tiles/tile_list.ts";
import { DATA, ensureDataset, ROOT, YEAR, ZONE } from "./full_tiles.ts";

const MIB = 2 ** 20;
const REPO = new URL("..", import.meta.url).pathname;

/** Copies files (args: destination directory, files…) through one 4 MiB buffer. */
const USERSPACE_COPY = `
const [dst, ...files] = Deno.args;
const buf = new Uint8Array(4 << 20);
for (const f of files) {
  using src = Deno.openSync(f);
  using out = Deno.openSync(dst + "/" + f.split("/").at(-1), { write: true, create: true });
  for (let n; (n = src.readSync(buf)) !== null;) for (let at = 0; at < n;) at += out.writeSync(buf.subarray(at, n));
}`;

interface Measured {
  seconds: number;
  /** User + system CPU seconds of the process tree: steadier than wall time on a busy host. */
  cpuSeconds: number;
  peakRssMiB: number;
}

/** Runs `cmd` under /usr/bin/time and returns wall seconds and the child's peak RSS. */
async function timed(cmd: string[], label: string): Promise<Measured> {
  const report = await Deno.makeTempFile({ prefix: "tz-bench-time-" });
  try {
    const out = await new Deno.Command("/usr/bin/time", {
      args: ["-f", "%e %U %S %M", "-o", report, ...cmd],
      cwd: REPO,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
      throw new Error(`${label} failed (exit ${out.code}):\n${err.slice(-2000)}`);
    }
    // /usr/bin/time's own %e has 10 ms resolution; that is enough next to seconds-long runs.
    const [e, u, sys, m] = (await Deno.readTextFile(report)).trim().split("\n").at(-1)!.split(" ");
    return {
      seconds: Number(e),
      cpuSeconds: Number(u) + Number(sys),
      peakRssMiB: Number(m) / 1024,
    };
  } finally {
    await Deno.remove(report).catch(() => {});
  }
}

async function treeBytes(path: string): Promise<number> {
  let total = 0;
  for await (const e of Deno.readDir(path)) {
    const p = join(path, e.name);
    if (e.isDirectory) total += await treeBytes(p);
    else if (e.isFile) total += (await Deno.stat(p)).size;
  }
  return total;
}

/** The zone's input files (embeddings, scales, landmask) and their total size. */
async function zoneInputs(): Promise<
  { files: string[]; bytes: number; tiles: number; shards: number }
> {
  const { tiles } = await listTiles(DATA, { year: YEAR, zones: [ZONE] });
  const files = tiles.flatMap((t) => {
    const p = tilePaths(DATA, t);
    return [p.embeddings, p.scales, p.landmask];
  });
  let bytes = 0;
  for (const f of files) bytes += (await Deno.stat(f)).size;
  const [plan] = planZones(tiles);
  return { files, bytes, tiles: tiles.length, shards: plan.shards.length };
}

interface Row extends Measured {
  label: string;
  workers: string;
  compress: string;
  storeMiB: number;
}

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      fresh: { type: "boolean", default: false },
      runs: { type: "string", default: "3" },
      "no-write-docs": { type: "boolean", default: false },
    },
  });
  const runs = Math.max(1, Number(values.runs));
  await ensureDataset(values.fresh!);
  const input = await zoneInputs();
  const work = await Deno.makeTempDir({ prefix: "tz-bench-build-", dir: ROOT });
  const inputRow = (label: string, m: Measured): Row => ({
    label,
    workers: "—",
    compress: "—",
    ...m,
    storeMiB: input.bytes / MIB,
  });
  try {
    // Baselines, each into a fresh directory that is deleted afterwards (as the builds' are):
    // `cp` (copy_file_range: the kernel copies page cache to page cache, nothing reaches user
    // space) and the same bytes read into and written from a 4 MiB user-space buffer.
    const cp = async (i: number) => {
      const dst = join(work, `cp${i}`);
      await Deno.mkdir(dst);
      const m = await timed(["cp", "-r", ...input.files, dst], "cp");
      await Deno.remove(dst, { recursive: true });
      return m;
    };
    const userCopy = async () => {
      const dst = join(work, "userspace");
      await Deno.mkdir(dst);
      const m = await timed(
        [Deno.execPath(), "eval", USERSPACE_COPY, dst, ...input.files],
        "user-space copy",
      );
      await Deno.remove(dst, { recursive: true });
      return m;
    };
    const build = async (c: { workers: number; compress: string; fsync?: boolean }) => {
      const outDir = join(work, `w${c.workers}-${c.compress}`);
      const m = await timed([
        Deno.execPath(),
        "run",
        "-A",
        join(REPO, "tasks/build.ts"),
        DATA,
        "--zones",
        String(ZONE),
        "--year",
        String(YEAR),
        "--workers",
        String(c.workers),
        "--compress",
        c.compress,
        "--output-dir",
        outDir,
        "--json",
        // What flushing every file before its marker costs (docs/format.md, "Durability").
        ...(c.fsync === false ? ["--no-fsync"] : []),
      ], `build --workers ${c.workers} --compress ${c.compress}`);
      const bytes = await treeBytes(outDir);
      await Deno.remove(outDir, { recursive: true });
      return { ...m, storeMiB: bytes / MIB };
    };
    const configs = [
      { workers: 1, compress: "none" },
      { workers: 2, compress: "none" },
      { workers: 2, compress: "none", fsync: false },
      { workers: 2, compress: "zstd" },
    ];
    // The first cp warms the page cache (and pays for reading the files); it is reported but
    // not used. Then `runs` rounds of every measurement, interleaved so that a busy spell on
    // the host hits all of them alike; each row keeps its fastest run.
    const cold = await cp(0);
    const best = new Map<string, Row>();
    const keep = (key: string, row: Row) => {
      const old = best.get(key);
      const peakRssMiB = Math.max(old?.peakRssMiB ?? 0, row.peakRssMiB);
      best.set(
        key,
        !old || row.seconds < old.seconds ? { ...row, peakRssMiB } : { ...old, peakRssMiB },
      );
    };
    for (let r = 0; r < runs; r++) {
      keep("cp", inputRow("cp", await cp(r + 1)));
      keep("user", inputRow("read+write", await userCopy()));
      for (const c of configs) {
        keep(`${c.workers}/${c.compress}/${c.fsync ?? true}`, {
          label: c.fsync === false ? "build --no-fsync" : "build",
          workers: String(c.workers),
          compress: c.compress,
          ...await build(c),
        });
      }
    }
    const rows = [...best.values()];
    const table = formatTable(
      rows,
      best.get("cp")!.seconds,
      best.get("user")!.seconds,
      input.tiles,
    );
    const context = `Zone ${ZONE} of the greenwich fixture (${input.tiles} tiles × 128 bands, ` +
      `${input.shards} shards, ${
        (input.bytes / MIB).toFixed(0)
      } MiB of input files). Each row is ` +
      `the fastest of ${runs} interleaved run(s) (peak RSS: the largest); a first, cache-warming ` +
      `cp took ${cold.seconds.toFixed(2)} s and is not used.`;
    console.log(context + "\n\n" + table);
    const command = ["deno task bench build", ...args.filter((a) => a !== "--fresh")].join(" ");
    if (!values["no-write-docs"]) await writeDocs(command, context, table);
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

function formatTable(rows: Row[], cpSeconds: number, userSeconds: number, tiles: number): string {
  const lines = [
    "| run | workers | compress | seconds | s/tile | ratio vs cp | ratio vs read+write | CPU s | peak RSS MiB | output MiB |",
    "|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.label} | ${r.workers} | ${r.compress} | ${r.seconds.toFixed(2)} | ` +
        `${(r.seconds / tiles).toFixed(3)} | ${(r.seconds / cpSeconds).toFixed(2)} | ` +
        `${(r.seconds / userSeconds).toFixed(2)} | ${r.cpuSeconds.toFixed(2)} | ` +
        `${r.peakRssMiB.toFixed(0)} | ${r.storeMiB.toFixed(0)} |`,
    );
  }
  return lines.join("\n");
}

/** What the numbers mean; updated by hand when the builder changes. */
const NOTES = `
**Durability (2026-12-01).** Every file of a shard is flushed (\`fdatasync\`, then the
directory's \`fsync\`) before its completion marker, so a power cut can never leave a marker
for data that is not on the disk. On this machine's disk that costs about 25 % of the wall
time of a 2-worker build when the machine is idle (1.85 s against 1.48 s; 5 % of the CPU
time), and up to 2× while other work keeps the disk busy (compare "build" with "build
--no-fsync" above): without flushing, the
benchmark only measures writes into the page cache, which the kernel writes back later while
the build goes on computing; with it, each worker waits for its shard to reach the disk. The
cost is real I/O, not overhead, so \`--no-fsync\` is offered for builds that a kill but not a
power cut may interrupt (scratch disks, stores checked with \`verify\` afterwards). Overlapping
the flush of one shard with the assembly of the next would hide most of it (left to the
performance issue).

**Targets.** Peak RSS ≤ 1 GiB: met for every configuration (one 1024 × 1024 shard buffer per
worker, ~138 MiB with its class, coverage and cell-key arrays, plus two 6 MiB read buffers, a
4 MiB write staging buffer and ~100 MiB of runtime per isolate). Build time ≤ 1.5 × \`cp\`: not
met, and not reachable by a builder that looks at the bytes:

- \`cp\` (coreutils 9.1 on ext4) uses copy_file_range: the kernel copies page cache to page
  cache and nothing reaches user space (~0 user CPU). The "read+write" row is the floor for any
  program that reads the tiles and writes a store of the same size: read into a 4 MiB buffer,
  write it out. It is already 2–4 × \`cp\` here.
- The build does more I/O than that floor: it reads 1535 MiB for 922 MiB of embeddings (a tile
  row is read whole for every shard it touches, and 6 of the 9 tiles straddle a shard column),
  decodes each landmask window, and writes 886 MiB of embeddings shards plus zstd scales shards.
- And it computes: one user-space copy of every winning embedding into the shard buffer (tile
  rows are pixel-major, shards chunk-major), the per-pixel validity and overlap rules (an
  inverse projection per overlapping pixel), a fill check per inner chunk, the statistics (a
  128 × 128 sum of products on a 16-px lattice) and zstd of the scales: ~2.6–3 CPU-s with 1
  worker, against 0.5–1.2 CPU-s for read+write.
- \`--compress zstd\` is bound by zstd itself: level 3 compresses embeddings (ratio 0.88) at
  ~390 MiB/s per core, ~2.3 CPU-s for this zone.

**This host.** 2 vCPUs shared with other jobs (load average 5–11 while these runs were made), so
\`--workers 2\` rarely gets a second core and wall times vary by ±50 % between runs; the CPU
column (user + system of the whole process tree) varies by ~10 % and is the better measure of the
work. The VM pages out cold page cache (DAMON \`pageout\`), so the first \`cp\` of a run
reads from disk (0.9–6.9 s seen), and writing into freshly allocated page-cache pages costs far
more than the memcpy: about a third of the build's CPU is kernel time in write(2).

**Before / after** the builder changes of 2026-11-24 (same bench, same host, run back to back;
fastest of 3, CPU = user + system):

| workers | compress | before s | before CPU s | before RSS MiB | after s | after CPU s | after RSS MiB |
|---|---|---|---|---|---|---|---|
| 1 | none | 6.06 | 5.73 | 546 | 3.35 | 3.02 | 302 |
| 2 | none | 3.15 | 5.70 | 958 | 3.41 | 3.53 | 498 |
| 2 | zstd | 4.70 | 7.72 | 1218 | 2.81 | 5.27 | 630 |

What changed: shards are streamed to disk in 4 MiB writes straight from the shard buffer, whose
embeddings are kept in inner-chunk order (before: a 128 MiB copy per shard into a fresh buffer,
then \`Deno.writeFile\`, which copies it again and writes at ~320 MiB/s here against ~4 GB/s for
4 MiB writes); the overlap test uses a Clenshaw-summed inverse projection, falling back to the
exact one within 1e-9° of a cell edge, memoised per pixel; statistics accumulate four pixels per
pass; a shard clears only what the previous shard left outside its tiles; the next 64-row block
is read while the current one is composited. Stores are byte-identical to before.
`;

/**
 * Replaces only the `## build` section of docs/benchmarks.md (other benchmarks own the other
 * sections and may be writing concurrently, so the file is re-read right before the write).
 */
async function writeDocs(command: string, context: string, table: string): Promise<void> {
  const section = benchSection("build", command, context, table, NOTES);
  await writeBenchSection("build", section);
}

export { main };

if (import.meta.main) await main(Deno.args);
