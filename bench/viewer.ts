/// <reference lib="dom" />
/**
 * Viewer benchmark, in Debian's headless Chromium against `deno task serve` on loopback:
 *
 * - whole zone at fit-bounds zoom: navigation → first complete render (every tile of the view
 *   drawn, map idle), and the bytes fetched; with the preview pyramid (what users get), and two
 *   baselines measured in the same run — the full-resolution preview without overviews, and
 *   colours computed from three embedding bands (the path without previews);
 * - a pixel inspection: click → values shown (plot drawn), and its bytes; the first click of a
 *   page (opens the arrays, fetches shard indexes) and a later one in the same shard.
 *
 * Each page load uses a fresh browser profile (cold HTTP cache). Times are the page's own
 * clock (performance.now() from navigation start; marks for inspections); bytes are response
 * bodies as Chromium reports them for every request, page and workers alike.
 *
 *   deno run -A bench/viewer.ts [DIR] [--store NAME] [--runs N] [--write-docs]
 *
 * DIR: a folder of stores with previews (default: a fresh greenwich dataset, 2 × 2 tiles a
 * zone, made with the fixtures, build, stats and pca tasks).
 */
import * as zarr from "zarrita";
import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import { fsReadable } from "../lib/zarr/fs_store.ts";
import {
  launchChromium,
  makeDataset,
  type PageGlobal,
  project,
  REPO,
  serveDir,
  whenIdle,
} from "../viewer/headless.ts";
import { utmToLonLat } from "../viewer/src/geometry.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: {
    store: { type: "string", default: "utm30_2024.zarr" },
    runs: { type: "string", default: "3" },
    "write-docs": { type: "boolean" },
  },
  allowPositionals: true,
});
const RUNS = Number(values.runs);
const STORE = values.store!;

const TARGET_RENDER_MS = 1500, TARGET_RENDER_BYTES = 8e6;
const TARGET_INSPECT_MS = 200, TARGET_INSPECT_BYTES = 400e3;

interface Net {
  data: number;
  app: number;
  requests: number;
}

