/**
 * The zone's band count comes from the zone as a whole (the count most tiles' headers give,
 * ties to the larger count) or from `build --bands N`, never from whichever tile happens to
 * be read first: one odd tile fails by name and its neighbours are kept.
 */
import { join } from "node:path";
import { assertDeepEquals, assertEquals, assertRejectsKind } from "../assert.ts";
import { majorityBandCount, zoneBandCount } from "../../lib/tiles/band_count.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { tileGrid } from "../../lib/grid/tile_grid.ts";
import { tilePaths } from "../../lib/tiles/layout.ts";
import { npyHeader, writeNpy } from "../../lib/tiles/npy_write.ts";
import { type TileRef, tileRef } from "../../lib/tiles/tile_ref.ts";
import { runCli } from "../helpers/cli.ts";
import { withTmp } from "../helpers/env.ts";

Deno.test("majorityBandCount: the most common count; a tie goes to the larger", () => {
  const cases: [number[], number | undefined][] = [
    [[], undefined],
    [[128], 128],
    [[8, 8, 16], 8],
    [[16, 8, 8], 8],
    [[8, 16], 16],
    [[4, 8, 8, 4], 8],
    [[128, 128, 64, 64, 64], 64],
    [[3, 5, 7], 7],
  ];
  for (const [counts, want] of cases) {
    assertEquals(majorityBandCount(counts), want, `counts ${counts}`);
  }
});

/** Writes only a .npy header for each tile (no data): the band vote must read nothing more. */
async function headerOnlyTiles(base: string, tiles: [TileRef, number | "broken"][]) {
  for (const [t, bands] of tiles) {
    const p = tilePaths(base, t);
    await Deno.mkdir(p.dir, { recursive: true });
    const { width, height } = tileGrid(t.lon, t.lat).geobox;
    await Deno.writeFile(
      p.embeddings,
      bands === "broken"
        ? new TextEncoder().encode("<html>")
        : npyHeader("|i1", [height, width, bands]),
    );
  }
}

Deno.test("zoneBandCount votes with the tiles' headers, skips unreadable ones, honours bands", async () => {
  await withTmp("tz-bands-", async (base) => {
    const t = (lonI: number) => tileRef(2024, lonI, 5145);
    const tiles = [t(-35), t(-25), t(-15), t(-5)];
    await headerOnlyTiles(base, [[tiles[0], "broken"], [tiles[1], 16], [tiles[2], 8], [
      tiles[3],
      8,
    ]]);
    const plan = { zone: 30, year: 2024, tiles };
    assertEquals(await zoneBandCount(base, plan), 8);
    assertEquals(await zoneBandCount(base, plan, { bands: 16 }), 16);
    // An explicit count is used as given, without reading a tile.
    assertEquals(await zoneBandCount(join(base, "nowhere"), plan, { bands: 3 }), 3);
    await assertRejectsKind(() => zoneBandCount(base, plan, { bands: 0 }), "BadArgument");
    await assertRejectsKind(() => zoneBandCount(base, plan, { bands: 1.5 }), "BadArgument");
    // No header reads: every tile fails on its own error, the store gets the published 128.
    assertEquals(await zoneBandCount(base, { zone: 30, year: 2024, tiles: [tiles[0]] }), 128);
  });
});

interface Failure {
  tile: string;
  kind: string;
  path?: string;
  message: string;
}

Deno.test("one 8-band tile among 4-band ones fails alone; --bands 8 chooses it instead", async () => {
  await withTmp("tz-bands-build-", async (base) => {
    // Zone 30 of the Greenwich group at --tiles 2: four tiles; the first in registry order
    // (-0.15, 51.45) is the one the old "first readable tile" rule took the count from.
    await fixtureDataset({ out: base, tiles: 2, bands: 4, groups: ["greenwich"] });
    const odd = tileRef(2024, -15, 5145);
    const { width: W, height: H } = tileGrid(odd.lon, odd.lat).geobox;
    const data = new Int8Array(H * W * 8).map((_, i) => (i % 7) + 1);
    await writeNpy(tilePaths(base, odd).embeddings, "|i1", [H, W, 8], data);

    const build = await runCli("build", [base, "--zones", "30", "--workers", "1", "--json"]);
    assertEquals(build.code, 1, build.stderr);
    const r = JSON.parse(build.stdout).results[0];
    assertEquals(r.bands, 4);
    assertDeepEquals(r.failures.map((f: Failure) => [f.tile, f.kind]), [
      ["grid_-0.15_51.45", "ShapeMismatch"],
    ]);
    const f: Failure = r.failures[0];
    assertEquals(f.path, tilePaths(base, odd).embeddings);
    assertEquals(/\b8 bands\b/.test(f.message) && /\b4\b/.test(f.message), true, f.message);
    const attrs = JSON.parse(await Deno.readTextFile(join(r.path, "zarr.json"))).attributes;
    assertEquals(attrs.n_bands, 4);
    assertDeepEquals(attrs.failed_tiles, ["grid_-0.15_51.45"]);

    // An explicit --bands overrides the vote: now the three 4-band tiles are the odd ones.
    const forced = await runCli("build", [
      base,
      "--zones",
      "30",
      "--workers",
      "1",
      "--bands",
      "8",
      "--output-dir",
      join(base, "zarr8"),
      "--json",
    ]);
    assertEquals(forced.code, 1, forced.stderr);
    const r8 = JSON.parse(forced.stdout).results[0];
    assertEquals(r8.bands, 8);
    assertEquals(r8.failures.length, 3);
    assertEquals(r8.failures.every((x: Failure) => x.kind === "ShapeMismatch"), true);

    for (const bad of ["0", "x", "2.5"]) {
      const u = await runCli("build", [base, "--zones", "30", "--bands", bad, "--dry-run"]);
      assertEquals(u.code, 2, `--bands ${bad}: ${u.stdout}${u.stderr}`);
    }
  });
});
