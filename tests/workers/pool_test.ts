// The worker pool with real Web Workers (test_worker.ts): job order, bounded concurrency,
// per-job errors, graceful abort, crashes, set-up failures and broadcasts.
import { assertEquals, assertRejectsKind } from "../assert.ts";
import { type JobOutcome, WorkerPool } from "../../lib/workers/pool.ts";
import type { TestInit, TestJob } from "./test_worker.ts";

const MODULE = new URL("./test_worker.ts", import.meta.url);

/** A pool of `size` test workers and its shared counters: running, max, started, finished. */
function pool(size: number, init: Partial<TestInit> = {}) {
  const counters = new SharedArrayBuffer(16);
  const p = WorkerPool.start<TestJob, { value: number }, { offset: number }, TestInit>({
    module: MODULE,
    size,
    init: { factor: 10, counters, ...init },
    name: "test",
    describe: (j) => `value ${j.value}`,
  });
  const c = new Int32Array(counters);
  return { p, counters: () => ({ max: c[1], started: c[2], finished: c[3] }) };
}

Deno.test("results come back in job order whatever order they finish in, ≤ size at once", async () => {
  const { p, counters } = pool(3);
  try {
    // Job 0 waits for two jobs to finish, job 1 for one: jobs 2, 1, 0 finish in that order
    // whatever the machine's load (no timing), then the rest.
    const jobs = Array.from(
      { length: 9 },
      (_, i) => ({ value: i, after: i < 2 ? 2 - i : undefined }),
    );
    const arrived: number[] = [];
    const results = await p.run(jobs, {}, (r, i) => {
      assertEquals(r.value, i * 10);
      arrived.push(i);
    });
    assertEquals(
      JSON.stringify(results.map((r) => r.value)),
      JSON.stringify(jobs.map((j) => j.value * 10)),
    );
    assertEquals(arrived.length, 9);
    assertEquals(
      JSON.stringify(arrived) === JSON.stringify([...arrived].sort((a, b) => a - b)),
      false,
    );
    const c = counters();
    assertEquals(c.max, 3);
    assertEquals(c.started, 9);
    // The pool is reusable: a second run on the same workers.
    assertEquals(JSON.stringify((await p.run([{ value: 7 }])).map((r) => r.value)), "[70]");
    assertEquals(JSON.stringify(await p.run([])), "[]");
  } finally {
    p.close();
  }
});

Deno.test("runSettled: a job that throws is that job's outcome, labelled; the others run", async () => {
  const { p } = pool(2);
  try {
    const jobs: TestJob[] = [
      { value: 0 },
      { value: 1, fail: "store" },
      { value: 2, fail: "bug" },
      { value: 3 },
    ];
    const seen: number[] = [];
    const out = await p.runSettled(jobs, {}, (_, i) => seen.push(i));
    assertEquals(seen.length, 4);
    assertEquals(JSON.stringify(out.map((o) => o.ok)), "[true,false,false,true]");
    const store = out[1] as Extract<JobOutcome<unknown>, { ok: false }>;
    // A store problem keeps its kind and stays one line.
    assertEquals((store.error as { kind?: string }).kind, "BadStore");
    assertEquals(store.error.message, "value 1: a/c/0: index is corrupt");
    const bug = out[2] as Extract<JobOutcome<unknown>, { ok: false }>;
    assertEquals(bug.error.message.startsWith("value 2: RangeError: off by one\n"), true);
    assertEquals(bug.detail.startsWith("RangeError: off by one\n    at "), true, bug.detail);
    assertEquals((out[3] as { result: { value: number } }).result.value, 30);
  } finally {
    p.close();
  }
});

Deno.test("run: the first job error stops the run; jobs in hand finish, no new one starts", async () => {
  const { p, counters } = pool(1);
  try {
    const jobs: TestJob[] = [{ value: 0 }, { value: 1, fail: "store" }, { value: 2 }, { value: 3 }];
    const e = await assertRejectsKind(() => p.run(jobs), "BadStore");
    assertEquals(e.message, "value 1: a/c/0: index is corrupt");
    const c = counters();
    assertEquals(c.started, 2);
    assertEquals(c.finished, 2);
  } finally {
    p.close();
  }
});

