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
 *
 * Embeddings are kept in inner-chunk order (see ShardBuffer.chunkPx), so the encoder writes
 * stored chunks straight from this buffer instead of gathering 4 KiB runs into a copy.
 */
import type { PixelRect } from "../plan/shard_plan.ts";

const INVALID = 1, VALID = 2, VALID_IN_CELL = 3;

/** A shard being assembled: buffers of `size × size` pixels. */
export interface ShardBuffer {
  readonly size: number;
  readonly bands: number;
  /**
   * Edge of the embeddings' inner chunks: `embeddings` holds the chunks one after another in
   * C order, each `chunkPx × chunkPx × bands` in C order (= the shard in C order when it
   * equals `size`). Use {@link pixelIndex} to find a pixel.
   */
  readonly chunkPx: number;
  /** int8 embeddings, `size × size × bands` in chunk order, zero where there is no data. */
  readonly embeddings: Int8Array;
  /** float32 scales, C order, NaN where there is no data. */
  readonly scales: Float32Array;
  /** Class of the tile that last wrote each pixel (0 = none). */
  readonly klass: Uint8Array;
  /** How many tiles cover each pixel; the cell test runs only where this exceeds 1. */
  readonly coverage: Uint8Array;
  /** Memo of each pixel's 0.1° cell key (NO_CELL = not computed yet) for overlapping tiles. */
  readonly cellKeys: Int32Array;
  /**
   * 1 for each embeddings inner chunk (`chunkPx` grid, C order) where this shard took a valid
   * pixel; a chunk left at 0 holds only fill (zero embeddings, NaN scales), so the encoder
   * need not look at its bytes.
   */
  readonly chunkData: Uint8Array;
  /**
   * Rectangles holding data from the last shard (everything else is fill), or null when
   * unknown (an assembly failed half way): what {@link beginShard} must clear.
   */
  dirty: PixelRect[] | null;
}

/** Marks a cellKeys entry not computed yet; no real key is this large. */
export const NO_CELL = 0x7fffffff;

/**
 * Allocates a shard buffer (the builder's only large allocation: ~size² × (bands + 10) bytes)
 * whose embeddings are in chunks of `chunkPx` (default: one chunk, i.e. plain C order).
 */
export function newShardBuffer(size: number, bands: number, chunkPx = size): ShardBuffer {
  if (!(chunkPx >= 1 && size % chunkPx === 0)) {
    throw new RangeError(`chunk edge ${chunkPx} must divide the shard edge ${size}`);
  }
  return {
    size,
    bands,
    chunkPx,
    embeddings: new Int8Array(size * size * bands),
    scales: new Float32Array(size * size).fill(NaN),
    klass: new Uint8Array(size * size),
    coverage: new Uint8Array(size * size),
    cellKeys: new Int32Array(size * size).fill(NO_CELL),
    chunkData: new Uint8Array((size / chunkPx) ** 2),
    dirty: [],
  };
}

/**
 * Position of pixel (row, col) in `b.embeddings`, in pixels (multiply by `b.bands`).
 *
 * @example
 * const p = pixelIndex(buf, 40, 7); // buf.embeddings[p * buf.bands + band]
 */
export function pixelIndex(b: ShardBuffer, row: number, col: number): number {
  const c = b.chunkPx;
  const cr = Math.floor(row / c), cc = Math.floor(col / c);
  return ((cr * (b.size / c) + cc) * c + (row - cr * c)) * c + (col - cc * c);
}

/**
 * Sets the embeddings of pixels (row, c0..c1-1) to `value`, chunk row by chunk row, skipping
 * chunks that `only` marks 0 (when given).
 */
function fillRow(
  b: ShardBuffer,
  row: number,
  c0: number,
  c1: number,
  value: number,
  only?: Uint8Array,
): void {
  const c = b.chunkPx;
  const chunkRow = Math.floor(row / c) * (b.size / c);
  for (let x = c0; x < c1;) {
    const end = Math.min(c1, (Math.floor(x / c) + 1) * c);
    if (only === undefined || only[chunkRow + Math.floor(x / c)] !== 0) {
      const p = pixelIndex(b, row, x);
      b.embeddings.fill(value, p * b.bands, (p + end - x) * b.bands);
    }
    x = end;
  }
}

