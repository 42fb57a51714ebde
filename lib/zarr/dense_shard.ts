/**
 * Turns one dense, shard-sized buffer into a `sharding_indexed` shard. This is the builder's
 * hot path (a 1024 × 1024 × 128 int8 shard is 128 MiB), so it works on byte runs instead of
 * elements: an inner chunk is a few contiguous runs of the shard buffer (32 runs of 4 KiB for a
 * 32 × 32 × 128 chunk), each checked for fill and copied with one `set`. Uncompressed bytes are
 * copied once, into the output or into a small staging buffer that the caller streams to a
 * file — or not at all when the caller keeps the shard in chunk order (`layout: "chunks"`).
 */

import { TesseraError } from "../errors.ts";
import { type ChunkCodec, encodeChunk } from "./codecs.ts";
import { byteView, type NumericArray } from "./dtype.ts";
import { type ChunkLocation, encodeShardIndex, shardIndexLength } from "./shard.ts";

/** Input of {@link encodeDenseShard}. */
export interface DenseShardOptions extends ChunkCodec {
  /** The whole shard, edge shards padded to full size with `fill`, laid out as `layout`. */
  readonly data: NumericArray;
  readonly shardShape: readonly number[];
  readonly innerShape: readonly number[];
  /** The array's fill value; inner chunks made only of it are not stored (NaN matches NaN). */
  readonly fill: number;
  /**
   * "c" (default): `data` is the shard in C order. "chunks": `data` is already the inner
   * chunks one after another in C order, each in C order, so each chunk is one contiguous
   * range and uncompressed output is written from `data` without copying.
   */
  readonly layout?: "c" | "chunks";
  /**
   * What the caller knows about each inner chunk (C order): 0 = holds only fill, so its bytes
   * need not be examined; anything else = examine it. Without it every chunk is examined. A
   * wrong 0 drops data, so only pass what the writer of `data` knows for certain.
   */
  readonly maybeData?: Uint8Array;
}

/**
 * Encodes a dense shard: cuts `data` into inner chunks (C order), drops those entirely equal to
 * `fill`, encodes the rest with the codec chain and appends the index. Returns null when every
 * inner chunk is fill, i.e. the shard must not be written.
 *
 * @example
 * ```ts
 * const shard = encodeDenseShard({
 *   data: new Int8Array(1024 * 1024 * 128), shardShape: [1024, 1024, 128],
 *   innerShape: [32, 32, 128], fill: 0, compress: "none",
 * }); // null: all zeros
 * ```
 */
