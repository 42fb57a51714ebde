/**
 * A `sharding_indexed` shard encoded while its buffer is still being filled: the shard is kept
 * in chunk order (dense_shard.ts layout "chunks"), and as soon as a run of inner chunks is
 * final (a chunk row of a shard being assembled top to bottom) their stored bytes can be
 * appended to the shard file, straight from the buffer while it is still in the CPU's caches;
 * the index goes last. The bytes are exactly those of {@link denseShardStream}.
 */
import { TesseraError } from "../errors.ts";
import { encodeChunk } from "./codecs.ts";
import {
  type ChunkGeometry,
  chunkGeometry,
  type DenseShardOptions,
  fillTest,
  STAGING_BYTES,
} from "./dense_shard.ts";
import { byteView } from "./dtype.ts";
import { type ChunkLocation, encodeShardIndex } from "./shard.ts";

/**
 * Encodes a chunk-order shard buffer a run of inner chunks at a time, in C order.
 *
 * @example
 * ```ts
 * const a = new ShardAppender({ data, shardShape, innerShape, fill: 0, compress: "none" });
 * for (const part of a.append(32)) file.write(part); // chunk row 0 of a 32 × 32 grid
 * for (const part of a.append(a.chunkCount)) file.write(part);
 * if (a.storedChunks) file.write(a.index());
 * ```
 */
export class ShardAppender {
  readonly #opts: DenseShardOptions;
  readonly #g: ChunkGeometry;
  readonly #isFill: (start: number, count: number) => boolean;
  readonly #locations: (ChunkLocation | null)[];
  #next = 0;
  #offset = 0;
  #stored = 0;

  /** `opts` as for denseShardStream; the layout is always "chunks". */
  constructor(opts: Omit<DenseShardOptions, "layout">) {
    this.#opts = opts;
    this.#g = chunkGeometry(opts.shardShape, opts.innerShape, "chunks");
    if (opts.data.length !== this.#g.shardElems) {
      throw new TesseraError(
        "BadArgument",
        `dense shard has ${opts.data.length} elements; shard shape [${opts.shardShape}] ` +
          `needs ${this.#g.shardElems}`,
      );
    }
    if (opts.maybeData && opts.maybeData.length !== this.#g.origins.length) {
      throw new TesseraError(
        "BadArgument",
        `maybeData has ${opts.maybeData.length} entries; the shard has ` +
          `${this.#g.origins.length} inner chunks`,
      );
    }
    this.#isFill = fillTest(opts.data, opts.fill);
    this.#locations = new Array(this.#g.origins.length).fill(null);
  }

  /** Inner chunks in the shard. */
  get chunkCount(): number {
    return this.#g.origins.length;
  }

  /** Inner chunks encoded so far (the next one to encode). */
  get nextChunk(): number {
    return this.#next;
  }

  /** Chunks stored so far (not fill). */
  get storedChunks(): number {
    return this.#stored;
  }

  /**
   * Encodes chunks `nextChunk..to-1` and yields their stored bytes in file order: runs of
   * consecutive raw chunks as views of the buffer (up to `maxPart` bytes each, or one chunk
   * if larger), zstd chunks one by one. Each part is valid only until the next is requested:
   * write it out first. The chunks' elements must be final, and so must `maybeData` for them.
   */
  *append(to: number, maxPart = STAGING_BYTES): Generator<Uint8Array, void, undefined> {
    const g = this.#g, data = this.#opts.data, hint = this.#opts.maybeData;
    if (!(Number.isInteger(to) && to >= this.#next && to <= g.origins.length)) {
      throw new TesseraError(
        "BadArgument",
        `cannot append up to chunk ${to}: ${this.#next} of ${g.origins.length} are done`,
      );
    }
    const bytes = byteView(data);
    const chunkBytes = g.chunkElems * data.BYTES_PER_ELEMENT;
    const raw = this.#opts.compress === "none";
    let spanFrom = -1, spanTo = -1;
    for (let c = this.#next; c < to; c++) {
      this.#next = c + 1;
      if ((hint && hint[c] === 0) || this.#isFill(g.origins[c], g.chunkElems)) continue;
      const from = g.origins[c] * data.BYTES_PER_ELEMENT;
      let nbytes = chunkBytes;
      if (raw) {
        if (from !== spanTo || spanTo - spanFrom + chunkBytes > maxPart) {
          if (spanFrom >= 0) yield bytes.subarray(spanFrom, spanTo);
          spanFrom = from;
        }
        spanTo = from + chunkBytes;
      } else {
        const enc = encodeChunk(bytes.subarray(from, from + chunkBytes), this.#opts);
        nbytes = enc.length;
        yield enc;
      }
      this.#locations[c] = { offset: this.#offset, nbytes };
      this.#offset += nbytes;
      this.#stored++;
    }
    if (spanFrom >= 0) yield bytes.subarray(spanFrom, spanTo);
  }

  /** The shard index (with its CRC32C), once every chunk has been appended. */
  index(): Uint8Array {
    if (this.#next !== this.#g.origins.length) {
      throw new TesseraError(
        "BadArgument",
        `the index needs every chunk: ${this.#next} of ${this.#g.origins.length} are done`,
      );
    }
    return encodeShardIndex(this.#locations);
  }
}
