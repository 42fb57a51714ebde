import { assertEquals, assertRejectsKind } from "./assert.ts";
import { defaultOutputDir, resolveBase, SAMPLE_DIR } from "../lib/data_location.ts";
import { runCli } from "./helpers/cli.ts";

Deno.test("an explicit BASE wins; a missing one is a clear usage error", async () => {
  const dir = await Deno.makeTempDir();
  assertEquals(await resolveBase(dir), dir);
  const e = await assertRejectsKind(() => resolveBase(`${dir}/nope`), "BadArgument");
  assertEquals(e.message.includes(`${dir}/nope`), true);
  assertEquals(defaultOutputDir("/data"), "/data/zarr");
  assertEquals(SAMPLE_DIR.endsWith("fixtures/sample"), true);
});

Deno.test("$TESSERA_DATA is the default BASE", async () => {
  const dir = await Deno.makeTempDir();
  const prev = Deno.env.get("TESSERA_DATA");
  Deno.env.set("TESSERA_DATA", dir);
  try {
    assertEquals(await resolveBase(), dir);
  } finally {
    if (prev === undefined) Deno.env.delete("TESSERA_DATA");
    else Deno.env.set("TESSERA_DATA", prev);
  }
  // Through a task: the scan names $TESSERA_DATA when it points nowhere.
  const r = await runCli("scan", [], { TESSERA_DATA: `${dir}/missing` });
  assertEquals(r.code, 2);
  assertEquals(r.stderr.includes("$TESSERA_DATA"), true, r.stderr);
});

Deno.test("every task answers --help with exit 0", async () => {
  for (const task of ["fixtures", "scan", "build", "demo"]) {
    const r = await runCli(task, ["--help"]);
    assertEquals(r.code, 0, `${task}: ${r.stderr}`);
    assertEquals(r.stdout.includes(`deno task ${task}`), true, task);
  }
  const bad = await runCli("build", ["--no-such-flag"]);
  assertEquals(bad.code, 2);
});
