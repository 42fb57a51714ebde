/**
 * Shared pieces of the command-line tests: a small dataset (two tiles, zones 30 and 31, four
 * bands — a second to make) and, when asked, its built stores, inside a caller's temp dir.
 */
import { join } from "node:path";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { type CliResult, REPO, runCli } from "../helpers/cli.ts";

/** A dataset under `dir/ds` and, with `stores`, its zone stores in `dir/ds/zarr`. */
export async function smallDataset(
  dir: string,
  opts: { stores?: boolean } = {},
): Promise<{ base: string; zarr: string }> {
  const base = join(dir, "ds");
  await fixtureDataset({ out: base, tiles: 1, bands: 4, groups: ["greenwich"] });
  const zarr = join(base, "zarr");
  if (opts.stores) {
    const r = await runCli("build", [base, "--workers", "1", "--json"]);
    if (r.code !== 0) throw new Error(`build failed (${r.code}):\n${r.stderr}`);
  }
  return { base, zarr };
}

/** True when the path exists. */
export function exists(path: string): Promise<boolean> {
  return Deno.stat(path).then(() => true, () => false);
}

/** A failure message with everything the task printed. */
export function printed(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** The task printed a one-line usage error, not a stack trace. */
export function noStackTrace(r: CliResult): boolean {
  return !/^\s+at .*:\d+:\d+\)?$/m.test(r.stderr) && !/error: Uncaught/.test(r.stderr);
}

/**
 * Like runCli, but the task is killed after `ms` (for tasks that would otherwise keep running,
 * such as a `serve` that wrongly accepted its arguments); a killed task reports code -1.
 */
export async function runCliWithin(task: string, args: string[], ms: number): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `tasks/${task}.ts`, ...args],
    cwd: REPO,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, ms);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return {
    code: killed ? -1 : out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}
