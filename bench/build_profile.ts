/**
 * Profiling driver for the shard builder: runs ShardWriter.write for every shard of one zone
 * in the main thread (no workers, no CLI), so `--cpu-prof` sees the whole hot path, and
 * prints per-shard wall times. Uses the dataset of bench/build.ts (run that once first).
 *
 *   deno run -A --cpu-prof --cpu-prof-dir=/tmp/tz-prof bench/build_profile.ts [--zone 31] [--shards N] [--compress zstd]
 */
import { parseArgs } from "node:util";
import { ShardWriter, shardWriterInit } from "../lib/builder/shard_writer.ts";
import { planZones } from "../lib/plan/zone_plan.ts";
import { withBands } from "../lib/plan/build_plan.ts";
import { storeInfo } from "../lib/builder/store_info.ts";
import { listTiles } from "../lib/tiles/tile_list.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    base: { type: "string", default: "/tmp/tz-bench-build/data" },
    zone: { type: "string", default: "31" },
    shards: { type: "string" },
    compress: { type: "string", default: "none" },
  },
});
const base = values.base!;
const { tiles } = await listTiles(base, { year: 2024, zones: [Number(values.zone)] });
const plan = withBands(planZones(tiles)[0], 128);
const info = storeInfo(plan, { maxValidScale: 1, compress: values.compress as "none" | "zstd" });
const out = await Deno.makeTempDir({ prefix: "tz-prof-store-" });
const writer = new ShardWriter(shardWriterInit(plan, info, base, out));
const jobs = plan.shards.slice(0, values.shards ? Number(values.shards) : undefined);
const t0 = performance.now();
for (const job of jobs) {
  const t = performance.now();
  const done = await writer.write(job);
  console.log(
    `shard ${job.row},${job.col}: ${job.pieces.length} pieces, ${
      (done.bytesWritten / 2 ** 20).toFixed(0)
    } MiB, ${(performance.now() - t).toFixed(0)} ms`,
  );
}
console.log(`${jobs.length} shards in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
await Deno.remove(out, { recursive: true });
