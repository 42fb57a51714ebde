import { join } from "node:path";
import { assertDeepEquals, assertEquals, assertRejectsKind } from "./assert.ts";
import { defaultOutputDir, resolveBase, SAMPLE_DIR, sampleLocation } from "../lib/data_location.ts";
import { defaultStores } from "../lib/sample_stores.ts";
import { REPO, runCli } from "./helpers/cli.ts";
import { withTmp } from "./helpers/env.ts";

/** Runs `fn` with the environment variables set (undefined: removed), then restores them. */
async function withEnv(vars: Record<string, string | undefined>, fn: () => unknown) {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  const set = (k: string, v: string | undefined) =>
    v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  try {
    for (const [k, v] of Object.entries(vars)) set(k, v);
    await fn();
  } finally {
    for (const [k, v] of Object.entries(before)) set(k, v);
  }
}

/** The smallest thing that is a dataset folder: an (empty) embeddings directory. */
async function datasetDir(dir: string): Promise<string> {
  await Deno.mkdir(join(dir, "global_0.1_degree_representation"), { recursive: true });
  return dir;
}

Deno.test("an explicit BASE wins; a missing, file or non-dataset one is a usage error", async () => {
  await withTmp("tz-location-", async (dir) => {
    const base = await datasetDir(join(dir, "ds"));
    assertEquals(await resolveBase(base), base);
    for (const bad of [join(dir, "nope"), dir]) {
      const e = await assertRejectsKind(() => resolveBase(bad), "BadArgument");
      assertEquals(e.message.includes(bad), true, e.message);
    }
    const notDataset = await assertRejectsKind(() => resolveBase(dir), "BadArgument");
    assertEquals(notDataset.message.includes("global_0.1_degree_representation"), true);
    // A folder holding only a registry is a dataset (scan --plan-only plans from it).
    const lone = join(dir, "lone");
    await Deno.mkdir(lone);
    await Deno.writeTextFile(join(lone, "registry.parquet"), "");
    assertEquals(await resolveBase(lone), lone);
  });
  assertEquals(defaultOutputDir("/data"), "/data/zarr");
  assertEquals(SAMPLE_DIR.endsWith("fixtures/sample"), true);
});

Deno.test("$TESSERA_DATA is the default BASE", async () => {
  await withTmp("tz-location-env-", async (dir) => {
    const base = await datasetDir(dir);
    await withEnv({ TESSERA_DATA: base }, async () => {
      assertEquals(await resolveBase(), base);
    });
    // Through a task: the scan names $TESSERA_DATA when it points nowhere.
    const r = await runCli("scan", [], { TESSERA_DATA: `${dir}/missing` });
    assertEquals(r.code, 2);
    assertEquals(r.stderr.includes("$TESSERA_DATA"), true, r.stderr);
  });
});

Deno.test("$TZ_SAMPLE moves the sample; a bad one is a usage error", async () => {
  await withEnv({ TZ_SAMPLE: JSON.stringify({ dir: "/tmp/x/sample", tiles: 1 }) }, () => {
    assertDeepEquals(sampleLocation(), { dir: "/tmp/x/sample", fixtures: { tiles: 1 } });
  });
  await withEnv({ TZ_SAMPLE: undefined }, () => {
    assertDeepEquals(sampleLocation(), { dir: SAMPLE_DIR, fixtures: {} });
  });
  await withEnv({ TZ_SAMPLE: "{not json" }, async () => {
    await assertRejectsKind(() => Promise.resolve().then(sampleLocation), "BadArgument");
  });
});

Deno.test("a $TESSERA_DATA without stores: the notebooks' stores stop with the command", async () => {
  await withTmp("tz-location-stores-", async (dir) => {
    const base = await datasetDir(dir);
    await withEnv({ TESSERA_DATA: base }, async () => {
      const e = await assertRejectsKind(() => defaultStores({ quiet: true }), "BadStore");
      assertEquals(e.message.includes(`deno task build ${base} --rgb --pca`), true, e.message);
    });
  });
});

Deno.test("processes started together make the sample stores once", async () => {
  await withTmp("tz-location-lock-", async (dir) => {
    const sample = join(dir, "sample");
    const env = {
      TESSERA_DATA: "",
      TZ_SAMPLE: JSON.stringify({ dir: sample, tiles: 1, bands: 4, groups: ["greenwich"] }),
    };
    // Two manifest runs without DIR both need the sample's stores.
    const [a, b] = await Promise.all([runCli("manifest", [], env), runCli("manifest", [], env)]);
    for (const r of [a, b]) assertEquals(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const built = [a, b].filter((r) => r.stderr.includes("Building the sample stores"));
    assertEquals(built.length, 1, `${a.stderr}\n----\n${b.stderr}`);
    const generated = [a, b].filter((r) => r.stderr.includes("generating the sample dataset"));
    assertEquals(generated.length, 1);
    for (const r of [a, b]) {
      assertEquals(r.stdout.includes("2 store(s) listed"), true, r.stdout);
    }
    assertEquals(await Deno.stat(join(dir, ".sample.lock")).then(() => true, () => false), false);
  });
});

Deno.test("every task answers --help with exit 0", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(join(REPO, "deno.json"))).tasks as Record<
    string,
    string
  >;
  const scripts = Object.values(tasks).map((t) => /^deno run -A tasks\/(\w+)\.ts$/.exec(t)?.[1])
    .filter((t): t is string => t !== undefined);
  assertEquals(scripts.includes("test") && scripts.includes("check"), true, scripts.join(" "));
  for (const task of scripts) {
    const r = await runCli(task, ["--help"]);
    assertEquals(r.code, 0, `${task}: ${r.stderr}`);
    assertEquals(r.stdout.includes(`deno task ${task}`), true, task);
  }
  const bad = await runCli("build", ["--no-such-flag"]);
  assertEquals(bad.code, 2);
});
