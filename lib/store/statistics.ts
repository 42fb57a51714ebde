/**
 * What the build-time statistics of a store are (SPEC §5), beyond their encoding
 * (stats_codec.ts): the hash priority that picks a zone's vector sample (bottom-k: the
 * SAMPLE_SIZE lowest priorities over the zone) and the rule that merges shard partials in
 * shard order. The builder computes partials with them, verify re-derives them, the preview
 * passes sample shards with them; all must agree to the bit.
 */
import { SAMPLE_SIZE, type StatsPartial } from "./stats_codec.ts";

/** A stable hash of a zone pixel in [0, 1): the sample priority. */
export function pixelPriority(row: number, col: number): number {
  let h = Math.imul(row ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(col ^ 0xc2b2ae35, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

/** Adds `b` into `a` (in place) and keeps the SAMPLE_SIZE lowest-priority vectors. */
export function mergeStats(
  a: StatsPartial,
  b: StatsPartial,
  sampleSize = SAMPLE_SIZE,
): StatsPartial {
  a.count += b.count;
  for (let i = 0; i < a.sum.length; i++) a.sum[i] += b.sum[i];
  for (let i = 0; i < a.sumProducts.length; i++) a.sumProducts[i] += b.sumProducts[i];
  const n = a.priorities.length + b.priorities.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const pr = (i: number) =>
    i < a.priorities.length ? a.priorities[i] : b.priorities[i - a.priorities.length];
  order.sort((i, j) => pr(i) - pr(j) || i - j);
  const keep = order.slice(0, sampleSize);
  const priorities = new Float64Array(keep.length);
  const vectors = new Float32Array(keep.length * a.bands);
  keep.forEach((i, k) => {
    priorities[k] = pr(i);
    const src = i < a.priorities.length ? a.vectors : b.vectors;
    const off = (i < a.priorities.length ? i : i - a.priorities.length) * a.bands;
    vectors.set(src.subarray(off, off + a.bands), k * a.bands);
  });
  a.priorities = priorities;
  a.vectors = vectors;
  return a;
}
