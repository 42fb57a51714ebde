/**
 * The retry wrapper's policy beyond the plain schedule (tests/read/storage_test.ts), on a real
 * loopback server and real files: the jitter window also at the cap, who decides what is
 * retried (`shouldRetry` alone, for every thrown value), abort during a backoff, and option
 * checks.
 */
import { join } from "node:path";
import { assertEquals, assertRejectsKind } from "../assert.ts";
import { withTmp } from "../helpers/env.ts";
import { FsStorage } from "../../lib/read/fs_storage.ts";
import { HttpStorage } from "../../lib/read/http_storage.ts";
import { backoffDelay, withRetry } from "../../lib/read/retry.ts";
import type { Storage } from "../../lib/read/storage.ts";
import { serveFixture } from "./http_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** A real FsStorage whose first `n` reads throw `thrown()` instead (a caller's own wrapper). */
function failingFirst(inner: Storage, n: number, thrown: () => unknown) {
  const s = {
    calls: 0,
    get(key: string, range?: Parameters<Storage["get"]>[1], signal?: AbortSignal) {
      return ++s.calls <= n ? Promise.reject(thrown()) : inner.get(key, range, signal);
    },
  };
  return s;
}

Deno.test({
  name: "retry: each delay lies in [d/2, d] of the capped schedule, also once d is at the cap",
  ...opts,
  async fn() {
    await withTmp("tz-retry-", async (dir) => {
      await Deno.writeFile(join(dir, "obj"), new Uint8Array([1, 2, 3]));
      const server = serveFixture(dir, { failNext: 10 });
      try {
        const delays: number[] = [];
        const s = withRetry(new HttpStorage(server.url), {
          retries: 10,
          baseDelayMs: 1,
          maxDelayMs: 8,
          onRetry: (i) => delays.push(i.delayMs),
        });
        assertEquals((await s.get("obj"))!.length, 3);
        assertEquals(delays.length, 10);
        delays.forEach((ms, i) => {
          const d = backoffDelay(i + 1, { baseDelayMs: 1, maxDelayMs: 8 });
          assertEquals(ms >= d / 2 && ms <= d, true, `retry ${i + 1}: ${ms} ms ∉ [${d / 2}, ${d}]`);
        });
        // Clients that all reached the cap still do not retry in lockstep.
        const atCap = delays.slice(4);
        assertEquals(atCap.some((ms) => ms < 8), true, `at the cap: ${atCap}`);
        assertEquals(server.requests(), 11);
      } finally {
        await server.close();
      }
    });
  },
});

Deno.test("retry: shouldRetry alone decides, TypeErrors and non-Error values included", async () => {
  await withTmp("tz-retry-", async (dir) => {
    await Deno.writeFile(join(dir, "obj"), new Uint8Array([7]));
    const fs = new FsStorage(dir);
    const fast = { baseDelayMs: 0, jitter: false };

    // The default policy retries only retryable StorageErrors: a TypeError surfaces as is.
    const typeError = new TypeError("bad header value");
    const once = failingFirst(fs, 1, () => typeError);
    let caught: unknown;
    await withRetry(once, fast).get("obj").catch((e) => caught = e);
    assertEquals(caught, typeError);
    assertEquals(once.calls, 1);

    // A caller's policy that retries TypeErrors is obeyed.
    const twice = failingFirst(fs, 2, () => new TypeError("flaky polyfill"));
    const all = withRetry(twice, { ...fast, shouldRetry: (e) => e instanceof TypeError });
    assertEquals((await all.get("obj"))![0], 7);
    assertEquals(twice.calls, 3);

    // A thrown string is neither retried by default nor replaced by another error.
    const str = failingFirst(fs, 1, () => "plain string");
    await withRetry(str, fast).get("obj").catch((e) => caught = e);
    assertEquals(caught, "plain string");
    assertEquals(str.calls, 1);
    const strRetried = failingFirst(fs, 1, () => "plain string");
    const byPolicy = withRetry(strRetried, { ...fast, shouldRetry: (e) => e === "plain string" });
    assertEquals((await byPolicy.get("obj"))![0], 7);
    assertEquals(strRetried.calls, 2);
  });
});

Deno.test({
  name:
    "retry: an abort during the backoff rejects with the caller's reason and sends nothing more",
  ...opts,
  async fn() {
    await withTmp("tz-retry-", async (dir) => {
      await Deno.writeFile(join(dir, "obj"), new Uint8Array([1]));
      const server = serveFixture(dir, { failNext: 5 });
      try {
        const c = new AbortController();
        const s = withRetry(new HttpStorage(server.url), {
          baseDelayMs: 60_000,
          jitter: false,
          onRetry: () => setTimeout(() => c.abort(reason), 20),
        });
        const reason = new Error("build cancelled");
        let caught: unknown;
        await s.get("obj", undefined, c.signal).catch((e) => caught = e);
        assertEquals(caught, reason);
        assertEquals(server.requests(), 1);
      } finally {
        await server.close();
      }
    });
  },
});

Deno.test("retry: bad options are BadArgument errors when the wrapper is made", async () => {
  const fs = new FsStorage(".");
  for (
    const bad of [{ retries: -1 }, { retries: 1.5 }, { baseDelayMs: -5 }, { maxDelayMs: NaN }]
  ) {
    await assertRejectsKind(() => withRetry(fs, bad), "BadArgument");
  }
});