Deno.test("abort: the jobs in hand finish and report, none starts, then the reason is thrown", async () => {
  const { p, counters } = pool(2);
  try {
    const ac = new AbortController();
    const reason = new Error("stop");
    const jobs = Array.from({ length: 20 }, (_, i) => ({ value: i, ms: 30 }));
    const done: number[] = [];
    let thrown: unknown;
    try {
      await p.runSettled(jobs, { signal: ac.signal }, (o, i) => {
        assertEquals(o.ok, true);
        done.push(i);
        if (done.length === 1) ac.abort(reason);
      });
    } catch (e) {
      thrown = e;
    }
    assertEquals(thrown, reason);
    const c = counters();
    // The other worker's job was in hand when the abort came: it finished and was reported.
    assertEquals(c.started, 2);
    assertEquals(c.finished, 2);
    assertEquals(done.length, 2);
    // Aborted before it starts: nothing runs.
    await p.run(jobs, { signal: ac.signal }).then(() => {
      throw new Error("should have rejected");
    }, (e) => assertEquals(e, reason));
    assertEquals(counters().started, 2);
  } finally {
    p.close();
  }
});

Deno.test("a crashed worker is an error naming its job; the pool then refuses further runs", async () => {
  const { p, counters } = pool(2);
  try {
    const jobs: TestJob[] = [{ value: 0, ms: 5 }, { value: 1, crash: true }, { value: 2, ms: 40 }];
    let msg = "";
    await p.runSettled(jobs).catch((e) => msg = (e as Error).message);
    assertEquals(msg.startsWith("test worker crashed on value 1: "), true, msg);
    assertEquals(msg.includes("boom"), true, msg);
    // The other worker's job in hand finished before the run rejected.
    assertEquals(counters().started, counters().finished + 1);
    let again = "";
    await p.run([{ value: 5 }]).catch((e) => again = (e as Error).message);
    assertEquals(again, msg);
  } finally {
    p.close();
  }
});

Deno.test("a worker whose set-up throws fails the run; broadcasts reach every worker in order", async () => {
  const bad = pool(1, { failSetup: true });
  try {
    let msg = "";
    await bad.p.run([{ value: 1 }]).catch((e) => msg = (e as Error).message);
    assertEquals(
      msg.startsWith("test worker crashed: could not set up: Error: cannot set up"),
      true,
      msg,
    );
  } finally {
    bad.p.close();
  }
  const { p } = pool(2);
  try {
    p.broadcast({ offset: 1 });
    const jobs = Array.from({ length: 6 }, (_, i) => ({ value: i, ms: 5 }));
    assertEquals(
      JSON.stringify((await p.run(jobs)).map((r) => r.value)),
      JSON.stringify(jobs.map((j) => j.value * 10 + 1)),
    );
    p.broadcast({ offset: 2 });
    assertEquals((await p.run([{ value: 1 }, { value: 2 }]))[1].value, 22);
  } finally {
    p.close();
  }
  await assertRejectsKind(() => p.run([{ value: 1 }]), "BadArgument");
});

Deno.test("closing the pool during a run rejects the run at once", async () => {
  const { p } = pool(1);
  const running = p.run([{ value: 1, ms: 5_000 }]);
  await new Promise((r) => setTimeout(r, 50));
  p.close();
  let msg = "";
  await running.catch((e) => msg = (e as Error).message);
  assertEquals(msg, "test pool closed during a run");
});

Deno.test("ready gate: a job goes out only once its ready resolves; a rejection is its error", async () => {
  const { p, counters } = pool(2);
  try {
    const jobs: TestJob[] = [{ value: 0 }, { value: 1 }, { value: 2 }];
    const asked: number[] = [];
    let open1 = () => {};
    const gate1 = new Promise<void>((r) => open1 = r);
    const run = p.runSettled(jobs, {
      ready: (i) => {
        asked.push(i);
        if (i === 1) return gate1;
        if (i === 2) return Promise.reject(new Error("tile could not be had"));
        return Promise.resolve();
      },
    });
    // Job 0 finishes; job 1 waits for its gate however long, job 2 is not even asked yet.
    while (counters().finished < 1) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    assertEquals(JSON.stringify(asked), "[0,1]");
    assertEquals(counters().started, 1);
    open1();
    const outcomes = await run;
    assertEquals(JSON.stringify(asked), "[0,1,2]");
    assertEquals(counters().started, 2);
    assertEquals(outcomes[0].ok && outcomes[1].ok, true);
    const third = outcomes[2] as Extract<JobOutcome<unknown>, { ok: false }>;
    assertEquals(third.ok, false);
    assertEquals(third.error.message, "value 2: tile could not be had");
  } finally {
    p.close();
  }
});
