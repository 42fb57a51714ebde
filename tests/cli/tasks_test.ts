/**
 * The development tasks `test` and `check` are task scripts like the others: their own `--help`
 * (which runs nothing), the same steps as before, the status of the failing step.
 */
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { REPO, runCli } from "../helpers/cli.ts";
import { printed } from "./helpers.ts";
import { runSteps } from "../../lib/cli/steps.ts";
import { checkSteps } from "../../tasks/check.ts";
import { testEnv, testSteps } from "../../tasks/test.ts";

Deno.test("deno.json runs the test and check tasks through their scripts", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(`${REPO}/deno.json`)).tasks;
  assertEquals(tasks.test, "deno run -A tasks/test.ts");
  assertEquals(tasks.check, "deno run -A tasks/check.ts");
});

Deno.test("test --help and check --help print their own usage and run nothing", async (t) => {
  for (const task of ["test", "check"]) {
    for (const flag of ["--help", "-h"]) {
      await t.step(`${task} ${flag}`, async () => {
        const t0 = performance.now();
        const r = await runCli(task, [flag]);
        assertEquals(r.code, 0, printed(r));
        assertEquals(r.stdout.startsWith(`deno task ${task}`), true, printed(r));
        // Nothing ran: no test summary, no checker output, and quickly.
        const ran = /^(ok|FAILED) \| \d+ passed|^Check |^Checked \d+ file|^running \d+ test/m;
        assertEquals(ran.test(r.stdout + r.stderr), false, printed(r));
        assertEquals(performance.now() - t0 < 20_000, true, "took too long: did it run the work?");
      });
    }
  }
});

Deno.test("test: prepare, then deno test over tests/ with the extra arguments appended", () => {
  assertDeepEquals(testSteps([]), [
    ["run", "-A", "tests/prepare.ts"],
    ["test", "-A", "--parallel", "tests/"],
  ]);
  assertDeepEquals(testSteps(["tests/grid/", "--fail-fast"]).at(-1), [
    "test",
    "-A",
    "--parallel",
    "tests/grid/",
    "--fail-fast",
  ]);
  assertDeepEquals(testSteps([], "/t/j.xml").at(-1), [
    "test",
    "-A",
    "--parallel",
    "--junit-path=/t/j.xml",
    "tests/",
  ]);
  assertDeepEquals(testSteps(["--filter", "zarr", "--fail-fast"]).at(-1), [
    "test",
    "-A",
    "--parallel",
    "tests/",
    "--filter",
    "zarr",
    "--fail-fast",
  ]);
});

Deno.test("check: type check (the same files as before), then lint, then format check", async () => {
  const steps = await checkSteps();
  assertDeepEquals(steps.slice(1), [["lint"], ["fmt", "--check"]]);
  const [cmd, ...files] = steps[0];
  assertEquals(cmd, "check");
  for (const f of ["mod.ts", "tasks/build.ts", "tasks/check.ts", "tasks/test.ts"]) {
    assertEquals(files.includes(f), true, `${f} not type-checked: ${files.join(" ")}`);
  }
  for (const f of ["viewer/src/main.ts", "viewer/src/decode_worker.ts"]) {
    assertEquals(files.includes(f), true, `${f} not type-checked`);
  }
  assertEquals(files.some((f) => f.startsWith("bench/")), true);
  assertEquals(files.every((f) => f.endsWith(".ts")), true);
});

Deno.test("runSteps stops at the first failing step and returns its status", async () => {
  const eval_ = (code: string) => ["eval", code];
  assertEquals(await runSteps([eval_("Deno.exit(0)"), eval_("Deno.exit(0)")], { quiet: true }), 0);
  assertEquals(
    await runSteps([
      eval_("Deno.exit(0)"),
      eval_("Deno.exit(3)"),
      eval_("Deno.writeTextFileSync('/nonexistent/never', 'ran')"),
    ], { quiet: true }),
    3,
  );
});

Deno.test("test: the suite skips flushing unless TZ_FSYNC is set", () => {
  const before = Deno.env.get("TZ_FSYNC");
  try {
    Deno.env.delete("TZ_FSYNC");
    assertDeepEquals(testEnv(), { TZ_FSYNC: "0" });
    Deno.env.set("TZ_FSYNC", "1");
    assertDeepEquals(testEnv(), {});
    assertDeepEquals(testEnv("/t/f"), { TZ_FIXTURE_CACHE: "/t/f" });
  } finally {
    if (before === undefined) Deno.env.delete("TZ_FSYNC");
    else Deno.env.set("TZ_FSYNC", before);
  }
});
