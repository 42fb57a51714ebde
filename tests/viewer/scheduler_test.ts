/** viewer/src/scheduler.ts and lru.ts: nearest first, bounded, cancellation that reaches the work. */
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { PinnedLruCache } from "../../viewer/src/pinned_lru.ts";
import { type Task, TileScheduler } from "../../viewer/src/scheduler.ts";

interface Job {
  task: Task;
  signal: AbortSignal;
  finish: () => void;
  fail: (e: Error) => void;
}

function harness(concurrency: number) {
  const jobs: Job[] = [];
  const done: string[] = [];
  const failed: string[] = [];
  let maxRunning = 0, running = 0;
  const s = new TileScheduler<Task, string>({
    concurrency,
    run: (task, signal) =>
      new Promise<string>((resolve, reject) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        const end = () => running--;
        signal.addEventListener("abort", () => {
          end();
          const e = new Error("aborted");
          e.name = "AbortError";
          reject(e);
        });
        jobs.push({
          task,
          signal,
          finish: () => (end(), resolve(task.key)),
          fail: (e) => (end(), reject(e)),
        });
      }),
    onDone: (t) => done.push(t.key),
    onError: (t) => failed.push(t.key),
  });
  return { s, jobs, done, failed, max: () => maxRunning };
}

const tasks = (keys: string, base = 0): Task[] =>
  [...keys].map((k, i) => ({ key: k, priority: base + (keys.length - i) }));

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("scheduler runs nearest first, never more than `concurrency` at once", async () => {
  const h = harness(2);
  h.s.setWanted(tasks("abcde")); // priorities: a=5 … e=1, so e runs first
  assertDeepEquals(h.jobs.map((j) => j.task.key), ["e", "d"]);
  while (h.jobs.some((j) => !j.signal.aborted && !h.done.includes(j.task.key))) {
    h.jobs.find((j) => !h.done.includes(j.task.key))!.finish();
    await tick();
  }
  assertDeepEquals(h.done, ["e", "d", "c", "b", "a"]);
  assertEquals(h.max(), 2);
  assertEquals(h.s.idle, true);
});

Deno.test("a view change aborts in-flight tiles it no longer wants and keeps the others", async () => {
  const h = harness(3);
  h.s.setWanted(tasks("abc"));
  assertEquals(h.jobs.length, 3);
  h.s.setWanted(tasks("cxy"));
  const byKey = Object.fromEntries(h.jobs.map((j) => [j.task.key, j]));
  assertEquals(byKey.a.signal.aborted, true);
  assertEquals(byKey.b.signal.aborted, true);
  assertEquals(byKey.c.signal.aborted, false); // still wanted: not restarted either
  assertEquals(h.s.counts.aborted, 2);
  assertEquals(h.jobs.filter((j) => j.task.key === "c").length, 1);
  await tick();
  assertDeepEquals(h.jobs.map((j) => j.task.key).sort(), ["a", "b", "c", "x", "y"]);
  for (const j of h.jobs) if (!j.signal.aborted) j.finish();
  await tick();
  assertDeepEquals(h.done.sort(), ["c", "x", "y"]);
  assertDeepEquals(h.failed, []); // aborted tiles are neither done nor failed
  const idle = h.s.whenIdle();
  await idle;
});

Deno.test("a paused scheduler (map moving) starts nothing until the next plan", async () => {
  const h = harness(1);
  h.s.setWanted(tasks("ab")); // b is nearer: it runs, a waits
  assertEquals(h.jobs.length, 1);
  h.s.pause();
  h.jobs[0].finish();
  await tick();
  assertEquals(h.jobs.length, 1); // a stays queued while paused
  h.s.setWanted(tasks("c")); // the new view drops a and starts c
  assertDeepEquals(h.jobs.map((j) => j.task.key), ["b", "c"]);
});

Deno.test("failures are reported, not remembered: the next view retries them", async () => {
  const h = harness(1);
  h.s.setWanted(tasks("a"));
  h.jobs[0].fail(new Error("HTTP 500"));
  await tick();
  assertDeepEquals(h.failed, ["a"]);
  h.s.setWanted(tasks("a"));
  assertEquals(h.jobs.length, 2);
  h.jobs[1].finish();
  await tick();
  assertDeepEquals(h.done, ["a"]);
});

Deno.test("an abort the scheduler did not ask for (a shared fetch) is retried", async () => {
  const h = harness(1);
  h.s.setWanted(tasks("a"));
  const e = new Error("shared index fetch aborted");
  e.name = "AbortError";
  h.jobs[0].fail(e);
  await tick();
  assertEquals(h.jobs.length, 2);
  h.jobs[1].finish();
  await tick();
  assertDeepEquals(h.done, ["a"]);
});

Deno.test("LRU: bounded by entries and bytes, pinned entries survive, onRemove sees every exit", () => {
  const removed: string[] = [];
  const pinned = new Set(["a"]);
  const c = new PinnedLruCache<string, number>(3, 100, {
    onRemove: (k) => removed.push(k),
    isPinned: (k) => pinned.has(k),
  });
  c.set("a", 1, 10);
  c.set("b", 2, 10);
  c.set("c", 3, 10);
  c.get("b");
  c.set("d", 4, 10); // over 3 entries: a is pinned, c is least recent
  assertDeepEquals(removed, ["c"]);
  c.set("e", 5, 90); // over 100 bytes: b and d go, a stays pinned
  assertDeepEquals(removed, ["c", "b", "d"]);
  assertEquals(c.has("a"), true);
  pinned.clear();
  c.trim();
  assertEquals(c.bytes <= 100 && c.size <= 3, true);
  c.clear();
  assertEquals(c.size, 0);
});
