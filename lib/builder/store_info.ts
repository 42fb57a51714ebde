/**
 * The description of the store a build writes ({@link StoreInfo}, lib/store/attributes.ts),
 * made from the zone's plan and the build's options. Everything the store's metadata says
 * follows from it: its attributes, array documents and coordinates are written by lib/store.
 */
import type { BuildPlan } from "../plan/build_plan.ts";
import {
  DEFAULT_DATASET_VERSION,
  type EmbeddingsCompression,
  type StoreInfo,
} from "../store/attributes.ts";
import { DEFAULT_MAX_VALID_SCALE } from "../store/pixel_state.ts";

export type { StoreInfo };

/** The build parameters a store records besides its plan (defaults: the builder's). */
export interface StoreOptions {
  /** `tessera_dataset_version` (default "v1"). */
  datasetVersion?: string;
  /** Scales at or above this are no data (default {@link DEFAULT_MAX_VALID_SCALE}). */
  maxValidScale?: number;
  /** Embeddings codec (default "none"). */
  compress?: EmbeddingsCompression;
}

/**
 * The description of the store built from `plan` with `opts`: zone, grid, tile and band
 * counts from the plan, the rest from the options or their defaults.
 *
 * @example
 * const info = storeInfo(withBands(plan, 128), { compress: "zstd" });
 * storeAttributes(info).n_tiles; // plan.tiles.length
 */
export function storeInfo(plan: BuildPlan, opts: StoreOptions = {}): StoreInfo {
  return {
    zone: plan.zone,
    year: plan.year,
    epsg: plan.epsg,
    geobox: plan.geobox,
    nTiles: plan.tiles.length,
    bands: plan.bands,
    datasetVersion: opts.datasetVersion ?? DEFAULT_DATASET_VERSION,
    maxValidScale: opts.maxValidScale ?? DEFAULT_MAX_VALID_SCALE,
    compress: opts.compress ?? "none",
  };
}
