/**
 * End-to-end builds of the sample dataset through the real CLI, read back with zarrita and
 * compared pixel by pixel with an independent reference compositor.
 */
import * as zarr from "zarrita";
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { planZones, storeName, type ZonePlan } from "../../lib/plan/zone_plan.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { listTiles } from "../../lib/tiles/tile_list.ts";
import { fsReadable } from "../../lib/zarr/fs_store.ts";
import { runCli, spawnCli } from "../helpers/cli.ts";
import { referenceZone } from "../helpers/reference.ts";
import { diffTrees } from "../helpers/store_files.ts";

const BANDS = 8;
const base = await Deno.makeTempDir({ prefix: "tz-build-" });
globalThis.addEventListener("unload", () => Deno.removeSync(base, { recursive: true }));
const manifest = await fixtureDataset({ out: base, tiles: 2, bands: BANDS, defects: true });
const out = join(base, "zarr");
const first = await runCli("build", [base, "--workers", "2", "--json"]);
const firstResult = JSON.parse(first.stdout || "{}");

// Tiles the build must report, with the error kind it must give.
const EXPECTED_FAILURES: Record<string, string> = {
  "grid_-0.35_51.65": "TruncatedNpy",
  "grid_-0.15_51.65": "MissingFile",
  "grid_-0.05_51.65": "MissingFile",
  "grid_0.05_51.65": "LandmaskMismatch",
  "grid_0.15_51.65": "ShapeMismatch",
  "grid_0.25_51.65": "BadLandmask",
  "grid_0.35_51.65": "LandmaskMismatch",
};

async function plans(): Promise<ZonePlan[]> {
  return planZones((await listTiles(base, { year: 2024 })).tiles);
}

async function openStore(path: string) {
  const root = zarr.root(fsReadable(path));
  const group = await zarr.open.v3(root, { kind: "group" });
  const emb = await zarr.open.v3(root.resolve("embeddings"), { kind: "array" });
  const sc = await zarr.open.v3(root.resolve("scales"), { kind: "array" });
  return { group, emb, sc, root };
}

async function compareWithReference(plan: ZonePlan) {
  const path = join(out, storeName(plan.zone, plan.year));
  const { emb, sc } = await openStore(path);
  const ref = await referenceZone(base, plan, BANDS, new Set(Object.keys(EXPECTED_FAILURES)));
  assertEquals(JSON.stringify(emb.shape), JSON.stringify([ref.height, ref.width, BANDS]));
  const e = (await zarr.get(emb, null)).data as Int8Array;
  const s = (await zarr.get(sc, null)).data as Float32Array;
  let valid = 0;
  for (let i = 0; i < s.length; i++) {
    const a = s[i], b = ref.scales[i];
    if (!(a === b || (Number.isNaN(a) && Number.isNaN(b)))) {
      throw new Error(
        `zone ${plan.zone}: scale differs at pixel ${i} (row ${
          Math.floor(i / ref.width)
        }): store ${a}, reference ${b}`,
      );
    }
    if (!Number.isNaN(a)) valid++;
  }
  for (let i = 0; i < e.length; i++) {
    if (e[i] !== ref.embeddings[i]) {
      const p = Math.floor(i / BANDS);
      throw new Error(
        `zone ${plan.zone}: embedding differs at row ${Math.floor(p / ref.width)} col ${
          p % ref.width
        } band ${i % BANDS}`,
      );
    }
  }
  return { valid, contested: ref.contested };
}

Deno.test("build reports every broken tile with its kind and exits 1", () => {
  assertEquals(first.code, 1, first.stderr);
  const failures = firstResult.results.flatMap((
    r: { failures: { tile: string; kind: string }[] },
  ) => r.failures);
  const got = Object.fromEntries(
    failures.map((f: { tile: string; kind: string }) => [f.tile, f.kind]),
  );
  assertEquals(
    JSON.stringify(got, Object.keys(got).sort()),
    JSON.stringify(EXPECTED_FAILURES, Object.keys(EXPECTED_FAILURES).sort()),
  );
  assertEquals(firstResult.results.every((r: { complete: boolean }) => r.complete), true);
});

