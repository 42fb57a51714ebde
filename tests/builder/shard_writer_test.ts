/**
 * The shard writer reuses one buffer for every shard it builds (clearing only what the last
 * shard dirtied); a shard must come out the same whatever was built before it. Also: the
 * streamed chunk-order encoder gives the bytes of the plain C-order encoder.
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { listTiles } from "../../lib/tiles/tile_list.ts";
import { planZones } from "../../lib/plan/zone_plan.ts";
import { withBands } from "../../lib/plan/build_plan.ts";
import { ShardWriter, shardWriterInit } from "../../lib/builder/shard_writer.ts";
import { storeInfo } from "../../lib/builder/store_info.ts";
import { denseShardStream, encodeDenseShard } from "../../lib/zarr/dense_shard.ts";
import { diffTrees } from "../helpers/store_files.ts";
import { withTmp } from "../helpers/env.ts";

Deno.test("a shard is identical whether built first or after others in the same buffer", () =>
  withTmp("tz-writer-", async (base) => {
    await fixtureDataset({ out: base, tiles: 2, bands: 4, groups: ["greenwich"] });
    const plan = withBands(
      planZones((await listTiles(base, { year: 2024, zones: [31] })).tiles)[0],
      4,
    );
    const jobs = plan.shards;
    assertEquals(jobs.length >= 3, true);
    const info = storeInfo(plan, { maxValidScale: 1 });
    const writer = (root: string) => new ShardWriter(shardWriterInit(plan, info, base, root));
    const one = join(base, "one"), fresh = join(base, "fresh");
    // One writer builds every shard in order, then the first again; fresh writers build each once.
    const w = writer(one);
    for (const job of [...jobs, jobs[0]]) await w.write(job);
    for (const job of jobs) await writer(fresh).write(job);
    assertEquals((await diffTrees(one, fresh)).join("\n"), "");
  }));

Deno.test("denseShardStream (small staging, chunk layout) gives encodeDenseShard's bytes", () => {
  const shard = [64, 64, 3], inner = [16, 16, 3];
  const c = new Int8Array(64 * 64 * 3);
  for (let i = 0; i < c.length; i++) c[i] = (i * 7919) % 251 - 125;
  c.fill(0, 0, 16 * 64 * 3); // the first row of inner chunks is fill: absent
  const want = encodeDenseShard({
    data: c,
    shardShape: shard,
    innerShape: inner,
    fill: 0,
    compress: "none",
  })!;
  // The same shard in chunk order: inner chunk (i, j) contiguous, C order inside.
  const chunks = new Int8Array(c.length);
  let k = 0;
  for (let ci = 0; ci < 4; ci++) {
    for (let cj = 0; cj < 4; cj++) {
      for (let y = 0; y < 16; y++) {
        for (let x = 0; x < 16; x++) {
          for (let b = 0; b < 3; b++) chunks[k++] = c[((ci * 16 + y) * 64 + cj * 16 + x) * 3 + b];
        }
      }
    }
  }
  for (const [data, layout] of [[c, "c"], [chunks, "chunks"]] as const) {
    const s = denseShardStream({
      data,
      shardShape: shard,
      innerShape: inner,
      fill: 0,
      compress: "none",
      layout,
    })!;
    const parts: number[] = [];
    for (const p of s.parts(new Uint8Array(1000))) parts.push(...p);
    assertEquals(parts.length, want.length, layout);
    assertEquals(parts.every((v, i) => v === want[i]), true, layout);
  }
});
