/**
 * The limiter's contract beyond "at most N, FIFO" (tests/read/storage_test.ts): how a signal
 * acts on a waiting task and on a running one, with real HTTP requests on loopback and real
 * files. A running task keeps its slot until it has settled, also when its signal aborts: the
 * slot stands for a connection and for whatever the task still writes.
 */
import { join } from "node:path";
import { assertDeepEquals, assertEquals, assertRejectsKind } from "../assert.ts";
import { withTmp } from "../helpers/env.ts";
import { HttpStorage } from "../../lib/read/http_storage.ts";
import { Limiter, withLimiter } from "../../lib/read/limiter.ts";
import { sleep } from "../../lib/read/storage.ts";
import { serveFixture } from "./http_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("limiter: a waiter leaves at once with the signal's own reason; the rest keep FIFO", async () => {
  const limiter = new Limiter(1);
  const block = Promise.withResolvers<void>();
  const ran: string[] = [];
  const first = limiter.run(() => block.promise);
  const task = (name: string) => () => Promise.resolve(void ran.push(name));
  const c = new AbortController();
  const a = limiter.run(task("a"));
  const b = limiter.run(task("b"), c.signal);
  const d = limiter.run(task("d"));
  assertEquals(limiter.pending, 3);
  const reason = new Error("the user closed the view");
  c.abort(reason);
  let caught: unknown;
  await b.catch((e) => caught = e);
  assertEquals(caught, reason); // the very object, not a copy or a wrapper
  assertEquals(limiter.pending, 2);
  assertEquals(limiter.active, 1);
  block.resolve();
  await Promise.all([first, a, d]);
  assertDeepEquals(ran, ["a", "d"]);
  assertEquals(limiter.active, 0);
});

Deno.test("limiter: an already aborted signal rejects without queueing or running the task", async () => {
  const limiter = new Limiter(2);
  let ran = false;
  const signal = AbortSignal.abort(new DOMException("gone", "AbortError"));
  await assertRejectsKind(
    () => limiter.run(() => Promise.resolve(void (ran = true)), signal),
    "AbortError",
  );
  assertEquals(ran, false);
  assertEquals(limiter.pending + limiter.active, 0);
});

for (const waited of [false, true]) {
  Deno.test(
    `limiter: a running task keeps its slot until it settles, even when its signal aborts (${
      waited ? "after waiting" : "started at once"
    })`,
    async () => {
      await withTmp("tz-limiter-", async (dir) => {
        const limiter = new Limiter(1);
        const c = new AbortController();
        const marker = join(dir, "cleaned-up");
        if (waited) limiter.run(() => sleep(5));
        // Like a transfer that closes its file when aborted: the cleanup takes a while.
        let started = false;
        const slow = limiter.run(async () => {
          started = true;
          try {
            await sleep(60_000, c.signal);
          } finally {
            await sleep(30);
            await Deno.writeTextFile(marker, "done");
          }
        }, c.signal);
        const next = limiter.run(() =>
          Deno.stat(marker).then(() => "started after the cleanup", () => "started before it")
        );
        while (!started) await sleep(2);
        c.abort(new DOMException("stop", "AbortError"));
        await assertRejectsKind(() => slow, "AbortError");
        // run() settled only after the task's own finally: the file is there already.
        assertEquals(await Deno.readTextFile(marker), "done");
        // And the next task did not start in the freed slot before that.
        assertEquals(await next, "started after the cleanup");
        assertEquals(limiter.active, 0);
      });
    },
  );
}

Deno.test({
  name: "limiter: never more than N requests reach the server; aborted waiters send none",
  ...opts,
  async fn() {
    await withTmp("tz-limiter-", async (dir) => {
      await Deno.writeFile(join(dir, "obj"), new Uint8Array(100));
      const server = serveFixture(dir, { hold: true });
      try {
        const limiter = new Limiter(3);
        const s = withLimiter(new HttpStorage(server.url), limiter);
        const c = new AbortController();
        const gets = Array.from({ length: 10 }, (_, i) => s.get("obj", { offset: i, length: 1 }));
        const doomed = Array.from({ length: 5 }, () => s.get("obj", undefined, c.signal));
        while (server.held() < 3) await sleep(5);
        assertEquals(limiter.active, 3);
        assertEquals(limiter.pending, 12);
        c.abort(new DOMException("cancelled", "AbortError"));
        for (const p of doomed) await assertRejectsKind(() => p, "AbortError");
        assertEquals(limiter.pending, 7);
        server.behaviour = {};
        server.release();
        assertDeepEquals((await Promise.all(gets)).map((b) => b!.length), Array(10).fill(1));
        assertEquals(server.requests(), 10);
        assertEquals(limiter.active + limiter.pending, 0);
      } finally {
        await server.close();
      }
    });
  },
});

Deno.test("limiter: concurrency must be an integer ≥ 1 (BadArgument)", async () => {
  for (const n of [0, -1, 1.5, NaN, Infinity]) {
    await assertRejectsKind(() => new Limiter(n), "BadArgument");
  }
  assertEquals(new Limiter(4).concurrency, 4);
});
