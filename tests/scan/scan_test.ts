/**
 * `deno task scan`: the real CLI run as a subprocess on generated datasets (a clean one over
 * zones 30, 31, 35 and 37, and one with every planted defect), its flags and exit codes; and
 * `scanTiles` itself on in-memory tile lists.
 */
import { join } from "node:path";
import { assertDeepEquals, assertEquals, assertRejectsKind } from "../assert.ts";
import type { FixtureManifest } from "../../lib/sample_data/generate.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import type { DefectKind } from "../../lib/sample_data/defects.ts";
import { tileName } from "../../lib/tiles/layout.ts";
import { type ScanReport, scanTiles } from "../../lib/scan/scan.ts";
import { type TileRef, tileRef } from "../../lib/tiles/tile_ref.ts";

const ROOT = new URL("../..", import.meta.url);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno run -A tasks/scan.ts …args` from the project root. */
async function scan(...args: string[]): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/scan.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

type JsonReport = ScanReport & { skipped: { path: string; reason: string }[]; seconds: number };

async function scanJson(...args: string[]): Promise<{ code: number; report: JsonReport }> {
  const r = await scan(...args, "--json");
  try {
    return { code: r.code, report: JSON.parse(r.stdout) };
  } catch {
    throw new Error(
      `scan ${args.join(" ")} printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`,
    );
  }
}

/** (year, zone) → the zone row's tile count and tiles per EPSG. */
function zoneTable(
  report: ScanReport,
): Record<string, { tiles: number; perEpsg: Record<string, number> }> {
  return Object.fromEntries(
    report.zones.map((z) => [`${z.year}/${z.zone}`, { tiles: z.tiles, perEpsg: z.tilesPerEpsg }]),
  );
}

// ---------------------------------------------------------------------------------------------

Deno.test("scan CLI on generated datasets", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "scan_test_" });
  try {
    const clean = join(root, "clean");
    const broken = join(root, "broken");
    await fixtureDataset({ out: clean, tiles: 1, bands: 8, years: [2023, 2024] });
    const brokenManifest: FixtureManifest = await fixtureDataset({
      out: broken,
      tiles: 1,
      bands: 8,
      years: [2024],
      groups: ["greenwich"],
      defects: true,
    });

    await t.step("clean dataset: exit 0, ok, zones 30/31/35/37 with both EPSGs in 37", async () => {
      const { code, report } = await scanJson(clean);
      assertEquals(code, 0);
      assertEquals(report.ok, true);
      assertEquals(report.filesChecked, true);
      assertEquals(report.source, `registry ${join(clean, "registry.parquet")}`);
      assertDeepEquals(report.years, [2023, 2024]);
      assertEquals(report.totalTiles, 10);
      assertDeepEquals(report.problems, []);
      assertDeepEquals(report.mismatches, []);
      assertDeepEquals(report.straddlers, []);
      assertDeepEquals(report.bands, [8]);
      const want: ReturnType<typeof zoneTable> = {};
      for (const y of [2023, 2024]) {
        want[`${y}/30`] = { tiles: 1, perEpsg: { "32630": 1 } };
        want[`${y}/31`] = { tiles: 1, perEpsg: { "32631": 1 } };
        want[`${y}/35`] = { tiles: 1, perEpsg: { "32635": 1 } };
        want[`${y}/37`] = { tiles: 2, perEpsg: { "32637": 1, "32737": 1 } };
      }
      assertDeepEquals(zoneTable(report), want);
      const z37 = report.zones.find((z) => z.zone === 37)!;
      assertEquals(z37.epsg, 32637);
      assertEquals(z37.store, "utm37_2023.zarr");
      // (-0.05, 51.45) and (0.05, 51.45) touch the 0° zone edge (counted once per cell).
      assertEquals(report.zoneEdgeTiles, 2);
    });

    await t.step("clean dataset, text output: table and OK", async () => {
      const r = await scan(clean);
      assertEquals(r.code, 0, r.stderr);
      for (const s of ["EPSG (tiles)", "32637:1 32737:1", "utm37_2024.zarr", "utm30_2023.zarr"]) {
        assertEquals(r.stdout.includes(s), true, `text output lacks "${s}":\n${r.stdout}`);
      }
      assertEquals(/^OK \(files checked/m.test(r.stdout), true, r.stdout);
      assertEquals(r.stdout.includes("PROBLEMS FOUND"), false);
    });

    await t.step("--zones and --year filter", async () => {
      const z30 = (await scanJson(clean, "--zones", "30")).report;
      assertDeepEquals(z30.zones.map((z) => [z.year, z.zone, z.tiles]), [[2023, 30, 1], [
        2024,
        30,
        1,
      ]]);
      assertEquals(z30.totalTiles, 2);
      assertEquals(z30.ok, true);
      const one = await scanJson(clean, "--zones", "30,37", "--year", "2024");
      assertEquals(one.code, 0);
      assertDeepEquals(one.report.years, [2024]);
      assertDeepEquals(one.report.zones.map((z) => [z.year, z.zone, z.tiles]), [[2024, 30, 1], [
        2024,
        37,
        2,
      ]]);
    });

    await t.step("defects: exit 1 and every header-visible defect is named", async () => {
      const { code, report } = await scanJson(broken);
      assertEquals(code, 1);
      assertEquals(report.ok, false);
      const tileOf = (kind: DefectKind) => {
        const d = brokenManifest.defects.find((x) => x.kind === kind)!;
        return tileName(d.lonI, d.latI);
      };
      const problem = (kind: DefectKind, errorKind: string, file: RegExp) => {
        const hit = report.problems.some((p) =>
          p.tile === tileOf(kind) && p.kind === errorKind && file.test(p.path) &&
          p.message.length > 0
        );
        assertEquals(hit, true, `${kind}: no ${errorKind} problem for ${tileOf(kind)}`);
      };
      const mismatch = (kind: DefectKind, what: string) => {
        const hit = report.mismatches.some((m) => m.tile === tileOf(kind) && m.what === what);
        assertEquals(hit, true, `${kind}: no ${what} mismatch for ${tileOf(kind)}`);
      };
      problem("truncated-npy", "TruncatedNpy", /\d\.npy$/);
      problem("missing-scales", "MissingFile", /_scales\.npy$/);
      problem("missing-landmask", "MissingFile", /\.tiff$/);
      problem("landmask-not-tiff", "BadLandmask", /\.tiff$/);
      problem("wrong-shape", "ShapeMismatch", /\d\.npy$/);
      mismatch("landmask-wrong-size", "size");
      mismatch("landmask-wrong-crs", "epsg");
      // bad-scales (NaN, inf, FLT_MAX… values) is invisible to a header-only scan: the build
      // meets it when it reads the scales. Every other finding belongs to a planted defect.
      const defective = new Set(brokenManifest.defects.map((d) => tileName(d.lonI, d.latI)));
      for (const p of report.problems) {
        assertEquals(defective.has(p.tile), true, `unexpected ${p.tile}`);
      }
      for (const m of report.mismatches) {
        assertEquals(defective.has(m.tile), true, `unexpected ${m.tile}`);
      }
    });

    await t.step("defects, text output: table, the findings and PROBLEMS FOUND", async () => {
      const r = await scan(broken);
      assertEquals(r.code, 1);
      for (
        const s of [
          "EPSG (tiles)",
          "utm30_2024.zarr",
          "[TruncatedNpy]",
          "epsg mismatch",
          "PROBLEMS FOUND",
        ]
      ) {
        assertEquals(r.stdout.includes(s), true, `text output lacks "${s}":\n${r.stdout}`);
      }
    });

    await t.step(
      "--plan-only touches no tile file: a lone registry plans and exits 0",
      async () => {
        const lone = join(root, "registry_only");
        await Deno.mkdir(lone);
        await Deno.copyFile(join(clean, "registry.parquet"), join(lone, "registry.parquet"));
        const { code, report } = await scanJson(lone, "--plan-only");
        assertEquals(code, 0);
        assertEquals(report.ok, true);
        assertEquals(report.filesChecked, false);
        assertEquals(report.totalTiles, 10);
        assertEquals(report.zones.length, 8);
        // The same directory without --plan-only finds every file missing.
        const full = await scanJson(lone);
        assertEquals(full.code, 1);
        assertEquals(full.report.problems.every((p) => p.kind === "MissingFile"), true);
      },
    );

    await t.step("--help exits 0 with usage; bad flags and a missing BASE exit 2", async () => {
      const help = await scan("--help");
      assertEquals(help.code, 0);
      assertEquals(help.stdout.includes("deno task scan [BASE]"), true, help.stdout);
      assertEquals(help.stdout.includes("--plan-only"), true);
      const bogus = await scan(clean, "--bogus");
      assertEquals(bogus.code, 2);
      assertEquals(bogus.stderr.includes("bogus"), true, bogus.stderr);
      const zone = await scan(clean, "--zones", "61");
      assertEquals(zone.code, 2);
      assertEquals(zone.stderr.includes("--zones"), true, zone.stderr);
      const missing = join(root, "no_such_dir");
      const r = await scan(missing);
      assertEquals(r.code, 2);
      assertEquals(r.stderr.includes(missing), true, r.stderr);
    });

    await t.step(
      "without a registry the walk lists broken tiles too: the same problems, once each",
      async () => {
        const withRegistry = (await scanJson(broken)).report;
        await Deno.remove(join(broken, "registry.parquet"));
        const { code, report } = await scanJson(broken);
        assertEquals(code, 1);
        assertEquals(report.source, "directory walk");
        // The tile with no scales file is a tile of the walk, reported by name, not skipped.
        assertDeepEquals(report.skipped, []);
        const d = brokenManifest.defects.find((x) => x.kind === "missing-scales")!;
        const missing = report.problems.filter((p) => p.tile === tileName(d.lonI, d.latI));
        assertDeepEquals(missing.map((p) => [p.kind, p.path.endsWith("_scales.npy")]), [
          ["MissingFile", true],
        ]);
        assertEquals(report.totalTiles, withRegistry.totalTiles);
        assertDeepEquals(report.problems, withRegistry.problems);
        assertDeepEquals(report.mismatches, withRegistry.mismatches);
      },
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// scanTiles on tile lists held in memory.

const TILES: TileRef[] = [
  tileRef(2023, 5, 5145),
  tileRef(2024, -5, 5145),
  tileRef(2024, 5, 5145),
  tileRef(2024, 15, 5145),
  tileRef(2024, 3685, -5),
  tileRef(2024, 3685, 5),
];

Deno.test("scanTiles plans zones without files", async () => {
  let ticks = 0;
  const r = await scanTiles("/nonexistent", TILES, "memory", {
    files: false,
    onTile: () => ticks++,
  });
  assertEquals(ticks, 0);
  assertEquals(r.ok, true);
  assertEquals(r.filesChecked, false);
  assertEquals(r.totalTiles, 6);
  assertDeepEquals(r.years, [2023, 2024]);
  assertDeepEquals(r.zones.map((z) => [z.year, z.zone, z.tiles, z.store]), [
    [2023, 31, 1, "utm31_2023.zarr"],
    [2024, 30, 1, "utm30_2024.zarr"],
    [2024, 31, 2, "utm31_2024.zarr"],
    [2024, 37, 2, "utm37_2024.zarr"],
  ]);
  assertDeepEquals(r.zones[3].tilesPerEpsg, { "32637": 1, "32737": 1 });
  assertEquals(r.zoneEdgeTiles, 2); // cells -0.05 and 0.05 touch 0° (each counted once)
  assertDeepEquals(r.straddlers, []);
  assertDeepEquals(r.problems, []);
  assertDeepEquals(r.bands, []);
});

Deno.test("scanTiles: zone grid size of the SPEC §3.3 example", async () => {
  const four = [
    tileRef(2024, 15, 5215),
    tileRef(2024, 25, 5215),
    tileRef(2024, 15, 5225),
    tileRef(2024, 25, 5225),
  ];
  const r = await scanTiles("/nonexistent", four, "memory", { files: false });
  assertEquals(r.zones.length, 1);
  const z = r.zones[0];
  assertDeepEquals([z.epsg, z.widthPx, z.heightPx], [32631, 1454, 2278]);
  assertEquals(z.widthKm, 14.54);
  assertEquals(z.heightKm, 22.78);
});

Deno.test("scanTiles: a mis-named tile across a zone boundary is a straddler and not ok", async () => {
  const r = await scanTiles("/nonexistent", [tileRef(2024, 0, 5145), ...TILES], "memory", {
    files: false,
  });
  assertDeepEquals(r.straddlers, [{ tile: "grid_0.00_51.45", year: 2024 }]);
  assertEquals(r.ok, false);
});

Deno.test("scanTiles with files: missing files are problems, deterministic at any concurrency", async () => {
  const base = await Deno.makeTempDir({ prefix: "scan_unit_" });
  try {
    let ticks = 0;
    const one = await scanTiles(base, TILES, "memory", { concurrency: 1, onTile: () => ticks++ });
    const many = await scanTiles(base, TILES, "memory", { concurrency: 16 });
    assertEquals(ticks, TILES.length);
    assertEquals(one.ok, false);
    assertDeepEquals(many, one);
    // .npy and scales per tile-year, a landmask per cell (5 cells).
    assertEquals(one.problems.length, 2 * TILES.length + 5);
    assertEquals(one.problems.every((p) => p.kind === "MissingFile"), true);
    const landmasks = one.problems.filter((p) => p.path.endsWith(".tiff")).map((p) => p.tile)
      .sort();
    assertDeepEquals(landmasks, [...new Set(TILES.map((t) => tileName(t.lonI, t.latI)))].sort());
    // Problems come sorted by year, then tile.
    const keys = one.problems.map((p) => `${p.year} ${p.tile}`);
    assertDeepEquals(
      keys,
      [...keys].sort((a, b) => a.slice(0, 4).localeCompare(b.slice(0, 4)) || a.localeCompare(b)),
    );
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("scanTiles honours an aborted signal", async () => {
  const ac = new AbortController();
  ac.abort();
  await assertRejectsKind(
    () => scanTiles("/nonexistent", TILES, "memory", { signal: ac.signal }),
    "AbortError",
  );
});
