/**
 * Sample datasets for tests, each generated once per suite run: `deno task test` gives the
 * test files a shared cache directory ($TZ_FIXTURE_CACHE, made and removed by tasks/test.ts),
 * and {@link fixtureDataset} copies a dataset generated there into the test's own directory.
 * Generating is the expensive part (5–15 s for a 2-tile, 8-band set), and several test files
 * ask for the same options. Without the variable (a test file run alone) it just generates.
 *
 * A copy, not hard links: tests may damage their input files (defects, truncation), and the
 * next test must get the generator's bytes.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  type FixtureManifest,
  type FixtureOptions,
  generateFixtures,
  readFixtureManifest,
} from "../../lib/sample_data/generate.ts";

/** The environment variable naming the suite's dataset cache. */
export const FIXTURE_CACHE_ENV = "TZ_FIXTURE_CACHE";

/**
 * Writes the dataset `opts` describes into `out` (an empty or missing directory) — from the
 * suite's cache when there is one — and returns its manifest, as `generateFixtures` does.
 *
 * @example
 * const manifest = await fixtureDataset({ out: base, tiles: 2, bands: 8, groups: ["greenwich"] });
 */
export async function fixtureDataset(opts: FixtureOptions): Promise<FixtureManifest> {
  const cache = Deno.env.get(FIXTURE_CACHE_ENV);
  const { out, onTile: _ignored, ...spec } = opts;
  if (!cache) return await generateFixtures(opts);
  const key = createHash("sha256").update(JSON.stringify(spec, Object.keys(spec).sort()))
    .digest("hex").slice(0, 16);
  const dir = join(cache, key);
  if (!(await readFixtureManifest(dir).catch(() => undefined))) {
    // Generated beside, then renamed into place: parallel test files asking for the same
    // dataset each make one, the first rename wins, the others use it.
    const tmp = await Deno.makeTempDir({ dir: cache, prefix: `${key}.tmp-` });
    try {
      await generateFixtures({ ...spec, out: tmp });
      await Deno.rename(tmp, dir).catch(async (e) => {
        if (!(await readFixtureManifest(dir).catch(() => undefined))) throw e;
      });
    } finally {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  }
  await copyTree(dir, out);
  return (await readFixtureManifest(out))!;
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    const [a, b] = [join(from, e.name), join(to, e.name)];
    if (e.isDirectory) await copyTree(a, b);
    else await Deno.copyFile(a, b);
  }
}
