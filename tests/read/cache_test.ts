/**
 * LruCache on lru-cache: what the readers rely on beyond plain LRU order (tests/read/
 * storage_test.ts): null values (an absent shard's index is cached as null), a zero-size
 * cache, zero-byte values, and evictions counted only for evictions.
 */
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { chunkCache, LruCache } from "../../lib/read/cache.ts";

Deno.test("LruCache stores null values (a shard known to be absent) apart from misses", () => {
  const cache = new LruCache<string, number[] | null>({ maxWeight: 4 });
  cache.set("absent", null);
  assertEquals(cache.get("absent"), null);
  assertEquals(cache.get("never"), undefined);
  assertDeepEquals(cache.stats, { hits: 1, misses: 1, evictions: 0 });
});

Deno.test("LruCache: size 0 holds nothing, zero-byte values count, deletes are not evictions", () => {
  const none = chunkCache(0);
  none.set("a", new Uint8Array(1));
  assertEquals(none.size, 0);
  const cache = chunkCache(3);
  cache.set("empty", new Uint8Array(0));
  cache.set("b", new Uint8Array(2));
  assertEquals(cache.has("empty") && cache.has("b"), true);
  cache.delete("b");
  cache.set("c", new Uint8Array(3)); // evicts "empty"
  assertDeepEquals([cache.has("empty"), cache.has("c"), cache.stats.evictions], [false, true, 1]);
  cache.clear();
  assertEquals(cache.weight, 0);
  assertEquals(cache.stats.evictions, 1);
});
