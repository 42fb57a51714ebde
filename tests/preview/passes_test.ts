/**
 * End to end: real fixtures (with the defect tiles), a real build, then the real `stats` and
 * `pca` CLIs; every result is read back with zarrita and checked against an independent
 * computation (plain TypeScript for RGB and overviews, NumPy for percentiles and PCA).
 */
import { join } from "node:path";
import { assertClose, assertEquals } from "../assert.ts";
import { BAD_SCALE_BLOCKS } from "../../lib/sample_data/defects.ts";
import { planZones } from "../../lib/plan/zone_plan.ts";
import { listTiles } from "../../lib/tiles/tile_list.ts";
import { pcaFromAttributes } from "../../lib/preview/pca_pass.ts";
import type { LevelInfo } from "../../lib/preview/overviews.ts";
import { PreviewJobs } from "../../lib/preview/shard_jobs.ts";
import { mergeShardSamples } from "../../lib/preview/statistics.ts";
import { readPreviewStoreInfo } from "../../lib/preview/store_info.ts";
import { readDenseShard, wholeShardReader } from "../../lib/preview/shard_read.ts";
import { listArrayShards } from "../../lib/store/shard_files.ts";
import { runCli, spawnCli } from "../helpers/cli.ts";
import { diffTrees } from "../helpers/store_files.ts";
import {
  builtDataset,
  numpy,
  openGroup,
  readArray,
  referenceReduce,
  rootAttrs,
  writeRaw,
} from "./helpers.ts";
import { arrayLayout, chunkKey } from "../../lib/zarr/metadata.ts";
import { encodeDenseShard } from "../../lib/zarr/dense_shard.ts";

const BANDS = 16; // a multiple of 16, so the PCA pixels go through the WebAssembly kernel as with real data
const ds = await builtDataset("tz-previews-", { tiles: 1, bands: BANDS, defects: true });
const Z30 = join(ds.zarr, "utm30_2024.zarr");
const Z35 = join(ds.zarr, "utm35_2024.zarr");
const PNG_DIR = join(ds.base, "png");
const stats = await runCli("stats", [ds.zarr, "--zones", "30,35", "--json", "--png", PNG_DIR]);
const pca = await runCli("pca", [ds.zarr, "--zones", "30,35", "--year", "2024", "--json"]);

async function copyStore(src: string, name: string): Promise<string> {
  const dir = join(ds.base, name);
  await Deno.mkdir(dir, { recursive: true });
  const dst = join(dir, "utm30_2024.zarr");
  const r = await new Deno.Command("cp", { args: ["-r", src, dst] }).output();
  if (!r.success) throw new Error("cp failed");
  return dst;
}

/** The RGB formula written out plainly, from the store's own embeddings and scales. */
async function expectedRgb(store: string): Promise<Uint8Array> {
  const a = await rootAttrs(store);
  const [b0, b1, b2] = a.rgb_bands as number[];
  const { min, max } = a.rgb_stretch as { min: number[]; max: number[] };
  const e = (await readArray(store, "embeddings")).data as Int8Array;
  const s = (await readArray(store, "scales")).data as Float32Array;
  const out = new Uint8Array(s.length * 4);
  for (let p = 0; p < s.length; p++) {
    if (Number.isNaN(s[p])) continue;
    [b0, b1, b2].forEach((b, k) => {
      const v = Math.fround(e[p * BANDS + b] * s[p]);
      const n = Math.min(1, Math.max(0, (v - min[k]) / (max[k] - min[k])));
      out[p * 4 + k] = Math.trunc(n * 255);
    });
    out[p * 4 + 3] = 255;
  }
  return out;
}

function firstDifference(a: Uint8Array, b: Uint8Array, width: number): string {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      const p = Math.floor(i / 4);
      return `pixel row ${Math.floor(p / width)} col ${p % width} channel ${i % 4}: ${a[i]} vs ${
        b[i]
      }`;
    }
  }
  return a.length === b.length ? "" : `lengths ${a.length} vs ${b.length}`;
}

Deno.test("stats and pca run from the build-time statistics and exit 0", () => {
  assertEquals(ds.build.code, 1, "the defect tiles make the build exit 1"); // stores are complete
  assertEquals(stats.code, 0, stats.stderr);
  assertEquals(pca.code, 0, pca.stderr);
  const s = JSON.parse(stats.stdout), p = JSON.parse(pca.stdout);
  assertEquals(
    s.results.map((r: { store: string }) => r.store).join(","),
    "utm30_2024.zarr,utm35_2024.zarr",
  );
  assertEquals(s.results.every((r: { statistics: string }) => r.statistics === "build"), true);
  assertEquals(p.results.every((r: { statistics: string }) => r.statistics === "build"), true);
});

