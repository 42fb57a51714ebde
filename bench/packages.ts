// deno-lint-ignore-file no-import-prefix -- the candidates are measured, not dependencies
/**
 * `deno run -A --no-lock bench/packages.ts`: our hand-written helpers against the maintained
 * npm packages that could replace them (docs/decisions/2026-12-01-packages.md): the PNG
 * encoder (bytes and CPU per thumbnail-sized and overview-sized preview), the LRU caches
 * (CPU per million operations of the read API's pattern), and the bundle size each package
 * would add to the browser viewer. CPU seconds (process.cpuUsage), not wall time: the machine
 * is shared. Prints a table; the ratios are against ours, measured in the same run.
 */
import process from "node:process";
import { encodePng, readPreviewLevel } from "../lib/preview/png.ts";
import { LruCache } from "../lib/read/cache.ts";
import { PinnedLruCache } from "../viewer/src/pinned_lru.ts";
import { ensureSampleStores } from "../lib/sample_stores.ts";
import { PNG } from "../lib/deps/pngjs.ts";
import { encode as fastPngEncode } from "npm:fast-png@8.0.0";
import UPNG from "npm:upng-js@2.1.0";
import { LRUCache } from "npm:lru-cache@11.5.3";
import QuickLRU from "npm:quick-lru@7.3.0";

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
function measure<T>(fn: () => T, reps: number): { s: number; out: T } {
  let out!: T;
  const t0 = cpu();
  for (let i = 0; i < reps; i++) out = fn();
  return { s: (cpu() - t0) / reps, out };
}

const dir = await ensureSampleStores({ quiet: true });
const big = await readPreviewLevel(`${dir}/utm37_2024.zarr`, "rgb", 1); // 1107 × 1114
const small = await readPreviewLevel(`${dir}/utm30_2024.zarr`, "rgb"); // 570 × 369
console.log("PNG encoders (RGBA, lossless), CPU s per image and bytes:");
for (const img of [small, big]) {
  const { rgba, width: w, height: h } = img;
  const ours = measure(() => encodePng(rgba, w, h), 3);
  const rows: [string, () => Uint8Array][] = [
    ["encodePng (lib/preview/png.ts)", () => encodePng(rgba, w, h)],
    [
      "pngjs 7 (level 9, adaptive)",
      () =>
        new Uint8Array(PNG.sync.write(
          Object.assign(new PNG({ width: w, height: h }), {
            data: Buffer.from(rgba),
          }),
          { deflateLevel: 9, filterType: -1 },
        )),
    ],
    [
      "fast-png 8 (fflate)",
      () => fastPngEncode({ width: w, height: h, data: rgba, channels: 4, depth: 8 }),
    ],
    [
      "upng-js 2.1 (lossless, cnum 0)",
      () => new Uint8Array(UPNG.encode([rgba.slice().buffer], w, h, 0)),
    ],
  ];
  for (const [name, fn] of rows) {
    const m = measure(fn, 3);
    console.log(
      `  ${w}×${h}  ${name.padEnd(44)} ${m.s.toFixed(3)} s (${(m.s / ours.s).toFixed(2)}×)  ` +
        `${m.out.length} B (${(m.out.length / ours.out.length).toFixed(3)}×)`,
    );
  }
}

// The read API's pattern: 128 KiB chunks, a 64 MiB bound (512 chunks); 80 % of the reads go to a
// hot set of 384 chunks, the rest anywhere in 4096, so the cache hits, misses and evicts.
console.log("LRU caches, CPU s per million get-or-set operations (byte-bounded):");
const N = 1_000_000, KEYS = 4096, value = new Uint8Array(128 << 10);
const keys = Array.from({ length: KEYS }, (_, i) => `utm30_2024.zarr/embeddings/0/0/${i}`);
let seed = 1;
const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
const order = Array.from(
  { length: N },
  () => keys[Math.floor(rand() < 0.8 ? rand() * 384 : rand() * KEYS)],
);
const caches: [string, () => { get(k: string): unknown; set(k: string, v: Uint8Array): void }][] = [
  [
    "ours (lib/read/cache.ts)",
    () => new LruCache<string, Uint8Array>({ maxWeight: 64 << 20, weigh: (v) => v.byteLength }),
  ],
  ["lru-cache 11 (maxSize + sizeCalculation)", () => {
    const c = new LRUCache<string, Uint8Array>({
      maxSize: 64 << 20,
      sizeCalculation: (v) => v.byteLength,
    });
    return { get: (k) => c.get(k), set: (k, v) => void c.set(k, v) };
  }],
  ["viewer's PinnedLruCache (no pins)", () => {
    const c = new PinnedLruCache<string, Uint8Array>(1e9, 64 << 20);
    return { get: (k) => c.get(k), set: (k, v) => c.set(k, v, v.byteLength) };
  }],
  ["quick-lru 7 (count-bounded only: 512)", () => {
    const c = new QuickLRU<string, Uint8Array>({ maxSize: 512 });
    return { get: (k) => c.get(k), set: (k, v) => void c.set(k, v) };
  }],
];
let base = 0;
for (const [name, make] of caches) {
  const c = make();
  let hits = 0;
  const m = measure(() => {
    for (const k of order) {
      if (c.get(k) === undefined) c.set(k, value);
      else hits++;
    }
  }, 1);
  base ||= m.s;
  console.log(
    `  ${name.padEnd(44)} ${m.s.toFixed(3)} s (${(m.s / base).toFixed(2)}×)  hit rate ${
      (hits / N).toFixed(3)
    }`,
  );
}

console.log("Minified bundle size each package adds (deno bundle --minify of one import):");
for (
  const spec of [
    "npm:lru-cache@11.5.3",
    "npm:quick-lru@7.3.0",
    "npm:p-queue@10.0.0",
    "npm:p-retry@9.0.0",
    "npm:p-limit@7.3.3",
  ]
) {
  const tmp = await Deno.makeTempDir({ prefix: "tz-bundle-" });
  try {
    await Deno.writeTextFile(`${tmp}/e.ts`, `import * as m from "${spec}"; console.log(m);\n`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--no-lock",
        "--minify",
        "--platform",
        "browser",
        "-o",
        `${tmp}/o.js`,
        `${tmp}/e.ts`,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    const size = out.success ? (await Deno.stat(`${tmp}/o.js`)).size : NaN;
    console.log(`  ${spec.padEnd(28)} ${size} B`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}
