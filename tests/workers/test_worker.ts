/**
 * A worker for the pool tests: each job waits, then answers, fails (a store problem or a bug)
 * or crashes the worker; a shared counter records how many jobs run at once.
 */
/// <reference lib="deno.worker" />
import { TesseraError } from "../../lib/errors.ts";
import { serveJobs } from "../../lib/workers/serve.ts";

/** A test job. */
export interface TestJob {
  value: number;
  ms?: number;
  /** Wait until this many jobs have finished (a completion order that does not race). */
  after?: number;
  fail?: "store" | "bug";
  crash?: boolean;
}

/** The init message: a multiplier and the shared counters (see pool_test.ts). */
export interface TestInit {
  factor: number;
  /** [0] jobs running now, [1] most at once, [2] jobs started, [3] jobs finished. */
  counters: SharedArrayBuffer;
  failSetup?: boolean;
}

serveJobs((init: TestInit) => {
  if (init.failSetup) throw new Error("cannot set up");
  const c = new Int32Array(init.counters);
  let offset = 0;
  return {
    message(m: { offset: number }) {
      offset = m.offset;
    },
    async run(job: TestJob) {
      Atomics.add(c, 2, 1);
      const now = Atomics.add(c, 0, 1) + 1;
      for (let max = Atomics.load(c, 1); now > max; max = Atomics.load(c, 1)) {
        if (Atomics.compareExchange(c, 1, max, now) === max) break;
      }
      try {
        await new Promise((r) => setTimeout(r, job.ms ?? 0));
        while (job.after !== undefined && Atomics.load(c, 3) < job.after) {
          await new Promise((r) => setTimeout(r, 1));
        }
        if (job.crash) {
          // Thrown from a timer, so nothing catches it: the worker dies holding this job.
          await new Promise(() =>
            setTimeout(() => {
              throw new Error("boom");
            }, 0)
          );
        }
        if (job.fail === "store") throw new TesseraError("BadStore", "index is corrupt", "a/c/0");
        if (job.fail === "bug") throw new RangeError("off by one");
        return { value: job.value * init.factor + offset };
      } finally {
        Atomics.sub(c, 0, 1);
        Atomics.add(c, 3, 1);
      }
    },
  };
});