for (const zone of [30, 31, 35, 37]) {
  Deno.test(`zone ${zone}: every store pixel equals the reference compositor`, async () => {
    const plan = (await plans()).find((p) => p.zone === zone)!;
    const { valid, contested } = await compareWithReference(plan);
    // The comparison must have had real data, including overlaps decided by the rule (at the
    // equator near-rectangular cells barely overlap, so zone 37 has none to decide).
    assertEquals(valid > 500_000, true, `only ${valid} valid pixels`);
    if (zone !== 37) assertEquals(contested > 1000, true, `only ${contested} contested pixels`);
  });
}

Deno.test("the bad-scales tile is used, its defect pixels reported and stored as no data", async () => {
  const r30 = firstResult.results.find((r: { zone: number }) => r.zone === 30);
  // Six planted 64 × 64 blocks are defects (±inf, FLT_MAX, negative, zero, 7.5); NaN is no data.
  assertEquals(
    JSON.stringify(r30.badScales.map((w: { tile: string; pixels: number }) => [w.tile, w.pixels])),
    JSON.stringify([["grid_-0.25_51.65", 6 * 64 * 64]]),
  );
  assertEquals(r30.badScales[0].path.endsWith("grid_-0.25_51.65_scales.npy"), true);
  const { group } = await openStore(join(out, "utm30_2024.zarr"));
  assertEquals(
    JSON.stringify(group.attrs.bad_scale_pixels),
    JSON.stringify({ "grid_-0.25_51.65": 24576 }),
  );
  const text = await runCli("build", [
    base,
    "--zones",
    "30",
    "--output-dir",
    join(base, "zarr-text"),
  ]);
  assertEquals(text.stdout.includes("[BadScales]"), true, text.stdout);
});

Deno.test("zone-boundary tiles land in their centre's zone", async () => {
  const byZone = new Map((await plans()).map((p) => [p.zone, p]));
  const has = (zone: number, lonI: number) => byZone.get(zone)!.tiles.some((t) => t.lonI === lonI);
  assertEquals(has(30, -5), true);
  assertEquals(has(31, 5), true);
  assertEquals(has(30, 5) || has(31, -5), false);
  const { group } = await openStore(join(out, "utm30_2024.zarr"));
  assertEquals(group.attrs.n_tiles, byZone.get(30)!.tiles.length);
});

Deno.test("equator zone has negative northings and the southern tiles' data", async () => {
  const { group, root } = await openStore(join(out, "utm37_2024.zarr"));
  const transform = group.attrs.transform as number[];
  assertEquals(group.attrs.crs_epsg, 32637);
  const north = await zarr.open.v3(root.resolve("northing"), { kind: "array" });
  const n = (await zarr.get(north, null)).data as Float64Array;
  assertEquals(n[0], transform[5] - 5);
  assertEquals(n[n.length - 1] < -5000, true);
  assertEquals(n.every((v, i) => i === 0 || v === n[i - 1] - 10), true);
});

