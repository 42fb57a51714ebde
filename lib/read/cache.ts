/**
 * A weight-bounded LRU map. The readers use two: decoded inner chunks bounded by bytes (the
 * chunk cache, shareable between the stores of a collection) and shard indexes bounded by
 * count. Chunks are cached decoded and per chunk, not per request, so a chunk fetched as part
 * of a coalesced region read serves a later point read, and a warm read decodes nothing.
 */
import { LRUCache } from "../deps/lru_cache.ts";
import { TesseraError } from "../errors.ts";

/** Options of {@link LruCache}. */
export interface LruOptions<V> {
  /** Total weight the cache may hold; the least recently used entries go first. */
  maxWeight: number;
  /** Weight of one value (default 1: a count-bounded cache). */
  weigh?: (value: V) => number;
}

/**
 * A map that evicts its least recently used entries once their total weight exceeds
 * `maxWeight`. A value heavier than `maxWeight` is not stored at all. Backed by the
 * `lru-cache` package (weights are rounded up to whole units, at least 1, as it counts them);
 * null values are stored too.
 *
 * @example
 * ```ts
 * const cache = new LruCache<string, Uint8Array>({ maxWeight: 64 << 20, weigh: (v) => v.byteLength });
 * cache.set("a", bytes);
 * cache.get("a"); // bytes, now most recently used
 * ```
 */
export class LruCache<K, V> {
  readonly maxWeight: number;
  readonly #weigh: (value: V) => number;
  // Values are boxed: lru-cache takes neither null nor undefined values, nor null keys.
  readonly #lru: LRUCache<NonNullable<K>, { value: V }> | undefined;
  /** Lookups that found / did not find their key, and entries evicted, since creation. */
  readonly stats = { hits: 0, misses: 0, evictions: 0 };

  constructor(opts: LruOptions<V>) {
    if (!(opts.maxWeight >= 0)) {
      throw new TesseraError("BadArgument", `cache size must be ≥ 0, got ${opts.maxWeight}`);
    }
    this.maxWeight = opts.maxWeight;
    this.#weigh = opts.weigh ?? (() => 1);
    const maxSize = Math.floor(opts.maxWeight);
    // A cache of size 0 holds nothing; lru-cache wants a positive bound.
    this.#lru = maxSize >= 1
      ? new LRUCache<NonNullable<K>, { value: V }>({
        maxSize,
        sizeCalculation: (box) => Math.max(1, Math.ceil(this.#weigh(box.value))),
        dispose: (_box, _key, reason) => {
          if (reason === "evict") this.stats.evictions++;
        },
      })
      : undefined;
  }

  /** Number of entries. */
  get size(): number {
    return this.#lru?.size ?? 0;
  }

  /** Total weight held (bytes, for a chunk cache). */
  get weight(): number {
    return this.#lru?.calculatedSize ?? 0;
  }

  /** True when `key` is cached (does not count as a use). */
  has(key: K): boolean {
    return this.#lru?.has(key as NonNullable<K>) ?? false;
  }

  /** The cached value, marking it most recently used; undefined on a miss. */
  get(key: K): V | undefined {
    const box = this.#lru?.get(key as NonNullable<K>);
    if (!box) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    return box.value;
  }

  /** Stores a value as most recently used and evicts what no longer fits. */
  set(key: K, value: V): void {
    this.delete(key);
    const weight = Math.max(1, Math.ceil(this.#weigh(value)));
    if (!this.#lru || weight > this.maxWeight) return;
    this.#lru.set(key as NonNullable<K>, { value });
  }

  /** Removes an entry; false when it was not there. */
  delete(key: K): boolean {
    return this.#lru?.delete(key as NonNullable<K>) ?? false;
  }

  /** Removes every entry. */
  clear(): void {
    this.#lru?.clear();
  }
}

/** A byte-bounded cache of decoded inner chunks, keyed by store, array, shard and chunk. */
export type ChunkCache = LruCache<string, Uint8Array>;

/**
 * Default chunk cache size: 256 MiB, about 2000 embedding chunks of 128 KiB.
 *
 * @example
 * ```ts
 * chunkCache(DEFAULT_CHUNK_CACHE_BYTES * 2); // a cache twice the default
 * ```
 */
export const DEFAULT_CHUNK_CACHE_BYTES = 256 * 2 ** 20;

/**
 * A chunk cache holding at most `maxBytes` of decoded chunks.
 *
 * @example
 * ```ts
 * const cache = chunkCache(512 << 20);
 * const a = await openZoneStore(urlA, { cache }), b = await openZoneStore(urlB, { cache });
 * ```
 */
export function chunkCache(maxBytes = DEFAULT_CHUNK_CACHE_BYTES): ChunkCache {
  return new LruCache<string, Uint8Array>({ maxWeight: maxBytes, weigh: (v) => v.byteLength });
}
