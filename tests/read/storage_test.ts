/**
 * The transport layer on real files and a real loopback HTTP server: both storages agree on
 * every kind of range, and the wrappers (limiter, retry, timeout) and caches do what they say.
 */
import { join } from "node:path";
import { assertDeepEquals, assertEquals, assertRejectsKind } from "../assert.ts";
import { FsStorage } from "../../lib/read/fs_storage.ts";
import { HttpStorage } from "../../lib/read/http_storage.ts";
import { Limiter, withLimiter } from "../../lib/read/limiter.ts";
import { backoffDelay, withRetry } from "../../lib/read/retry.ts";
import { withTimeout } from "../../lib/read/timeout.ts";
import { chunkCache, LruCache } from "../../lib/read/cache.ts";
import { planRuns } from "../../lib/read/shard_reader.ts";
import { openStorage } from "../../lib/read/location.ts";
import {
  type ByteRange,
  rangeHeader,
  type StorageError,
  withPrefix,
} from "../../lib/read/storage.ts";
import { serveFixture } from "./http_fixture.ts";

const dir = await Deno.makeTempDir({ prefix: "tz-read-storage-" });
const BYTES = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
await Deno.mkdir(join(dir, "a", "b"), { recursive: true });
await Deno.writeFile(join(dir, "a", "b", "obj"), BYTES);
await Deno.writeFile(join(dir, "a", "b", "odd name %"), BYTES.subarray(0, 10));
await Deno.mkdir(join(dir, "utm30_2024.zarr"));
await Deno.writeFile(join(dir, "empty"), new Uint8Array(0));

// The HTTP tests share one server; each test sets the behaviour it needs.
const server = serveFixture(dir);
const opts = { sanitizeOps: false, sanitizeResources: false };

const RANGE_CASES: [string, ByteRange | undefined, Uint8Array | undefined][] = [
  ["whole", undefined, BYTES],
  ["offset range", { offset: 10, length: 20 }, BYTES.subarray(10, 30)],
  ["range to the end", { offset: 990, length: 10 }, BYTES.subarray(990)],
  ["range past the end", { offset: 995, length: 100 }, BYTES.subarray(995)],
  ["range starting at the end", { offset: 1000, length: 5 }, new Uint8Array(0)],
  ["suffix", { suffixLength: 16 }, BYTES.subarray(984)],
  ["suffix longer than the object", { suffixLength: 5000 }, BYTES],
];

for (const [name, range, expected] of RANGE_CASES) {
  Deno.test({
    name: `fs and http storage agree: ${name}`,
    ...opts,
    async fn() {
      const fs = await new FsStorage(dir).get("a/b/obj", range);
      const http = await new HttpStorage(server.url).get("a/b/obj", range);
      assertDeepEquals(fs, expected);
      assertDeepEquals(http, expected);
    },
  });
}

Deno.test({
  name: "missing objects read as undefined; keys are percent-encoded; prefixes compose",
  ...opts,
  async fn() {
    for (const s of [new FsStorage(dir), new HttpStorage(server.url)]) {
      assertEquals(await s.get("a/b/missing"), undefined);
      assertEquals(await s.get("nowhere/x", { suffixLength: 4 }), undefined);
      assertDeepEquals(await s.get("a/b/odd name %"), BYTES.subarray(0, 10));
      assertDeepEquals(
        await withPrefix(s, "a/b").get("obj", { offset: 1, length: 2 }),
        BYTES.subarray(1, 3),
      );
    }
    await assertRejectsKind(() => new FsStorage(dir).get("../etc/passwd"), "BadArgument");
  },
});

Deno.test({
  name: "a server that ignores Range still yields exactly the requested bytes",
  ...opts,
  async fn() {
    server.behaviour = { ignoreRange: true };
    try {
      const http = new HttpStorage(server.url);
      for (const [, range, expected] of RANGE_CASES) {
        assertDeepEquals(await http.get("a/b/obj", range), expected);
      }
    } finally {
      server.behaviour = {};
    }
  },
});

Deno.test({
  name: "retries: 503s are retried with exponential backoff; 404 and 416 are answers, not retried",
  ...opts,
  async fn() {
    server.behaviour = { failNext: 3 };
    server.reset();
    const delays: number[] = [];
    const s = withRetry(new HttpStorage(server.url), {
      baseDelayMs: 10,
      jitter: false,
      onRetry: (i) => delays.push(i.delayMs),
    });
    assertDeepEquals(await s.get("a/b/obj", { offset: 0, length: 4 }), BYTES.subarray(0, 4));
    assertDeepEquals(delays, [10, 20, 40]);
    assertDeepEquals(server.log.slice(-4).map((e) => e.status), [503, 503, 503, 206]);

    server.reset();
    assertEquals(await s.get("a/b/missing"), undefined);
    assertEquals(server.requests(), 1);
    server.reset();
    assertDeepEquals(await s.get("empty", { suffixLength: 4 }), new Uint8Array(0));
    assertDeepEquals(server.log.slice(-1).map((e) => e.status), [416]);
    assertEquals(server.requests(), 1);

    // Attempts run out: the last error surfaces, typed.
    server.behaviour = { failNext: 10 };
    server.reset();
    const few = withRetry(new HttpStorage(server.url), { retries: 2, baseDelayMs: 1 });
    const err = await assertRejectsKind(() => few.get("a/b/obj"), "BadStore");
    assertEquals((err as StorageError).status, 503);
    assertEquals(server.requests(), 3);
    // 403 is not retryable.
    server.behaviour = { failNext: 1, failStatus: 403 };
    server.reset();
    await assertRejectsKind(() => few.get("a/b/obj"), "BadStore");
    assertEquals(server.requests(), 1);
    server.behaviour = {};
    assertEquals(backoffDelay(10, { baseDelayMs: 100, maxDelayMs: 5000 }), 5000);
  },
});

