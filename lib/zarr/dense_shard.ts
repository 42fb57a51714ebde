/**
 * Turns one dense, shard-sized buffer into a `sharding_indexed` shard. This is the builder's
 * hot path (a 1024 × 1024 × 128 int8 shard is 128 MiB), so it works on byte runs instead of
 * elements: an inner chunk is a few contiguous runs of the shard buffer (32 runs of 4 KiB for a
 * 32 × 32 × 128 chunk), each checked for fill and copied with one `set`. Uncompressed shards are
 * assembled with a single copy straight into the output.
 */

import { TesseraError } from "../errors.ts";
import { type ChunkCodec, encodeChunk } from "./codecs.ts";
import { byteView, type NumericArray } from "./dtype.ts";
import { type ChunkLocation, encodeShard, encodeShardIndex, shardIndexLength } from "./shard.ts";

/** Input of {@link encodeDenseShard}. */
export interface DenseShardOptions extends ChunkCodec {
  /** The whole shard in C order, edge shards padded to full size with `fill`. */
  readonly data: NumericArray;
  readonly shardShape: readonly number[];
  readonly innerShape: readonly number[];
  /** The array's fill value; inner chunks made only of it are not stored (NaN matches NaN). */
  readonly fill: number;
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
  const { data, fill } = opts;
  const g = chunkGeometry(opts.shardShape, opts.innerShape);
  if (data.length !== g.shardElems) {
    throw new TesseraError(
      "BadArgument",
      `dense shard has ${data.length} elements; shard shape [${opts.shardShape}] ` +
        `needs ${g.shardElems}`,
    );
  }
  const isFillRun = fillTest(data, fill);
  const bytes = byteView(data);
  const bpe = data.BYTES_PER_ELEMENT;
  const runBytes = g.runElems * bpe;
  const chunkBytes = g.chunkElems * bpe;

  const stored = new Uint8Array(g.origins.length); // 1 = holds something other than fill
  let nStored = 0;
  for (let c = 0; c < g.origins.length; c++) {
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

  if (opts.compress === "none") {
    // One copy, straight into the output: no per-chunk buffers, no concatenation.
    const payload = nStored * chunkBytes;
    const out = new Uint8Array(payload + shardIndexLength(g.origins.length));
    const locations: (ChunkLocation | null)[] = new Array(g.origins.length).fill(null);
    let at = 0;
    for (let c = 0; c < g.origins.length; c++) {
      if (!stored[c]) continue;
      locations[c] = { offset: at, nbytes: chunkBytes };
      for (const start of g.runStarts) {
        const from = (g.origins[c] + start) * bpe;
        out.set(bytes.subarray(from, from + runBytes), at);
        at += runBytes;
      }
    }
    out.set(encodeShardIndex(locations), payload);
    return out;
  }

  const scratch = new Uint8Array(chunkBytes);
  const encoded: (Uint8Array | null)[] = new Array(g.origins.length).fill(null);
  for (let c = 0; c < g.origins.length; c++) {
    if (!stored[c]) continue;
    let raw: Uint8Array;
    if (g.runStarts.length === 1) {
      const from = g.origins[c] * bpe;
      raw = bytes.subarray(from, from + chunkBytes);
    } else {
      let at = 0;
      for (const start of g.runStarts) {
        const from = (g.origins[c] + start) * bpe;
        scratch.set(bytes.subarray(from, from + runBytes), at);
        at += runBytes;
      }
      raw = scratch;
    }
    // zstd output is a fresh buffer, so reusing `scratch` for the next chunk is safe.
    encoded[c] = encodeChunk(raw, opts);
  }
  return encodeShard(encoded);
}

/** How a shard buffer splits into inner chunks and contiguous runs, in element units. */
interface ChunkGeometry {
  shardElems: number;
  chunkElems: number;
  /** Elements per contiguous run of an inner chunk. */
  runElems: number;
  /** Start of each run relative to its chunk's origin, in chunk C order. */
  runStarts: number[];
  /** Offset of each inner chunk's first element, inner chunks in C order. */
  origins: number[];
}

function chunkGeometry(shard: readonly number[], inner: readonly number[]): ChunkGeometry {
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
  const runStarts = offsets(inner.slice(0, d), stride);
  const grid = shard.map((s, k) => s / inner[k]);
  const origins = offsets(grid, stride.map((s, k) => s * inner[k]));
  return {
    shardElems: stride[0] * shard[0],
    chunkElems: inner.reduce((a, b) => a * b, 1),
    runElems,
    runStarts,
    origins,
  };
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
function fillTest(data: NumericArray, fill: number): (start: number, count: number) => boolean {
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
    for (let w = (i - lead) / 4; w < wEnd; w++) if (words[w] !== 0) return false;
    for (i = Math.max(i, lead + wEnd * 4); i < end; i++) if (u8[i] !== 0) return false;
    return true;
  };
}
