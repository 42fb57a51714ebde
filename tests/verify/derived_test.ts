/**
 * The pure parts of verify's re-derivation: a shard's statistics from its valid lattice pixels
 * fed one by one are bit-identical to the builder's `shardStats` of the whole shard buffer;
 * shard values arriving in any order merge as the builder merges them in shard order; defect
 * scales are counted as the builder counts them; the stray-object walk knows what a store may
 * hold.
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { emptyStats, mergeStats, shardStats, type StatsPartial } from "../../lib/builder/stats.ts";
import { DerivedMerger } from "../../lib/verify/derived_checks.ts";
import { countDefectScales, LatticeStats } from "../../lib/verify/shard_derived.ts";
import { findStrayObjects } from "../../lib/verify/store_objects.ts";
import { withTmp } from "../helpers/env.ts";

/** A deterministic pseudo-random generator (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A shard buffer (C order) of `size`² pixels, about a third of them no data. */
function shardBuffer(size: number, bands: number, seed: number) {
  const r = rng(seed);
  const embeddings = new Int8Array(size * size * bands);
  const scales = new Float32Array(size * size);
  for (let p = 0; p < size * size; p++) {
    if (r() < 0.3) {
      scales[p] = NaN;
      continue;
    }
    scales[p] = 0.001 + r() * 0.2;
    for (let b = 0; b < bands; b++) embeddings[p * bands + b] = Math.floor(r() * 256) - 128;
  }
  return { embeddings, scales };
}

/** The partial of the same shard from LatticeStats, fed like compareBlock feeds it. */
function latticePartial(
  embeddings: Int8Array,
  scales: Float32Array,
  size: number,
  bands: number,
  row0: number,
  col0: number,
  rows: number,
  cols: number,
): StatsPartial {
  const l = new LatticeStats(bands);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const p = y * size + x;
      if (Number.isNaN(scales[p]) || !LatticeStats.onLattice(row0 + y, col0 + x)) continue;
      l.add(row0 + y, col0 + x, scales[p], embeddings, p * bands);
    }
  }
  return l.partial();
}

function sameBits(a: StatsPartial, b: StatsPartial): boolean {
  const bytes = (x: Float64Array | Float32Array) => Array.from(new Uint8Array(x.slice().buffer));
  return a.count === b.count && a.bands === b.bands &&
    JSON.stringify(bytes(a.sum)) === JSON.stringify(bytes(b.sum)) &&
    JSON.stringify(bytes(a.sumProducts)) === JSON.stringify(bytes(b.sumProducts)) &&
    JSON.stringify(bytes(a.priorities)) === JSON.stringify(bytes(b.priorities)) &&
    JSON.stringify(bytes(a.vectors)) === JSON.stringify(bytes(b.vectors));
}

Deno.test("lattice pixels fed one by one give the builder's shard statistics bit for bit", () => {
  // Offsets that are not lattice multiples, an edge shard cut by the grid, 5 and 16 bands
  // (the builder adds four pixels per pass: the count is not a multiple of four here).
  const cases = [
    { size: 192, bands: 16, row0: 1024, col0: 2048, rows: 192, cols: 192 },
    { size: 200, bands: 5, row0: 7, col0: 13, rows: 181, cols: 150 },
  ];
  for (const [i, c] of cases.entries()) {
    const { embeddings, scales } = shardBuffer(c.size, c.bands, i + 1);
    const built = shardStats(
      embeddings,
      scales,
      c.size,
      c.bands,
      c.row0,
      c.col0,
      c.rows,
      c.cols,
    );
    const derived = latticePartial(
      embeddings,
      scales,
      c.size,
      c.bands,
      c.row0,
      c.col0,
      c.rows,
      c.cols,
    );
    assertEquals(built.count > 50, true);
    assertEquals(sameBits(built, derived), true, `case ${i}`);
  }
});

Deno.test("shard values merge in shard order whatever order they arrive in", () => {
  const bands = 3;
  // More sample candidates than the sample keeps, with priorities repeated across shards,
  // so truncation and the tie order (earlier shard first) both matter.
  const r = rng(7);
  const partials: StatsPartial[] = Array.from({ length: 40 }, (_, k) => {
    const st = emptyStats(bands);
    st.count = 300;
    st.sum = Float64Array.from({ length: bands }, () => r() * 1e3 - 500);
    st.sumProducts = Float64Array.from({ length: st.sumProducts.length }, () => r() * 1e6);
    st.priorities = Float64Array.from({ length: 300 }, (_, i) => (i % 50 === 0 ? 0.001 : r()));
    st.vectors = Float32Array.from({ length: 300 * bands }, (_, i) => k * 1000 + i);
    return st;
  });
  let builder = emptyStats(bands);
  for (const p of partials) builder = mergeStats(builder, structuredClone(p));
  assertEquals(builder.priorities.length, 8192);

  const merger = new DerivedMerger(bands);
  const arrival = partials.map((_, i) => i).sort((a, b) => ((a * 17) % 40) - ((b * 17) % 40));
  for (const i of arrival) {
    merger.add(i, { stats: structuredClone(partials[i]), badScales: { a: 1 } });
  }
  merger.add(40, undefined); // an empty shard: contributes nothing
  const d = merger.finish(41);
  assertEquals(sameBits(d.stats, builder), true);
  assertEquals(d.missing, 0);
  assertEquals(d.badScales.get("a"), 40);

  const incomplete = new DerivedMerger(bands);
  incomplete.add(1, null);
  incomplete.add(0, undefined);
  assertEquals(incomplete.finish(2).missing, 1);
});

