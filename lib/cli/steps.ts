/**
 * Runs a sequence of Deno commands (`deno <args>`) as the shell's `a && b && c` would: one after
 * another with the terminal inherited, stopping at the first that fails. Used by the `test` and
 * `check` tasks, so their output is exactly that of the tools they run.
 */

/**
 * Runs each step with this Deno binary and returns the exit code of the first failing one, or
 * 0. `quiet` discards the steps' output (for tests).
 *
 * @example
 * const code = await runSteps([["lint"], ["fmt", "--check"]]);
 */
export async function runSteps(
  steps: readonly (readonly string[])[],
  opts: { quiet?: boolean; cwd?: string; env?: Record<string, string> } = {},
): Promise<number> {
  const io = opts.quiet ? "null" : "inherit";
  for (const args of steps) {
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: [...args],
      cwd: opts.cwd,
      env: opts.env,
      stdin: "inherit",
      stdout: io,
      stderr: io,
    }).output();
    if (code !== 0) return code;
  }
  return 0;
}
