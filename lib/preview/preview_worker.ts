/**
 * Web Worker entry of the preview passes: receives the store context once, render parameters
 * when they are known, then jobs one at a time, and answers each with its result (or an error
 * naming the job).
 */
/// <reference lib="deno.worker" />
import { type JobContext, type PreviewJob, PreviewJobs } from "./shard_jobs.ts";
import type { RenderParams } from "./render.ts";
import { TesseraError } from "../errors.ts";

type Message =
  | { type: "init"; ctx: JobContext }
  | { type: "params"; params: RenderParams }
  | { type: "job"; id: number; job: PreviewJob };

let jobs: PreviewJobs | undefined;

self.onmessage = async (e: MessageEvent<Message>) => {
  const msg = e.data;
  if (msg.type === "init") {
    jobs = new PreviewJobs(msg.ctx);
    return;
  }
  if (msg.type === "params") {
    jobs!.params = msg.params;
    return;
  }
  try {
    const result = await jobs!.run(msg.job);
    self.postMessage(
      { type: "done", id: msg.id, result },
      result.stats ? [result.stats.buffer as ArrayBuffer] : [],
    );
  } catch (err) {
    const { type, row, col } = msg.job;
    const kind = err instanceof TesseraError ? err.kind : undefined;
    self.postMessage({
      type: "error",
      id: msg.id,
      kind,
      message: `${type} job for shard ${row},${col}: ` +
        (kind ? (err as Error).message : (err as Error)?.stack ?? String(err)),
    });
  }
};
