/**
 * Per-file times of a test run from the JUnit XML that `deno test --junit-path` writes: the
 * sum of each file's test-case times, slowest first. Pure (a string in, rows out), so
 * `deno task test` can print the slowest test files after the run and CI shows them.
 */

/** One test file's share of a run. */
export interface FileTime {
  /** The test file, as deno test names it (`./tests/…_test.ts`). */
  readonly file: string;
  /** Sum of its test cases' times, in seconds. */
  readonly seconds: number;
  /** How many test cases it ran. */
  readonly tests: number;
}

const CASE_RE = /<testcase\b[^>]*?\bclassname="([^"]*)"[^>]*?\btime="([0-9.]+)"/g;

/** Test files by total time, slowest first (ties by name). */
export function fileTimes(junitXml: string): FileTime[] {
  const by = new Map<string, { seconds: number; tests: number }>();
  for (const m of junitXml.matchAll(CASE_RE)) {
    const file = unescapeXml(m[1]);
    const t = by.get(file) ?? { seconds: 0, tests: 0 };
    t.seconds += Number(m[2]);
    t.tests++;
    by.set(file, t);
  }
  return [...by].map(([file, t]) => ({ file, ...t }))
    .sort((a, b) => b.seconds - a.seconds || (a.file < b.file ? -1 : 1));
}

/** The `n` slowest files as aligned plain lines, under a heading. */
export function formatSlowest(times: readonly FileTime[], n = 10): string {
  const rows = times.slice(0, n);
  if (rows.length === 0) return "slowest test files: none ran";
  const width = Math.max(...rows.map((r) => r.file.length));
  return [
    `slowest ${rows.length} test files (sum of their tests' times):`,
    ...rows.map((r) =>
      `  ${r.file.padEnd(width)}  ${r.seconds.toFixed(1).padStart(6)} s  ${r.tests} tests`
    ),
  ].join("\n");
}

function unescapeXml(s: string): string {
  return s.replace(
    /&(lt|gt|quot|apos|amp);/g,
    (_, e) => ({ lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" })[e as "lt"],
  );
}
