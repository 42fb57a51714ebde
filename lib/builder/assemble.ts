/**
 * Shard assembly (I/O side): opens the tiles that touch one shard, validates each against
 * its computed grid before using a single pixel, reads only the rows and landmask windows
 * the shard needs, and composites them (composite.ts). A broken tile is reported and
 * skipped; its neighbours' pixels in the same shard are still written.
 */
import type { Landmask } from "../tiles/landmask.ts";
import type { NpyFile } from "../tiles/npy.ts";
import { openTileFiles, type TileFailure, tileFailure } from "../tiles/open_tile.ts";
import { readScaleRows } from "../tiles/scales.ts";
import { fillCellKeys, tileCellKey } from "./cell.ts";
import {
  beginShard,
  type BlockCounts,
  compositeBlock,
  endShard,
  type ShardBuffer,
} from "./composite.ts";
import type { PixelRect, ShardPlan } from "../plan/shard_plan.ts";
import type { WorkerPlan } from "../plan/build_plan.ts";
import type { SpoolRef } from "../remote/tile_record.ts";

/** Most rows read from a tile at a time: bounds the read buffers to ~rows × width × bands bytes. */
const MAX_ROWS_PER_READ = 64;

/**
 * Rows per band: as many whole rows of inner chunks as fit in MAX_ROWS_PER_READ (so a band
 * ends on a chunk row, and over HTTP a piece still costs one request per 64 rows), or
 * MAX_ROWS_PER_READ when chunks are taller.
 */
function bandHeight(chunkPx: number): number {
  return chunkPx >= MAX_ROWS_PER_READ
    ? MAX_ROWS_PER_READ
    : Math.floor(MAX_ROWS_PER_READ / chunkPx) * chunkPx;
}

/** What a worker needs to know about a zone to assemble any of its shards. */
export interface AssembleContext {
  readonly base: string;
  /** The zone's plan (lib/plan/build_plan.ts); each shard comes with its own job. */
  readonly plan: WorkerPlan;
  readonly maxValidScale: number;
  /** Where the build's main thread put the tiles it fetched or checked (lib/remote/). */
  readonly spool?: SpoolRef;
}

export type { TileFailure };

/** Outcome of assembling one shard. */
export interface AssembleResult {
  failures: TileFailure[];
  counts: BlockCounts;
  /**
   * Per tile (index in the plan), pixels of this shard whose scale is a defect — ±inf, FLT_MAX
   * or any value ≥ max_valid_scale, zero or negative — rather than NaN (no data). They are
   * stored as no data; the build reports them so they are never silent.
   */
  badScales: Map<number, number>;
  /**
   * Per tile (index in the plan), odd things about it that do not stop it being used: its
   * scales in this shard's piece are all NaN, or its landmask has more than one band (band 1
   * is used). Only tiles with something to say are present.
   */
  tileNotes: Map<number, TileNote>;
}

/** What one shard noticed about one usable tile (lib/builder/tile_warnings.ts reports it). */
export interface TileNote {
  /** Every scale of the tile's piece of this shard is NaN. */
  allNaNScales?: true;
  /** Bands in the landmask GeoTIFF, when more than one. */
  landmaskBands?: number;
}

interface OpenTile {
  index: number;
  emb: NpyFile;
  scales: NpyFile;
  mask: Landmask;
}

/**
 * Assembles shard `job` (one of `ctx.plan`'s shards) into `buf` (a buffer from
 * newShardBuffer, reused across shards). The shard is composited from the top down, and
 * `onRows(n)`, when given, is called (and awaited) each time shard-local rows `0..n` are
 * final — the last one may leave rows below `n` of a short edge shard untouched (fill).
 *
 * @example
 * const r = await assembleShard(ctx, plan.shards[0], buffer);
 * for (const f of r.failures) console.error(f.tile, f.message);
 */
