/**
 * Without a registry, every correctly named tile directory the walk finds is a tile: a tile
 * whose files are empty, a directory, a FIFO or a symlink to /dev/zero fails by name in
 * `build` (exit 1, `failed_tiles`, neighbours still written) exactly as a listed tile with
 * broken files does on the registry path; `verify` agrees and `scan` reports each once.
 */
import { join } from "node:path";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { tilePaths } from "../../lib/tiles/layout.ts";
import { tileRef } from "../../lib/tiles/tile_ref.ts";
import { REPO } from "../helpers/cli.ts";
import { withTmp } from "../helpers/env.ts";

/** Runs a task as a subprocess, killed after `seconds` (a FIFO must never hang a test). */
async function run(task: string, args: string[], seconds = 240) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `tasks/${task}.ts`, ...args],
    cwd: REPO,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(seconds * 1000),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function mkfifo(path: string): Promise<void> {
  const r = await new Deno.Command("mkfifo", { args: [path] }).output();
  if (!r.success) throw new Error(`mkfifo ${path} failed`);
}

// The Greenwich group at --tiles 2: four cells in zone 30 (lon -0.15, -0.05) and four in
// zone 31 (0.05, 0.15), rows 51.45 and 51.55. Two good tiles are left in each zone.
const T = (lonI: number, latI: number) => tileRef(2024, lonI, latI);
const BROKEN = {
  "grid_-0.15_51.45": { kind: "TruncatedNpy", file: "npy", what: "0 bytes" }, // empty .npy
  "grid_-0.05_51.55": { kind: "BadNpy", file: "npy", what: "directory" }, // .npy is a directory
  "grid_0.05_51.45": { kind: "TruncatedNpy", file: "scales", what: "0 bytes" }, // empty scales
  "grid_0.15_51.45": { kind: "BadNpy", file: "scales", what: "FIFO" }, // scales FIFO
  "grid_0.05_51.55": { kind: "BadNpy", file: "scales", what: "character device" }, // → /dev/zero
} as const;

async function plant(base: string): Promise<void> {
  const p = (lonI: number, latI: number) => tilePaths(base, T(lonI, latI));
  await Deno.writeFile(p(-15, 5145).embeddings, new Uint8Array(0));
  await Deno.remove(p(-5, 5155).embeddings);
  await Deno.mkdir(p(-5, 5155).embeddings);
  await Deno.writeFile(p(5, 5145).scales, new Uint8Array(0));
  await Deno.remove(p(15, 5145).scales);
  await mkfifo(p(15, 5145).scales);
  await Deno.remove(p(5, 5155).scales);
  await Deno.symlink("/dev/zero", p(5, 5155).scales);
}

interface Failure {
  tile: string;
  kind: string;
  path?: string;
  message: string;
}

Deno.test("walked tiles with empty, directory, FIFO or /dev/zero files fail by name", async () => {
  await withTmp("tz-walkfail-", async (base) => {
    await fixtureDataset({
      out: base,
      tiles: 2,
      bands: 4,
      groups: ["greenwich"],
      registry: false,
    });
    await plant(base);
    const out = join(base, "zarr");

    const build = await run("build", [base, "--workers", "1", "--json"]);
    assertEquals(build.code, 1, `build exit code\n${build.stdout}\n${build.stderr}`);
    const result = JSON.parse(build.stdout);
    const failures: Failure[] = result.results.flatMap((r: { failures: Failure[] }) => r.failures);
    assertDeepEquals(
      failures.map((f) => [f.tile, f.kind]).sort(),
      Object.entries(BROKEN).map(([t, b]) => [t, b.kind]).sort(),
    );
    for (const f of failures) {
      const b = BROKEN[f.tile as keyof typeof BROKEN];
      const suffix = b.file === "npy" ? `${f.tile}.npy` : `${f.tile}_scales.npy`;
      assertEquals(f.path?.endsWith(suffix), true, `${f.tile}: path ${f.path}`);
      assertEquals(f.message.includes(b.what), true, `${f.tile}: ${f.message}`);
    }
    for (const r of result.results) {
      assertEquals(r.complete, true);
      assertEquals(r.tiles, 4, `${r.store}: the broken tiles are tiles of the zone`);
    }

    for (const [store, want] of [["utm30_2024.zarr", 2], ["utm31_2024.zarr", 3]] as const) {
      const attrs = JSON.parse(await Deno.readTextFile(join(out, store, "zarr.json"))).attributes;
      assertEquals(attrs.n_tiles, 4, `${store} n_tiles`);
      assertEquals(attrs.failed_tiles.length, want, `${store} failed_tiles`);
      // The good neighbours were written and verify agrees with the build on the failures.
      assertEquals(attrs.stats_count > 0, true, `${store}: no valid pixels written`);
      const v = await run("verify", [join(out, store), base, "--workers", "1", "--json"]);
      assertEquals(v.code, 0, `verify ${store}\n${v.stdout}\n${v.stderr}`);
      const report = JSON.parse(v.stdout);
      assertDeepEquals(
        report.failedTiles.map((f: Failure) => f.tile).sort(),
        [...attrs.failed_tiles].sort(),
      );
    }

    // scan names each broken file once, as a problem, and skips nothing.
    const scan = await run("scan", [base, "--json"]);
    assertEquals(scan.code, 1, scan.stderr);
    const report = JSON.parse(scan.stdout);
    assertDeepEquals(report.skipped, []);
    assertEquals(report.totalTiles, 8);
    assertDeepEquals(
      report.problems.map((p: Failure) => [p.tile, p.kind]).sort(),
      Object.entries(BROKEN).map(([t, b]) => [t, b.kind]).sort(),
    );
  });
});

Deno.test("a zone whose only tile is unreadable fails that tile; the other zones still build", async () => {
  await withTmp("tz-walkfail-", async (base) => {
    // --tiles 1: one tile in zone 30 (-0.05, 51.45) and one in zone 31 (0.05, 51.45).
    await fixtureDataset({
      out: base,
      tiles: 1,
      bands: 4,
      groups: ["greenwich"],
      registry: false,
    });
    const lone = tilePaths(base, T(5, 5145)).embeddings;
    await Deno.remove(lone);
    await Deno.symlink("/dev/zero", lone);
    const build = await run("build", [base, "--workers", "1", "--json"]);
    assertEquals(build.code, 1, `${build.stdout}\n${build.stderr}`);
    const results = JSON.parse(build.stdout).results;
    assertDeepEquals(
      results.map((r: { zone: number; complete: boolean; failures: Failure[] }) => [
        r.zone,
        r.complete,
        r.failures.map((f) => [f.tile, f.kind]),
      ]),
      [[30, true, []], [31, true, [["grid_0.05_51.45", "BadNpy"]]]],
    );
  });
});
