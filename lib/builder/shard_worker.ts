/**
 * Web Worker entry of the builder (a lib/workers pool): receives the zone context (with the
 * plan's worker projection, and the previews to colour when the build draws them in its single
 * pass) once, then the plan's shards one at a time, and answers each with a ShardDone; a shard
 * that throws is reported by the pool as that shard's error.
 */
/// <reference lib="deno.worker" />
import { serveJobs } from "../workers/serve.ts";
import { ShardWriter, type ShardWriterInit } from "./shard_writer.ts";
import type { ShardPlan } from "../plan/shard_plan.ts";
import { ShardPreviewer, type ShardPreviewInit } from "../preview/shard_previews.ts";

/** A build worker's init: the shard writer's, plus the previews it colours (if any). */
export interface BuildWorkerInit extends ShardWriterInit {
  previews?: ShardPreviewInit;
}

serveJobs((init: BuildWorkerInit) => {
  const previewer = init.previews && new ShardPreviewer(init.previews);
  // Each shard is coloured while the writer still holds it assembled: nothing is read back.
  const writer = new ShardWriter(init, {
    beforeMarker: previewer &&
      (async (buf, job) => void await previewer.colour(buf, job.row, job.col)),
  });
  return { run: (job: ShardPlan) => writer.write(job) };
});
