/**
 * Web Worker entry of the preview passes (a lib/workers pool): receives the store context
 * once, the render parameters when they are known (a broadcast), then jobs one at a time; a
 * job that throws is reported by the pool as that job's error.
 */
/// <reference lib="deno.worker" />
import { serveJobs } from "../workers/serve.ts";
import { type JobContext, type JobResult, type PreviewJob, PreviewJobs } from "./shard_jobs.ts";
import type { RenderParams } from "./render.ts";

serveJobs((ctx: JobContext) => {
  const jobs = new PreviewJobs(ctx);
  return {
    run: (job: PreviewJob) => jobs.run(job),
    message: (params: RenderParams) => {
      jobs.params = params;
    },
    transfer: (r: JobResult) => r.stats ? [r.stats.buffer as ArrayBuffer] : [],
  };
});
