/**
 * The benchmarks' real-size datasets, generated once under /tmp/tz-bench-build and reused:
 *
 * - DATA: the greenwich group at 3 tiles a side (zones 30 and 31, 9 full-size 128-band tiles
 *   each), shared by `bench build` and `bench remote`, so both measure the same input;
 * - {@link scalingDataset}: 1, 9 and 36 full-size tiles of zone 31 (a 6 × 6 block and its
 *   south-west 3 × 3 and 1 × 1 corners) for `bench build --scaling`: the 36 are generated once
 *   (~3.8 GB; zone 30's half of the group is deleted straight away) and the smaller sets are
 *   hard links to some of them, found by walking the tree (no registry).
 */
import { dirname, join } from "node:path";
import { generateFixtures, readFixtureManifest } from "../lib/sample_data/generate.ts";
import { tilePaths } from "../lib/tiles/layout.ts";
import { tileRef } from "../lib/tiles/tile_ref.ts";

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

/** Tile counts of the scaling datasets (square blocks of zone 31). */
export const SCALING_TILES = [1, 9, 36] as const;

const SCALING = join(ROOT, "scaling");
/** Side of the generated block (36 tiles). */
const SCALING_SIDE = 6;

/**
 * The BASE of a dataset of `tiles` (1, 9 or 36) full-size tiles of zone 31, made on first use:
 * the 36-tile block is generated once, the smaller ones are hard links into it. Every set is
 * found by walking the tree, so the builds compare like with like.
 */
export async function scalingDataset(tiles: number, fresh = false): Promise<string> {
  const side = Math.sqrt(tiles);
  if (!Number.isInteger(side) || side > SCALING_SIDE) {
    throw new Error(`scaling datasets have a square number of tiles up to 36, not ${tiles}`);
  }
  const full = join(SCALING, "t36");
  const m = fresh ? undefined : await readFixtureManifest(full);
  if (!m || m.options.tiles !== SCALING_SIDE || m.options.bands !== FIXTURE.bands) {
    await Deno.remove(SCALING, { recursive: true }).catch(() => {});
    console.error(`generating ${full} (36 tiles of zone ${ZONE}; once, --fresh regenerates) …`);
    const t0 = performance.now();
    const made = await generateFixtures({
      out: full,
      ...FIXTURE,
      tiles: SCALING_SIDE,
      registry: false,
    });
    // The group spans both sides of Greenwich; only zone 31's half is measured.
    for (const t of made.tiles.filter((t) => t.zone !== ZONE)) {
      const p = tilePaths(full, tileRef(t.year, t.lonI, t.latI));
      await Deno.remove(p.dir, { recursive: true });
      await Deno.remove(p.landmask);
    }
    console.error(`  generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  if (tiles === 36) return full;
  const base = join(SCALING, `t${tiles}`);
  const marker = join(base, "COMPLETE");
  if (await Deno.stat(marker).then(() => true, () => false)) return base;
  await Deno.remove(base, { recursive: true }).catch(() => {});
  // The south-west corner of the block: cells 0.05..(side-0.5)/10 °E, 51.45.. °N.
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) {
      const tile = tileRef(YEAR, 5 + 10 * c, 5145 + 10 * r);
      const from = tilePaths(full, tile), to = tilePaths(base, tile);
      await Deno.mkdir(to.dir, { recursive: true });
      for await (const e of Deno.readDir(from.dir)) {
        await Deno.link(join(from.dir, e.name), join(to.dir, e.name));
      }
      await Deno.mkdir(dirname(to.landmask), { recursive: true });
      await Deno.link(from.landmask, to.landmask);
    }
  }
  await Deno.writeTextFile(marker, "");
  return base;
}