/** Resets a whole buffer to fill (see {@link beginShard} for the cheap per-shard reset). */
export function resetShardBuffer(b: ShardBuffer): void {
  b.embeddings.fill(0);
  b.scales.fill(NaN);
  b.klass.fill(0);
  b.coverage.fill(0);
  b.cellKeys.fill(NO_CELL);
  b.chunkData.fill(0);
  b.dirty = [];
}

/**
 * Prepares `b` for a shard whose tiles cover `rects` (shard-local pixels): sets the coverage
 * counts and clears what the previous shard left outside `rects`. Pixels inside `rects` are
 * not cleared, because compositing writes every one of them (each covering tile writes its
 * class, scale and embedding or zeros unless an earlier tile of the same shard outranks it);
 * that skips most of the 128 MiB clear per shard. Call {@link endShard} after the last block.
 */
export function beginShard(b: ShardBuffer, rects: readonly PixelRect[]): void {
  const { size, coverage, scales } = b;
  b.klass.fill(0);
  b.coverage.fill(0);
  b.cellKeys.fill(NO_CELL);
  addCoverage(b, rects);
  // After a complete shard, its chunks without a valid pixel hold only zero embeddings (every
  // pixel there was zeroed or cleared), so only chunks that took data need clearing.
  const only = b.dirty ? b.chunkData.slice() : undefined;
  const stale = b.dirty ?? [{ r0: 0, r1: size, c0: 0, c1: size }];
  b.dirty = null; // until endShard: a failure half way leaves the contents unknown
  b.chunkData.fill(0);
  for (const r of stale) {
    for (let y = r.r0; y < r.r1; y++) clearUncovered(b, coverage, scales, y, r.c0, r.c1, only);
  }
}

/**
 * Clears pixels (y, c0..c1-1) that no tile of the shard covers. (The loops over pixels live
 * in small functions like this one, called per row, so V8 optimises them as functions rather
 * than entering and leaving on-stack-replaced loops a thousand times per shard.)
 */
function clearUncovered(
  b: ShardBuffer,
  coverage: Uint8Array,
  scales: Float32Array,
  y: number,
  c0: number,
  c1: number,
  only: Uint8Array | undefined,
): void {
  const row = y * b.size;
  for (let x = c0; x < c1;) {
    if (coverage[row + x] !== 0) {
      x++;
      continue;
    }
    const start = x;
    while (x < c1 && coverage[row + x] === 0) x++;
    fillRow(b, y, start, x, 0, only);
    scales.fill(NaN, row + start, row + x);
  }
}

/** Records that every block of the shard begun with `rects` was composited. */
export function endShard(b: ShardBuffer, rects: readonly PixelRect[]): void {
  b.dirty = rects.map((r) => ({ ...r }));
}

/** Counts tile coverage of each shard pixel; `rects` are in shard-local pixels. */
export function addCoverage(b: ShardBuffer, rects: readonly PixelRect[]): void {
  for (const r of rects) {
    for (let y = r.r0; y < r.r1; y++) countRow(b.coverage, y * b.size + r.c0, y * b.size + r.c1);
  }
}

function countRow(coverage: Uint8Array, from: number, to: number): void {
  for (let p = from; p < to; p++) coverage[p]++;
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
  /**
   * The tile's own cell key (cell.ts tileCellKey), when the shard buffer's `cellKeys` hold the
   * key of every pixel two tiles cover: then that is looked up and `inOwnCell` is not called.
   */
  readonly ownCell?: number;
}

/** Pixel counts of one composited block, by outcome. */
export interface BlockCounts {
  valid: number;
  invalid: number;
  /** Valid pixels this block lost to, or took from, another tile. */
  contested: number;
}

/**
 * Composites `blk` into `b`. Works a chunk row at a time: within one inner chunk a row's
 * pixels are contiguous in `b.embeddings`, so the embeddings of each run of pixels with the
 * same outcome (taken, zeroed, kept) move with one `set` or `fill` — a whole 32-pixel run as
 * one 4 KiB copy — while the per-pixel loop touches only scales, class and coverage.
 *
 * @example
 * compositeBlock(buffer, { rect, embeddings, scales, land, rowLength: 726, col0: 0,
 *   maxValidScale: 1, inOwnCell: () => true });
 */
