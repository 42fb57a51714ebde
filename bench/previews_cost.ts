/**
 * What the build's in-pass previews cost, piece by piece, in CPU-seconds of this (single-
 * threaded) process: the pre-pass over the input tiles (once per zone), and per shard the RGB
 * and PCA colouring (lib/preview/render.ts), the zstd encoding of each RGBA shard, the pyramid
 * share, and the whole ShardPreviewer.colour a build worker runs (writing into a scratch copy
 * of the preview arrays). Shards come from a store built without previews, loaded as the build
 * holds them (embeddings in inner-chunk order, scales NaN where invalid); CPU time, not wall
 * time, because the benchmark machine is shared.
 *
 *   deno run -A bench/previews_cost.ts BASE STORE [--shards 3] [--repeat 3] [--json]
 *
 * BASE is the input dataset the store was built from (`bench/full_tiles.ts` makes the
 * real-size one: /tmp/tz-bench-build/data, zone 31); STORE a plain `build` of it.
 */
import { cpuUsage } from "node:process";
import { parseArgs } from "node:util";
import { listTiles } from "../lib/tiles/tile_list.ts";
import { planZones } from "../lib/plan/zone_plan.ts";
import { withBands } from "../lib/plan/build_plan.ts";
import { chooseBuildPreviews, shardPreviewInit } from "../lib/preview/in_build.ts";
import { readPreviewStoreInfo } from "../lib/preview/store_info.ts";
import { readDenseShard, readShardChunks, wholeShardReader } from "../lib/preview/shard_read.ts";
import { type RenderOutputs, ShardRenderer } from "../lib/preview/render.ts";
import { encodePyramidPart } from "../lib/preview/pyramid_parts.ts";
import { PyramidKernel } from "../lib/preview/pyramid_kernel.ts";
import { ShardPreviewer } from "../lib/preview/shard_previews.ts";
import { previewArrayMetadata } from "../lib/preview/overviews.ts";
import { encodeDenseShard } from "../lib/zarr/dense_shard.ts";
import { arrayLayout } from "../lib/zarr/metadata.ts";
import { maskInvalidScales } from "../lib/store/pixel_state.ts";
import { SHARD_PX } from "../lib/store/layout.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    shards: { type: "string", default: "3" },
    repeat: { type: "string", default: "3" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help || positionals.length !== 2) {
  console.log(
    "usage: deno run -A bench/previews_cost.ts BASE STORE [--shards N] [--repeat N] [--json]",
  );
  Deno.exit(values.help ? 0 : 2);
}
const [base, storePath] = positionals;
const repeat = Math.max(1, Number(values.repeat));

/** CPU-seconds (user + system) of `fn`: the least of `repeat` runs (the host is shared). */
async function cpu(fn: () => unknown): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = cpuUsage();
    await fn();
    const d = cpuUsage(t0);
    runs.push((d.user + d.system) / 1e6);
  }
  return Math.min(...runs);
}

const info = await readPreviewStoreInfo(storePath);
const attrs = info.attributes as { utm_zone: number; year: number };
const { tiles } = await listTiles(base, { year: attrs.year, zones: [attrs.utm_zone] });
const plan = withBands(planZones(tiles)[0], info.bands);

const result: Record<string, unknown> = { store: storePath, repeat };
let chosen!: Awaited<ReturnType<typeof chooseBuildPreviews>>;
result.prePassCpuS = await cpu(async () => {
  chosen = await chooseBuildPreviews(base, plan, { rgb: {}, pca: {} }, info.maxValidScale);
});
const params = chosen.params;

// The fullest shards (most valid pixels) first: what a real-size zone is made of.
const embReader = wholeShardReader(storePath, "embeddings", info.embeddings);
const scReader = wholeShardReader(storePath, "scales", info.scales);
const candidates: { row: number; col: number; valid: number; scales: Float32Array }[] = [];
for (const s of plan.shards) {
  const { data } = await readDenseShard(scReader, s.row, s.col);
  const scales = Float32Array.from(data as Float32Array);
  const valid = maskInvalidScales(scales, info.maxValidScale);
  if (valid) candidates.push({ row: s.row, col: s.col, valid, scales });
}
candidates.sort((a, b) => b.valid - a.valid);
const picked = candidates.slice(0, Math.max(1, Number(values.shards)));

