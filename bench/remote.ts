/**
 * Building from a web server (`deno task bench remote`): the same zone built from Debian's
 * nginx over loopback and from local disk, in one run — wall ratio, bytes fetched ÷ input file
 * bytes, requests per tile, the effect of `--connections` — and the cost of the hash check on
 * local input (`--check-hashes`). Uses bench/build.ts's dataset (/tmp/tz-bench-build: greenwich
 * group, 3 tiles a side, 128 bands; zone 31, 9 tiles), generated when missing.
 *
 *   deno task bench remote [--runs N (default 2)]
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DATA, ensureDataset, YEAR, ZONE } from "./full_tiles.ts";
import { planZones } from "../lib/plan/zone_plan.ts";
import { tilePaths } from "../lib/tiles/layout.ts";
import { listTiles } from "../lib/tiles/tile_list.ts";
import { nginxUnavailable, startNginx } from "../tests/helpers/nginx.ts";

const MIB = 2 ** 20;
const REPO = new URL("..", import.meta.url).pathname;

const { values } = parseArgs({ args: Deno.args, options: { runs: { type: "string" } } });
const runs = Number(values.runs ?? 2);

await ensureDataset();
const why = await nginxUnavailable();
if (why) {
  console.error(`bench remote: ${why}`);
  Deno.exit(1);
}

const list = await listTiles(DATA, { year: YEAR, zones: [ZONE] });
const tiles = planZones(list.tiles)[0].tiles;
let inputBytes = 0;
for (const t of tiles) {
  const p = tilePaths(DATA, t);
  for (const f of [p.embeddings, p.scales, p.landmask]) inputBytes += (await Deno.stat(f)).size;
}

async function build(base: string, extra: string[]): Promise<number> {
  const out = await Deno.makeTempDir({ prefix: "tz-bench-remote-" });
  try {
    const t0 = performance.now();
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "tasks/build.ts",
        base,
        "--zones",
        String(ZONE),
        "--year",
        String(YEAR),
        "--output-dir",
        out,
        "--workers",
        "2",
        "--json",
        ...extra,
      ],
      cwd: REPO,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!r.success) throw new Error(new TextDecoder().decode(r.stderr).slice(-2000));
    return (performance.now() - t0) / 1000;
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

const conf = await Deno.makeTempDir({ prefix: "tz-bench-nginx-" });
const nginx = await startNginx(DATA, conf, { accessLog: true });
const log = join(conf, "access.log");
const rows: string[] = [];
try {
  const cases: [string, string, string[]][] = [
    ["local", DATA, []],
    ["local --check-hashes", DATA, ["--check-hashes"]],
    ["nginx --connections 2", nginx.url, ["--connections", "2"]],
    ["nginx --connections 8", nginx.url, ["--connections", "8"]],
    ["nginx --connections 16", nginx.url, ["--connections", "16"]],
  ];
  const best = new Map<string, { s: number; bytes: number; requests: number }>();
  for (let run = 0; run < runs; run++) {
    for (const [label, base, extra] of cases) {
      await Deno.writeTextFile(log, "");
      const s = await build(base, extra);
      const lines = (await Deno.readTextFile(log)).split("\n").filter(Boolean);
      const bytes = lines.reduce((a, l) => a + Number(l.split(" ")[1]), 0);
      const prev = best.get(label);
      if (!prev || s < prev.s) best.set(label, { s, bytes, requests: lines.length });
    }
  }
  const local = best.get("local")!.s;
  rows.push(
    "| run | seconds | ratio vs local | MiB fetched | fetched ÷ input | requests/tile |",
    "|---|---|---|---|---|---|",
  );
  for (const [label] of cases) {
    const b = best.get(label)!;
    const remote = label.startsWith("nginx");
    rows.push(
      `| ${label} | ${b.s.toFixed(2)} | ${(b.s / local).toFixed(2)} | ${
        remote ? (b.bytes / MIB).toFixed(0) : "—"
      } | ${remote ? (b.bytes / inputBytes).toFixed(2) : "—"} | ${
        remote ? (b.requests / tiles.length).toFixed(1) : "—"
      } |`,
    );
  }
} finally {
  await nginx.stop();
  await Deno.remove(conf, { recursive: true });
}
console.log(
  `Zone ${ZONE} of the greenwich fixture (${tiles.length} tiles × 128 bands, ${
    (inputBytes / MIB).toFixed(0)
  } MiB of input files), 2 workers, fastest of ${runs} run(s), ${
    new Date().toISOString().slice(0, 10)
  }:\n`,
);
console.log(rows.join("\n"));
