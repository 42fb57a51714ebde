/**
 * Messages between the page and the decode workers. A job names a pixel rectangle of one
 * array and how to colour it; the worker reads it with zarrita (range requests into shards,
 * zstd decoding), colours it and answers with RGBA ImageData (its buffer transferred).
 */
import type { Stretch } from "./colour.ts";
import type { PixelRect } from "../../lib/grid/pixel_rect.ts";

/** Colours from three embedding bands, dequantised with the scales, through `stretch`. */
export interface BandsJob {
  kind: "bands";
  storeUrl: string;
  rect: PixelRect;
  bands: number[];
  stretch: Stretch;
  /** Per-row fractional grid columns to clip at (zone edges), or null. */
  clipWest: Float64Array | null;
  clipEast: Float64Array | null;
}

/** Colours straight from an RGBA preview array, optionally re-stretched through tables. */
export interface PreviewJob {
  kind: "preview";
  storeUrl: string;
  path: string;
  rect: PixelRect;
  tables: Uint8Array[] | null;
  clipWest: Float64Array | null;
  clipEast: Float64Array | null;
}

export type Job = BandsJob | PreviewJob;

/** What a worker has fetched so far (cumulative), for the page's statistics. */
export interface NetCounters {
  requests: number;
  bytes: number;
  /** Fetches that ended because their signal aborted them. */
  aborted: number;
}

export type ToWorker =
  | { type: "render"; id: number; job: Job }
  | { type: "abort"; id: number }
  | { type: "config"; rawCacheBytes: number };

export type FromWorker =
  | {
    type: "done";
    id: number;
    /** Null when no pixel of the tile has data. */
    image: ImageData | null;
    width: number;
    height: number;
    valid: number;
    net: NetCounters;
  }
  | { type: "error"; id: number; message: string; aborted: boolean; net: NetCounters };
