import { assertDeepEquals, assertEquals } from "../assert.ts";
import { join } from "node:path";
import { FIXTURE_CACHE_ENV, fixtureDataset } from "./fixtures.ts";
import { generateFixtures } from "../../lib/sample_data/generate.ts";
import { diffTrees } from "./store_files.ts";
import { withTmp } from "./env.ts";

Deno.test("a cached dataset is generated once, and its copies are independent", async () => {
  await withTmp("tz-fixture-cache-", async (dir) => {
    const spec = { tiles: 1, bands: 2, groups: ["arctic"] };
    const direct = await generateFixtures({ ...spec, out: join(dir, "direct") });
    const before = Deno.env.get(FIXTURE_CACHE_ENV);
    await Deno.mkdir(join(dir, "cache"));
    Deno.env.set(FIXTURE_CACHE_ENV, join(dir, "cache"));
    try {
      const [a, b] = await Promise.all([
        fixtureDataset({ ...spec, out: join(dir, "a") }),
        fixtureDataset({ ...spec, out: join(dir, "b") }),
      ]);
      assertDeepEquals(a, direct);
      assertDeepEquals(b, direct);
      // The same files as a generation of their own; registry.parquet may differ only in its
      // mtime column (the files' modification times, in seconds, when generated).
      const diff = await diffTrees(join(dir, "direct"), join(dir, "a"));
      assertEquals(diff.filter((d) => d !== "differs: registry.parquet").join("\n"), "");
      assertEquals((await diffTrees(join(dir, "a"), join(dir, "b"))).join("\n"), "");
      // One generation for both, nothing half-made left in the cache.
      const entries = [];
      for await (const e of Deno.readDir(join(dir, "cache"))) entries.push(e.name);
      assertEquals(entries.length, 1, entries.join(", "));
      // Damaging a copy leaves the cache (and the next copy) alone.
      const manifest = a.tiles[0];
      const npy = join(
        "global_0.1_degree_representation",
        String(manifest.year),
        manifest.name,
        `${manifest.name}.npy`,
      );
      await Deno.writeFile(join(dir, "a", npy), new Uint8Array(3));
      await fixtureDataset({ ...spec, out: join(dir, "c") });
      assertEquals((await diffTrees(join(dir, "b"), join(dir, "c"))).join("\n"), "");
    } finally {
      if (before === undefined) Deno.env.delete(FIXTURE_CACHE_ENV);
      else Deno.env.set(FIXTURE_CACHE_ENV, before);
    }
  });
});
