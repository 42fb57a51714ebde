/**
 * Renders the synthetic world field (lib/sample_data/landscape.ts) as a PNG so a person can judge
 * whether it looks like a land-cover map: bands 0, 1, 2 of the dequantised embeddings as RGB
 * with a per-band p2–p98 stretch, over a 0.2° × 0.1° area at about 20 m per pixel.
 *
 * Usage: deno run -A bench/landscape_png.ts [--lon 0.0] [--lat 51.5] [--seed 1]
 *          [--bands 0,1,2] [--span 0.2x0.1] [--step 20] [--mask] [--out docs/landscape_preview.png]
 * `--span` is the area in degrees (lon × lat) and `--step` the pixel size in metres.
 * `--mask` paints the landmask instead (water blue, land grey) to check coastlines.
 */
import { encodePng } from "../lib/preview/png.ts";
import { parseArgs } from "node:util";
import { sampleLandscape } from "../lib/sample_data/landscape.ts";

const { values: a } = parseArgs({
  args: Deno.args,
  options: {
    lon: { type: "string", default: "0.0" },
    lat: { type: "string", default: "51.5" },
    seed: { type: "string", default: "1" },
    bands: { type: "string", default: "0,1,2" },
    span: { type: "string", default: "0.2x0.1" },
    step: { type: "string", default: "20" },
    mask: { type: "boolean", default: false },
    out: { type: "string", default: "docs/landscape_preview.png" },
  },
});

const lon0 = Number(a.lon), lat0 = Number(a.lat), seed = Number(a.seed);
const rgbBands = a.bands.split(",").map(Number);
const [spanLon, spanLat] = a.span.split("x").map(Number);
const BANDS = 128, STEP_M = Number(a.step), M_PER_DEG = 111_320;
const W = Math.round((spanLon * M_PER_DEG * Math.cos(lat0 * Math.PI / 180)) / STEP_M);
const H = Math.round((spanLat * M_PER_DEG) / STEP_M);
const n = W * H;
const lons = new Float64Array(n), lats = new Float64Array(n);
for (let r = 0; r < H; r++) {
  for (let c = 0; c < W; c++) {
    lons[r * W + c] = lon0 + (c + 0.5 - W / 2) * spanLon / W;
    lats[r * W + c] = lat0 - (r + 0.5 - H / 2) * spanLat / H;
  }
}
const out = {
  embeddings: new Int8Array(n * BANDS),
  scales: new Float32Array(n),
  land: new Uint8Array(n),
};
const t0 = performance.now();
sampleLandscape(lons, lats, { bands: BANDS, seed }, out);
const secs = (performance.now() - t0) / 1000;

const rgb = new Uint8Array(n * 3);
if (a.mask) {
  for (let i = 0; i < n; i++) {
    const land = out.land[i] === 1;
    rgb.set(land ? [150, 150, 140] : [30, 70, 160], i * 3);
  }
} else {
  for (let ch = 0; ch < 3; ch++) {
    const b = rgbBands[ch];
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = out.embeddings[i * BANDS + b] * out.scales[i];
    const sorted = v.slice().sort();
    const lo = sorted[Math.floor(0.02 * (n - 1))], hi = sorted[Math.floor(0.98 * (n - 1))];
    for (let i = 0; i < n; i++) {
      rgb[i * 3 + ch] = Math.max(0, Math.min(255, Math.round((v[i] - lo) / (hi - lo) * 255)));
    }
  }
}
let water = 0;
for (let i = 0; i < n; i++) water += out.land[i] === 0 ? 1 : 0;
// Opaque RGBA for the shared encoder.
const rgba = new Uint8Array(W * H * 4).fill(255);
for (let i = 0; i < W * H; i++) rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
await Deno.writeFile(a.out, encodePng(rgba, W, H));
console.log(
  `${a.out}: ${W}×${H} px around (${lon0}, ${lat0}), water ${(100 * water / n).toFixed(1)}%, ` +
    `sampled in ${secs.toFixed(2)} s`,
);
