/**
 * Where the data is when the user does not say: `$TESSERA_DATA`, else the bundled sample
 * dataset (`fixtures/sample`), generated on first use. This is what lets `deno task build
 * --zones 30` and `deno task serve` work out of the box.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { progress } from "./cli/progress.ts";
import { TesseraError } from "./errors.ts";
import {
  FIXTURE_FORMAT_VERSION,
  generateFixtures,
  readFixtureManifest,
} from "./fixtures/generate.ts";

/** The bundled sample dataset's directory. */
export const SAMPLE_DIR: string = fileURLToPath(new URL("../fixtures/sample", import.meta.url));

/** Default output folder for a BASE: `BASE/zarr`, as upstream. */
export function defaultOutputDir(base: string): string {
  return join(base, "zarr");
}

/**
 * Resolves the BASE directory: the argument, else `$TESSERA_DATA`, else the sample dataset
 * (generated if it is missing or incomplete). Throws BadArgument when an explicit BASE does
 * not exist.
 *
 * @example
 * const base = await resolveBase(positionals[0]);
 */
export async function resolveBase(arg?: string, opts: { quiet?: boolean } = {}): Promise<string> {
  const explicit = arg ?? Deno.env.get("TESSERA_DATA");
  if (explicit) {
    const stat = await Deno.stat(explicit).catch(() => undefined);
    if (!stat?.isDirectory) {
      const from = arg ? "BASE" : "$TESSERA_DATA";
      throw new TesseraError(
        "BadArgument",
        `${from} "${explicit}" is not a directory; give the folder that holds ` +
          "global_0.1_degree_representation/ (or run `deno task fixtures` for sample data)",
      );
    }
    return explicit;
  }
  await ensureSample(opts);
  return SAMPLE_DIR;
}

/** Generates the default sample dataset unless a complete one is already there. */
export async function ensureSample(opts: { quiet?: boolean } = {}): Promise<void> {
  const existing = await readFixtureManifest(SAMPLE_DIR);
  if (existing?.formatVersion === FIXTURE_FORMAT_VERSION) return;
  // An old sample (made by an earlier generator) is replaced, stores included.
  if (existing) await Deno.remove(SAMPLE_DIR, { recursive: true });
  if (!opts.quiet) {
    console.error(
      `No data given: generating the sample dataset in ${SAMPLE_DIR} (first use only)…`,
    );
  }
  let bar: ReturnType<typeof progress> | undefined;
  await generateFixtures({
    out: SAMPLE_DIR,
    onTile: (done, total) => {
      bar ??= progress("fixtures", total, opts);
      bar.tick();
      if (done === total) bar.stop();
    },
  });
}
