/**
 * What the test machine offers, probed once: a Python interpreter that can import a module
 * (python3 on PATH may be a pyenv shim without Debian's packages, so /usr/bin/python3 is tried
 * too), and a temporary-directory helper.
 */

/** The first of `python3`, `/usr/bin/python3` that imports `module`, else undefined. */
export async function pythonWith(module: string): Promise<string | undefined> {
  for (const py of ["python3", "/usr/bin/python3"]) {
    try {
      const out = await new Deno.Command(py, {
        args: ["-c", `import ${module}`],
        stdout: "null",
        stderr: "null",
      }).output();
      if (out.success) return py;
    } catch { /* not installed */ }
  }
  return undefined;
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withTmp(prefix: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
