/**
 * Our own minimal reader of one `sharding_indexed` array (index at the end, CRC32C; the layout
 * lib/zarr/shard.ts writes) over any {@link Storage} — HTTP for the read API, a local directory
 * (FsStorage) for the preview workers. A shard's index is fetched with ONE suffix range request
 * (shard_index.ts), checked, and kept in a bounded LRU (absent shards too, so a second look
 * costs nothing); then only the inner chunks asked for are range-requested — neighbouring ones
 * coalesced into one request — decoded with our codecs and kept in the byte-bounded chunk
 * cache, or only the bytes of a chunk asked for ({@link ShardReader.chunkSlice}). Concurrent
 * requests for the same index or chunk share one fetch. Both caches are bounded (zero-sized
 * ones keep nothing), so a reader that walks a whole zone holds what its caches hold, not
 * every index it has seen.
 */
import { TesseraError } from "../errors.ts";
import { decodeChunk } from "../zarr/codecs.ts";
import { itemSize } from "../zarr/dtype.ts";
import { type ArrayLayout, arrayLayout, type ArrayMetadata, chunkKey } from "../zarr/metadata.ts";
import { shardIndexLength } from "../zarr/shard.ts";
import { type ChunkCache, chunkCache } from "./cache.ts";
import { type ChunkRequest, planRuns } from "./chunk_runs.ts";
import { type IndexCache, indexCache, readShardIndex, type ShardIndex } from "./shard_index.ts";
import { isAbort, type Storage } from "./storage.ts";

export { type IndexCache, indexCache, type ShardIndex } from "./shard_index.ts";
export { type ChunkRequest, planRuns } from "./chunk_runs.ts";

/** Options of {@link ShardReader}. */
export interface ShardReaderOptions {
  /** Decoded-chunk cache (default: a private 256 MiB one). */
  cache?: ChunkCache;
  /** Shard-index cache (default: a private 32 MiB one). */
  indexes?: IndexCache;
  /** Distinguishes stores that share caches (default: a random id). */
  cacheId?: string;
  /** Chunks at most this many bytes apart are fetched in one request (default 64 KiB). */
  maxGapBytes?: number;
  /** Upper bound of one coalesced request (default 16 MiB). */
  maxRequestBytes?: number;
}

interface Shared<T> {
  promise: Promise<T>;
  signal?: AbortSignal;
}

/**
 * Reads shard indexes and inner chunks of one sharded array.
 *
 * @example
 * ```ts
 * const meta = JSON.parse(new TextDecoder().decode(await storage.get("scales/zarr.json")));
 * const scales = new ShardReader(storage, "scales", meta);
 * const [chunk] = await scales.chunks([0, 0], [0]); // raw LE bytes of inner chunk 0, or null
 * ```
 */
export class ShardReader {
  readonly storage: Storage;
  /** Array path inside the store, e.g. "embeddings". */
  readonly array: string;
  readonly layout: ArrayLayout;
  /** Shard (outer chunk) and inner chunk shapes. */
  readonly shardShape: readonly number[];
  readonly innerShape: readonly number[];
  /** Inner chunks per shard along each dimension, and in all. */
  readonly innerPerShard: readonly number[];
  readonly nInner: number;
  /** Shards along each dimension. */
  readonly shardGrid: readonly number[];
  /** Decoded size of one inner chunk in bytes. */
  readonly chunkBytes: number;
  /** Bytes fetched for one shard index (16·nInner + 4). */
  readonly indexBytes: number;
  readonly cache: ChunkCache;
  readonly indexes: IndexCache;
  readonly #id: string;
  readonly #maxGap: number;
  readonly #maxRequest: number;
  readonly #indexInflight = new Map<string, Shared<ShardIndex | null>>();
  readonly #chunkInflight = new Map<string, Shared<Uint8Array>>();