for (const store of [Z30, Z35]) {
  Deno.test(`rgb of ${store.slice(-15)}: every pixel equals the formula on the store's embeddings`, async () => {
    const { arr, data } = await readArray(store, "rgb");
    assertEquals(JSON.stringify(arr.dimensionNames), '["northing","easting","rgba"]');
    const want = await expectedRgb(store);
    assertEquals(firstDifference(data as Uint8Array, want, arr.shape[1]), "");
    let opaque = 0;
    for (let i = 3; i < want.length; i += 4) opaque += want[i] ? 1 : 0;
    assertEquals(opaque > 100_000, true, `only ${opaque} valid pixels`);
  });
}

Deno.test("rgb_stretch is numpy's p2/p98 of stats/sample", async () => {
  const a = await rootAttrs(Z30);
  assertEquals(JSON.stringify(a.rgb_bands), "[0,1,2]");
  const sample = (await readArray(Z30, "stats/sample")).data as Float32Array;
  const dir = await Deno.makeTempDir({ dir: ds.base, prefix: "rgbref-" });
  const { min, max } = a.rgb_stretch as { min: number[]; max: number[] };
  for (let b = 0; b < 3; b++) {
    const col = Float32Array.from(
      { length: sample.length / BANDS },
      (_, i) => sample[i * BANDS + b],
    );
    await writeRaw(join(dir, `b${b}`), col);
    const [p2, p98] = await numpy<number[]>("percentile", {
      file: join(dir, `b${b}`),
      dtype: "f4",
      qs: [2, 98],
    });
    assertEquals(min[b], p2, `band ${b} p2`);
    assertEquals(max[b], p98, `band ${b} p98`);
  }
});

