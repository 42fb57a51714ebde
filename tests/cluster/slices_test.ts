/**
 * Sliced builds through the real `build` task: three slices writing one output dir at once,
 * then `--finalize`, give stores byte-identical (every file) to a one-machine build, previews
 * included; finalising with a slice missing exits 1 naming the slice and its command and
 * writes nothing; a slice run again redoes only its unfinished shards; a store initialised
 * from another plan (another N, zones or band count) is refused naming the difference; a
 * running slice keeps out a second copy of itself, the finalise step and a one-machine build.
 */
import { join } from "node:path";
import { hostname } from "node:os";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { runCli, spawnCli } from "../helpers/cli.ts";
import { withTmp } from "../helpers/env.ts";
import { diffTrees } from "../helpers/store_files.ts";
import { printed } from "../cli/helpers.ts";
import { ownProcStart } from "../../lib/store/lock.ts";

const STORES = ["utm30_2024.zarr", "utm31_2024.zarr"];

async function sameStores(a: string, b: string): Promise<string[]> {
  const out: string[] = [];
  for (const s of STORES) out.push(...await diffTrees(join(a, s), join(b, s)));
  return out;
}

function slices(base: string, out: string, ks: number[], n: number, extra: string[] = []) {
  return Promise.all(
    ks.map((k) =>
      runCli("build", [
        base,
        "--output-dir",
        out,
        "--workers",
        "1",
        "--shard",
        `${k}/${n}`,
        ...extra,
      ])
    ),
  );
}

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