export async function assembleShard(
  ctx: AssembleContext,
  job: ShardPlan,
  buf: ShardBuffer,
  onRows?: (rows: number) => void | Promise<void>,
): Promise<AssembleResult> {
  const { plan } = ctx;
  const failures: TileFailure[] = [];
  const opened: { tile: OpenTile; rect: PixelRect }[] = [];
  try {
    for (const piece of job.pieces) {
      const t = await openTile(ctx, piece.tile).catch((e) => {
        failures.push(failure(ctx, piece.tile, e));
        return undefined;
      });
      if (t) opened.push({ tile: t, rect: piece.zone });
    }
    const local = (r: PixelRect) => ({
      r0: r.r0 - job.rect.r0,
      r1: r.r1 - job.rect.r0,
      c0: r.c0 - job.rect.c0,
      c1: r.c1 - job.rect.c0,
    });
    const rects = opened.map((o) => local(o.rect));
    beginShard(buf, rects);
    fillOverlapCells(buf, rects, plan, job);
    const counts: BlockCounts = { valid: 0, invalid: 0, contested: 0 };
    const badScales = new Map<number, number>();
    // Tiles with a scale that is not NaN in this shard; the others' pieces are all NaN.
    const someScale = new Set<number>();
    // Two sets of read buffers: the next block is read while the current one is composited
    // (over HTTP; local reads are done before the call returns). Only the shard's columns of
    // each tile row are read, so a tile straddling two shards is read once in all.
    // Band by band from the top (a band is whole rows of inner chunks), each band's pieces in
    // registry order: every pixel still sees its tiles in registry order, and a band is final
    // once its last block is composited, so `onRows` can write it out while it is in cache.
    const bandRows = bandHeight(buf.chunkPx);
    const bufs = readBuffers(buf, bandRows * maxCols(opened), plan.bands);
    const blocks: {
      tile: OpenTile;
      rect: PixelRect;
      zr: number;
      zr1: number;
      /** On a band's last block: the shard-local row where the band ends. */
      bandEnd?: number;
    }[] = [];
    for (let b0 = job.rect.r0; b0 < job.rect.r1; b0 += bandRows) {
      const b1 = Math.min(job.rect.r1, b0 + bandRows), first = blocks.length;
      for (const { tile, rect } of opened) {
        const zr = Math.max(b0, rect.r0), zr1 = Math.min(b1, rect.r1);
        if (zr < zr1) blocks.push({ tile, rect, zr, zr1 });
      }
      if (blocks.length > first) blocks[blocks.length - 1].bandEnd = b1 - job.rect.r0;
    }
    const read = (i: number) => {
      const { tile, rect, zr, zr1 } = blocks[i];
      const place = plan.placements[tile.index];
      const tr0 = zr - place.rowOffsetPx, tr1 = zr1 - place.rowOffsetPx;
      const tc0 = rect.c0 - place.colOffsetPx, tc1 = rect.c1 - place.colOffsetPx;
      return Promise.all([
        tile.emb.readWindowInto(tr0, tr1, tc0, tc1, bufs.embeddings[i % 2]),
        readScaleWindow(tile.scales, tr0, tr1, tc0, tc1, bufs.scales[i % 2]),
      ]);
    };
    // The landmask of a whole piece at once: geotiff.js then inflates each strip only once.
    const land = new Map<OpenTile, Uint8Array>();
    let next = blocks.length ? read(0) : undefined;
    for (let i = 0; i < blocks.length; i++) {
      const [embeddings, scales] = await next!;
      next = i + 1 < blocks.length ? read(i + 1) : undefined;
      // Settle a failed prefetch here rather than as an unhandled rejection; the await above
      // reports it on the next iteration.
      next?.catch(() => {});
      const { tile, rect, zr, zr1 } = blocks[i];
      const place = plan.placements[tile.index];
      const own = tileCellKey(plan.tiles[tile.index].lonI, plan.tiles[tile.index].latI);
      const tc0 = rect.c0 - place.colOffsetPx, tc1 = rect.c1 - place.colOffsetPx;
      let mask = land.get(tile);
      if (!mask) {
        mask = await tile.mask.readWindow(
          rect.r0 - place.rowOffsetPx,
          rect.r1 - place.rowOffsetPx,
          tc0,
          tc1,
        );
        land.set(tile, mask);
      }
      const cols = tc1 - tc0;
      const { bad, nan } = countScales(scales, (zr1 - zr) * cols, ctx.maxValidScale);
      if (bad) badScales.set(tile.index, (badScales.get(tile.index) ?? 0) + bad);
      if (nan < (zr1 - zr) * cols) someScale.add(tile.index);
      const c = compositeBlock(buf, {
        rect: local({ r0: zr, r1: zr1, c0: rect.c0, c1: rect.c1 }),
        embeddings: embeddings as Int8Array,
        scales,
        land: mask.subarray((zr - rect.r0) * cols, (zr1 - rect.r0) * cols),
        rowLength: cols,
        col0: 0,
        maxValidScale: ctx.maxValidScale,
        // The keys of every overlapped pixel were filled in above (fillOverlapCells), so
        // compositing looks them up in buf.cellKeys (`ownCell`); inOwnCell is not called.
        ownCell: own,
        inOwnCell: (y, x) => buf.cellKeys[y * buf.size + x] === own,
      });
      counts.valid += c.valid;
      counts.invalid += c.invalid;
      counts.contested += c.contested;
      const bandEnd = blocks[i].bandEnd;
      if (bandEnd !== undefined && onRows) await onRows(bandEnd);
    }
    endShard(buf, rects);
    const tileNotes = new Map<number, TileNote>();
    for (const { tile } of opened) {
      const note: TileNote = {};
      if (!someScale.has(tile.index)) note.allNaNScales = true;
      if (tile.mask.bands > 1) note.landmaskBands = tile.mask.bands;
      if (Object.keys(note).length) tileNotes.set(tile.index, note);
    }
    return { failures, counts, badScales, tileNotes };
  } finally {
    for (const { tile } of opened) {
      tile.emb.close();
      tile.scales.close();
      tile.mask.close();
    }
  }
}

