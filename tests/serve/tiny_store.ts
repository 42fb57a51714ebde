/**
 * Builds two tiny real zone stores (zones 30 and 31 of the "greenwich" fixture group, one
 * tile per zone side, 4 bands) through the real `build` task, for the manifest and serve tests.
 */
import { join } from "node:path";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { runCli } from "../helpers/cli.ts";

/** Returns BASE and its `zarr/` output folder. */
export async function buildTinyStores(prefix: string): Promise<{ base: string; out: string }> {
  const base = await Deno.makeTempDir({ prefix });
  await fixtureDataset({ out: base, tiles: 1, bands: 4, groups: ["greenwich"] });
  const r = await runCli("build", [base, "--workers", "1"]);
  if (r.code !== 0) throw new Error(`build failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return { base, out: join(base, "zarr") };
}
