/**
 * Benchmark of the synthetic world field (lib/sample_data/landscape.ts) at tile size: samples
 * 1100 × 1100 points × 128 bands (one 155 MB tile) on one core and prints seconds and Mpx/s,
 * against a baseline measured in the same run: a plain JS loop that only writes the same
 * number of int8 values (the floor for any generator that fills the buffer from JS).
 *
 * Usage: deno run -A bench/landscape.ts [--size 1100] [--bands 128] [--runs 3]
 *        [--lon 0.15] [--lat 51.55]
 */
import { parseArgs } from "node:util";
import { sampleLandscape } from "../lib/sample_data/landscape.ts";

const { values: a } = parseArgs({
  args: Deno.args,
  options: {
    size: { type: "string", default: "1100" },
    bands: { type: "string", default: "128" },
    runs: { type: "string", default: "3" },
    lon: { type: "string", default: "0.15" },
    lat: { type: "string", default: "51.55" },
  },
});
const size = Number(a.size), bands = Number(a.bands), runs = Number(a.runs);
const lon0 = Number(a.lon), lat0 = Number(a.lat);
const n = size * size;

// Pixel centres of a 10 m grid rotated by 2° against lon/lat, like a UTM tile away from the
// central meridian: every point has its own latitude, so no per-row shortcut applies.
const lons = new Float64Array(n), lats = new Float64Array(n);
const mLat = 111_320, mLon = 111_320 * Math.cos(lat0 * Math.PI / 180);
const rot = 2 * Math.PI / 180, cr = Math.cos(rot), sr = Math.sin(rot);
for (let r = 0; r < size; r++) {
  for (let c = 0; c < size; c++) {
    const e = (c + 0.5 - size / 2) * 10, nn = (size / 2 - r - 0.5) * 10;
    lons[r * size + c] = lon0 + (cr * e - sr * nn) / mLon;
    lats[r * size + c] = lat0 + (sr * e + cr * nn) / mLat;
  }
}
const out = {
  embeddings: new Int8Array(n * bands),
  scales: new Float32Array(n),
  land: new Uint8Array(n),
};

function baseline(): void {
  const e = out.embeddings;
  for (let i = 0, o = 0; i < n; i++) {
    for (let b = 0; b < bands; b++, o++) e[o] = (i + b) & 127;
  }
}

function time(f: () => void): number {
  const t = performance.now();
  f();
  return (performance.now() - t) / 1000;
}

const mb = (n * bands / 1e6).toFixed(0);
console.log(`landscape: ${size}×${size} px × ${bands} bands (${mb} MB), ${runs} runs, one core`);
let best = Infinity, bestBase = Infinity;
for (let r = 0; r < runs; r++) {
  const tb = time(baseline);
  const t = time(() => sampleLandscape(lons, lats, { bands, seed: 1 }, out));
  bestBase = Math.min(bestBase, tb);
  best = Math.min(best, t);
  console.log(`  run ${r + 1}: ${t.toFixed(3)} s  ${(n / t / 1e6).toFixed(2)} Mpx/s`);
}
console.log(
  `best ${best.toFixed(3)} s (${(n / best / 1e6).toFixed(2)} Mpx/s); ` +
    `baseline int8 fill ${bestBase.toFixed(3)} s; ratio ${(best / bestBase).toFixed(1)}×`,
);
