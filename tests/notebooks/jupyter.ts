/**
 * Runs notebooks on the real Deno Jupyter kernel with `jupyter nbconvert --execute`, the way
 * CI and a user would. Setup is explicit and loud: a missing Jupyter is a failure naming the
 * Debian packages, never a skip; a missing or stale `deno` kernelspec is (re)installed.
 */
import { join } from "node:path";

/** The kernelspec name `deno jupyter --install` registers. */
export const KERNEL_NAME = "deno";

/** What provides `jupyter nbconvert --execute` and `jupyter kernelspec` on Debian. */
export const DEBIAN_PACKAGES = ["jupyter-nbconvert", "python3-nbclient", "jupyter-client"];

/** Seconds a single cell may run before nbconvert gives up. */
const CELL_TIMEOUT_S = 600;

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[], opts: Deno.CommandOptions = {}): Promise<Output> {
  const out = await new Deno.Command(cmd, { ...opts, args, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Throws, naming the packages to install, unless `jupyter nbconvert` and `kernelspec` run. */
export async function requireJupyter(): Promise<void> {
  const missing: string[] = [];
  for (const sub of ["nbconvert", "kernelspec"]) {
    const ok = await run("jupyter", [sub, "--version"]).then((o) => o.code === 0, () => false);
    if (!ok) missing.push(`jupyter ${sub}`);
  }
  if (missing.length) {
    throw new Error(
      `${missing.join(" and ")} not available: the notebook tests execute notebooks on the Deno ` +
        `Jupyter kernel. Install the Debian packages: apt-get install -y ${
          DEBIAN_PACKAGES.join(" ")
        } (scripts/setup.sh does this in CI).`,
    );
  }
}

/**
 * Makes sure the `deno` kernelspec exists and starts this Deno (`deno jupyter --install`; with
 * `--force` when an old spec points at a Deno binary that no longer exists).
 */
export async function ensureDenoKernel(): Promise<string> {
  const list = await run("jupyter", ["kernelspec", "list", "--json"]);
  if (list.code !== 0) throw new Error(`jupyter kernelspec list failed:\n${list.stderr}`);
  const specs = JSON.parse(list.stdout).kernelspecs as Record<string, { spec: { argv: string[] } }>;
  const spec = specs[KERNEL_NAME]?.spec;
  const usable = spec && await Deno.stat(spec.argv[0]).then((s) => s.isFile, () => false);
  if (usable) return `existing kernelspec "${KERNEL_NAME}" (${spec.argv[0]})`;
  const args = ["jupyter", "--install", "--name", KERNEL_NAME, ...(spec ? ["--force"] : [])];
  const inst = await run(Deno.execPath(), args);
  if (inst.code !== 0) {
    throw new Error(`deno ${args.join(" ")} failed (exit ${inst.code}):\n${inst.stderr}`);
  }
  return `installed kernelspec "${KERNEL_NAME}" (${Deno.execPath()})`;
}

/** What one notebook run produced. */
export interface NotebookRun {
  ok: boolean;
  seconds: number;
  /** The executed notebook (kept on failure for inspection). */
  executed: string;
  /** nbconvert's stderr: on failure, the failing cell's source and the error. */
  log: string;
  /** Error outputs found in the executed notebook (nbconvert should already have failed). */
  errors: string[];
  /** Code cells, and how many of them produced output (the kernel can lose late outputs). */
  codeCells: number;
  cellsWithOutput: number;
}

/**
 * Executes `notebook` with nbconvert on the `deno` kernel into `outDir`. The kernel's working
 * directory is the notebook's own, so `../mod.ts` and the repository's deno.json resolve.
 *
 * @example
 * ```ts
 * const r = await executeNotebook("notebooks/grid_qa.ipynb", tmp, { TESSERA_DATA: SAMPLE_DIR });
 * if (!r.ok) throw new Error(r.log);
 * ```
 */
export async function executeNotebook(
  notebook: string,
  outDir: string,
  env: Record<string, string> = {},
): Promise<NotebookRun> {
  const t0 = performance.now();
  const out = await run("jupyter", [
    "nbconvert",
    "--to",
    "notebook",
    "--execute",
    `--ExecutePreprocessor.kernel_name=${KERNEL_NAME}`,
    `--ExecutePreprocessor.timeout=${CELL_TIMEOUT_S}`,
    "--output-dir",
    outDir,
    notebook,
  ], { env: { NO_COLOR: "1", ...env } });
  const executed = join(outDir, notebook.split("/").pop()!);
  const errors: string[] = [];
  let codeCells = 0, cellsWithOutput = 0;
  const text = await Deno.readTextFile(executed).catch(() => undefined);
  if (text) {
    for (const cell of JSON.parse(text).cells ?? []) {
      if (cell.cell_type !== "code") continue;
      codeCells++;
      if (cell.outputs?.length) cellsWithOutput++;
      for (const o of cell.outputs ?? []) {
        if (o.output_type === "error") errors.push(`${o.ename}: ${o.evalue}`);
      }
    }
  }
  return {
    ok: out.code === 0 && text !== undefined && errors.length === 0,
    seconds: (performance.now() - t0) / 1000,
    executed,
    log: out.stderr,
    errors,
    codeCells,
    cellsWithOutput,
  };
}

/**
 * The code cells of a notebook as one TypeScript module, with its relative imports made absolute
 * so it can be type-checked from anywhere (the kernel itself does not type-check).
 */
export async function notebookAsModule(notebook: string): Promise<string> {
  const nb = JSON.parse(await Deno.readTextFile(notebook));
  const dir = new URL(".", `file://${notebook}`);
  const code = (nb.cells as { cell_type: string; source: string | string[] }[])
    .filter((c) => c.cell_type === "code")
    .map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source))
    .join("\n\n");
  return code.replace(/(from\s+|import\s*\(\s*)"(\.\.?\/[^"]+)"/g, (_, pre, rel) => {
    return `${pre}"${new URL(rel, dir).href}"`;
  });
}
