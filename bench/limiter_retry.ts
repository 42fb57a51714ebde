/**
 * `deno run -A bench/limiter_retry.ts [--json]`: the CPU cost of lib/read's limiter and retry
 * wrappers on their own (docs/decisions/2026-12-01-packages.md), whatever implements them at
 * the commit it runs on: run it before and after a change of implementation and compare. CPU
 * seconds (process.cpuUsage), not wall time: the machine is shared. The storages here answer
 * from memory, so the numbers are the wrappers' overhead, not I/O; the last row puts it beside
 * real requests: cold point reads of the sample store over loopback HTTP (client and server
 * in this one process), each one ranged GET through the limiter and the retry wrapper.
 */
import process from "node:process";
import { Limiter, withLimiter } from "../lib/read/limiter.ts";
import { withRetry } from "../lib/read/retry.ts";
import { type Storage, StorageError } from "../lib/read/storage.ts";
import { readPoint } from "../lib/read/point.ts";
import { openZoneStore } from "../lib/read/zone_store.ts";
import { ensureSampleStores } from "../lib/sample_stores.ts";
import { serveFixture } from "../tests/read/http_fixture.ts";

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
async function measure(fn: () => Promise<unknown>): Promise<number> {
  const t0 = cpu();
  await fn();
  return cpu() - t0;
}

const N = 100_000, WAITERS = 10_000, FAILING = 20_000;
const BYTES = new Uint8Array(16);
const memory: Storage = { get: () => Promise.resolve(BYTES) };
const results: Record<string, number> = {};

// Warm-up so the first row does not pay for compilation.
await Promise.all(Array.from({ length: 10_000 }, () => new Limiter(8).run(() => memory.get("k"))));

// Every task queued at once, as a region read of many chunks does; two sizes, so a cost that
// grows faster than the queue shows.
for (const n of [10_000, 30_000]) {
  results[`limiter: ${n} gets queued at once, 8 at a time, no signal`] = await measure(() => {
    const s = withLimiter(memory, new Limiter(8));
    return Promise.all(Array.from({ length: n }, (_, i) => s.get(`k${i}`)));
  });
  results[`limiter: ${n} gets queued at once, 8 at a time, one signal`] = await measure(() => {
    const s = withLimiter(memory, new Limiter(8));
    const signal = new AbortController().signal;
    return Promise.all(Array.from({ length: n }, (_, i) => s.get(`k${i}`, undefined, signal)));
  });
}
// The common case: a point batch or a tile group, a hundred requests queued under one signal.
results[`limiter: 1000 × 100 gets queued at once, 16 at a time, one signal`] = await measure(
  async () => {
    const s = withLimiter(memory, new Limiter(16));
    for (let r = 0; r < 1000; r++) {
      const signal = new AbortController().signal;
      await Promise.all(Array.from({ length: 100 }, (_, i) => s.get(`k${i}`, undefined, signal)));
    }
  },
);
results[`limiter: ${N} gets one after another, no signal`] = await measure(async () => {
  const s = withLimiter(memory, new Limiter(8));
  for (let i = 0; i < N; i++) await s.get(`k${i}`);
});
results[`limiter: ${WAITERS} waiters leave on one abort`] = await measure(async () => {
  const limiter = new Limiter(1);
  const block = Promise.withResolvers<void>();
  const running = limiter.run(() => block.promise);
  const c = new AbortController();
  const waiting = Array.from(
    { length: WAITERS },
    () => limiter.run(() => Promise.resolve(), c.signal).catch(() => {}),
  );
  c.abort();
  await Promise.all(waiting);
  block.resolve();
  await running;
});
results[`retry: ${N} gets that succeed at once`] = await measure(() => {
  const s = withRetry(memory);
  return Promise.all(Array.from({ length: N }, (_, i) => s.get(`k${i}`)));
});
results[`retry: ${FAILING} gets failing once (503), 0 ms backoff`] = await measure(() => {
  const failed = new Set<string>();
  const flaky: Storage = {
    get(key) {
      if (failed.has(key)) return Promise.resolve(BYTES);
      failed.add(key);
      return Promise.reject(new StorageError("http", "HTTP 503", { status: 503, retryable: true }));
    },
  };
  const s = withRetry(flaky, { baseDelayMs: 0, jitter: false });
  return Promise.all(Array.from({ length: FAILING }, (_, i) => s.get(`k${i}`)));
});

// Points in random pixels, read all at once under one signal; a 1-byte cache keeps them cold.
const server = serveFixture(await ensureSampleStores({ quiet: true }));
try {
  let seed = 7;
  const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  let s = Infinity, requests = 0;
  for (let round = 0; round < 3; round++) { // the least of 3: the first pays for compilation
    const store = await openZoneStore(`${server.url}utm30_2024.zarr`, { cacheBytes: 1 });
    const { transform: t, width, height } = store.geobox;
    const points = Array.from({ length: 3000 }, () => [
      t[2] + (0.5 + Math.floor(rand() * width)) * t[0],
      t[5] + (0.5 + Math.floor(rand() * height)) * t[4],
    ]);
    const signal = new AbortController().signal;
    server.reset();
    s = Math.min(
      s,
      await measure(() =>
        Promise.all(points.map(([x, y]) => readPoint(store, x, y, { crs: store.crs, signal })))
      ),
    );
    requests = server.requests();
  }
  results[`3000 cold point reads over loopback HTTP (~${requests} GETs), least of 3`] = s;
} finally {
  await server.close();
}

if (Deno.args.includes("--json")) console.log(JSON.stringify(results));
else {
  for (const [name, s] of Object.entries(results)) {
    console.log(`${name.padEnd(60)} ${s.toFixed(3)} s`);
  }
}