Deno.test("group attributes and array metadata follow SPEC §4", async () => {
  const path = join(out, "utm31_2024.zarr");
  const { group, emb, sc } = await openStore(path);
  const a = group.attrs as Record<string, unknown>;
  assertEquals(a.utm_zone, 31);
  assertEquals(a.year, 2024);
  assertEquals(a.crs_epsg, 32631);
  assertEquals(a["proj:code"], "EPSG:32631");
  assertEquals(a.pixel_size_m, 10);
  assertEquals(a["spatial:registration"], "pixel");
  assertEquals(JSON.stringify(a["spatial:dimensions"]), '["northing","easting"]');
  assertEquals(JSON.stringify(a["spatial:shape"]), JSON.stringify([emb.shape[0], emb.shape[1]]));
  assertEquals(a.build_complete, true);
  assertEquals(
    typeof a.crs_wkt === "string" && (a.crs_wkt as string).includes('ID["EPSG",32631]'),
    true,
  );
  const t = a.transform as number[];
  assertEquals(
    t[0] === 10 && t[1] === 0 && t[3] === 0 && t[4] === -10 && t[2] % 10 === 0 && t[5] % 10 === 0,
    true,
  );
  assertEquals(JSON.stringify(emb.dimensionNames), '["northing","easting","band"]');
  assertEquals(JSON.stringify(sc.dimensionNames), '["northing","easting"]');
  const meta = JSON.parse(await Deno.readTextFile(join(path, "embeddings/zarr.json")));
  assertEquals(
    JSON.stringify(meta.chunk_grid.configuration.chunk_shape),
    JSON.stringify([1024, 1024, BANDS]),
  );
  const shard = meta.codecs[0];
  assertEquals(shard.name, "sharding_indexed");
  assertEquals(JSON.stringify(shard.configuration.chunk_shape), JSON.stringify([32, 32, BANDS]));
  assertEquals(shard.configuration.index_location, "end");
  assertEquals(
    JSON.stringify(shard.configuration.index_codecs),
    '[{"name":"bytes","configuration":{"endian":"little"}},{"name":"crc32c"}]',
  );
  const smeta = JSON.parse(await Deno.readTextFile(join(path, "scales/zarr.json")));
  assertEquals(smeta.fill_value, "NaN");
  assertEquals(JSON.stringify(smeta.codecs[0].configuration.chunk_shape), "[64,64]");
  // The pyproj-independent check that crs_wkt parses to the right code, when PROJ is here.
  const py = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", "import sys,pyproj; print(pyproj.CRS(sys.stdin.read()).to_epsg())"],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const w = py.stdin.getWriter();
  await w.write(new TextEncoder().encode(a.crs_wkt as string));
  await w.close();
  const r = await py.output();
  if (r.code === 0) assertEquals(new TextDecoder().decode(r.stdout).trim(), "32631");
});

Deno.test("build-time statistics are in the store", async () => {
  const { group, root } = await openStore(join(out, "utm31_2024.zarr"));
  const count = group.attrs.stats_count as number;
  assertEquals(count > 1000, true);
  const sum = await zarr.open.v3(root.resolve("stats/sum"), { kind: "array" });
  const sp = await zarr.open.v3(root.resolve("stats/sum_products"), { kind: "array" });
  const sample = await zarr.open.v3(root.resolve("stats/sample"), { kind: "array" });
  assertEquals(sum.shape[0], BANDS);
  assertEquals(JSON.stringify(sp.shape), JSON.stringify([BANDS, BANDS]));
  assertEquals(sample.shape[1], BANDS);
  const spd = (await zarr.get(sp, null)).data as Float64Array;
  for (let i = 0; i < BANDS; i++) {
    for (let j = 0; j < BANDS; j++) assertEquals(spd[i * BANDS + j], spd[j * BANDS + i]);
    assertEquals(spd[i * BANDS + i] > 0, true);
  }
});

Deno.test("stores are byte-identical for --workers 1 and --workers 2", async () => {
  const out1 = join(base, "zarr-w1");
  const r = await runCli("build", [
    base,
    "--zones",
    "30,37",
    "--workers",
    "1",
    "--output-dir",
    out1,
  ]);
  assertEquals(r.code, 1, r.stderr);
  for (const z of ["utm30_2024.zarr", "utm37_2024.zarr"]) {
    assertEquals((await diffTrees(join(out, z), join(out1, z))).join("\n"), "");
  }
});