export function encodeDenseShard(opts: DenseShardOptions): Uint8Array | null {
  const stream = denseShardStream(opts);
  if (!stream) return null;
  if (stream.byteLength !== undefined) {
    // Uncompressed: `out` serves as the staging buffer, so gathered chunks land in place
    // (one copy); parts that come straight from `data` (contiguous chunks) are copied in.
    const out = new Uint8Array(stream.byteLength);
    let at = 0;
    for (const p of stream.parts(out)) {
      if (p.buffer !== out.buffer) out.set(p, at);
      at += p.length;
    }
    return out;
  }
  const parts: Uint8Array[] = [];
  for (const p of stream.parts(new Uint8Array(STAGING_BYTES))) parts.push(p.slice());
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Staging size that suits file writes: large writes cost more per byte than 4 MiB ones. */
export const STAGING_BYTES = 4 * 2 ** 20;

/** A dense shard cut into inner chunks, ready to be streamed out. */
export interface DenseShardStream {
  /** Inner chunks that hold something other than fill (and will be stored). */
  readonly storedChunks: number;
  /** Total bytes of the encoded shard when known in advance (uncompressed), else undefined. */
  readonly byteLength?: number;
  /**
   * Yields the encoded shard in order, packed into `staging`: each yielded part is a view of
   * `staging` (or, for contiguous chunks, of `data`), valid only until the next part is
   * requested — write it out before continuing.
   */
  parts(staging: Uint8Array): Generator<Uint8Array, void, undefined>;
}

/**
 * The streaming form of {@link encodeDenseShard}: the same bytes, produced a staging buffer
 * at a time, so a 128 MiB shard is written without a 128 MiB output allocation (fresh memory
 * costs a page fault per 4 KiB) or one huge write call. Null when every inner chunk is fill.
 *
 * @example
 * ```ts
 * const s = denseShardStream({ data, shardShape, innerShape, fill: 0, compress: "none" });
 * if (s) for (const part of s.parts(new Uint8Array(STAGING_BYTES))) await file.write(part);
 * ```
 */
export function denseShardStream(opts: DenseShardOptions): DenseShardStream | null {
  const { data, fill } = opts;
  const g = chunkGeometry(opts.shardShape, opts.innerShape, opts.layout ?? "c");
  if (data.length !== g.shardElems) {
    throw new TesseraError(
      "BadArgument",
      `dense shard has ${data.length} elements; shard shape [${opts.shardShape}] ` +
        `needs ${g.shardElems}`,
    );
  }
  const isFillRun = fillTest(data, fill);
  const stored = new Uint8Array(g.origins.length); // 1 = holds something other than fill
  const hint = opts.maybeData;
  if (hint && hint.length !== g.origins.length) {
    throw new TesseraError(
      "BadArgument",
      `maybeData has ${hint.length} entries; the shard has ${g.origins.length} inner chunks`,
    );
  }
  let nStored = 0;
  for (let c = 0; c < g.origins.length; c++) {
    if (hint && hint[c] === 0) continue;
    const origin = g.origins[c];
    for (const start of g.runStarts) {
      if (!isFillRun(origin + start, g.runElems)) {
        stored[c] = 1;
        nStored++;
        break;
      }
    }
  }
  if (nStored === 0) return null;
  const chunkBytes = g.chunkElems * data.BYTES_PER_ELEMENT;
  const raw = opts.compress === "none";
  return {
    storedChunks: nStored,
    byteLength: raw ? nStored * chunkBytes + shardIndexLength(g.origins.length) : undefined,
    parts: (staging) =>
      raw && staging.length >= chunkBytes
        ? rawParts(staging, data, g, stored)
        : pack(staging, shardPieces(data, g, stored, opts)),
  };
}

/**
 * Uncompressed shards. Where each chunk is one contiguous range of `data` (chunk layout),
 * runs of consecutive stored chunks are yielded straight from `data`, up to `staging.length`
 * bytes at a time: no copy at all. Otherwise each stored chunk's runs are gathered into
 * `staging` (whole chunks only, so no per-run bookkeeping). The index comes last.
 */
function* rawParts(
  staging: Uint8Array,
  data: NumericArray,
  g: ChunkGeometry,
  stored: Uint8Array,
): Generator<Uint8Array, void, undefined> {
  const bytes = byteView(data);
  const bpe = data.BYTES_PER_ELEMENT;
  const runBytes = g.runElems * bpe;
  const chunkBytes = g.chunkElems * bpe;
  const locations: (ChunkLocation | null)[] = new Array(g.origins.length).fill(null);
  const contiguous = g.runStarts.length === 1;
  let at = 0, offset = 0;
  let spanFrom = -1, spanTo = -1; // bytes of `data` pending as one part (contiguous only)
  for (let c = 0; c < g.origins.length; c++) {
    if (!stored[c]) continue;
    locations[c] = { offset, nbytes: chunkBytes };
    offset += chunkBytes;
    if (contiguous) {
      const from = g.origins[c] * bpe;
      if (from !== spanTo || spanTo - spanFrom + chunkBytes > staging.length) {
        if (spanFrom >= 0) yield bytes.subarray(spanFrom, spanTo);
        spanFrom = from;
      }
      spanTo = from + chunkBytes;
      continue;
    }
    if (at + chunkBytes > staging.length) {
      yield staging.subarray(0, at);
      at = 0;
    }
    for (const start of g.runStarts) {
      const from = (g.origins[c] + start) * bpe;
      staging.set(bytes.subarray(from, from + runBytes), at);
      at += runBytes;
    }
  }
  if (spanFrom >= 0) yield bytes.subarray(spanFrom, spanTo);
  const index = encodeShardIndex(locations);
  // (Contiguous chunks never went through `staging`, so the index goes out on its own.)
  if (!contiguous && at + index.length <= staging.length) {
    staging.set(index, at);
    yield staging.subarray(0, at + index.length);
    return;
  }
  if (at > 0) yield staging.subarray(0, at);
  yield index;
}

/** The shard's byte pieces in file order: each stored chunk (encoded, or as runs), then the index. */
function* shardPieces(
  data: NumericArray,
  g: ChunkGeometry,
  stored: Uint8Array,
  codec: ChunkCodec,
): Generator<Uint8Array, void, undefined> {
  const bytes = byteView(data);
  const bpe = data.BYTES_PER_ELEMENT;
  const runBytes = g.runElems * bpe;
  const chunkBytes = g.chunkElems * bpe;
  const locations: (ChunkLocation | null)[] = new Array(g.origins.length).fill(null);
  const scratch = codec.compress === "none" || g.runStarts.length === 1
    ? undefined
    : new Uint8Array(chunkBytes);
  let at = 0;
  for (let c = 0; c < g.origins.length; c++) {
    if (!stored[c]) continue;
    if (codec.compress === "none") {
      // Raw chunks go out as their runs, straight from the dense buffer into staging.
      for (const start of g.runStarts) {
        const from = (g.origins[c] + start) * bpe;
        yield bytes.subarray(from, from + runBytes);
      }
      locations[c] = { offset: at, nbytes: chunkBytes };
      at += chunkBytes;
      continue;
    }
    let raw: Uint8Array;
    if (!scratch) {
      const from = g.origins[c] * bpe;
      raw = bytes.subarray(from, from + chunkBytes);
    } else {
      let o = 0;
      for (const start of g.runStarts) {
        const from = (g.origins[c] + start) * bpe;
        scratch.set(bytes.subarray(from, from + runBytes), o);
        o += runBytes;
      }
      raw = scratch;
    }
    // zstd output is a fresh buffer, so reusing `scratch` for the next chunk is safe.
    const enc = encodeChunk(raw, codec);
    locations[c] = { offset: at, nbytes: enc.length };
    at += enc.length;
    yield enc;
  }
  yield encodeShardIndex(locations);
}

/** Copies `pieces` into `staging`, yielding it each time it is full and once at the end. */
function* pack(
  staging: Uint8Array,
  pieces: Iterable<Uint8Array>,
): Generator<Uint8Array, void, undefined> {
  if (staging.length === 0) {
    throw new TesseraError("BadArgument", "staging buffer must not be empty");
  }
  let at = 0;
  for (const p of pieces) {
    for (let off = 0; off < p.length;) {
      const n = Math.min(p.length - off, staging.length - at);
      staging.set(n === p.length ? p : p.subarray(off, off + n), at);
      at += n;
      off += n;
      if (at === staging.length) {
        yield staging;
        at = 0;
      }
    }
  }
  if (at > 0) yield staging.subarray(0, at);
}

/** How a shard buffer splits into inner chunks and contiguous runs, in element units. */
export interface ChunkGeometry {
  shardElems: number;
  chunkElems: number;
  /** Elements per contiguous run of an inner chunk. */
  runElems: number;
  /** Start of each run relative to its chunk's origin, in chunk C order. */
  runStarts: number[];
  /** Offset of each inner chunk's first element, inner chunks in C order. */
  origins: number[];
}

/** The inner chunks and runs of a `shard`-shaped buffer in `layout` (shard_appender.ts too). */
export function chunkGeometry(
  shard: readonly number[],
  inner: readonly number[],
  layout: "c" | "chunks",
): ChunkGeometry {
  const n = shard.length;
  if (n === 0 || inner.length !== n) {
    throw new TesseraError(
      "BadArgument",
      `shard shape [${shard}] and inner shape [${inner}] must have the same, non-zero rank`,
    );
  }
  for (let k = 0; k < n; k++) {
    if (
      !Number.isInteger(shard[k]) || !Number.isInteger(inner[k]) || inner[k] < 1 ||
      shard[k] < 1 || shard[k] % inner[k] !== 0
    ) {
      throw new TesseraError(
        "BadArgument",
        `inner shape [${inner}] must divide shard shape [${shard}] exactly`,
      );
    }
  }
  const stride = new Array<number>(n);
  stride[n - 1] = 1;
  for (let k = n - 2; k >= 0; k--) stride[k] = stride[k + 1] * shard[k + 1];

  // Trailing dimensions the inner chunk spans completely merge into one longer run.
  let d = n - 1;
  let runElems = inner[d];
  while (d > 0 && inner[d] === shard[d]) {
    d--;
    runElems *= inner[d];
  }
  const chunkElems = inner.reduce((a, b) => a * b, 1);
  const grid = shard.map((s, k) => s / inner[k]);
  if (layout === "chunks") {
    const nChunks = grid.reduce((a, b) => a * b, 1);
    return {
      shardElems: stride[0] * shard[0],
      chunkElems,
      runElems: chunkElems,
      runStarts: [0],
      origins: Array.from({ length: nChunks }, (_, c) => c * chunkElems),
    };
  }
  const runStarts = offsets(inner.slice(0, d), stride);
  const origins = offsets(grid, stride.map((s, k) => s * inner[k]));
  return { shardElems: stride[0] * shard[0], chunkElems, runElems, runStarts, origins };
}

/** Offsets `Σ index[k]·stride[k]` of every index tuple over `extent`, in C order. */
function offsets(extent: readonly number[], stride: readonly number[]): number[] {
  let out = [0];
  for (let k = 0; k < extent.length; k++) {
    const next: number[] = [];
    for (const base of out) {
      for (let i = 0; i < extent[k]; i++) next.push(base + i * stride[k]);
    }
    out = next;
  }
  return out;
}

/** A predicate "elements [start, start+count) all equal the fill", tuned to the fill kind. */
export function fillTest(
  data: NumericArray,
  fill: number,
): (start: number, count: number) => boolean {
  const isFloat = data instanceof Float32Array || data instanceof Float64Array;
  if (Number.isNaN(fill)) {
    if (!isFloat) throw new TesseraError("BadArgument", "a NaN fill needs a float array");
    const f = data as Float32Array | Float64Array;
    return (start, count) => {
      for (let i = start, end = start + count; i < end; i++) if (f[i] === f[i]) return false;
      return true;
    };
  }
  const Ctor = data.constructor as new (values: number[]) => NumericArray;
  if (new Ctor([fill])[0] !== fill) {
    throw new TesseraError(
      "BadArgument",
      `fill ${fill} is not representable in ${Ctor.name}`,
    );
  }
  if (Object.is(fill, 0)) return zeroTest(data);
  return (start, count) => {
    for (let i = start, end = start + count; i < end; i++) if (data[i] !== fill) return false;
    return true;
  };
}

/**
 * Fill 0 is all-zero bytes, so compare four bytes at a time through one Uint32 view of the
 * whole buffer (created once: a view per run would cost more than the check).
 */
function zeroTest(data: NumericArray): (start: number, count: number) => boolean {
  const bpe = data.BYTES_PER_ELEMENT;
  const u8 = byteView(data);
  const lead = (4 - (data.byteOffset % 4)) % 4; // bytes before the first aligned word
  const words = new Uint32Array(
    data.buffer,
    data.byteOffset + lead,
    Math.max(0, Math.floor((data.byteLength - lead) / 4)),
  );
  return (start, count) => {
    let i = start * bpe;
    const end = (start + count) * bpe;
    while (i < end && (i < lead || (i - lead) % 4 !== 0)) if (u8[i++] !== 0) return false;
    const wEnd = Math.floor((end - lead) / 4);
    let w = (i - lead) / 4;
    // Eight words per test: an all-zero run (the common case for water) scans ~2× faster.
    for (; w + 8 <= wEnd; w += 8) {
      const or = words[w] | words[w + 1] | words[w + 2] | words[w + 3] | words[w + 4] |
        words[w + 5] | words[w + 6] | words[w + 7];
      if (or !== 0) return false;
    }
    for (; w < wEnd; w++) if (words[w] !== 0) return false;
    for (i = Math.max(i, lead + wEnd * 4); i < end; i++) if (u8[i] !== 0) return false;
    return true;
  };
}
