/**
 * `deno task test [ARGS...]`: the test suite — tests/prepare.ts (the shared sample stores),
 * then `deno test -A --parallel tests/ ARGS...`, exactly as the shell one-liner it replaces.
 */
import { fileURLToPath } from "node:url";
import { runSteps } from "../lib/cli/steps.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));

const USAGE = `
deno task test [DENO_TEST_ARGS...]

Runs the test suite: first tests/prepare.ts, which makes the sample dataset and its previewed
stores once (so the test files, run in parallel, share them), then
"deno test -A --parallel tests/" with any extra arguments appended, e.g. --filter zarr or
--fail-fast (see "deno test --help" for all of them).

The output ends with deno test's own summary line ("ok | N passed | M failed" or
"FAILED | N passed | M failed"), which .ci/run reads. Exit code: deno test's (or that of
tests/prepare.ts when preparing failed).

Options:
  -h, --help   this help
`;

/** The commands `deno task test ARGS…` runs, in order (each is `deno <step…>`). */
export function testSteps(args: readonly string[]): string[][] {
  return [
    ["run", "-A", "tests/prepare.ts"],
    ["test", "-A", "--parallel", "tests/", ...args],
  ];
}

if (import.meta.main) {
  // Every other argument belongs to deno test, so only our own --help is looked at here.
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(USAGE.trim());
    Deno.exit(0);
  }
  Deno.exit(await runSteps(testSteps(Deno.args), { cwd: REPO }));
}