const S = SHARD_PX, B = info.bands;
const level0 = arrayLayout(previewArrayMetadata(S, S, 0));
const encode = (data: Uint8Array) =>
  encodeDenseShard({
    data,
    shardShape: level0.chunkShape,
    innerShape: level0.innerChunkShape!,
    fill: 0,
    compress: level0.compress,
    level: level0.level,
  });
const scratchDir = await Deno.makeTempDir({ prefix: "tz-previews-cost-" });
const perShard: Record<string, number | string>[] = [];
try {
  const init = shardPreviewInit(scratchDir, plan.geobox, B, params);
  const previewer = new ShardPreviewer(init);
  for (const p of picked) {
    const chunks = (await readShardChunks(embReader, p.row, p.col))!;
    const chunkBytes = chunks.grid.inner.reduce((a, b) => a * b, 1);
    const embeddings = new Int8Array(S * S * B);
    for (let i = 0; i < chunks.grid.nChunks; i++) {
      const raw = chunks.raw(i);
      if (raw) {
        embeddings.set(new Int8Array(raw.buffer, raw.byteOffset, raw.length), i * chunkBytes);
      }
    }
    const shard = {
      size: S,
      bands: B,
      chunkPx: chunks.grid.inner[0],
      embeddings,
      scales: p.scales,
    };
    const emb = {
      grid: chunks.grid,
      raw: (i: number) => new Uint8Array(embeddings.buffer, i * chunkBytes, chunkBytes),
    };
    const inner = [chunks.grid.inner[0], chunks.grid.inner[1]] as const;
    const only = {
      rgb: new ShardRenderer({ rgb: params.rgb }, B, S, inner),
      pca: new ShardRenderer({ pca: params.pca }, B, S, inner),
      both: new ShardRenderer(params, B, S, inner),
    };
    const row: Record<string, number | string> = {
      shard: `${p.row}.${p.col}`,
      validFraction: Number((p.valid / (S * S)).toFixed(3)),
    };
    row.rgbCpuS = await cpu(() => only.rgb.render(emb, p.scales));
    row.pcaCpuS = await cpu(() => only.pca.render(emb, p.scales));
    row.bothCpuS = await cpu(() => only.both.render(emb, p.scales));
    const { rgb, pca } = only.both.render(emb, p.scales) as Required<RenderOutputs>;
    row.encodeRgbCpuS = await cpu(() => encode(rgb));
    row.encodePcaCpuS = await cpu(() => encode(pca));
    const pyramid = new PyramidKernel(S, init.partLevels);
    row.pyramidShareCpuS = await cpu(() => encodePyramidPart(rgb, S, init.partLevels, pyramid));
    row.colourCpuS = await cpu(() => previewer.colour(shard, p.row, p.col));
    perShard.push(row);
  }
} finally {
  await Deno.remove(scratchDir, { recursive: true });
}
result.shards = perShard;
const mean = (k: string) =>
  Number((perShard.reduce((a, r) => a + Number(r[k]), 0) / perShard.length).toFixed(4));
result.meanPerShard = Object.fromEntries(
  [
    "rgbCpuS",
    "pcaCpuS",
    "bothCpuS",
    "encodeRgbCpuS",
    "encodePcaCpuS",
    "pyramidShareCpuS",
    "colourCpuS",
  ]
    .map((k) => [k, mean(k)]),
);
result.zoneShards = plan.shards.length;
if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`pre-pass: ${(result.prePassCpuS as number).toFixed(3)} CPU-s per zone`);
  console.table(perShard);
  console.log("mean per shard:", result.meanPerShard);
}
