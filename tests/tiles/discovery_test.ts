/**
 * Tests for directory discovery and `listTiles`: real tile directories in a temp dir (dummy
 * .npy files; content is irrelevant here), badly named directories skipped with reasons, tiles
 * with broken files listed (they fail by name when read), and the same list and order from
 * the registry and from the directory walk.
 */
import { withTmp as withTmpDir } from "../helpers/env.ts";
import { join } from "node:path";
import { assertDeepEquals, assertEquals, assertRejectsKind } from "../assert.ts";
import { discoverTiles, discoverYears } from "../../lib/tiles/discovery.ts";
import { EMBEDDINGS_DIR, tileName, tilePaths } from "../../lib/tiles/layout.ts";
import { type RegistryRow, writeRegistry } from "../../lib/tiles/registry_write.ts";
import { listTiles } from "../../lib/tiles/tile_list.ts";
import { type TileRef, tileRef } from "../../lib/tiles/tile_ref.ts";

const withTmp = (fn: (dir: string) => Promise<void>) => withTmpDir("discovery_test_", fn);

/** Creates a tile directory with dummy files; `npy`/`scales` false = absent, 0 = empty. */
async function makeTile(
  base: string,
  t: TileRef,
  { npy = 16, scales = 8 }: { npy?: number | false; scales?: number | false } = {},
): Promise<void> {
  const p = tilePaths(base, t);
  await Deno.mkdir(p.dir, { recursive: true });
  if (npy !== false) await Deno.writeFile(p.embeddings, new Uint8Array(npy));
  if (scales !== false) await Deno.writeFile(p.scales, new Uint8Array(scales));
}

/** What `scan` would record for a tile directory: sizes, 0 for a missing file. */
async function scanRow(base: string, t: TileRef): Promise<RegistryRow> {
  const size = async (f: string) => {
    try {
      return (await Deno.stat(f)).size;
    } catch {
      return 0;
    }
  };
  const p = tilePaths(base, t);
  return {
    year: t.year,
    lonI: t.lonI,
    latI: t.latI,
    fileSize: await size(p.embeddings),
    scalesSize: await size(p.scales),
  };
}

// Two years, tiles on both sides of 0° in lon and lat and across UTM zones 30/31/1/60.
const GOOD: TileRef[] = [
  tileRef(2024, -5, 5145), // zone 30
  tileRef(2024, 15, 5145), // zone 31
  tileRef(2024, 15, -5), // zone 31
  tileRef(2024, -17995, 6505), // zone 1
  tileRef(2024, 17995, -1505), // zone 60
  tileRef(2024, 605, 5225), // zone 32
  tileRef(2023, 15, 5145),
  tileRef(2023, -5, -5),
];

/** Correctly named tile directories whose files are missing, empty or not regular files. */
const BROKEN: TileRef[] = [
  tileRef(2024, 25, 5145), // dir without .npy
  tileRef(2024, 35, 5145), // empty .npy
  tileRef(2024, 45, 5145), // no scales
  tileRef(2024, 55, 5145), // empty scales
  tileRef(2024, 65, 5145), // .npy is a directory
  tileRef(2024, 75, 5145), // scales is a symlink to /dev/zero
  tileRef(2024, 85, 5145), // empty directory
  tileRef(2024, 95, 5145), // a dangling symlink named like a tile
];

/** A year directory with good tiles, broken ones and every kind of thing to skip. */
async function makeTree(base: string): Promise<void> {
  for (const t of GOOD) await makeTile(base, t);
  await makeTile(base, BROKEN[0], { npy: false });
  await makeTile(base, BROKEN[1], { npy: 0 });
  await makeTile(base, BROKEN[2], { scales: false });
  await makeTile(base, BROKEN[3], { scales: 0 });
  await makeTile(base, BROKEN[4], { npy: false });
  await Deno.mkdir(tilePaths(base, BROKEN[4]).embeddings);
  await makeTile(base, BROKEN[5], { scales: false });
  await Deno.symlink("/dev/zero", tilePaths(base, BROKEN[5]).scales);
  await Deno.mkdir(tilePaths(base, BROKEN[6]).dir);
  await Deno.symlink(join(base, "unmounted"), tilePaths(base, BROKEN[7]).dir);
  const y = join(base, EMBEDDINGS_DIR, "2024");
  await Deno.mkdir(join(y, "grid_0.1_51.45")); // one decimal: bad name
  await Deno.mkdir(join(y, "grid_0.10_51.45")); // off the centre grid
  await Deno.mkdir(join(y, "tmp")); // not a tile at all
  await Deno.writeTextFile(join(y, "SHA256SUM"), ""); // stray file: ignored
  await Deno.writeTextFile(join(base, EMBEDDINGS_DIR, "README"), ""); // not a year
}

