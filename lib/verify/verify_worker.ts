/**
 * Web Worker entry of `verify` (a lib/workers pool): receives the zone context once, then
 * shards one at a time, and answers each with its ShardReport; a verifier that throws is
 * reported by the pool as that shard's error.
 */
/// <reference lib="deno.worker" />
import { serveJobs } from "../workers/serve.ts";
import { ShardVerifier, type VerifyContext } from "./verify_shard.ts";

serveJobs((ctx: VerifyContext) => {
  const verifier = new ShardVerifier(ctx);
  return {
    run: (job: { row: number; col: number; tiles: number[] }) =>
      verifier.verify(job.row, job.col, job.tiles),
  };
});
