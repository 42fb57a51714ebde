/**
 * The bundled sample dataset with its stores built and previewed, made once per machine and
 * shared by the tests that need it (notebooks, viewer, read API). Test files run in parallel,
 * so preparation is serialised across processes with a lock file.
 */
import { join } from "node:path";
import { defaultOutputDir, SAMPLE_DIR } from "../../lib/data_location.ts";
import { processAlive } from "../../lib/build/lock.ts";
import { REPO } from "./cli.ts";

/** Stores of the default sample dataset. */
export const SAMPLE_STORES = [
  "utm30_2024.zarr",
  "utm31_2024.zarr",
  "utm35_2024.zarr",
  "utm37_2024.zarr",
];

async function storesReady(zarrDir: string): Promise<boolean> {
  for (const s of SAMPLE_STORES) {
    try {
      const a = JSON.parse(await Deno.readTextFile(join(zarrDir, s, "zarr.json"))).attributes;
      if (a.build_complete !== true || a.has_rgb_preview !== true || a.has_pca_preview !== true) {
        return false;
      }
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Makes sure fixtures/sample exists with complete, previewed stores (runs `deno task demo` if
 * not) and returns the stores' folder.
 */
export async function sampleStores(): Promise<string> {
  const zarrDir = defaultOutputDir(SAMPLE_DIR);
  if (await storesReady(zarrDir)) return zarrDir;
  const lock = join(REPO, "fixtures", ".sample.lock");
  for (;;) {
    try {
      await Deno.writeTextFile(lock, String(Deno.pid), { createNew: true });
      break;
    } catch {
      const holder = Number(await Deno.readTextFile(lock).catch(() => "0"));
      if (holder && !processAlive(holder)) await Deno.remove(lock).catch(() => {});
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (!(await storesReady(zarrDir))) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "tasks/demo.ts"],
        cwd: REPO,
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!out.success || !(await storesReady(zarrDir))) {
        throw new Error(
          `preparing the sample stores failed:\n${new TextDecoder().decode(out.stderr)}`,
        );
      }
    }
  } finally {
    await Deno.remove(lock).catch(() => {});
  }
  return zarrDir;
}
