/**
 * Web Worker entry of `verify`: receives the zone context once, then shard indices one at a
 * time, and answers each with its ShardReport (or an error naming the shard).
 */
/// <reference lib="deno.worker" />
import { ShardVerifier, type VerifyContext } from "./verify_shard.ts";

let verifier: ShardVerifier | undefined;

self.onmessage = async (e: MessageEvent) => {
  const msg = e.data as
    | { type: "init"; ctx: VerifyContext }
    | { type: "shard"; index: number; row: number; col: number; tiles: number[] };
  if (msg.type === "init") {
    verifier = new ShardVerifier(msg.ctx);
    self.postMessage({ type: "ready" });
    return;
  }
  try {
    const report = await verifier!.verify(msg.row, msg.col, msg.tiles);
    self.postMessage({ type: "done", index: msg.index, report });
  } catch (err) {
    self.postMessage({
      type: "error",
      index: msg.index,
      row: msg.row,
      col: msg.col,
      message: (err as Error)?.stack ?? String(err),
    });
  }
};