  constructor(storage: Storage, array: string, meta: ArrayMetadata, opts: ShardReaderOptions = {}) {
    const codec = meta.codecs?.[0];
    const cfg = codec?.configuration as {
      index_location?: string;
      index_codecs?: { name: string; configuration?: { endian?: string } }[];
    };
    const ic = cfg?.index_codecs ?? [];
    const indexOk = ic.length === 2 && ic[0].name === "bytes" &&
      (ic[0].configuration?.endian ?? "little") === "little" && ic[1].name === "crc32c";
    if (
      meta.codecs?.length !== 1 || codec.name !== "sharding_indexed" ||
      (cfg.index_location ?? "end") !== "end" || !indexOk
    ) {
      throw new TesseraError(
        "BadStore",
        `${array}: expected sharding_indexed with a CRC32C index at the end, got ` +
          JSON.stringify(meta.codecs),
      );
    }
    this.storage = storage;
    this.array = array;
    this.layout = arrayLayout(meta);
    this.shardShape = this.layout.chunkShape;
    this.innerShape = this.layout.innerChunkShape!;
    this.innerPerShard = this.shardShape.map((s, k) => s / this.innerShape[k]);
    this.nInner = this.innerPerShard.reduce((a, b) => a * b, 1);
    this.shardGrid = this.layout.shape.map((n, k) => Math.ceil(n / this.shardShape[k]));
    this.chunkBytes = this.innerShape.reduce((a, b) => a * b, 1) * itemSize(this.layout.dataType);
    this.indexBytes = shardIndexLength(this.nInner);
    this.cache = opts.cache ?? chunkCache();
    this.indexes = opts.indexes ?? indexCache();
    this.#id = opts.cacheId ?? crypto.randomUUID();
    this.#maxGap = opts.maxGapBytes ?? 64 * 1024;
    this.#maxRequest = opts.maxRequestBytes ?? 16 * 2 ** 20;
  }

  /** Store key of a shard, e.g. "embeddings/c/0/1/0". */
  shardKey(shard: readonly number[]): string {
    return chunkKey(this.array, shard);
  }

  /** C-order index within its shard of the inner chunk at inner-grid coordinates `inner`. */
  innerIndex(inner: readonly number[]): number {
    let i = 0;
    for (let k = 0; k < inner.length; k++) i = i * this.innerPerShard[k] + inner[k];
    return i;
  }