Deno.test({
  name: "timeouts: a hung request times out and the retry succeeds",
  ...opts,
  async fn() {
    server.behaviour = { hangNext: 1 };
    server.reset();
    const { storage } = openStorage(server.url, { timeoutMs: 150, retry: { baseDelayMs: 1 } });
    const t0 = performance.now();
    assertDeepEquals(await storage.get("a/b/obj", { offset: 5, length: 5 }), BYTES.subarray(5, 10));
    const ms = performance.now() - t0;
    assertEquals(ms >= 140 && ms < 2000, true, `took ${ms} ms`);
    assertEquals(server.requests(), 2);
    // Without retries the timeout is a typed, retryable error.
    server.behaviour = { hangNext: 1 };
    const bare = withTimeout(new HttpStorage(server.url), 100);
    const err = await assertRejectsKind(() => bare.get("a/b/obj"), "BadStore");
    assertEquals((err as StorageError).failure, "timeout");
    assertEquals((err as StorageError).retryable, true);
    server.behaviour = {};
  },
});

Deno.test({
  name: "abort: an aborted request rejects with the caller's reason, also during backoff",
  ...opts,
  async fn() {
    server.behaviour = { delayMs: 2000 };
    const c = new AbortController();
    const s = openStorage(server.url, {}).storage;
    const p = s.get("a/b/obj", undefined, c.signal);
    setTimeout(() => c.abort(new DOMException("user", "AbortError")), 50);
    const t0 = performance.now();
    await assertRejectsKind(() => p, "AbortError");
    assertEquals(performance.now() - t0 < 1000, true);
    // Aborting while the retry wrapper sleeps.
    server.behaviour = { failNext: 5 };
    const c2 = new AbortController();
    const slow = withRetry(new HttpStorage(server.url), { baseDelayMs: 5000, jitter: false });
    const p2 = slow.get("a/b/obj", undefined, c2.signal);
    setTimeout(() => c2.abort(), 100);
    await assertRejectsKind(() => p2, "AbortError");
    server.behaviour = {};
  },
});

Deno.test("limiter: never more than N in flight, FIFO, and a queued task leaves on abort", async () => {
  const limiter = new Limiter(3);
  let active = 0, peak = 0;
  const order: number[] = [];
  const task = (i: number) => async () => {
    active++;
    peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, 5));
    order.push(i);
    active--;
    return i;
  };
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => limiter.run(task(i))));
  assertDeepEquals(results, Array.from({ length: 20 }, (_, i) => i));
  assertEquals(peak, 3);
  assertEquals(limiter.active, 0);

  const block = Promise.withResolvers<void>();
  const running = [0, 1, 2].map(() => limiter.run(() => block.promise));
  const c = new AbortController();
  const queued = limiter.run(() => Promise.resolve("ran"), c.signal);
  assertEquals(limiter.pending, 1);
  c.abort();
  await assertRejectsKind(() => queued, "AbortError");
  assertEquals(limiter.pending, 0);
  block.resolve();
  await Promise.all(running);
  assertEquals(limiter.active, 0);

  // A limited FsStorage keeps its answers.
  const s = withLimiter(new FsStorage(dir), new Limiter(1));
  const parts = await Promise.all([0, 1, 2].map((i) => s.get("a/b/obj", { offset: i, length: 1 })));
  assertDeepEquals(parts.map((p) => p![0]), [0, 7, 14]);
});

Deno.test("LRU cache: bounded by bytes, least recently used out first, oversize never stored", () => {
  const cache = chunkCache(100);
  cache.set("a", new Uint8Array(40));
  cache.set("b", new Uint8Array(40));
  cache.get("a"); // b is now the least recently used
  cache.set("c", new Uint8Array(40));
  assertEquals(cache.has("a") && cache.has("c") && !cache.has("b"), true);
  assertEquals(cache.weight, 80);
  cache.set("huge", new Uint8Array(101));
  assertEquals(cache.has("huge"), false);
  assertEquals(cache.weight, 80);
  cache.set("a", new Uint8Array(10)); // replacing re-weighs
  assertEquals(cache.weight, 50);
  assertDeepEquals(cache.stats, { hits: 1, misses: 0, evictions: 1 });
  const counted = new LruCache<number, string>({ maxWeight: 2 });
  [1, 2, 3].forEach((k) => counted.set(k, String(k)));
  assertDeepEquals([counted.has(1), counted.has(2), counted.has(3)], [false, true, true]);
});

Deno.test("planRuns: adjacent chunks coalesce within the gap and size limits", () => {
  const reqs = [
    { chunk: 2, offset: 200, nbytes: 100 },
    { chunk: 0, offset: 0, nbytes: 100 },
    { chunk: 1, offset: 100, nbytes: 100 },
    { chunk: 5, offset: 1000, nbytes: 100 },
  ];
  const runs = planRuns(reqs, 0, 1e6);
  assertDeepEquals(runs.map((r) => [r.start, r.end, r.items.map((i) => i.chunk)]), [
    [0, 300, [0, 1, 2]],
    [1000, 1100, [5]],
  ]);
  assertEquals(planRuns(reqs, 700, 1e6).length, 1);
  assertEquals(planRuns(reqs, 0, 200).length, 3);
  assertEquals(rangeHeader({ offset: 0, length: 1 }), "bytes=0-0");
});

Deno.test({
  name: "close the HTTP fixture and remove the temporary directory",
  ...opts,
  async fn() {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  },
});
