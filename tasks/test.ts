/**
 * `deno task test [ARGS...]`: the test suite — tests/prepare.ts (the shared sample stores),
 * then `deno test -A --parallel tests/ ARGS...`, then the ten slowest test files (from the
 * run's JUnit report) and the suite's wall time.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runSteps } from "../lib/cli/steps.ts";
import { fileTimes, formatSlowest } from "../lib/cli/test_times.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));

const USAGE = `
deno task test [DENO_TEST_ARGS...]

Runs the test suite: first tests/prepare.ts, which makes the sample dataset and its previewed
stores once (so the test files, run in parallel, share them), then
"deno test -A --parallel tests/" with any extra arguments appended, e.g. --filter zarr or
--fail-fast (see "deno test --help" for all of them). Paths under tests/ replace the
default tests/: "deno task test tests/grid/ tests/read/read_test.ts" runs just those.

Builds in the suite skip flushing to the disk (TZ_FSYNC=0, as --no-fsync) unless TZ_FSYNC
is set; the tests about flushing turn it on themselves. Sample datasets the test files ask
for are generated once per run into a temporary cache ($TZ_FIXTURE_CACHE), removed after.

After deno test's own summary line ("ok | N passed | M failed" or "FAILED | N passed |
M failed", which .ci/run reads) it prints the ten slowest test files and the suite's wall
time. Exit code: deno test's (or that of tests/prepare.ts when preparing failed).

Options:
  -h, --help   this help
`;

/**
 * The commands `deno task test ARGS…` runs, in order (each is `deno <step…>`); with `junit`,
 * deno test also writes its JUnit report there (beside its usual output).
 */
export function testSteps(args: readonly string[], junit?: string): string[][] {
  // Paths given (tests/grid/, a file) replace the default tests/ rather than add to it.
  const paths = args.some((a) => !a.startsWith("-") && /^\.?\.?\/?tests\b/.test(a))
    ? []
    : ["tests/"];
  return [
    ["run", "-A", "tests/prepare.ts"],
    ["test", "-A", "--parallel", ...(junit ? [`--junit-path=${junit}`] : []), ...paths, ...args],
  ];
}

/**
 * The suite's environment: builds skip flushing to the disk (TZ_FSYNC=0, what `--no-fsync`
 * sets) unless TZ_FSYNC is set already. Stores are byte-identical either way; the tests about
 * flushing turn it on themselves (tests/builder/store_safety_test.ts). About 15 % of a
 * build-heavy test file's wall time on this kind of machine.
 */
export function testEnv(fixtureCache?: string): Record<string, string> {
  return {
    ...(Deno.env.get("TZ_FSYNC") === undefined ? { TZ_FSYNC: "0" } : {}),
    // Each sample dataset the tests ask for is generated once (tests/helpers/fixtures.ts).
    ...(fixtureCache ? { TZ_FIXTURE_CACHE: fixtureCache } : {}),
  };
}

/** Runs the steps, then prints the slowest files and the wall time; returns the exit code. */
async function runSuite(args: readonly string[]): Promise<number> {
  const t0 = performance.now();
  const ownJunit = !args.some((a) => a.startsWith("--junit-path"));
  const dir = ownJunit ? await Deno.makeTempDir({ prefix: "tessera-test-" }) : undefined;
  const junit = dir ? join(dir, "junit.xml") : undefined;
  const fixtures = await Deno.makeTempDir({ prefix: "tessera-test-fixtures-" });
  try {
    const code = await runSteps(testSteps(args, junit), { cwd: REPO, env: testEnv(fixtures) });
    const xml = junit ? await Deno.readTextFile(junit).catch(() => undefined) : undefined;
    if (xml) console.log(`\n${formatSlowest(fileTimes(xml))}`);
    const s = (performance.now() - t0) / 1000;
    console.log(`suite wall time: ${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);
    return code;
  } finally {
    if (dir) await Deno.remove(dir, { recursive: true });
    await Deno.remove(fixtures, { recursive: true });
  }
}

if (import.meta.main) {
  // Every other argument belongs to deno test, so only our own --help is looked at here.
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(USAGE.trim());
    Deno.exit(0);
  }
  Deno.exit(await runSuite(Deno.args));
}
