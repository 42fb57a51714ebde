/**
 * The scale-out on a real SLURM cluster (munged, slurmctld, slurmd on this machine; see
 * slurm_env.ts): (a) `cluster slurm … --tasks 3 --submit --wait` gives stores byte-identical to
 * a one-machine build; (b) an array task cancelled (`scancel JOB_TASK`) makes the finalise job
 * never run, `build --finalize` then refuses naming the slice, and re-submitting that one index
 * (`--indices 1`) finishes the stores, identical; (c) a second array of another plan (another
 * slice count) into the same store fails in every task, naming the difference; (d) BASE a URL
 * (Debian's nginx on loopback): the tasks fetch their own tiles, the stores are the same.
 */
import { join } from "node:path";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { runCli } from "../helpers/cli.ts";
import { withTmp } from "../helpers/env.ts";
import { diffTrees } from "../helpers/store_files.ts";
import { printed } from "../cli/helpers.ts";
import { jobStates, waitForJob } from "../../lib/cluster/slurm.ts";
import { ensureSlurm } from "./slurm_env.ts";
import { withNginx } from "../helpers/nginx.ts";

const slurm = await ensureSlurm();
if (!slurm.ok) console.warn(`SKIPPING the SLURM tests: ${slurm.reason}`);

const STORES = ["utm30_2024.zarr", "utm31_2024.zarr"];

async function sameStores(a: string, b: string): Promise<string[]> {
  const out: string[] = [];
  for (const s of STORES) out.push(...await diffTrees(join(a, s), join(b, s)));
  return out;
}

async function logs(dir: string, prefix: string): Promise<string> {
  let text = "";
  for await (const e of Deno.readDir(join(dir, "cluster/logs"))) {
    if (e.name.startsWith(prefix)) {
      text += await Deno.readTextFile(join(dir, "cluster/logs", e.name));
    }
  }
  return text;
}

