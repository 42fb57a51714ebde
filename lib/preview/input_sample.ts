/**
 * The previews' pre-pass over the input tiles: the statistics a preview's stretch and basis are
 * chosen from, read *before* any shard is written (so the build can colour each shard while it
 * is still in memory) and without any store (so the notebooks can compare colourings before a
 * build is committed).
 *
 * It reads one zone row in every {@link INPUT_ROW_STEP_PX} (each tile row is one contiguous
 * read of the `.npy`), composites each row across the tiles that cover it with the builder's
 * own per-pixel rules (lib/builder/composite.ts: validity, landmask, own-cell and registry-order
 * tie-breaks; lib/builder/cell.ts) into a one-row shard buffer, and gathers the builder's own
 * statistics of that row (lib/builder/stats.ts). Rows are merged in order, so the result is
 * deterministic and independent of workers, slices and resumes. With the default row step
 * every candidate of the build's 64-px sample lattice is read: `sample` equals the built
 * store's `stats/sample` exactly, and the sums cover a quarter of the build's 16-px lattice.
 * Tiles that fail to open are skipped, as the build skips them.
 */
import { TesseraError } from "../errors.ts";
import { pixelCellKey, tileCellKey } from "../builder/cell.ts";
import {
  addCoverage,
  compositeBlock,
  endShard,
  NO_CELL,
  resetShardBuffer,
  type ShardBuffer,
} from "../builder/composite.ts";
import { emptyStats, mergeStats, shardStats, type StatsPartial } from "../builder/stats.ts";
import { fullSumProducts, SAMPLE_STEP_PX, STATS_STEP_PX } from "../store/stats_codec.ts";
import type { BuildPlan } from "../plan/build_plan.ts";
import type { PixelRect } from "../grid/pixel_rect.ts";
import { openTileFiles, type TileFiles } from "../tiles/open_tile.ts";
import { DEFAULT_MAX_VALID_SCALE, readScaleRows } from "../tiles/scales.ts";
import { tileName } from "../tiles/layout.ts";
import type { PcaInput } from "./pca.ts";

/** Zone rows between two rows the pre-pass reads: every row of the build's sample lattice. */
export const INPUT_ROW_STEP_PX = SAMPLE_STEP_PX;

/** Options of {@link sampleZoneInput}. */
export interface InputSampleOptions {
  /** Scales at or above this are no data, as in the build (default 1.0). */
  maxValidScale?: number;
  /**
   * Zone rows between rows read: a multiple of 16 (the build's sum lattice); default
   * {@link INPUT_ROW_STEP_PX}. 16 reproduces the build's statistics exactly, at 4× the reads.
   */
  rowStepPx?: number;
  signal?: AbortSignal;
}

/** What the pre-pass found. */
export interface InputSample {
  /** Statistics in the form the RGB stretch and the PCA basis are chosen from. */
  input: PcaInput;
  /** Zone rows read, and the step between them. */
  rows: number;
  rowStepPx: number;
  /** Tile rows read (a zone row crosses every tile that covers it) and their bytes. */
  tileRows: number;
  bytesRead: number;
  /** Lattice pixels (every 16th column of the rows read) by state. */
  pixels: { valid: number; invalid: number; uncovered: number };
  /** Scales of the valid lattice pixels, in row-major order (for scale histograms). */
  scales: Float32Array;
  /** Tiles that could not be opened (skipped, as the build skips them), with the reason. */
  failedTiles: { tile: string; message: string }[];
}

/**
 * Samples the input tiles of one zone (`plan`, with its band count: `withBands`) for the
 * previews: statistics of the composited pixels on every `rowStepPx`-th zone row.
 *
 * @example
 * ```ts
 * const plan = withBands(planZones(tiles)[0], 128);
 * const { input } = await sampleZoneInput(base, plan);
 * const stretch = chooseRgb(input, [0, 1, 2]).stretch;
 * ```
 */
