/**
 * A weight-bounded LRU map. The readers use two: decoded inner chunks bounded by bytes (the
 * chunk cache, shareable between the stores of a collection) and shard indexes bounded by
 * count. Chunks are cached decoded and per chunk, not per request, so a chunk fetched as part
 * of a coalesced region read serves a later point read, and a warm read decodes nothing.
 */
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
 * `maxWeight`. A value heavier than `maxWeight` is not stored at all.
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
  readonly #map = new Map<K, { value: V; weight: number }>();
  #weight = 0;
  /** Lookups that found / did not find their key, and entries evicted, since creation. */
  readonly stats = { hits: 0, misses: 0, evictions: 0 };

  constructor(opts: LruOptions<V>) {
    if (!(opts.maxWeight >= 0)) {
      throw new TesseraError("BadArgument", `cache size must be ≥ 0, got ${opts.maxWeight}`);
    }
    this.maxWeight = opts.maxWeight;
    this.#weigh = opts.weigh ?? (() => 1);
  }

  /** Number of entries. */
  get size(): number {
    return this.#map.size;
  }

  /** Total weight held (bytes, for a chunk cache). */
  get weight(): number {
    return this.#weight;
  }

  /** True when `key` is cached (does not count as a use). */
  has(key: K): boolean {
    return this.#map.has(key);
  }

  /** The cached value, marking it most recently used; undefined on a miss. */
  get(key: K): V | undefined {
    const e = this.#map.get(key);
    if (!e) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    this.#map.delete(key);
    this.#map.set(key, e);
    return e.value;
  }

  /** Stores a value as most recently used and evicts what no longer fits. */
  set(key: K, value: V): void {
    this.delete(key);
    const weight = this.#weigh(value);
    if (weight > this.maxWeight) return;
    this.#map.set(key, { value, weight });
    this.#weight += weight;
    for (const [k, e] of this.#map) {
      if (this.#weight <= this.maxWeight) break;
      this.#map.delete(k);
      this.#weight -= e.weight;
      this.stats.evictions++;
    }
  }

  /** Removes an entry; false when it was not there. */
  delete(key: K): boolean {
    const e = this.#map.get(key);
    if (!e) return false;
    this.#map.delete(key);
    this.#weight -= e.weight;
    return true;
  }

  /** Removes every entry. */
  clear(): void {
    this.#map.clear();
    this.#weight = 0;
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