Deno.test({
  name: "SLURM: job arrays + finalise job give the one-machine stores",
  ignore: !slurm.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    await withTmp("tz-slurm-", async (dir) => {
      const base = join(dir, "ds");
      await fixtureDataset({ out: base, tiles: 2, bands: 8, groups: ["greenwich"] });
      const ref = join(dir, "ref");
      const r0 = await runCli("build", [base, "--output-dir", ref, "--workers", "1"]);
      assertEquals(r0.code, 0, printed(r0));
      const cluster = (out: string, ...flags: string[]) =>
        runCli("cluster", ["slurm", base, "--output-dir", out, ...flags]);

      await t.step("(a) --tasks 3 --submit --wait: byte-identical stores", async () => {
        const out = join(dir, "a");
        const r = await cluster(out, "--tasks", "3", "--workers", "1", "--submit", "--wait");
        assertEquals(r.code, 0, printed(r));
        const arrayJob = /Submitted array job (\d+)/.exec(r.stdout)?.[1];
        const finalizeJob = /Submitted finalise job (\d+)/.exec(r.stdout)?.[1];
        assertEquals(Boolean(arrayJob && finalizeJob), true, r.stdout);
        assertDeepEquals(await sameStores(ref, out), []);
        // Each array task ran its own slice under SLURM, the finalise job after them.
        const built = await logs(out, `build-${arrayJob}_`);
        for (const k of [0, 1, 2]) {
          assertEquals(built.includes(`Slice ${k}/3:`), true, built);
        }
        const fin = await logs(out, `finalize-${finalizeJob}`);
        assertEquals(/utm30_2024.zarr: finalised \(6 shards from 3 slices\)/.test(fin), true, fin);
      });

      const out = join(dir, "b");
      await t.step("(b) scancel one array task: finalise refuses naming the slice", async () => {
        // Two CPUs per task on a two-CPU node: one task runs at a time, so task 1 is still
        // pending (or, at worst, running) when it is cancelled.
        const r = await cluster(out, "--tasks", "3", "--workers", "2", "--submit", "--json");
        assertEquals(r.code, 0, printed(r));
        const { arrayJob, finalizeJob } = JSON.parse(r.stdout).submitted;
        const cancel = await new Deno.Command("scancel", { args: [`${arrayJob}_1`] }).output();
        assertEquals(cancel.success, true, new TextDecoder().decode(cancel.stderr));
        const end = await waitForJob(finalizeJob);
        // afterok can never be met: the finalise job is cancelled, never run.
        assertEquals(end.state, "CANCELLED", JSON.stringify(end));
        const tasks = await jobStates(arrayJob);
        const state = (k: string) => tasks.find((s) => s.arrayTaskId === k)?.state;
        // A task cancelled while pending may leave no record; either way it did not complete.
        assertEquals(state("1") ?? "CANCELLED", "CANCELLED", JSON.stringify(tasks));
        assertEquals(state("0"), "COMPLETED", JSON.stringify(tasks));
        assertEquals(state("2"), "COMPLETED", JSON.stringify(tasks));
        const f = await runCli("build", [base, "--output-dir", out, "--finalize", "--json"]);
        assertEquals(f.code, 1, printed(f));
        assertEquals(JSON.parse(f.stdout).slicesToRerun.join(","), "1");
        assertEquals(f.stderr.includes("Run slice 1 again"), true, f.stderr);
        assertEquals(
          f.stderr.includes(`sbatch --array=1 ${out}/cluster/slurm-build-2024.sbatch`),
          true,
          f.stderr,
        );
      });

      await t.step("(c) an array of another plan into the same stores is refused", async () => {
        const r = await cluster(out, "--tasks", "2", "--workers", "1", "--submit", "--wait");
        assertEquals(r.code, 1, printed(r));
        assertEquals(
          /array tasks that did not complete: 0 \(FAILED\), 1 \(FAILED\)/.test(r.stderr),
          true,
          r.stderr,
        );
        const arrayJob = /Submitted array job (\d+)/.exec(r.stdout)![1];
        const task = await logs(out, `build-${arrayJob}_`);
        assertEquals(
          /belongs to another sliced build: it was initialised by a 3-slice build, this is a 2-slice build/
            .test(task),
          true,
          task,
        );
      });

      await t.step("(b) re-submit index 1 alone, finalise: byte-identical", async () => {
        const r = await cluster(
          out,
          "--tasks",
          "3",
          "--workers",
          "2",
          "--submit",
          "--indices",
          "1",
          "--wait",
        );
        assertEquals(r.code, 0, printed(r));
        assertEquals(r.stdout.includes("(indices 1)"), true, r.stdout);
        assertDeepEquals(await sameStores(ref, out), []);
      });

      await t.step(
        "(d) BASE a URL: the tasks fetch their tiles from nginx, same stores",
        async () => {
          const skipped = await withNginx(base, async (nginx) => {
            const out = join(dir, "d");
            const r = await runCli("cluster", [
              "slurm",
              nginx.url,
              ...["--output-dir", out, "--tasks", "2", "--workers", "1", "--connections", "4"],
              ...["--submit", "--wait"],
            ]);
            assertEquals(r.code, 0, printed(r));
            assertDeepEquals(await sameStores(ref, out), []);
            // The tasks were given the URL and the flags, and the spool's memory is counted.
            const script = await Deno.readTextFile(join(out, "cluster", "slurm-build-2024.sbatch"));
            assertEquals(script.includes(`tasks/build.ts ${nginx.url} `), true, script);
            assertEquals(script.includes("--connections 4"), true, script);
            assertEquals(script.includes("export TZ_SPOOL_MEMORY_MB=1024"), true, script);
            assertEquals(/#SBATCH --mem=\d+M/.test(script), true, script);
            const mem = Number(/#SBATCH --mem=(\d+)M/.exec(script)![1]);
            assertEquals(mem >= 1024 + 256, true, script);
          });
          if (skipped) console.warn(`(d) skipped: ${skipped}`);
        },
      );
    });
  },
});
