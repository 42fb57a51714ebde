/**
 * Executes every QA notebook (notebooks/*.ipynb) on the real Deno Jupyter kernel with
 * `jupyter nbconvert --execute` against the bundled sample dataset and its stores, and fails if
 * any cell errors — the notebooks' conclusion cells assert what their text claims, so this also
 * checks those claims. Never skipped: without Jupyter it fails and names the Debian packages.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SAMPLE_DIR } from "../../lib/data_location.ts";
import { sampleStores } from "../helpers/sample.ts";
import { assertEquals } from "../assert.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { readPcaBasis } from "../../lib/preview/parameter_files.ts";
import { ensureDenoKernel, executeNotebook, notebookAsModule, requireJupyter } from "./jupyter.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const NOTEBOOKS = join(REPO, "notebooks");
const notebooks = (await Array.fromAsync(Deno.readDir(NOTEBOOKS)))
  .filter((e) => e.isFile && e.name.endsWith(".ipynb"))
  .map((e) => e.name)
  .sort();

let ready: Promise<void> | undefined;

/** Jupyter, the kernelspec, and the sample dataset with its previewed stores — once per run. */
function setup(): Promise<void> {
  return ready ??= (async () => {
    await requireJupyter();
    await ensureDenoKernel();
    await sampleStores();
  })();
}

/** The sample data, whatever `$TESSERA_DATA` the developer has set. */
const ENV = { TESSERA_DATA: SAMPLE_DIR };

Deno.test("the QA notebooks are all there, committed without bulky outputs", async () => {
  for (const name of ["grid_qa.ipynb", "band_distributions.ipynb", "pca_colourings.ipynb"]) {
    assertEquals(notebooks.includes(name), true, `notebooks/${name} is missing`);
  }
  for (const name of notebooks) {
    const nb = JSON.parse(await Deno.readTextFile(join(NOTEBOOKS, name)));
    assertEquals(nb.metadata?.kernelspec?.name, "deno", `${name} must use the deno kernel`);
    const outputs = (nb.cells as { outputs?: unknown[] }[]).flatMap((c) => c.outputs ?? []);
    const bytes = JSON.stringify(outputs).length;
    assertEquals(
      bytes < 100_000,
      true,
      `${name} carries ${bytes} bytes of outputs: clear them before committing ` +
        `(jupyter nbconvert --clear-output --inplace notebooks/${name})`,
    );
  }
});

for (const name of notebooks) {
  Deno.test(`notebook ${name} runs on the Deno kernel without errors`, async () => {
    await setup();
    const out = await Deno.makeTempDir({ prefix: "tz-notebook-" });
    const r = await executeNotebook(join(NOTEBOOKS, name), out, ENV);
    if (!r.ok) {
      throw new Error(
        `${name} failed after ${r.seconds.toFixed(1)} s (executed notebook kept in ${out}):\n` +
          `${r.errors.join("\n")}\n${r.log.split("\n").slice(-40).join("\n")}`,
      );
    }
    console.log(
      `${name}: ${r.seconds.toFixed(1)} s, ${r.cellsWithOutput} of ${r.codeCells} code cells ` +
        "showed output",
    );
    await Deno.remove(out, { recursive: true });
  });
}

for (const name of ["band_distributions.ipynb", "pca_colourings.ipynb"]) {
  Deno.test(`notebook ${name} runs from the input tiles alone (no store built)`, async () => {
    await requireJupyter();
    await ensureDenoKernel();
    const dir = await Deno.makeTempDir({ prefix: "tz-notebook-input-" });
    try {
      const data = join(dir, "data");
      await fixtureDataset({ out: data, groups: ["greenwich"], tiles: 1, bands: 16 });
      const params = join(dir, "params");
      const r = await executeNotebook(join(NOTEBOOKS, name), join(dir, "out"), {
        TESSERA_DATA: data,
        PREVIEW_PARAMS_DIR: params,
      });
      if (!r.ok) {
        throw new Error(
          `${name} failed without stores:\n${r.errors.join("\n")}\n${r.log.slice(-4000)}`,
        );
      }
      assertEquals(await Deno.stat(join(data, "zarr")).then(() => true, () => false), false);
      if (name === "pca_colourings.ipynb") {
        // The basis it saved is a valid file for build --pca-basis.
        const files = [...Deno.readDirSync(params)].map((e) => e.name).sort();
        assertEquals(files.join(), "utm30_pca_basis.json,utm30_rgb_stretch.json");
        await readPcaBasis(join(params, "utm30_pca_basis.json"));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("a notebook cell that throws fails the run", async () => {
  await setup();
  const dir = await Deno.makeTempDir({ prefix: "tz-notebook-fail-" });
  try {
    const nb = {
      cells: [
        { cell_type: "code", metadata: {}, outputs: [], execution_count: null, source: "1 + 1" },
        {
          cell_type: "code",
          metadata: {},
          outputs: [],
          execution_count: null,
          source: 'throw new Error("deliberate failure");',
        },
      ],
      metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    const path = join(dir, "failing.ipynb");
    await Deno.writeTextFile(path, JSON.stringify(nb));
    const r = await executeNotebook(path, join(dir, "out"), ENV);
    assertEquals(r.ok, false, "a throwing cell must fail the notebook run");
    assertEquals(r.log.includes("deliberate failure"), true, "the error must be reported");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("notebook code type-checks", async () => {
  // The kernel runs cells without type-checking; this keeps them in step with the library.
  const dir = await Deno.makeTempDir({ prefix: "tz-notebook-check-" });
  try {
    const files: string[] = [];
    for (const name of notebooks) {
      const file = join(dir, name.replace(/\.ipynb$/, ".ts"));
      await Deno.writeTextFile(file, await notebookAsModule(join(NOTEBOOKS, name)));
      files.push(file);
    }
    const check = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--config", join(REPO, "deno.json"), ...files],
      cwd: REPO,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const log = new TextDecoder().decode(check.stderr);
    assertEquals(check.code, 0, `type errors in notebook code:\n${log}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
