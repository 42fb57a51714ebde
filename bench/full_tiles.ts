/**
 * The benchmarks' real-size dataset: the greenwich group at 3 tiles a side (zones 30 and 31,
 * 9 full-size 128-band tiles each), generated once under /tmp/tz-bench-build and shared by
 * `bench build` and `bench remote`, so both measure the same input.
 */
import { join } from "node:path";
import { generateFixtures, readFixtureManifest } from "../lib/sample_data/generate.ts";

export const ROOT = "/tmp/tz-bench-build";
export const DATA = join(ROOT, "data");
/** The zone both benchmarks build. */
export const ZONE = 31;
export const YEAR = 2024;
export const FIXTURE = { groups: ["greenwich"], tiles: 3, bands: 128, years: [YEAR], seed: 1 };

/** Makes DATA unless it already holds this dataset (or `fresh` asks to regenerate it). */
export async function ensureDataset(fresh = false): Promise<void> {
  const m = await readFixtureManifest(DATA);
  const same = m && JSON.stringify(m.options.groups) === JSON.stringify(FIXTURE.groups) &&
    m.options.tiles === FIXTURE.tiles && m.options.bands === FIXTURE.bands;
  if (same && !fresh) return;
  await Deno.remove(DATA, { recursive: true }).catch(() => {});
  console.error(`generating ${DATA} (once; --fresh regenerates) …`);
  const t0 = performance.now();
  await generateFixtures({ out: DATA, ...FIXTURE, registry: true });
  console.error(`  generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