/**
 * Fills `buf.cellKeys` for every pixel two or more tiles cover (the only pixels the
 * compositing rule asks the cell of), row run by row run (cell.ts fillCellKeys: a handful of
 * inverse projections per run instead of one per pixel).
 */
function fillOverlapCells(
  buf: ShardBuffer,
  rects: readonly PixelRect[],
  plan: WorkerPlan,
  job: ShardPlan,
): void {
  for (let i = 0; i < rects.length; i++) {
    for (let j = i + 1; j < rects.length; j++) {
      const a = rects[i], b = rects[j];
      const r0 = Math.max(a.r0, b.r0), r1 = Math.min(a.r1, b.r1);
      const c0 = Math.max(a.c0, b.c0), c1 = Math.min(a.c1, b.c1);
      if (r1 <= r0 || c1 <= c0) continue;
      // (Where three or four tiles meet, a few runs are done twice: the same keys.)
      for (let y = r0; y < r1; y++) {
        fillCellKeys(
          plan.geobox,
          plan.zone,
          y + job.rect.r0,
          c0 + job.rect.c0,
          c1 + job.rect.c0,
          buf.cellKeys,
          y * buf.size + c0,
        );
      }
    }
  }
}

/**
 * Of the first `n` scale values, those that are defects (`bad`: not NaN, not valid) and those
 * that are NaN (`nan`: no data).
 */
function countScales(
  scales: Float32Array,
  n: number,
  maxValidScale: number,
): { bad: number; nan: number } {
  let bad = 0, nan = 0;
  for (let i = 0; i < n; i++) {
    const s = scales[i];
    // NaN fails every comparison, so it is neither a defect nor valid: plain no data.
    if (s <= 0 || s >= maxValidScale) bad++;
    else if (s !== s) nan++;
  }
  return { bad, nan };
}

/**
 * Scales of the window rows r0..r1, columns c0..c1 of a tile, as `(r1 - r0) × (c1 - c0)`
 * values in `target`. Legacy (H, W, B) files are reduced per pixel by readScaleRows (whole
 * rows), then the window is picked out.
 */
async function readScaleWindow(
  npy: NpyFile,
  r0: number,
  r1: number,
  c0: number,
  c1: number,
  target: Float32Array,
): Promise<Float32Array> {
  if (npy.shape.length === 2) return await npy.readWindowInto(r0, r1, c0, c1, target);
  const rows = await readScaleRows(npy, r0, r1);
  const width = npy.shape[1], cols = c1 - c0;
  for (let r = 0; r < r1 - r0; r++) {
    target.set(rows.subarray(r * width + c0, r * width + c1), r * cols);
  }
  return target.subarray(0, (r1 - r0) * cols);
}

/** A worker's read buffers: two blocks of embeddings and of scales (see {@link readBuffers}). */
interface ReadBuffers {
  embeddings: Int8Array[];
  scales: Float32Array[];
}

/**
 * The read buffers of a shard buffer's worker, kept between shards: fresh memory costs a page
 * fault per 4 KiB (and garbage to collect) otherwise.
 */
const readBufferCache = new WeakMap<ShardBuffer, ReadBuffers>();

function readBuffers(buf: ShardBuffer, pixels: number, bands: number): ReadBuffers {
  let bufs = readBufferCache.get(buf);
  if (!bufs || bufs.scales[0].length < pixels) {
    const two = <T>(make: () => T) => [make(), make()];
    bufs = {
      embeddings: two(() => new Int8Array(pixels * bands)),
      scales: two(() => new Float32Array(pixels)),
    };
    readBufferCache.set(buf, bufs);
  }
  return bufs;
}

/** The widest piece of the shard, in pixels. */
function maxCols(opened: { rect: PixelRect }[]): number {
  return Math.max(1, ...opened.map((o) => o.rect.c1 - o.rect.c0));
}

/** Opens and validates one tile (lib/tiles/open_tile.ts); throws a TesseraError naming the bad file. */
async function openTile(ctx: AssembleContext, index: number): Promise<OpenTile> {
  const { tiles, grids, bands } = ctx.plan;
  const files = await openTileFiles(ctx.base, tiles[index], grids[index], bands, ctx.spool);
  return { index, emb: files.emb, scales: files.scales, mask: files.mask };
}

function failure(ctx: AssembleContext, index: number, e: unknown): TileFailure {
  return tileFailure(ctx.plan.tiles[index], e);
}
