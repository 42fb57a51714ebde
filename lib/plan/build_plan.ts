/**
 * The plan a build or a verify passes around: a zone plan plus the one fact planning cannot
 * know without reading files — the store's band count (lib/tiles/band_count.ts, read once by
 * the entry point). And the one projection of it that workers receive: everything but the
 * shard list, since each shard travels with its own job.
 */
import type { ZonePlan } from "./zone_plan.ts";

/** A zone plan with the store's embedding band count decided. Plain data. */
export interface BuildPlan extends ZonePlan {
  /** Embedding bands of the store: the zone's majority count or `--bands N`. */
  readonly bands: number;
}

/**
 * `plan` with its band count: the step between planning (pure) and building or verifying.
 *
 * @example
 * const plan = withBands(zonePlan, await zoneBandCount(base, zonePlan));
 * plan.bands; // e.g. 128
 */
export function withBands(plan: ZonePlan, bands: number): BuildPlan {
  return { ...plan, bands };
}

/**
 * What a worker (shard writer or verifier) holds of a plan: all of it but the shard list.
 * Structured-clone-able, and its size grows with the tiles, not with the shards.
 */
export type WorkerPlan = Omit<BuildPlan, "shards">;

/**
 * The projection of `plan` posted to workers (made here only, so no caller copies fields).
 *
 * @example
 * worker.postMessage({ type: "init", plan: workerPlan(plan) });
 */
export function workerPlan(plan: BuildPlan): WorkerPlan {
  const { shards: _, ...rest } = plan;
  return rest;
}