export function compositeBlock(b: ShardBuffer, blk: TileBlock): BlockCounts {
  const { rect, rowLength, col0 } = blk;
  const cols = rect.c1 - rect.c0;
  const counts: BlockCounts = { valid: 0, invalid: 0, contested: 0 };
  for (let y = rect.r0; y < rect.r1; y++) {
    // Source pixel of shard column x: srcRow + x; its landmask value: landRow + x.
    const srcRow = (y - rect.r0) * rowLength + col0 - rect.c0;
    compositeRow(b, blk, counts, y, srcRow, (y - rect.r0) * cols - rect.c0);
  }
  return counts;
}

/**
 * Composites row y of `blk` (shard columns rect.c0..c1-1), adding to `counts`: one inner chunk
 * at a time, within which the row's pixels are contiguous; embeddings move a run at a time.
 */
function compositeRow(
  b: ShardBuffer,
  blk: TileBlock,
  counts: BlockCounts,
  y: number,
  srcRow: number,
  landRow: number,
): void {
  const { embeddings, scales, klass, coverage, cellKeys, bands, chunkPx, chunkData } = b;
  const { maxValidScale, land, ownCell, rect } = blk;
  const srcEmb = blk.embeddings, srcScales = blk.scales;
  const dstRow = y * b.size;
  const cr = (y / chunkPx) | 0;
  const chunkRow = cr * (b.size / chunkPx);
  let valid = 0, invalid = 0, contested = 0;
  for (let x0 = rect.c0; x0 < rect.c1;) {
    const cc = (x0 / chunkPx) | 0;
    const x1 = Math.min(rect.c1, (cc + 1) * chunkPx);
    const chunk = chunkRow + cc;
    // Pixel index in `embeddings` of shard column x in this chunk row: base + x.
    const base = ((chunk * chunkPx + y - cr * chunkPx) * chunkPx) - cc * chunkPx;
    let runStart = x0, runKind = KEEP, took = false;
    for (let x = x0; x < x1; x++) {
      const p = dstRow + x;
      const s = srcScales[srcRow + x];
      // false for NaN and ±inf too
      const ok = (land === undefined || land[landRow + x] !== 0) && s > 0 && s < maxValidScale;
      let kind = KEEP;
      if (ok) {
        valid++;
        let k = VALID;
        if (coverage[p] > 1) {
          const own = ownCell === undefined ? blk.inOwnCell(y, x) : cellKeys[p] === ownCell;
          if (own) k = VALID_IN_CELL;
        }
        const old = klass[p];
        if (k < old) contested++;
        else {
          if (old >= VALID) contested++;
          klass[p] = k;
          scales[p] = s;
          kind = TAKE;
          took = true;
        }
      } else {
        invalid++;
        if (klass[p] <= INVALID) {
          klass[p] = INVALID;
          scales[p] = NaN;
          kind = ZERO;
        }
      }
      if (kind !== runKind) {
        moveRun(
          runKind,
          embeddings,
          srcEmb,
          bands,
          base + runStart,
          srcRow + runStart,
          x - runStart,
        );
        runKind = kind;
        runStart = x;
      }
    }
    moveRun(runKind, embeddings, srcEmb, bands, base + runStart, srcRow + runStart, x1 - runStart);
    if (took) chunkData[chunk] = 1;
    x0 = x1;
  }
  counts.valid += valid;
  counts.invalid += invalid;
  counts.contested += contested;
}

const KEEP = 0, TAKE = 1, ZERO = 2;

/** Applies one run of `n` pixels: copies source pixels from `srcPx` (TAKE) or zeroes (ZERO). */
function moveRun(
  kind: number,
  dst: Int8Array,
  src: Int8Array,
  bands: number,
  dstPx: number,
  srcPx: number,
  n: number,
): void {
  if (n === 0 || kind === KEEP) return;
  if (kind === TAKE) dst.set(src.subarray(srcPx * bands, (srcPx + n) * bands), dstPx * bands);
  else dst.fill(0, dstPx * bands, (dstPx + n) * bands);
}