export async function sampleZoneInput(
  base: string,
  plan: BuildPlan,
  opts: InputSampleOptions = {},
): Promise<InputSample> {
  const step = opts.rowStepPx ?? INPUT_ROW_STEP_PX;
  if (!Number.isInteger(step) || step < STATS_STEP_PX || step % STATS_STEP_PX !== 0) {
    throw new TesseraError(
      "BadArgument",
      `the pre-pass row step must be a multiple of ${STATS_STEP_PX} px, got ${step}`,
    );
  }
  const maxValidScale = opts.maxValidScale ?? DEFAULT_MAX_VALID_SCALE;
  const { bands, geobox, placements, tiles } = plan;
  const W = geobox.width;
  const row = rowBuffer(W, bands);
  let total = emptyStats(bands);
  const open = new Map<number, { files: TileFiles; emb: Int8Array }>();
  const failed = new Map<number, string>();
  const scales: number[] = [];
  const out: Omit<InputSample, "input" | "scales" | "failedTiles"> = {
    rows: 0,
    rowStepPx: step,
    tileRows: 0,
    bytesRead: 0,
    pixels: { valid: 0, invalid: 0, uncovered: 0 },
  };
  try {
    for (let r = 0; r < geobox.height; r += step) {
      opts.signal?.throwIfAborted();
      // Tiles covering zone row r, in registry order (the compositing order).
      const covering = placements.filter((p) =>
        p.rowOffsetPx <= r && r < p.rowOffsetPx + p.height && !failed.has(p.index)
      );
      for (const p of covering) {
        if (open.has(p.index) || failed.has(p.index)) continue;
        try {
          const files = await openTileFiles(base, tiles[p.index], plan.grids[p.index], bands);
          open.set(p.index, { files, emb: new Int8Array(p.width * bands) });
        } catch (e) {
          failed.set(p.index, (e as Error).message);
        }
      }
      const usable = covering.filter((p) => open.has(p.index));
      const reads = await Promise.all(usable.map(async (p) => {
        const t = open.get(p.index)!;
        const tr = r - p.rowOffsetPx;
        // One landmask row: only the strips holding the rows read are decoded (a quarter
        // of a 16-row-strip file), not the whole mask.
        const [emb, sc, land] = await Promise.all([
          t.files.emb.readRowsInto(tr, tr + 1, t.emb),
          readScaleRows(t.files.scales, tr, tr + 1),
          t.files.mask.readWindow(tr, tr + 1, 0, p.width),
        ]);
        return { p, t, tr, emb: emb as Int8Array, sc, land };
      }));
      const rects: PixelRect[] = usable.map((p) => colsRect(p.colOffsetPx, p.width, W));
      resetShardBuffer(row);
      addCoverage(row, rects);
      reads.forEach(({ p, emb, sc, land }, i) => {
        out.tileRows++;
        out.bytesRead += emb.byteLength + sc.byteLength;
        const own = tileCellKey(tiles[p.index].lonI, tiles[p.index].latI);
        compositeBlock(row, {
          rect: rects[i],
          embeddings: emb,
          scales: sc,
          land: land.subarray(rects[i].c0 - p.colOffsetPx, rects[i].c1 - p.colOffsetPx),
          rowLength: p.width,
          col0: rects[i].c0 - p.colOffsetPx,
          maxValidScale,
          inOwnCell: (_y, x) => {
            let key = row.cellKeys[x];
            if (key === NO_CELL) key = row.cellKeys[x] = pixelCellKey(geobox, plan.zone, r, x);
            return key === own;
          },
        });
      });
      endShard(row, rects);
      for (let x = 0; x < W; x += STATS_STEP_PX) {
        const s = row.scales[x];
        if (s === s) out.pixels.valid++, scales.push(s);
        else if (row.coverage[x]) out.pixels.invalid++;
        else out.pixels.uncovered++;
      }
      const st: StatsPartial = shardStats(row.embeddings, row.scales, W, bands, r, 0, 1, W, W);
      total = mergeStats(total, st);
      out.rows++;
      // Close the tiles no later row needs.
      for (const p of usable) {
        if (r + step >= p.rowOffsetPx + p.height) {
          open.get(p.index)!.files.close();
          open.delete(p.index);
        }
      }
    }
  } finally {
    for (const t of open.values()) t.files.close();
  }
  return {
    input: {
      bands,
      count: total.count,
      sum: total.sum,
      sumProducts: fullSumProducts(total),
      sample: total.vectors,
    },
    ...out,
    scales: Float32Array.from(scales),
    failedTiles: [...failed].sort((a, b) => a[0] - b[0]).map(([i, message]) => ({
      tile: tileName(tiles[i].lonI, tiles[i].latI),
      message,
    })),
  };
}

/** The zone columns a tile covers, as a one-row rectangle of the row buffer. */
function colsRect(colOffsetPx: number, width: number, zoneWidth: number): PixelRect {
  return {
    r0: 0,
    r1: 1,
    c0: Math.max(0, colOffsetPx),
    c1: Math.min(zoneWidth, colOffsetPx + width),
  };
}

/**
 * A shard buffer one zone row tall and `width` wide (in plain C order: one "chunk" the width
 * of the row), so the builder's compositing and statistics run on it unchanged.
 */
function rowBuffer(width: number, bands: number): ShardBuffer {
  return {
    size: width,
    bands,
    chunkPx: width,
    embeddings: new Int8Array(width * bands),
    scales: new Float32Array(width).fill(NaN),
    klass: new Uint8Array(width),
    coverage: new Uint8Array(width),
    cellKeys: new Int32Array(width).fill(NO_CELL),
    chunkData: new Uint8Array(1),
    dirty: [],
  };
}
