import { assertDeepEquals, assertEquals } from "../assert.ts";
import { fileTimes, formatSlowest } from "../../lib/cli/test_times.ts";

const XML = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="deno test" tests="3" failures="0" errors="0" time="2.0">
  <testsuite name="./tests/a_test.ts" tests="2">
    <testcase name="one &amp; two" classname="./tests/a_test.ts" time="0.250" line="1" col="6">
    </testcase>
    <testcase name="x" classname="./tests/a_test.ts" time="1.000" line="9" col="6">
      <failure message="boom">boom</failure>
    </testcase>
  </testsuite>
  <testsuite name="./tests/b&apos;s_test.ts" tests="1">
    <testcase name="y" classname="./tests/b&apos;s_test.ts" time="1.500" line="1" col="6">
    </testcase>
  </testsuite>
</testsuites>`;

Deno.test("fileTimes sums each file's cases, slowest first", () => {
  assertDeepEquals(fileTimes(XML), [
    { file: "./tests/b's_test.ts", seconds: 1.5, tests: 1 },
    { file: "./tests/a_test.ts", seconds: 1.25, tests: 2 },
  ]);
  assertDeepEquals(fileTimes("<testsuites></testsuites>"), []);
});

Deno.test("formatSlowest lists at most n files, aligned", () => {
  const text = formatSlowest(fileTimes(XML), 1);
  assertEquals(
    text,
    "slowest 1 test files (sum of their tests' times):\n  ./tests/b's_test.ts     1.5 s  1 tests",
  );
  assertEquals(formatSlowest([]), "slowest test files: none ran");
});