  /**
   * The index of a shard, or null when the shard does not exist (all fill). Costs one suffix
   * range request the first time, nothing afterwards while it stays cached.
   */
  index(shard: readonly number[], signal?: AbortSignal): Promise<ShardIndex | null> {
    const key = this.shardKey(shard);
    const ck = `${this.#id}|${key}`;
    if (this.indexes.has(ck)) return Promise.resolve(this.indexes.get(ck)!);
    return this.#shared(this.#indexInflight, ck, signal, async (s) => {
      const index = await readShardIndex(this.storage, key, this.nInner, { signal: s });
      this.indexes.set(ck, index);
      return index;
    });
  }

  /**
   * Decoded raw (little-endian, C-order) bytes of inner chunks `chunks` of `shard`, in the
   * same order; null for a chunk that is absent (all fill) or in an absent shard. Each chunk
   * not cached is fetched once, neighbours in one request. With `store: false` fetched chunks
   * are not put in the cache (a large region read would only flush it) and are returned as
   * views of the request's buffer, without a copy.
   */
  async chunks(
    shard: readonly number[],
    chunks: readonly number[],
    signal?: AbortSignal,
    opts: { store?: boolean } = {},
  ): Promise<(Uint8Array | null)[]> {
    const store = opts.store ?? true;
    const out: (Uint8Array | null)[] = new Array(chunks.length).fill(null);
    const index = await this.index(shard, signal);
    if (!index) return out;
    const wanted = new Map<number, number[]>();
    chunks.forEach((c, k) => {
      if (!(c >= 0 && c < this.nInner)) {
        throw new TesseraError("BadArgument", `${this.array}: no inner chunk ${c} in a shard`);
      }
      if (index[2 * c] < 0) return;
      const hit = this.cache.get(this.#chunkCacheKey(shard, c));
      if (hit) out[k] = hit;
      else wanted.set(c, [...(wanted.get(c) ?? []), k]);
    });
    if (wanted.size === 0) return out;
    const waits: Promise<void>[] = [];
    const fetchNow: (ChunkRequest & { key: string; at: number[] })[] = [];
    for (const [c, at] of wanted) {
      const key = this.#chunkCacheKey(shard, c);
      const running = this.#chunkInflight.get(key);
      if (running) {
        waits.push(
          this.#awaitChunk(shard, c, key, running, signal).then((v) => {
            for (const k of at) out[k] = v;
          }),
        );
      } else {
        fetchNow.push({ chunk: c, offset: index[2 * c], nbytes: index[2 * c + 1], key, at });
      }
    }
    const shardKey = this.shardKey(shard);
    for (const run of planRuns(fetchNow, this.#maxGap, this.#maxRequest)) {
      const decoded = this.#fetchRun(shardKey, run, store, signal);
      run.items.forEach((item, j) => {
        const entry: Shared<Uint8Array> = { promise: decoded.then((list) => list[j]), signal };
        entry.promise.catch(() => {});
        this.#chunkInflight.set(item.key, entry);
        waits.push(
          entry.promise.then((v) => {
            for (const k of item.at) out[k] = v;
          }).finally(() => {
            if (this.#chunkInflight.get(item.key) === entry) this.#chunkInflight.delete(item.key);
          }),
        );
      });
    }
    await Promise.all(waits);
    return out;
  }

  /**
   * Bytes `start .. start + length` of the decoded inner chunk `chunk` of `shard` — one
   * pixel's bands, say — or null when the chunk is absent (all fill). Of an uncompressed chunk
   * only those bytes are requested (nothing is cached but the index); a compressed one is
   * fetched and decoded whole, through the chunk cache like {@link ShardReader.chunks}.
   *
   * @example
   * ```ts
   * const px = await emb.chunkSlice([0, 1, 0], emb.innerIndex([3, 5, 0]), (y * 32 + x) * 128, 128);
   * ```
   */
  async chunkSlice(
    shard: readonly number[],
    chunk: number,
    start: number,
    length: number,
    signal?: AbortSignal,
  ): Promise<Uint8Array | null> {
    if (
      !(Number.isInteger(start) && Number.isInteger(length) && start >= 0 && length >= 0 &&
        start + length <= this.chunkBytes)
    ) {
      throw new TesseraError(
        "BadArgument",
        `${this.array}: bytes ${start}+${length} are not inside a ${this.chunkBytes}-byte chunk`,
      );
    }
    if (this.layout.compress !== "none") {
      const [raw] = await this.chunks(shard, [chunk], signal);
      return raw && raw.subarray(start, start + length);
    }
    const index = await this.index(shard, signal);
    if (!(chunk >= 0 && chunk < this.nInner)) {
      throw new TesseraError("BadArgument", `${this.array}: no inner chunk ${chunk} in a shard`);
    }
    if (!index || index[2 * chunk] < 0) return null;
    const shardKey = this.shardKey(shard);
    const hit = this.cache.get(this.#chunkCacheKey(shard, chunk));
    if (hit) return hit.subarray(start, start + length);
    if (index[2 * chunk + 1] !== this.chunkBytes) {
      throw new TesseraError(
        "BadStore",
        `inner chunk is ${index[2 * chunk + 1]} bytes, expected ${this.chunkBytes}`,
        `${shardKey}#${chunk}`,
      );
    }
    const offset = index[2 * chunk] + start;
    const bytes = await this.storage.get(shardKey, { offset, length }, signal);
    if (bytes === undefined || bytes.length < length) {
      this.#forgetIndex(shardKey);
      throw truncated(shardKey, offset, offset + length, bytes);
    }
    return bytes;
  }

  async #fetchRun(
    shardKey: string,
    run: { start: number; end: number; items: (ChunkRequest & { key: string })[] },
    store: boolean,
    signal?: AbortSignal,
  ): Promise<Uint8Array[]> {
    const length = run.end - run.start;
    const bytes = await this.storage.get(shardKey, { offset: run.start, length }, signal);
    if (bytes === undefined || bytes.length < length) {
      this.#forgetIndex(shardKey);
      throw truncated(shardKey, run.start, run.end, bytes);
    }
    const copy = store && run.items.length > 1 && this.chunkBytes <= this.cache.maxWeight;
    return run.items.map((item) => {
      let piece = bytes.subarray(item.offset - run.start, item.offset - run.start + item.nbytes);
      // A raw chunk is a view into the request's buffer: copy it when that buffer holds others,
      // so the cache's byte count is what it really keeps alive.
      if (copy && this.layout.compress === "none") piece = piece.slice();
      let raw: Uint8Array;
      try {
        raw = decodeChunk(piece, this.layout, this.chunkBytes);
      } catch (e) {
        throw new TesseraError("BadStore", (e as Error).message, `${shardKey}#${item.chunk}`, {
          cause: e,
        });
      }
      // Typed views over the bytes need element alignment.
      if (raw.byteOffset % itemSize(this.layout.dataType) !== 0) raw = raw.slice();
      if (store) this.cache.set(item.key, raw);
      return raw;
    });
  }

  /** The shard changed under us (rebuilt or deleted): its cached index is stale. */
  #forgetIndex(shardKey: string): void {
    this.indexes.delete(`${this.#id}|${shardKey}`);
  }

  #chunkCacheKey(shard: readonly number[], chunk: number): string {
    return `${this.#id}|${this.array}|${shard.join(".")}|${chunk}`;
  }

  /** Waits for another caller's fetch of a chunk; if that caller aborted, fetches it anew. */
  async #awaitChunk(
    shard: readonly number[],
    chunk: number,
    key: string,
    running: Shared<Uint8Array>,
    signal?: AbortSignal,
  ): Promise<Uint8Array | null> {
    try {
      return await running.promise;
    } catch (e) {
      if (!(running.signal?.aborted && isAbort(e, running.signal) && !signal?.aborted)) throw e;
      if (this.#chunkInflight.get(key) === running) this.#chunkInflight.delete(key);
      return (await this.chunks(shard, [chunk], signal))[0];
    }
  }

  /**
   * Runs `start` once per key at a time: a second caller awaits the first caller's promise. If
   * that fetch was aborted by *its* caller while ours is still live, we start our own.
   */
  async #shared<T>(
    map: Map<string, Shared<T>>,
    key: string,
    signal: AbortSignal | undefined,
    start: (signal?: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const running = map.get(key);
    if (running) {
      try {
        return await running.promise;
      } catch (e) {
        if (!(running.signal?.aborted && isAbort(e, running.signal) && !signal?.aborted)) throw e;
        if (map.get(key) === running) map.delete(key);
        return await this.#shared(map, key, signal, start);
      }
    }
    const entry: Shared<T> = { promise: start(signal), signal };
    map.set(key, entry);
    try {
      return await entry.promise;
    } finally {
      if (map.get(key) === entry) map.delete(key);
    }
  }
}

/** Bytes the shard index lists are not there: the shard was truncated or replaced. */
function truncated(shardKey: string, start: number, end: number, got?: Uint8Array): TesseraError {
  return new TesseraError(
    "BadStore",
    `bytes ${start}..${end} listed in the shard index are ` +
      (got === undefined ? "gone (the shard vanished)" : `missing (got ${got.length})`) +
      "; the shard is truncated or was replaced while reading",
    shardKey,
  );
}