const sorted = (tiles: TileRef[]) =>
  [...tiles].sort((a, b) => a.year - b.year || a.latI - b.latI || a.lonI - b.lonI);

Deno.test("discoverTiles lists every tile-named entry in registry order, skips bad names", async () => {
  await withTmp(async (base) => {
    await makeTree(base);
    assertDeepEquals(await discoverYears(base), [2023, 2024]);

    // Broken tiles are tiles: build and verify fail them by name when they open them.
    const { tiles, skipped } = await discoverTiles(base, { year: 2024 });
    assertDeepEquals(tiles, sorted([...GOOD.filter((t) => t.year === 2024), ...BROKEN]));
    const y = join(base, EMBEDDINGS_DIR, "2024");
    const reasons = Object.fromEntries(skipped.map((s) => [s.path.slice(y.length + 1), s.reason]));
    assertDeepEquals(Object.keys(reasons).sort(), ["grid_0.10_51.45", "grid_0.1_51.45", "tmp"]);
    for (const k of ["grid_0.1_51.45", "grid_0.10_51.45", "tmp"]) {
      if (!reasons[k].includes("not a tile name")) throw new Error(`${k}: ${reasons[k]}`);
    }

    const all = await discoverTiles(base);
    assertDeepEquals(all.tiles, sorted([...GOOD, ...BROKEN]));
    assertEquals(all.skipped.length, 3);
    assertDeepEquals(await discoverTiles(base, { year: 2019 }), { tiles: [], skipped: [] });
  });
});

Deno.test("the walk opens no tile file: a FIFO in a tile directory cannot block it", async () => {
  await withTmp(async (base) => {
    const t = tileRef(2024, 15, 5145);
    await makeTile(base, t, { scales: false });
    const r = await new Deno.Command("mkfifo", { args: [tilePaths(base, t).scales] }).output();
    assertEquals(r.success, true);
    assertDeepEquals((await discoverTiles(base, { year: 2024 })).tiles, [t]);
  });
});

Deno.test("discoverTiles without an embeddings directory: MissingFile", async () => {
  await withTmp(async (base) => {
    await assertRejectsKind(() => discoverTiles(base, { year: 2024 }), "MissingFile");
    await assertRejectsKind(() => discoverYears(base), "MissingFile");
    await assertRejectsKind(() => listTiles(base, { year: 2024 }), "MissingFile");
  });
});

Deno.test("discovery follows symlinked tile directories", async () => {
  await withTmp(async (base) => {
    const t = tileRef(2024, 15, 5145);
    await makeTile(join(base, "elsewhere"), t);
    const y = join(base, EMBEDDINGS_DIR, "2024");
    await Deno.mkdir(y, { recursive: true });
    await Deno.symlink(tilePaths(join(base, "elsewhere"), t).dir, join(y, tileName(15, 5145)));
    assertDeepEquals((await discoverTiles(base, { year: 2024 })).tiles, [t]);
  });
});