/** Counts response bodies per request, split into store data and the viewer's own files. */
function meter(page: Page): { net: Net; reset(): void; settle(): Promise<void> } {
  const net: Net = { data: 0, app: 0, requests: 0 };
  let pending = 0;
  page.on("requestfinished", async (r) => {
    pending++;
    try {
      const size = (await r.sizes()).responseBodySize;
      net.requests++;
      if (/\.zarr\//.test(new URL(r.url()).pathname)) net.data += size;
      else net.app += size;
    } finally {
      pending--;
    }
  });
  return {
    net,
    reset() {
      net.data = net.app = net.requests = 0;
    },
    async settle() {
      // Playwright delivers network events asynchronously.
      await page.waitForTimeout(300);
      while (pending > 0) await page.waitForTimeout(20);
    },
  };
}

interface RenderRun {
  /** Navigation → every tile of the view drawn (the frame after the last tile). */
  ms: number;
  /** Navigation → map idle with the basemap loaded too. */
  idleMs: number;
  marks: Record<string, number>;
  net: Net;
  level: string;
  page: Page;
  close(): Promise<void>;
}

async function renderZone(url: string): Promise<RenderRun> {
  const browser = await launchChromium();
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const m = meter(page);
  await page.goto(url);
  await page.waitForFunction(() => "tesseraViewer" in globalThis);
  const idleMs = await page.evaluate(async () => {
    await (globalThis as unknown as PageGlobal).tesseraViewer.whenIdle();
    return performance.now();
  });
  await m.settle();
  if (errors.length) throw new Error(`console errors: ${errors.join("; ")}`);
  const marks = Object.fromEntries(
    await page.evaluate(() =>
      performance.getEntriesByType("mark").map((e) => [e.name, Math.round(e.startTime)])
    ),
  );
  const level = (await page.locator("#info-level").textContent()) ?? "";
  const ms = marks["tz-drawn"];
  return { ms, idleMs, marks, net: { ...m.net }, level, page, close: () => browser.close() };
}

interface Inspect {
  ms: number;
  bytes: number;
  requests: number;
}

async function inspect(page: Page, lonLat: [number, number], seq: number): Promise<Inspect> {
  const m = meter(page);
  const [x, y] = await project(page, ...lonLat);
  m.reset();
  await page.mouse.click(x, y);
  await page.waitForFunction(
    (seq) => performance.getEntriesByName(`tz-inspect-done-${seq}`).length > 0,
    seq,
  );
  await m.settle();
  const ms = await page.evaluate((seq) => {
    const a = performance.getEntriesByName(`tz-inspect-start-${seq}`)[0].startTime;
    const b = performance.getEntriesByName(`tz-inspect-done-${seq}`)[0].startTime;
    return b - a;
  }, seq);
  return { ms, bytes: m.net.data + m.net.app, requests: m.net.requests };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (b: number) => (b / 1e6).toFixed(2);

// ---- data ---------------------------------------------------------------------------------

let dir = positionals[0];
let tmp: string | undefined;
if (!dir) {
  tmp = await Deno.makeTempDir({ prefix: "tz-bench-viewer-" });
  console.log(`Making a dataset in ${tmp} (fixtures, build, stats, pca)…`);
  dir = (await makeDataset(tmp, { groups: "greenwich", tiles: 2 })).zarr;
}
const attrs = JSON.parse(await Deno.readTextFile(`${dir}/${STORE}/zarr.json`)).attributes;
if (!attrs.has_rgb_preview) {
  throw new Error(`${STORE} has no rgb preview: run deno task stats first`);
}
const [h, w] = attrs["spatial:shape"] as number[];
const t = attrs.transform as number[];
const zone = attrs.utm_zone as number;
const sc = await zarr.open.v3(zarr.root(fsReadable(`${dir}/${STORE}`)).resolve("scales"), {
  kind: "array",
});
const scales = (await zarr.get(sc, null)).data as Float32Array;
/** A valid pixel near (fr·h, fc·w), as lon/lat of its centre. */
function validPixel(fr: number, fc: number): [number, number] {
  for (let d = 0; d < 400; d++) {
    for (const [r, c] of [[fr * h + d, fc * w], [fr * h, fc * w + d], [fr * h - d, fc * w]]) {
      const ri = Math.floor(r), ci = Math.floor(c);
      if (ri >= 0 && ci >= 0 && ri < h && ci < w && Number.isFinite(scales[ri * w + ci])) {
        return utmToLonLat(zone, t[2] + (ci + 0.5) * t[0], t[5] + (ri + 0.5) * t[4]);
      }
    }
  }
  throw new Error("no valid pixel found");
}

const srv = await serveDir(dir);
console.log(`Serving ${dir} with ${srv.kind} at ${srv.url}; ${RUNS} runs per row`);
const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "")).split(" ").slice(0, 3);

const scenarios = [
  { name: "rgb preview with overviews (default)", query: `?store=${STORE}` },
  { name: "baseline: rgb preview, full resolution only", query: `?store=${STORE}&overviews=0` },
  { name: "baseline: bands 3,4,5 from embeddings", query: `?store=${STORE}&bands=3,4,5` },
];

const rows: {
  name: string;
  ms: number;
  idleMs: number;
  data: number;
  app: number;
  level: string;
  marks: string;
}[] = [];
const inspections: { first: Inspect[]; later: Inspect[] } = { first: [], later: [] };
for (const sc of scenarios) {
  const runs: RenderRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    const run = await renderZone(`${srv.url}${sc.query}`);
    if (sc === scenarios[0]) {
      // Let the idle prefetch of the inspector's code finish, then click twice.
      await run.page.waitForTimeout(800);
      await whenIdle(run.page);
      inspections.first.push(await inspect(run.page, validPixel(0.3, 0.3), 1));
      inspections.later.push(await inspect(run.page, validPixel(0.35, 0.4), 2));
    }
    await run.close();
    runs.push(run);
    console.log(
      `  ${sc.name}: drawn ${run.ms.toFixed(0)} ms, idle ${run.idleMs.toFixed(0)} ms, ` +
        `data ${mb(run.net.data)} MB, app ${mb(run.net.app)} MB` +
        ` (${run.level})`,
    );
  }
  const mid = runs.find((r) => r.ms === median(runs.map((x) => x.ms)))!;
  rows.push({
    name: sc.name,
    ms: mid.ms,
    idleMs: mid.idleMs,
    data: median(runs.map((r) => r.net.data)),
    app: median(runs.map((r) => r.net.app)),
    level: mid.level,
    marks: ["tz-stores-open", "tz-first-tile", "tz-map-load"].map((k) => mid.marks[k] ?? "–").join(
      " / ",
    ),
  });
}
await srv.close();
if (tmp) await Deno.remove(tmp, { recursive: true });

