/**
 * Renders the synthetic world field (lib/fixtures/landscape.ts) as a PNG so a person can judge
 * whether it looks like a land-cover map: bands 0, 1, 2 of the dequantised embeddings as RGB
 * with a per-band p2–p98 stretch, over a 0.2° × 0.1° area at about 20 m per pixel.
 *
 * Usage: deno run -A bench/landscape_png.ts [--lon 0.0] [--lat 51.5] [--seed 1]
 *          [--bands 0,1,2] [--span 0.2x0.1] [--step 20] [--mask] [--out docs/landscape_preview.png]
 * `--span` is the area in degrees (lon × lat) and `--step` the pixel size in metres.
 * `--mask` paints the landmask instead (water blue, land grey) to check coastlines.
 */
import { crc32, deflateSync } from "node:zlib";
import { parseArgs } from "node:util";
import { sampleLandscape } from "../lib/fixtures/landscape.ts";

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
await Deno.writeFile(a.out, encodePng(rgb, W, H));
console.log(
  `${a.out}: ${W}×${H} px around (${lon0}, ${lat0}), water ${(100 * water / n).toFixed(1)}%, ` +
    `sampled in ${secs.toFixed(2)} s`,
);

/** Minimal 8-bit RGB PNG: one IDAT, filter type 0 on every row. */
function encodePng(pixels: Uint8Array, width: number, height: number): Uint8Array {
  const raw = new Uint8Array(height * (width * 3 + 1));
  for (let r = 0; r < height; r++) {
    raw.set(pixels.subarray(r * width * 3, (r + 1) * width * 3), r * (width * 3 + 1) + 1);
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, no filter, no interlace
  const parts = [
    Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10),
    chunk("IHDR", ihdr),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const png = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) png.set(p, o), o += p.length;
  return png;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const c = new Uint8Array(12 + data.length);
  const dv = new DataView(c.buffer);
  dv.setUint32(0, data.length);
  c.set(new TextEncoder().encode(type), 4);
  c.set(data, 8);
  dv.setUint32(8 + data.length, crc32(c.subarray(4, 8 + data.length)));
  return c;
}
