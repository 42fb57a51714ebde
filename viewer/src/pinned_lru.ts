/**
 * The viewer's tile cache: least recently used, bounded by entry count and by bytes. Entries
 * the caller pins (tiles on screen) are skipped by eviction, so the cache can exceed its bounds
 * only by what is pinned. `onRemove` runs for every entry that leaves (evicted, deleted or cleared).
 */
export class PinnedLruCache<K, V> {
  #map = new Map<K, { value: V; bytes: number }>();
  #bytes = 0;

  /**
   * @example
   * const cache = new PinnedLruCache<string, ImageData>(200, 256 << 20, { isPinned: (k) => shown.has(k) });
   */
  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
    readonly hooks: {
      onRemove?: (key: K, value: V) => void;
      isPinned?: (key: K) => boolean;
    } = {},
  ) {}

  get size(): number {
    return this.#map.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  /** The value, marked most recently used. */
  get(key: K): V | undefined {
    const e = this.#map.get(key);
    if (!e) return undefined;
    this.#map.delete(key);
    this.#map.set(key, e);
    return e.value;
  }

  /** Inserts or replaces `key`, then evicts least recently used unpinned entries. */
  set(key: K, value: V, bytes = 0): void {
    this.delete(key);
    this.#map.set(key, { value, bytes });
    this.#bytes += bytes;
    this.#evict(key);
  }

  delete(key: K): boolean {
    const e = this.#map.get(key);
    if (!e) return false;
    this.#map.delete(key);
    this.#bytes -= e.bytes;
    this.hooks.onRemove?.(key, e.value);
    return true;
  }

  clear(): void {
    for (const key of [...this.#map.keys()]) this.delete(key);
  }

  keys(): K[] {
    return [...this.#map.keys()];
  }

  /** Re-applies the bounds, e.g. after pins were released. */
  trim(): void {
    this.#evict(undefined);
  }

  #evict(keep: K | undefined): void {
    if (this.#map.size <= this.maxEntries && this.#bytes <= this.maxBytes) return;
    for (const key of [...this.#map.keys()]) {
      if (this.#map.size <= this.maxEntries && this.#bytes <= this.maxBytes) return;
      if (key === keep || this.hooks.isPinned?.(key)) continue;
      this.delete(key);
    }
  }
}