Deno.test("pca: basis equals numpy's from the same sums, pixels agree with numpy's projection", async () => {
  const a = await rootAttrs(Z30);
  const dir = await Deno.makeTempDir({ dir: ds.base, prefix: "pcaref-" });
  await writeRaw(join(dir, "sum.f64"), (await readArray(Z30, "stats/sum")).data as Float64Array);
  await writeRaw(
    join(dir, "sum_products.f64"),
    (await readArray(Z30, "stats/sum_products")).data as Float64Array,
  );
  await writeRaw(
    join(dir, "sample.f32"),
    (await readArray(Z30, "stats/sample")).data as Float32Array,
  );
  const want = await numpy<ReturnType<typeof pcaFromAttributes>>("pca", {
    dir,
    bands: BANDS,
    count: a.stats_count,
  });
  const got = pcaFromAttributes(a);
  for (let k = 0; k < 3; k++) {
    for (let b = 0; b < BANDS; b++) {
      assertClose(got.components[k][b], want.components[k][b], 1e-9, `c${k}[${b}]`);
    }
    assertClose(got.explainedVariance[k], want.explainedVariance[k], 1e-9, `evr ${k}`);
    assertClose(got.medians[k], want.medians[k], 1e-9, `median ${k}`);
    assertClose(got.iqrs[k], want.iqrs[k], 1e-9, `iqr ${k}`);
    assertClose(got.stretch.min[k], want.stretch.min[k], 1e-8, `min ${k}`);
    assertClose(got.stretch.max[k], want.stretch.max[k], 1e-8, `max ${k}`);
  }
  for (let b = 0; b < BANDS; b++) assertClose(got.mean[b], want.mean[b], 1e-12, `mean ${b}`);
  assertEquals(got.explainedVariance.reduce((s, x) => s + x, 0) > 0.5, true);

  const { arr, data } = await readArray(Z30, "pca_rgb");
  const [h, w] = arr.shape;
  await writeRaw(
    join(dir, "embeddings.i8"),
    (await readArray(Z30, "embeddings")).data as Int8Array,
  );
  await writeRaw(join(dir, "scales.f32"), (await readArray(Z30, "scales")).data as Float32Array);
  const { valid } = await numpy<{ valid: number }>("pca_pixels", {
    dir,
    h,
    w,
    bands: BANDS,
    basis: want,
  });
  const ref = await Deno.readFile(join(dir, "pca_ref.u8"));
  const mine = data as Uint8Array;
  let differ = 0, worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ref[i] - mine[i]);
    if (d) differ++, worst = Math.max(worst, d);
  }
  // Same maths in a different float order: at most one level off, on very few channels.
  assertEquals(worst <= 1, true, `a channel differs by ${worst}`);
  assertEquals(differ <= valid * 3 * 1e-4, true, `${differ} channels differ of ${valid * 3}`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("overviews: each level is the alpha-aware 2×2 mean of the one below; multiscales matches", async () => {
  for (const store of [Z30, Z35]) {
    const { group } = await openGroup(store);
    const ms = group.attrs.multiscales as Record<string, LevelInfo[]>;
    assertEquals(JSON.stringify(Object.keys(ms)), '["layout","rgb","pca_rgb"]');
    assertEquals(group.attrs.has_rgb_preview, true);
    assertEquals(group.attrs.has_pca_preview, true);
    const t = group.attrs.transform as number[];
    for (const name of ["rgb", "pca_rgb"]) {
      const levels = ms[name];
      assertEquals(Math.max(...levels.at(-1)!.shape.slice(0, 2)) <= 1024, true);
      let below: { data: Uint8Array; h: number; w: number } | undefined;
      for (const l of levels) {
        const { arr, data } = await readArray(store, l.path);
        assertEquals(JSON.stringify(arr.shape), JSON.stringify(l.shape), l.path);
        assertEquals(l.pixel_size_m, 10 * 2 ** l.level);
        assertEquals(
          JSON.stringify(l.transform),
          JSON.stringify([10 * 2 ** l.level, 0, t[2], 0, -10 * 2 ** l.level, t[5]]),
        );
        const [h, w] = arr.shape;
        if (below) {
          assertEquals(h, Math.ceil(below.h / 2));
          assertEquals(
            firstDifference(data as Uint8Array, referenceReduce(below.data, below.h, below.w), w),
            "",
            `${store} ${l.path}`,
          );
        }
        below = { data: data as Uint8Array, h, w };
      }
    }
    assertEquals(ms.rgb.length >= 2, true, "the test store needs at least one overview level");
  }
});

Deno.test("--png writes the coarsest level, pixel for pixel", async () => {
  const levels = ((await rootAttrs(Z30)).multiscales as Record<string, LevelInfo[]>).rgb;
  const { data, shape } = await readArray(Z30, levels.at(-1)!.path);
  const file = join(PNG_DIR, "utm30_2024_rgb.png");
  const size = await numpy<{ width: number; height: number }>("png", { file, out: `${file}.raw` });
  assertEquals(`${size.height}×${size.width}`, `${shape[0]}×${shape[1]}`);
  assertEquals(
    firstDifference(await Deno.readFile(`${file}.raw`), data as Uint8Array, shape[1]),
    "",
  );
});

Deno.test("bad scales (NaN, ±inf, FLT_MAX, ≤ 0, absurd) are transparent in both previews", async () => {
  const { tiles } = await listTiles(ds.base, { year: 2024, zones: [30] });
  const plan = planZones(tiles)[0];
  const i = plan.tiles.findIndex((t) => t.lonI === -25 && t.latI === 5155);
  assertEquals(i >= 0, true, "bad-scales tile not found in zone 30");
  const { rowOffsetPx: r0, colOffsetPx: c0 } = plan.placements[i];
  const w = plan.geobox.width;
  const rgb = (await readArray(Z30, "rgb")).data as Uint8Array;
  const pcaRgb = (await readArray(Z30, "pca_rgb")).data as Uint8Array;
  for (const b of BAD_SCALE_BLOCKS) {
    for (let r = b.row + 2; r < b.row + b.size - 2; r += 5) {
      for (let c = b.col + 2; c < b.col + b.size - 2; c += 5) {
        const p = (r0 + r) * w + c0 + c;
        assertEquals(rgb[p * 4 + 3], 0, `rgb alpha at block ${b.value}`);
        assertEquals(
          pcaRgb.subarray(p * 4, p * 4 + 4).join(","),
          "0,0,0,0",
          `pca at block ${b.value}`,
        );
      }
    }
  }
});

Deno.test("reruns give identical bytes, with any worker count", async () => {
  const copy = await copyStore(Z30, "rerun");
  for (const task of ["stats", "pca"]) {
    const r = await runCli(task, [copy, "--workers", "1"]);
    assertEquals(r.code, 0, r.stderr);
  }
  assertEquals((await diffTrees(Z30, copy)).join("\n"), "");
});

Deno.test("--bands, --zones and bad arguments", async () => {
  const copy = await copyStore(Z30, "bands");
  const r = await runCli("stats", [copy, "--bands", "5,3,7", "--json"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(JSON.stringify((await rootAttrs(copy)).rgb_bands), "[5,3,7]");
  // The PCA preview, untouched by the RGB pass, is still there.
  assertEquals((await rootAttrs(copy)).has_pca_preview, true);
  const bad = await runCli("stats", [copy, "--bands", "1,2,16"]);
  assertEquals(bad.code, 2, bad.stderr);
  assertEquals(bad.stderr.includes("band 16"), true, bad.stderr);
  // Stores exist but none matches: nothing to do (exit 1), the message names what is there.
  const none = await runCli("stats", [ds.zarr, "--zones", "12"]);
  assertEquals(none.code, 1, none.stderr);
  assertEquals(none.stderr.includes("no zone stores"), true, none.stderr);
});

Deno.test("a killed pass never leaves a done flag; the rerun gives identical bytes", async () => {
  const copy = await copyStore(Z30, "kill");
  const exists = (p: string) => Deno.stat(join(copy, p)).then(() => true, () => false);
  // Kill points: as soon as the level-0 array is rewritten, then once the first overview exists.
  const points: (() => Promise<boolean>)[] = [
    () => exists("rgb/zarr.json"),
    () => exists("rgb/c/0/0/0"),
    () => exists("rgb_overviews/1/zarr.json"),
  ];
  let landed = 0;
  for (const point of points) {
    const before = await rootAttrs(copy);
    assertEquals(before.has_rgb_preview, true);
    const child = spawnCli("stats", [copy, "--workers", "1"]);
    let exited = false;
    child.status.then(() => exited = true);
    // Wait for the pass to withdraw the old preview (flag gone), then for the kill point.
    const t0 = Date.now();
    while (!exited && Date.now() - t0 < 30_000) {
      const a = await rootAttrs(copy).catch(() => ({} as Record<string, unknown>));
      if (a.has_rgb_preview === undefined && await point()) break;
      await new Promise((r) => setTimeout(r, 1));
    }
    if (!exited) {
      child.kill("SIGKILL");
      landed++;
    }
    await child.status;
    const a = await rootAttrs(copy);
    if (!exited) {
      assertEquals(a.has_rgb_preview, undefined, "done flag present after a kill");
      assertEquals(a.rgb_stretch, undefined);
      assertEquals((a.multiscales as Record<string, unknown>).rgb, undefined);
      assertEquals(a.has_pca_preview, true, "the other preview must survive");
    }
    const again = await runCli("stats", [copy, "--workers", "2"]);
    assertEquals(again.code, 0, again.stderr);
    assertEquals((await diffTrees(Z30, copy)).join("\n"), "");
  }
  assertEquals(landed >= 1, true, "no kill landed mid-pass");
});

/** A copy of zone 30 without build-time statistics (as a store from an older build). */
async function withoutStatistics(name: string): Promise<string> {
  const copy = await copyStore(Z30, name);
  await Deno.remove(join(copy, "stats"), { recursive: true });
  const doc = JSON.parse(await Deno.readTextFile(join(copy, "zarr.json")));
  for (const k of Object.keys(doc.attributes)) if (k.startsWith("stats_")) delete doc.attributes[k];
  await Deno.writeTextFile(join(copy, "zarr.json"), JSON.stringify(doc, null, 2));
  return copy;
}

Deno.test("without build-time statistics: lattice sampling of the shards gives the build's exact sample", async () => {
  const info = await readPreviewStoreInfo(Z30);
  const jobs = new PreviewJobs({
    storePath: Z30,
    bands: BANDS,
    maxValidScale: 1,
    embeddings: info.embeddings,
    scales: info.scales,
  });
  const partials = [];
  for (const [row, col] of await listArrayShards(Z30, "scales")) {
    partials.push((await jobs.run({ type: "sample", row, col })).stats!);
  }
  const merged = mergeShardSamples(partials, BANDS, 1);
  const sample = (await readArray(Z30, "stats/sample")).data as Float32Array;
  assertEquals(merged.sample.length, sample.length);
  assertEquals(
    merged.sample.every((x, i) => Object.is(x, sample[i])),
    true,
    "sample differs from stats/sample",
  );
  assertEquals(merged.count > 0 && merged.count < (info.attributes.stats_count as number), true);

  const copy = await withoutStatistics("nostats");
  const r = await runCli("stats", [copy, "--json"]);
  const p = await runCli("pca", [copy, "--json"]);
  assertEquals(r.code + p.code, 0, r.stderr + p.stderr);
  assertEquals(JSON.parse(r.stdout).results[0].statistics, "shards");
  // Same sample, so the same stretch and the same RGB preview bytes.
  const a = await rootAttrs(copy), b = await rootAttrs(Z30);
  assertEquals(JSON.stringify(a.rgb_stretch), JSON.stringify(b.rgb_stretch));
  assertEquals((await diffTrees(join(Z30, "rgb"), join(copy, "rgb"))).join("\n"), "");
  assertEquals((a.pca_explained_variance as number[]).every(Number.isFinite), true);
});

Deno.test("inf and FLT_MAX scales in a store never reach the maths; tampered statistics fail clearly", async () => {
  // A store whose scales hold +inf, -inf and FLT_MAX where there was data (a foreign or damaged
  // store: our builds write NaN there), without statistics so the shards are sampled.
  const copy = await withoutStatistics("nonfinite");
  const info = await readPreviewStoreInfo(copy);
  const layout = arrayLayout(info.scales);
  const [row, col] = (await listArrayShards(copy, "scales"))[0];
  const scales = (await readDenseShard(wholeShardReader(copy, "scales", info.scales), row, col))
    .data as Float32Array;
  const S = layout.chunkShape[0];
  const bad = [Infinity, -Infinity, 3.4028234663852886e38];
  let planted = 0;
  for (let p = 0; p < scales.length; p++) {
    if (Number.isNaN(scales[p])) continue;
    scales[p] = bad[planted++ % 3]; // every valid pixel of the shard, lattice pixels included
  }
  assertEquals(planted > 10_000, true);
  const bytes = encodeDenseShard({
    data: scales,
    shardShape: layout.chunkShape,
    innerShape: layout.innerChunkShape!,
    fill: NaN,
    compress: "zstd",
  });
  await Deno.writeFile(join(copy, chunkKey("scales", [row, col])), bytes!);
  for (const task of ["stats", "pca"]) {
    const r = await runCli(task, [copy]);
    assertEquals(r.code, 0, r.stderr);
  }
  const a = await rootAttrs(copy);
  for (
    const k of [
      "rgb_stretch",
      "pca_components",
      "pca_mean",
      "pca_stretch",
      "pca_explained_variance",
    ]
  ) {
    assertEquals(JSON.stringify(a[k]).match(/null|Infinity|NaN/), null, k);
  }
  const rgb = (await readArray(copy, "rgb")).data as Uint8Array;
  const pcaRgb = (await readArray(copy, "pca_rgb")).data as Uint8Array;
  const w = info.width;
  for (let y = 0; y < S; y += 7) {
    for (let x = 0; x < S; x += 7) {
      const r = row * S + y, c = col * S + x;
      if (r >= info.height || c >= w) continue;
      assertEquals(rgb[(r * w + c) * 4 + 3], 0);
      assertEquals(pcaRgb[(r * w + c) * 4 + 3], 0);
    }
  }

  // Tampered build-time statistics: the pass fails before touching the store.
  const t = await copyStore(Z30, "tampered");
  const sumMeta = JSON.parse(await Deno.readTextFile(join(t, "stats/sum/zarr.json")));
  const sum = (await readArray(t, "stats/sum")).data as Float64Array;
  sum[2] = Infinity;
  const { encodeChunk } = await import("../../lib/zarr/codecs.ts");
  await Deno.writeFile(
    join(t, "stats/sum/c/0"),
    encodeChunk(new Uint8Array(sum.buffer), arrayLayout(sumMeta)),
  );
  const before = await Deno.readFile(join(t, "zarr.json"));
  const r = await runCli("pca", [t]);
  assertEquals(r.code, 1);
  assertEquals(r.stderr.includes("stats/sum") && r.stderr.includes("non-finite"), true, r.stderr);
  assertEquals(
    new TextDecoder().decode(await Deno.readFile(join(t, "zarr.json"))),
    new TextDecoder().decode(before),
  );
});

Deno.test("an unfinished build is refused", async () => {
  const copy = await copyStore(Z30, "unfinished");
  const doc = JSON.parse(await Deno.readTextFile(join(copy, "zarr.json")));
  doc.attributes.build_complete = false;
  await Deno.writeTextFile(join(copy, "zarr.json"), JSON.stringify(doc));
  const r = await runCli("pca", [copy]);
  assertEquals(r.code, 1);
  assertEquals(r.stderr.includes("has not finished"), true, r.stderr);
});