// ---- report -------------------------------------------------------------------------------

const base = rows[0];
const insp = (xs: Inspect[]) => ({
  ms: median(xs.map((x) => x.ms)),
  bytes: median(xs.map((x) => x.bytes)),
  requests: median(xs.map((x) => x.requests)),
});
const first = insp(inspections.first), later = insp(inspections.later);
const renderMet = base.ms < TARGET_RENDER_MS && base.data < TARGET_RENDER_BYTES;
const inspectMet = first.ms < TARGET_INSPECT_MS && first.bytes < TARGET_INSPECT_BYTES;
const machine =
  `${Deno.build.os}/${Deno.build.arch}, ${navigator.hardwareConcurrency} cores, deno ${Deno.version.deno}`;
const chromium = new TextDecoder().decode(
  (await new Deno.Command("/usr/bin/chromium", { args: ["--version"] }).output()).stdout,
).trim();

const section = `## viewer

\`\`\`sh
deno run -A bench/viewer.ts${positionals[0] ? ` ${positionals[0]}` : ""}${
  values.runs !== "3" ? ` --runs ${RUNS}` : ""
} --write-docs
\`\`\`

Store \`${STORE}\`: ${w} × ${h} px, ${
  Math.ceil(h / 1024) * Math.ceil(w / 1024)
} shards (greenwich sample, 2 × 2 tiles, with \`stats\` and \`pca\` previews),
served on loopback by \`tasks/serve.ts\`; ${chromium} headless (\`--disable-gpu\`: WebGL in software),
1280 × 800 viewport, fresh profile per page load (cold cache). Medians of ${RUNS} runs; ${machine};
load average ${load.join(" ")} at the start. Drawn = page clock from navigation start to the
first frame with every tile of the fitted view; idle = until the map is idle with the offline
basemap (loaded after the data) drawn too. Data = response bodies under \`*.zarr/\`; app = the
viewer's own files (${mb(base.app)} MB: MapLibre, zarrita, proj4, the basemap).

| whole zone at fit-bounds zoom | drawn ms | idle ms | data MB | app MB | level drawn | stores open / first tile / map load (ms) | drawn vs default |
|---|---:|---:|---:|---:|---|---|---:|
${
  rows.map((r) =>
    `| ${r.name} | ${r.ms.toFixed(0)} | ${r.idleMs.toFixed(0)} | ${mb(r.data)} | ${
      mb(r.app)
    } | ${r.level} | ${r.marks} | ${(r.ms / base.ms).toFixed(2)}× |`
  ).join("\n")
}

| pixel inspection (click → 128 values plotted) | ms | bytes | requests |
|---|---:|---:|---:|
| first click of the page (shard indexes not yet cached) | ${first.ms.toFixed(0)} | ${
  first.bytes.toLocaleString("en")
} | ${first.requests} |
| later click, same shard | ${later.ms.toFixed(0)} | ${
  later.bytes.toLocaleString("en")
} | ${later.requests} |

Targets: whole zone < 1.5 s and < 8 MB: **${renderMet ? "met" : "not met"}** (${
  base.ms.toFixed(0)
} ms, ${mb(base.data)} MB of data);
inspection < 200 ms and < 400 KB: **${inspectMet ? "met" : "not met"}** (${
  first.ms.toFixed(0)
} ms, ${(first.bytes / 1e3).toFixed(0)} KB, first click).
`;

console.log(`\n${section}`);

if (values["write-docs"]) {
  const path = `${REPO}docs/benchmarks.md`;
  // Re-read right before writing: other benchmarks write their own sections concurrently.
  const doc = await Deno.readTextFile(path).catch(() => "# Benchmarks\n");
  const re = /^## viewer\n[\s\S]*?(?=^## |(?![\s\S]))/m;
  const next = re.test(doc) ? doc.replace(re, section + "\n") : `${doc.trimEnd()}\n\n${section}`;
  await Deno.writeTextFile(path, next.trimEnd() + "\n");
  console.log(`Wrote the viewer section of ${path}`);
}