Deno.test("defect scales are ±inf, ≥ max valid, ≤ 0 — not NaN", () => {
  const s = Float32Array.of(0.1, NaN, Infinity, -Infinity, 0, -0.5, 1, 7.5, 3.4028234663852886e38);
  assertEquals(countDefectScales(s, 1, s.length, 0, s.length, 1), 7);
  assertEquals(countDefectScales(s, 1, s.length, 1, 3, 1), 1); // columns 1..2 only
  assertEquals(countDefectScales(s, 3, 3, 0, 1, 1), 2); // column 0 of 3 rows of 3
});

Deno.test("the stray-object walk reports what no build or preview pass writes", async () => {
  await withTmp("tz-verify-strays-", async (root) => {
    const files = [
      // Written by the builder and the passes: not strays.
      "zarr.json",
      "_chunk_manifest.json",
      "embeddings/zarr.json",
      "embeddings/c/0/0/0",
      "embeddings/c/1/2/0",
      "scales/c/1/2",
      "stats/zarr.json",
      "stats/sum/c/0",
      "stats/sample/c/0/0",
      "rgb_overviews/zarr.json",
      "rgb_overviews/1/c/0/0/0",
      "_build/shards/1.2.stats",
      "_build/shards/1.2.failures.json",
      // Strays.
      "embeddings/c/2/0/0", // row outside a 2 × 3 grid
      "embeddings/c/0/0/1", // band chunk outside 1
      "embeddings/c/00/1/0", // not canonical
      "scales/c/0/3", // column outside
      "scales/c/0/1.tmp-1234", // an interrupted write
      "scales/c/0/x",
      "scales/notes.txt",
      "stats/sum/c/1",
      "rgb_overviews/2/c/0/0/0", // no level 2 in a 1-level pyramid
      "_build/shards/2.0.stats",
      "_build/lock",
      "foo/bar/baz",
      ".DS_Store",
    ];
    for (const f of files) {
      await Deno.mkdir(join(root, f, ".."), { recursive: true });
      await Deno.writeTextFile(join(root, f), "x");
    }
    await Deno.mkdir(join(root, "scales", "c", "5"), { recursive: true }); // empty, outside
    const layout = {
      groups: new Set(["", "stats", "rgb_overviews", "pca_rgb_overviews"]),
      arrays: new Map([
        ["embeddings", [2, 3, 1]],
        ["scales", [2, 3]],
        ["stats/sum", [1]],
        ["stats/sample", [1, 1]],
        ["rgb_overviews/1", [1, 1, 1]],
      ]),
      rootFiles: new Set(["_chunk_manifest.json"]),
      buildShards: [2, 3] as const,
    };
    const all = await findStrayObjects(root, layout, 100);
    const keys = all.listed.map((s) => s.key).sort();
    assertEquals(
      JSON.stringify(keys),
      JSON.stringify([
        ".DS_Store",
        "_build/lock",
        "_build/shards/2.0.stats",
        "embeddings/c/0/0/1",
        "embeddings/c/00/1/0",
        "embeddings/c/2/0/0",
        "foo/bar/baz",
        "rgb_overviews/2/c/0/0/0",
        "scales/c/0/1.tmp-1234",
        "scales/c/0/3",
        "scales/c/0/x",
        "scales/c/5/",
        "scales/notes.txt",
        "stats/sum/c/1",
      ]),
    );
    assertEquals(all.count, keys.length);
    const reason = (k: string) => all.listed.find((s) => s.key === k)!.reason;
    assertEquals(reason("embeddings/c/2/0/0"), "outside the 2 × 3 × 1 chunk grid");
    assertEquals(reason("scales/c/0/1.tmp-1234"), "temporary file of an interrupted write");

    // Listing is capped, counting is not; without failed tiles `_build` is a stray as a whole.
    const capped = await findStrayObjects(root, { ...layout, buildShards: undefined }, 2);
    assertEquals(capped.listed.length, 2);
    assertEquals(capped.count, keys.length + 2); // + the two markers of shard 1,2
  });
});
