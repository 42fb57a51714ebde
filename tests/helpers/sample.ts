/**
 * The bundled sample dataset with its stores built and previewed, made once per machine and
 * shared by the tests that need it (notebooks, viewer, read API). The work and the
 * cross-process lock (test files run in parallel) are the library's: lib/sample_stores.ts.
 */
import { ensureSampleStores } from "../../lib/sample_stores.ts";

/** Stores of the default sample dataset. */
export const SAMPLE_STORES = [
  "utm30_2024.zarr",
  "utm31_2024.zarr",
  "utm35_2024.zarr",
  "utm37_2024.zarr",
];

/**
 * Makes sure fixtures/sample exists with complete, previewed stores (generating and building
 * them if not, as `deno task demo` does) and returns the stores' folder.
 */
export async function sampleStores(): Promise<string> {
  return await ensureSampleStores();
}
