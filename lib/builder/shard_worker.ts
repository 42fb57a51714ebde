/**
 * Web Worker entry of the builder: receives the zone context once, then shard jobs one at a
 * time, and answers each with a ShardDone (or an error message naming the shard).
 */
/// <reference lib="deno.worker" />
import { ShardWriter, type ShardWriterInit } from "./shard_writer.ts";
import type { ShardJob } from "../plan/shard_plan.ts";

let writer: ShardWriter | undefined;

self.onmessage = async (e: MessageEvent) => {
  const msg = e.data as { type: "init"; init: ShardWriterInit } | { type: "shard"; job: ShardJob };
  if (msg.type === "init") {
    writer = new ShardWriter(msg.init);
    self.postMessage({ type: "ready" });
    return;
  }
  try {
    const done = await writer!.write(msg.job);
    self.postMessage({ type: "done", done });
  } catch (err) {
    self.postMessage({
      type: "error",
      row: msg.job.row,
      col: msg.job.col,
      message: (err as Error)?.stack ?? String(err),
    });
  }
};