Deno.test("sliced builds: concurrent slices + finalise = one-machine build", async (t) => {
  await withTmp("tz-slices-", async (dir) => {
    const base = join(dir, "ds");
    // Zones 30 and 31, 2 × 2 tiles each, 8 bands: 12 shards, 4 per slice.
    await fixtureDataset({ out: base, tiles: 2, bands: 8, groups: ["greenwich"] });
    const ref = join(dir, "ref");
    const r0 = await runCli("build", [base, "--output-dir", ref, "--workers", "1"]);
    assertEquals(r0.code, 0, printed(r0));

    await t.step("three slices at once, then --finalize: byte-identical", async () => {
      const out = join(dir, "a");
      for (const r of await slices(base, out, [0, 1, 2], 3)) assertEquals(r.code, 0, printed(r));
      // No store-wide lock was taken, and nothing is final yet.
      for (const s of STORES) {
        assertEquals(await exists(join(out, `${s}.lock`)), false);
        assertEquals(await exists(join(out, s, "_build/plan.json")), true);
      }
      const f = await runCli("build", [base, "--output-dir", out, "--finalize"]);
      assertEquals(f.code, 0, printed(f));
      assertDeepEquals(await sameStores(ref, out), []);
      // Finalising again leaves the stores as they are.
      const again = await runCli("build", [base, "--output-dir", out, "--finalize"]);
      assertEquals(again.code, 0, printed(again));
      assertDeepEquals(await sameStores(ref, out), []);
    });

    await t.step(
      "a missing slice: finalise refuses naming it; run it, finalise: identical",
      async () => {
        const out = join(dir, "b");
        for (const r of await slices(base, out, [0, 2], 3)) assertEquals(r.code, 0, printed(r));
        const before = await Deno.readTextFile(join(out, STORES[0], "zarr.json"));
        const f = await runCli("build", [base, "--output-dir", out, "--finalize", "--json"]);
        assertEquals(f.code, 1, printed(f));
        const report = JSON.parse(f.stdout);
        assertEquals(report.slicesToRerun.join(","), "1");
        for (const s of report.stores) {
          assertEquals(s.state, "incomplete");
          for (const m of s.missing) assertEquals(m.slice, 1);
        }
        assertEquals(/Run slice 1 again/.test(f.stderr), true, f.stderr);
        assertEquals(f.stderr.includes("--shard 1/3"), true, f.stderr);
        // Nothing was written.
        assertEquals(await Deno.readTextFile(join(out, STORES[0], "zarr.json")), before);
        assertEquals(JSON.parse(before).attributes.build_complete, false);

        const [s1] = await slices(base, out, [1], 3);
        assertEquals(s1.code, 0, printed(s1));
        const f2 = await runCli("build", [base, "--output-dir", out, "--finalize", "--tasks", "3"]);
        assertEquals(f2.code, 0, printed(f2));
        assertDeepEquals(await sameStores(ref, out), []);
      },
    );

    await t.step("a slice run again redoes only its unfinished shards", async () => {
      const out = join(dir, "c");
      for (const r of await slices(base, out, [0, 1, 2], 3)) assertEquals(r.code, 0, printed(r));
      // As a kill leaves it: one of slice 1's shards without its marker, and a dead temporary.
      const plan = JSON.parse(await Deno.readTextFile(join(out, STORES[1], "_build/plan.json")));
      const mine = plan.shards.filter(([, , k]: number[]) => k === 1);
      const [row, col] = mine[0];
      await Deno.remove(join(out, STORES[1], `_build/shards/${row}.${col}.stats`));
      await Deno.remove(join(out, STORES[1], `scales/c/${row}/${col}`));
      await Deno.writeTextFile(
        join(out, STORES[1], `scales/c/${row}/${col}.tmp-0123456789ab`),
        "x",
      );
      const [again] = await slices(base, out, [1], 3, ["--json"]);
      assertEquals(again.code, 0, printed(again));
      const r = JSON.parse(again.stdout);
      const z31 = r.stores.find((s: { store: string }) => s.store === STORES[1]);
      assertEquals(z31.shardsBuilt, 1);
      assertEquals(z31.shardsReused, mine.length - 1);
      const z30 = r.stores.find((s: { store: string }) => s.store === STORES[0]);
      assertEquals(z30.shardsBuilt, 0);
      const f = await runCli("build", [base, "--output-dir", out, "--finalize"]);
      assertEquals(f.code, 0, printed(f));
      assertDeepEquals(await sameStores(ref, out), []);
    });

    await t.step("a slice killed (SIGKILL) mid-run: its re-run redoes only the rest", async () => {
      const out = join(dir, "k");
      const store = join(out, STORES[1]);
      const child = spawnCli("build", [
        base,
        "--output-dir",
        out,
        "--workers",
        "1",
        "--shard",
        "0/1",
      ]);
      const markers = async () => {
        try {
          return (await Array.fromAsync(Deno.readDir(join(store, "_build/shards"))))
            .filter((e) => e.name.endsWith(".stats")).length;
        } catch {
          return 0;
        }
      };
      // Zone 30 is built first; kill once zone 31 has a finished shard.
      const t0 = Date.now();
      while (await markers() === 0 && Date.now() - t0 < 60_000) {
        await new Promise((r) => setTimeout(r, 10));
      }
      child.kill("SIGKILL");
      await child.status;
      await child.stderr.cancel();
      const done = await markers();
      // The killed slice's lock is left behind; its owner is gone, so it holds nothing.
      assertEquals(await exists(`${store}.slice-0-of-1.lock`), true);
      const [again] = await slices(base, out, [0], 1, ["--json"]);
      assertEquals(again.code, 0, printed(again));
      const z31 = JSON.parse(again.stdout).stores.find((s: { store: string }) =>
        s.store === STORES[1]
      );
      assertEquals(z31.shardsReused, done);
      assertEquals(z31.shardsBuilt, 6 - done);
      const f = await runCli("build", [base, "--output-dir", out, "--finalize"]);
      assertEquals(f.code, 0, printed(f));
      assertDeepEquals(await sameStores(ref, out), []);
    });

    await t.step("a store of another plan is refused, naming the difference", async () => {
      const out = join(dir, "d");
      const [s0] = await slices(base, out, [0], 3);
      assertEquals(s0.code, 0, printed(s0));
      const cases: [string[], RegExp][] = [
        [["--shard", "0/2"], /3-slice build, this is a 2-slice build/],
        [["--shard", "1/3", "--zones", "31"], /zones 30,31, this build is of zones 31/],
        [["--shard", "1/3", "--bands", "4"], /n_bands is 8, this build's is 4/],
        [["--finalize", "--tasks", "4"], /3-slice build, --tasks says 4/],
      ];
      for (const [flags, message] of cases) {
        const r = await runCli("build", [base, "--output-dir", out, "--workers", "1", ...flags]);
        assertEquals(r.code, 1, printed(r));
        assertEquals(message.test(r.stderr), true, `${flags.join(" ")}: ${r.stderr}`);
        assertEquals(r.stderr.includes(join(out, "utm3")), true, r.stderr);
      }
      // A one-machine build's store is not silently taken over by slices either.
      const [onRef] = await slices(base, ref, [0], 3);
      assertEquals(onRef.code, 2, printed(onRef));
      assertEquals(/already built/.test(onRef.stderr), true, onRef.stderr);
    });

    await t.step("a running slice keeps out its twin, the finalise and a plain build", async () => {
      const out = join(dir, "e");
      const [s0] = await slices(base, out, [0], 3);
      assertEquals(s0.code, 0, printed(s0));
      // A live owner (this test process) holds slice 1's lock of zone 30.
      const lock = join(out, `${STORES[0]}.slice-1-of-3.lock`);
      const owner = { pid: Deno.pid, host: hostname(), started: "now", procStart: ownProcStart() };
      await Deno.writeTextFile(lock, JSON.stringify(owner));
      const twin = (await slices(base, out, [1], 3))[0];
      assertEquals(twin.code, 1, printed(twin));
      assertEquals(/slice 1\/3 is already running/.test(twin.stderr), true, twin.stderr);
      const fin = await runCli("build", [base, "--output-dir", out, "--finalize"]);
      assertEquals(fin.code, 1, printed(fin));
      assertEquals(/still writing this store/.test(fin.stderr), true, fin.stderr);
      assertEquals(fin.stderr.includes(lock), true, fin.stderr);
      const plain = await runCli("build", [base, "--output-dir", out, "--resume"]);
      assertEquals(plain.code, 1, printed(plain));
      assertEquals(/slice 1\/3/.test(plain.stderr), true, plain.stderr);
      // Its owner gone (a pid that is not running), the lock holds nothing.
      await Deno.writeTextFile(lock, JSON.stringify({ ...owner, pid: 2 ** 22 + 7 }));
      const run = await slices(base, out, [1, 2], 3);
      for (const r of run) assertEquals(r.code, 0, printed(r));
      const f = await runCli("build", [base, "--output-dir", out, "--finalize"]);
      assertEquals(f.code, 0, printed(f));
      assertEquals(await exists(lock), false);
      assertDeepEquals(await sameStores(ref, out), []);
    });

    await t.step("previews: --finalize --rgb --pca = build --rgb --pca", async () => {
      const refP = join(dir, "refp");
      const r = await runCli("build", [
        base,
        "--output-dir",
        refP,
        "--workers",
        "1",
        "--rgb",
        "--pca",
      ]);
      assertEquals(r.code, 0, printed(r));
      const out = join(dir, "f");
      for (const s of await slices(base, out, [0, 1], 2)) assertEquals(s.code, 0, printed(s));
      const f = await runCli("build", [base, "--output-dir", out, "--finalize", "--rgb", "--pca"]);
      assertEquals(f.code, 0, printed(f));
      assertDeepEquals(await sameStores(refP, out), []);
    });

    await t.step("flags a slice cannot honour are refused (exit 2)", async () => {
      const out = join(dir, "g");
      const cases: [string[], RegExp, Record<string, string>?][] = [
        [["--shard", "0/3", "--overwrite"], /cannot --overwrite/],
        [["--shard", "0/3", "--repair"], /cannot --repair/],
        [["--shard", "0/3", "--rgb"], /give --rgb\/--pca to --finalize/],
        [["--shard", "0/3", "--finalize"], /give one of them/],
        [["--shard", "slurm"], /SLURM_ARRAY_TASK_ID is not set/],
        [["--shard", "k8s", "--tasks", "2"], /JOB_COMPLETION_INDEX is not set/],
        [["--tasks", "3"], /--tasks goes with --shard or --finalize/],
        [["--shard", "3/3"], /--shard must be K\/N/],
      ];
      for (const [flags, message] of cases) {
        const r = await runCli("build", [base, "--output-dir", out, ...flags], {
          SLURM_ARRAY_TASK_ID: "",
        });
        assertEquals(r.code, 2, `${flags.join(" ")}: ${printed(r)}`);
        assertEquals(message.test(r.stderr), true, `${flags.join(" ")}: ${r.stderr}`);
      }
      assertEquals(await exists(out), false);
    });
  });
});
