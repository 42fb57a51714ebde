/**
 * Per-pixel compositing of tile slices into a shard buffer (SPEC §3.4, §4.3). Pure: buffers
 * in, buffers out. Each pixel remembers the class of the tile that wrote it, and a later
 * tile overwrites only with an equal or higher class:
 *
 *   1 invalid (water, nodata, bad scale) < 2 valid < 3 valid and in the tile's own 0.1° cell
 *
 * so a valid pixel always beats an invalid one, the cell that contains the pixel centre beats
 * any other valid tile, and otherwise registry order decides (later wins). The result does
 * not depend on how shards are scheduled: each shard applies its tiles in registry order.
 */
import type { PixelRect } from "./shard_plan.ts";

const INVALID = 1, VALID = 2, VALID_IN_CELL = 3;

/** A shard being assembled: C-order buffers of `size × size` pixels. */
export interface ShardBuffer {
  readonly size: number;
  readonly bands: number;
  /** int8 embeddings, `size × size × bands`, zero where there is no data. */
  readonly embeddings: Int8Array;
  /** float32 scales, NaN where there is no data. */
  readonly scales: Float32Array;
  /** Class of the tile that last wrote each pixel (0 = none). */
  readonly klass: Uint8Array;
  /** How many tiles cover each pixel; the cell test runs only where this exceeds 1. */
  readonly coverage: Uint8Array;
}

/** Allocates a shard buffer (the builder's only large allocation: ~size² × (bands + 6) bytes). */
export function newShardBuffer(size: number, bands: number): ShardBuffer {
  return {
    size,
    bands,
    embeddings: new Int8Array(size * size * bands),
    scales: new Float32Array(size * size).fill(NaN),
    klass: new Uint8Array(size * size),
    coverage: new Uint8Array(size * size),
  };
}

/** Resets a buffer for reuse on the next shard. */
export function resetShardBuffer(b: ShardBuffer): void {
  b.embeddings.fill(0);
  b.scales.fill(NaN);
  b.klass.fill(0);
  b.coverage.fill(0);
}

/** Counts tile coverage of each shard pixel; `rects` are in shard-local pixels. */
export function addCoverage(b: ShardBuffer, rects: readonly PixelRect[]): void {
  for (const r of rects) {
    for (let y = r.r0; y < r.r1; y++) {
      const row = y * b.size;
      for (let x = r.c0; x < r.c1; x++) b.coverage[row + x]++;
    }
  }
}

/** One block of one tile, already read, to composite. */
export interface TileBlock {
  /** Target rectangle in shard-local pixels. */
  readonly rect: PixelRect;
  /** Embeddings of the block's tile rows, `rows × rowLength × bands`, starting at `rect`'s row. */
  readonly embeddings: Int8Array;
  /** Scales of the same rows, `rows × rowLength`. */
  readonly scales: Float32Array;
  /** Landmask of exactly `rect` (rows × cols); undefined means all land. */
  readonly land?: Uint8Array;
  /** Pixels per tile row in `embeddings`/`scales`. */
  readonly rowLength: number;
  /** Tile column of the rect's first column. */
  readonly col0: number;
  /** Largest valid scale (exclusive). */
  readonly maxValidScale: number;
  /** Whether the shard pixel (row, col) lies in this tile's own 0.1° cell. */
  inOwnCell(row: number, col: number): boolean;
}

/** Pixel counts of one composited block, by outcome. */
export interface BlockCounts {
  valid: number;
  invalid: number;
  /** Valid pixels this block lost to, or took from, another tile. */
  contested: number;
}

/**
 * Composites `blk` into `b`.
 *
 * @example
 * compositeBlock(buffer, { rect, embeddings, scales, land, rowLength: 726, col0: 0,
 *   maxValidScale: 1, inOwnCell: () => true });
 */
export function compositeBlock(b: ShardBuffer, blk: TileBlock): BlockCounts {
  const { size, bands, embeddings, scales, klass, coverage } = b;
  const { rect, rowLength, col0, maxValidScale } = blk;
  const cols = rect.c1 - rect.c0;
  const counts: BlockCounts = { valid: 0, invalid: 0, contested: 0 };
  for (let y = rect.r0; y < rect.r1; y++) {
    const srcRow = (y - rect.r0) * rowLength + col0;
    const landRow = (y - rect.r0) * cols;
    const dstRow = y * size;
    // Runs of consecutive winning valid pixels are copied with one `set`.
    let runStart = -1;
    const flush = (end: number) => {
      if (runStart < 0) return;
      const n = end - runStart;
      const src = (srcRow + runStart - rect.c0) * bands;
      embeddings.set(blk.embeddings.subarray(src, src + n * bands), (dstRow + runStart) * bands);
      runStart = -1;
    };
    for (let x = rect.c0; x < rect.c1; x++) {
      const p = dstRow + x;
      const s = blk.scales[srcRow + x - rect.c0];
      const land = blk.land === undefined || blk.land[landRow + x - rect.c0] !== 0;
      const valid = land && s > 0 && s < maxValidScale; // false for NaN and ±inf too
      let k = INVALID;
      if (valid) k = coverage[p] > 1 && blk.inOwnCell(y, x) ? VALID_IN_CELL : VALID;
      if (valid) counts.valid++;
      else counts.invalid++;
      if (k < klass[p]) {
        if (valid) counts.contested++;
        flush(x);
        continue;
      }
      if (valid && klass[p] >= VALID) counts.contested++;
      klass[p] = k;
      if (valid) {
        scales[p] = s;
        if (runStart < 0) runStart = x;
      } else {
        flush(x);
        scales[p] = NaN;
        embeddings.fill(0, p * bands, (p + 1) * bands);
      }
    }
    flush(rect.c1);
  }
  return counts;
}