Deno.test("a build killed mid-write and resumed is byte-identical", async () => {
  const outK = join(base, "zarr-kill");
  const store = join(outK, "utm31_2024.zarr");
  const markers = async () => {
    const names: string[] = [];
    try {
      for await (const e of Deno.readDir(join(store, "_build/shards"))) names.push(e.name);
    } catch { /* not created yet */ }
    return names.filter((n) => n.endsWith(".stats")).length;
  };
  // Kill points: as soon as the store exists (metadata only), and after 1 and 3 finished shards
  // (the next shard is then being written).
  let killedMidBuild = 0;
  for (const after of [0, 1, 3]) {
    await Deno.remove(outK, { recursive: true }).catch(() => {});
    const child = spawnCli("build", [
      base,
      "--zones",
      "31",
      "--workers",
      "1",
      "--output-dir",
      outK,
    ]);
    let exited = false;
    child.status.then(() => exited = true);
    const t0 = Date.now();
    while (!exited && Date.now() - t0 < 30_000) {
      const started = await Deno.stat(join(store, "zarr.json")).then(() => true, () => false);
      if (started && (await markers()) >= after) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    if (exited) continue; // finished before this kill point: nothing to test here
    child.kill("SIGKILL");
    await child.status;
    killedMidBuild++;
    const before = await markers();
    const resumed = await runCli("build", [
      base,
      "--zones",
      "31",
      "--workers",
      "2",
      "--output-dir",
      outK,
      "--resume",
      "--json",
    ]);
    assertEquals(resumed.code, 1, resumed.stderr); // the defect tiles still fail
    const res = JSON.parse(resumed.stdout).results[0];
    assertEquals(res.complete, true);
    // Only unfinished shards (and shards with failed tiles) were redone.
    assertEquals(res.shardsReused <= before, true);
    assertEquals((await diffTrees(join(out, "utm31_2024.zarr"), store)).join("\n"), "");
    const lockLeft = await Deno.stat(`${store}.lock`).then(() => true, () => false);
    assertEquals(lockLeft, false, "lock left behind");
  }
  assertEquals(killedMidBuild >= 2, true, `only ${killedMidBuild} kill(s) landed mid-build`);
});

Deno.test("a second build of the same store is refused while the first holds the lock", async () => {
  const outL = join(base, "zarr-lock");
  await Deno.mkdir(outL, { recursive: true });
  const lock = join(outL, "utm35_2024.zarr.lock");
  await Deno.writeTextFile(
    lock,
    JSON.stringify({ pid: Deno.pid, host: (await import("node:os")).hostname() }),
  );
  const r = await runCli("build", [base, "--zones", "35", "--output-dir", outL]);
  assertEquals(r.code, 1);
  assertEquals(r.stderr.includes("another build"), true, r.stderr);
  // A lock from a dead process is taken over.
  await Deno.writeTextFile(
    lock,
    JSON.stringify({ pid: 999999999, host: (await import("node:os")).hostname() }),
  );
  const r2 = await runCli("build", [base, "--zones", "35", "--output-dir", outL]);
  assertEquals(r2.code, 0, r2.stderr);
});

Deno.test("--resume refuses a store built with other parameters; --dry-run writes nothing", async () => {
  const r = await runCli("build", [base, "--zones", "35", "--resume", "--compress", "zstd"]);
  assertEquals(r.code, 1);
  assertEquals(r.stderr.includes("cannot resume"), true, r.stderr);
  const outD = join(base, "zarr-dry");
  const d = await runCli("build", [base, "--dry-run", "--output-dir", outD]);
  assertEquals(d.code, 0, d.stderr);
  assertEquals(d.stdout.includes("utm37_2024.zarr"), true);
  assertEquals(await Deno.stat(outD).then(() => true, () => false), false);
});

Deno.test("--compress zstd gives the same pixels", async () => {
  const outZ = join(base, "zarr-zstd");
  const r = await runCli("build", [
    base,
    "--zones",
    "35",
    "--compress",
    "zstd",
    "--output-dir",
    outZ,
  ]);
  assertEquals(r.code, 0, r.stderr);
  const a = await openStore(join(out, "utm35_2024.zarr"));
  const b = await openStore(join(outZ, "utm35_2024.zarr"));
  const ea = (await zarr.get(a.emb, null)).data as Int8Array;
  const eb = (await zarr.get(b.emb, null)).data as Int8Array;
  assertEquals(ea.length, eb.length);
  assertEquals(ea.every((v, i) => v === eb[i]), true);
  const meta = JSON.parse(
    await Deno.readTextFile(join(outZ, "utm35_2024.zarr/embeddings/zarr.json")),
  );
  assertEquals(meta.codecs[0].configuration.codecs[1].name, "zstd");
});

Deno.test("fixture manifest and the build agree on tile counts", () => {
  const perZone = new Map<number, number>();
  for (const t of manifest.tiles) perZone.set(t.zone, (perZone.get(t.zone) ?? 0) + 1);
  for (const r of firstResult.results) assertEquals(r.tiles, perZone.get(r.zone));
});
