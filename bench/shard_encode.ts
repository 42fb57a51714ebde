/**
 * Throughput of encodeDenseShard on a full-size embeddings shard (1024 × 1024 × 128 int8,
 * 128 MiB, 32 × 32 × 128 inner chunks), against a plain `Uint8Array.prototype.slice` copy of
 * the same bytes measured in the same run; plus one scales shard.
 *
 *   deno run -A bench/shard_encode.ts [--zstd]
 */

import { encodeDenseShard } from "../lib/zarr/dense_shard.ts";

const SHAPE = [1024, 1024, 128];
const INNER = [32, 32, 128];
const RUNS = 7;
const withZstd = Deno.args.includes("--zstd");

const data = new Int8Array(SHAPE[0] * SHAPE[1] * SHAPE[2]);
// Embedding-like bytes: roughly Gaussian small signed values (sum of four uniforms from a
// xorshift32 stream), so zstd does real entropy coding instead of finding long repeats.
let x = 2463534242;
for (let i = 0; i < data.length; i++) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  data[i] = (x & 0x3f) + ((x >>> 6) & 0x3f) + ((x >>> 12) & 0x3f) + ((x >>> 18) & 0x3f) - 126;
}
// A half-empty variant: the right half of the shard is water (fill 0).
const half = data.slice();
for (let r = 0; r < SHAPE[0]; r++) {
  half.fill(0, (r * SHAPE[1] + 512) * 128, (r + 1) * SHAPE[1] * 128);
}
const empty = new Int8Array(data.length);
const scales = new Float32Array(1024 * 1024);
for (let i = 0; i < scales.length; i++) scales[i] = 0.05 + (i % 977) * 1e-4;

const bytes = new Uint8Array(data.buffer);
const MIB = 2 ** 20;

/**
 * [min, median] wall time in ms and the output size. Min is the headline: on a shared machine
 * a fresh 128 MiB allocation alone swings between 60 and 400 ms, for both sides.
 */
function time(f: () => { length: number } | null): { min: number; median: number; out: number } {
  let out = f()?.length ?? 0; // warm up
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    out = f()?.length ?? 0;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { min: times[0], median: times[RUNS >> 1], out };
}

const baseline = time(() => Uint8Array.prototype.slice.call(bytes));
function row(name: string, t: ReturnType<typeof time>, inputBytes = bytes.length): void {
  const rate = inputBytes / MIB / (t.min / 1000);
  console.log(
    `${name.padEnd(36)} min ${t.min.toFixed(1).padStart(6)} ms  median ${
      t.median.toFixed(1).padStart(6)
    } ms  ${rate.toFixed(0).padStart(5)} MiB/s  ${
      (t.min / baseline.min).toFixed(2).padStart(5)
    }× slice  out ${(t.out / MIB).toFixed(1).padStart(5)} MiB`,
  );
}
const enc = (d: Int8Array, compress: "none" | "zstd") => () =>
  encodeDenseShard({ data: d, shardShape: SHAPE, innerShape: INNER, fill: 0, compress, level: 3 });

console.log(
  `shard ${SHAPE.join("×")} int8 (${bytes.length / MIB} MiB), inner ${INNER.join("×")}, ` +
    `${RUNS} runs`,
);
row("Uint8Array.prototype.slice", baseline);
row("encodeDenseShard none, full", time(enc(data, "none")));
row("encodeDenseShard none, half empty", time(enc(half, "none")));
row("encodeDenseShard none, all empty", time(enc(empty, "none")));
if (withZstd) {
  row("encodeDenseShard zstd(3), full", time(enc(data, "zstd")));
  row("encodeDenseShard zstd(3), half empty", time(enc(half, "zstd")));
}
row(
  "scales 1024×1024 float32 zstd(3)",
  time(() =>
    encodeDenseShard({
      data: scales,
      shardShape: [1024, 1024],
      innerShape: [256, 256],
      fill: NaN,
      compress: "zstd",
      level: 3,
    })
  ),
  scales.byteLength,
);
