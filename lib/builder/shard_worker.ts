/**
 * Web Worker entry of the builder (a lib/workers pool): receives the zone context (with the
 * plan's worker projection) once, then the plan's shards one at a time, and answers each with
 * a ShardDone; a shard that throws is reported by the pool as that shard's error.
 */
/// <reference lib="deno.worker" />
import { serveJobs } from "../workers/serve.ts";
import { ShardWriter, type ShardWriterInit } from "./shard_writer.ts";
import type { ShardPlan } from "../plan/shard_plan.ts";

serveJobs((init: ShardWriterInit) => {
  const writer = new ShardWriter(init);
  return { run: (job: ShardPlan) => writer.write(job) };
});