Deno.test("registry and directory walk give the same list and order", async () => {
  await withTmp(async (root) => {
    const base = join(root, "v1", "tiles");
    await makeTree(base);
    // A registry of the published tiles: every tile directory, broken ones included (their
    // rows have real sizes, as a scan made before the files broke would record).
    const candidates = [...GOOD, ...BROKEN];
    const rows = await Promise.all(candidates.map(async (t) => ({
      ...(await scanRow(base, t)),
      fileSize: 1,
      scalesSize: 1,
    })));

    for (const year of [2023, 2024]) {
      const dirList = await listTiles(base, { year });
      assertEquals(dirList.source, "directory");
      assertEquals(dirList.registryPath, undefined);

      // The registry in the grandparent is found automatically.
      await writeRegistry(join(root, "registry.parquet"), rows);
      const regList = await listTiles(base, { year });
      assertEquals(regList.source, "registry");
      assertEquals(regList.registryPath, join(root, "registry.parquet"));
      assertDeepEquals(regList.skipped, []);
      assertDeepEquals(regList.tiles, dirList.tiles);
      assertDeepEquals(
        regList.tiles,
        sorted([...GOOD, ...BROKEN].filter((t) => t.year === year)),
      );
      await Deno.remove(join(root, "registry.parquet"));
    }
  });
});

Deno.test("a registry row with size 0 is not a tile; the walk lists its directory", async () => {
  await withTmp(async (base) => {
    await makeTree(base);
    // What scan records for the tree: 0 for a missing or empty file. The registry rule
    // (file_size > 0, scales_size > 0) drops those rows; the walk keeps every tile directory
    // so that its broken files fail by name instead of vanishing.
    const rows = await Promise.all([...GOOD, ...BROKEN].map((t) => scanRow(base, t)));
    await writeRegistry(join(base, "registry.parquet"), rows);
    const reg = await listTiles(base, { year: 2024 });
    const published = rows.filter((r) => r.year === 2024 && r.fileSize > 0 && r.scalesSize > 0);
    assertDeepEquals(reg.tiles, sorted(published.map((r) => tileRef(r.year, r.lonI, r.latI))));
    assertEquals(reg.tiles.length < 6 + BROKEN.length, true);
    const dir = await discoverTiles(base, { year: 2024 });
    assertEquals(dir.tiles.length, 6 + BROKEN.length);
  });
});

Deno.test("listTiles: explicit registryDir, missing registry there, zones filter", async () => {
  await withTmp(async (root) => {
    const base = join(root, "base");
    await makeTree(base);
    const regDir = join(root, "elsewhere");
    await Deno.mkdir(regDir);
    await assertRejectsKind(
      () => listTiles(base, { year: 2024, registryDir: regDir }),
      "BadRegistry",
    );
    // A registry with only one 2024 tile shows the registry is what was used.
    await writeRegistry(join(regDir, "registry.parquet"), [
      { year: 2024, lonI: 15, latI: -5, fileSize: 1, scalesSize: 1 },
    ]);
    const reg = await listTiles(base, { year: 2024, registryDir: regDir });
    assertEquals(reg.source, "registry");
    assertDeepEquals(reg.tiles, [tileRef(2024, 15, -5)]);

    const z = await listTiles(base, { year: 2024, zones: [31, 1, 60] });
    assertDeepEquals(z.tiles, [
      tileRef(2024, 17995, -1505),
      tileRef(2024, 15, -5),
      tileRef(2024, 15, 5145),
      ...BROKEN, // zone 31, lat 51.45, east of 0.15
      tileRef(2024, -17995, 6505),
    ]);
    assertEquals(z.zoneFilteredOut, 2);
    assertEquals((await listTiles(base, { year: 2024 })).zoneFilteredOut, 0);
    await assertRejectsKind(() => listTiles(base, { year: 2024, zones: [61] }), "BadArgument");
    await assertRejectsKind(() => listTiles(base, { year: 2024, zones: [0] }), "BadArgument");
  });
});

Deno.test("listTiles: a broken registry is an error, not a silent fallback", async () => {
  await withTmp(async (base) => {
    await makeTree(base);
    await Deno.writeTextFile(join(base, "registry.parquet"), "not parquet");
    await assertRejectsKind(() => listTiles(base, { year: 2024 }), "BadRegistry");
  });
});

Deno.test("discoverTiles honours an aborted signal", async () => {
  await withTmp(async (base) => {
    await makeTree(base);
    const ac = new AbortController();
    ac.abort();
    let threw = false;
    try {
      await discoverTiles(base, { year: 2024, signal: ac.signal });
    } catch (e) {
      threw = (e as Error).name === "AbortError";
    }
    assertEquals(threw, true);
  });
});
