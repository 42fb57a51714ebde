/**
 * `verify` end to end: the sample dataset with all its defects is built with the real CLI,
 * every zone verifies clean, and each kind of damage to a copy of a store — one flipped
 * embeddings byte, one scale off by one ulp, one coordinate, one attribute, a broken shard
 * index, a truncated shard — is found and reported at the right place, never as a crash.
 */
import { SCALES_INNER_PX } from "../../lib/store/layout.ts";
import { join } from "node:path";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { FsStore } from "../../lib/zarr/fs_store.ts";
import { jsonBytes } from "../../lib/zarr/metadata.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { geobox } from "../../lib/grid/geobox.ts";
import { decodeChunk, encodeChunk } from "../../lib/zarr/codecs.ts";
import {
  decodeShardIndex,
  encodeShard,
  encodeShardIndex,
  shardIndexLength,
} from "../../lib/zarr/shard.ts";
import { type CandidateBlock, compareBlock, pixelCell } from "../../lib/verify/expected_shard.ts";
import { emptyCounts, type PixelMismatch, type VerifyReport } from "../../lib/verify/report.ts";
import { verifyStore } from "../../lib/verify/verify_store.ts";
import { runCli } from "../helpers/cli.ts";

const BANDS = 8;
const base = await Deno.makeTempDir({ prefix: "tz-verify-" });
globalThis.addEventListener("unload", () => Deno.removeSync(base, { recursive: true }));
await fixtureDataset({ out: base, tiles: 2, bands: BANDS, defects: true });
const out = join(base, "zarr");
const build = await runCli("build", [base, "--workers", "2", "--json"]);

// Tiles the builder skips (fixtures' defect row); verify must exclude the same ones.
const FAILED: Record<number, string[]> = {
  30: ["grid_-0.05_51.65", "grid_-0.15_51.65", "grid_-0.35_51.65"],
  31: ["grid_0.05_51.65", "grid_0.15_51.65", "grid_0.25_51.65", "grid_0.35_51.65"],
  35: [],
  37: [],
};

async function verify(
  store: string,
  ...args: string[]
): Promise<{ code: number; report: VerifyReport; stderr: string }> {
  const r = await runCli("verify", [store, base, "--json", ...args]);
  let report: VerifyReport;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new Error(`verify printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, report, stderr: r.stderr };
}

/** A copy of a built store in a fresh directory, under the same name (verify reads zone and year from it). */
async function copyStore(zone: number): Promise<string> {
  const name = `utm${zone}_2024.zarr`;
  const dst = join(await Deno.makeTempDir({ dir: base, prefix: "copy-" }), name);
  const copy = async (from: string, to: string) => {
    await Deno.mkdir(to, { recursive: true });
    for await (const e of Deno.readDir(from)) {
      if (e.isDirectory) await copy(join(from, e.name), join(to, e.name));
      else await Deno.copyFile(join(from, e.name), join(to, e.name));
    }
  };
  await copy(join(out, name), dst);
  return dst;
}

/** The shard files of an array in a store, biggest first (the fullest shards). */
async function shardFiles(
  store: string,
  array: string,
): Promise<{ path: string; row: number; col: number }[]> {
  const found: { path: string; row: number; col: number; size: number }[] = [];
  for await (const r of Deno.readDir(join(store, array, "c"))) {
    for await (const c of Deno.readDir(join(store, array, "c", r.name))) {
      const path = join(
        store,
        array,
        "c",
        r.name,
        c.name,
        ...(array === "embeddings" ? ["0"] : []),
      );
      found.push({
        path,
        row: Number(r.name),
        col: Number(c.name),
        size: (await Deno.stat(path)).size,
      });
    }
  }
  return found.sort((a, b) => b.size - a.size);
}

Deno.test("the build being verified ran and reported its broken tiles", () => {
  assertEquals(build.code, 1, build.stderr);
});

for (const zone of [30, 31, 35, 37]) {
  Deno.test(`zone ${zone}: verify passes with every state represented`, async () => {
    const { code, report } = await verify(join(out, `utm${zone}_2024.zarr`));
    assertEquals(
      code,
      0,
      JSON.stringify({ ...report, counts: report.counts }, null, 1).slice(0, 3000),
    );
    assertEquals(report.ok, true);
    assertEquals(report.counts.mismatched, 0);
    assertEquals(report.counts.unverified, 0);
    assertEquals(report.metadata.length, 0);
    assertEquals(report.shardProblems.length, 0);
    assertEquals(report.counts.exact > 500_000, true, `only ${report.counts.exact} exact pixels`);
    assertEquals(report.counts.masked > 1000, true, `only ${report.counts.masked} masked pixels`);
    assertEquals(report.counts.empty > 0, true);
    // Near the equator the cells are almost axis-aligned and barely overlap (no contested pixel).
    if (zone !== 37) {
      assertEquals(
        report.counts.overlapResolved > 1000,
        true,
        `only ${report.counts.overlapResolved} overlaps`,
      );
      assertEquals(report.counts.overlapByCell > 0, true);
    }
    assertEquals(
      JSON.stringify(report.failedTiles.map((f) => f.tile)),
      JSON.stringify(FAILED[zone]),
    );
  });
}

Deno.test("in-process verify (workers 1) gives the same counts as the worker pool", async () => {
  const store = join(out, "utm35_2024.zarr");
  const inProcess = await verifyStore(store, { base, workers: 1 });
  const { report: pooled } = await verify(store, "--workers", "2");
  assertEquals(inProcess.ok, true);
  assertEquals(JSON.stringify(inProcess.counts), JSON.stringify(pooled.counts));
});

Deno.test("one flipped byte in an embeddings inner chunk is found at its pixel and band", async () => {
  const store = await copyStore(31);
  const [shard] = await shardFiles(store, "embeddings");
  const bytes = await Deno.readFile(shard.path);
  const locs = decodeShardIndex(bytes, 32 * 32);
  // A stored inner chunk well inside the grid (edge chunks are stored full size, past the edge).
  const i = locs.findIndex((l, i) =>
    l !== null && i % 32 < 16 && Math.floor(i / 32) < 16 && i > 32 * 4
  );
  const loc = locs[i]!;
  const k = Math.floor(loc.nbytes / 2) + 3; // raw chunk: 32 × 32 × BANDS, C order
  const expected = new Int8Array(bytes.buffer, loc.offset + k, 1)[0];
  bytes[loc.offset + k] ^= 0x5a;
  const got = new Int8Array(bytes.buffer, loc.offset + k, 1)[0];
  await Deno.writeFile(shard.path, bytes);
  const px = Math.floor(k / BANDS);
  const row = shard.row * 1024 + Math.floor(i / 32) * 32 + Math.floor(px / 32);
  const col = shard.col * 1024 + (i % 32) * 32 + (px % 32);

  const { code, report } = await verify(store);
  assertEquals(code, 1);
  assertEquals(report.ok, false);
  assertEquals(report.counts.mismatched, 1);
  assertEquals(report.shardProblems.length, 0, JSON.stringify(report.shardProblems));
  const m = report.mismatches[0];
  assertEquals(
    JSON.stringify([m.array, m.row, m.col, m.band, m.expected, m.got]),
    JSON.stringify(["embeddings", row, col, k % BANDS, expected, got]),
  );
  if (m.state === "exact" || m.state === "overlap") assertEquals(m.tile !== null, true);
});

Deno.test("a scale off by one ulp is found at its pixel", async () => {
  const store = await copyStore(30);
  const [shard] = await shardFiles(store, "scales");
  const bytes = await Deno.readFile(shard.path);
  const n = 1024 / SCALES_INNER_PX; // inner chunks per shard side
  const locs = decodeShardIndex(bytes, n * n);
  const codec = { compress: "zstd" as const, level: 3 };
  const chunks: (Uint8Array | null)[] = locs.map((l) =>
    l && bytes.slice(l.offset, l.offset + l.nbytes)
  );
  const i = locs.findIndex((l) => l !== null);
  const raw = decodeChunk(chunks[i]!, codec, SCALES_INNER_PX * SCALES_INNER_PX * 4).slice();
  const values = new Float32Array(raw.buffer);
  const bits = new Uint32Array(raw.buffer);
  const p = values.findIndex((v) => Number.isFinite(v));
  const expected = values[p];
  bits[p] += 1;
  const got = values[p];
  chunks[i] = encodeChunk(raw, codec);
  await Deno.writeFile(shard.path, encodeShard(chunks)!);
  const inner = SCALES_INNER_PX;
  const row = shard.row * 1024 + Math.floor(i / n) * inner + Math.floor(p / inner);
  const col = shard.col * 1024 + (i % n) * inner + (p % inner);

  const { code, report } = await verify(store);
  assertEquals(code, 1);
  assertEquals(report.counts.mismatched, 1);
  const m = report.mismatches[0];
  assertEquals(
    JSON.stringify([m.array, m.row, m.col, m.band, m.expected, m.got]),
    JSON.stringify(["scales", row, col, null, expected, got]),
  );
  assertEquals(typeof m.tile, "string");
});

Deno.test("a wrong easting value and a wrong transform attribute are reported", async () => {
  const store = await copyStore(35);
  const key = join(store, "easting", "c", "0");
  const codec = { compress: "zstd" as const, level: 3 };
  const raw = decodeChunk(await Deno.readFile(key), codec).slice();
  const easting = new Float64Array(raw.buffer);
  const expected = easting[7];
  easting[7] += 0.001;
  await Deno.writeFile(key, encodeChunk(raw, codec));

  let { code, report } = await verify(store);
  assertEquals(code, 1);
  assertEquals(report.counts.mismatched, 0);
  assertEquals(report.coordinateMismatches, 1);
  assertEquals(
    JSON.stringify(report.metadata),
    JSON.stringify([{ what: "easting[7]", expected, got: expected + 0.001 }]),
  );

  // Put the coordinate back and move the transform by one pixel instead.
  easting[7] = expected;
  await Deno.writeFile(key, encodeChunk(raw, codec));
  const group = JSON.parse(await Deno.readTextFile(join(store, "zarr.json")));
  const transform = [...group.attributes.transform];
  group.attributes.transform[2] += 10;
  await Deno.writeTextFile(join(store, "zarr.json"), JSON.stringify(group, null, 2));
  ({ code, report } = await verify(store));
  assertEquals(code, 1);
  assertEquals(report.counts.mismatched, 0);
  assertEquals(report.metadata.length, 1, JSON.stringify(report.metadata));
  assertEquals(report.metadata[0].what, "attribute transform");
  assertEquals(JSON.stringify(report.metadata[0].expected), JSON.stringify(transform));
});

Deno.test("a broken shard index CRC is reported as a damaged shard, not a crash", async () => {
  const store = await copyStore(37);
  const [shard] = await shardFiles(store, "embeddings");
  const bytes = await Deno.readFile(shard.path);
  bytes[bytes.length - 2] ^= 0xff; // inside the CRC32C of the index
  await Deno.writeFile(shard.path, bytes);

  const { code, report, stderr } = await verify(store);
  assertEquals(code, 1);
  assertEquals(stderr.includes("at "), false, stderr);
  assertEquals(report.shardProblems.length, 1);
  const p = report.shardProblems[0];
  assertEquals(
    JSON.stringify([p.array, p.row, p.col, p.kind]),
    JSON.stringify(["embeddings", shard.row, shard.col, "BadShardIndex"]),
  );
  assertEquals(/CRC32C mismatch/.test(p.message), true, p.message);
  // zarrita does not check the CRC, and the offsets are intact: the pixels still compare equal.
  assertEquals(report.counts.mismatched, 0);

  const text = await runCli("verify", [store, base]);
  assertEquals(text.code, 1);
  assertEquals(
    text.stdout.includes(`embeddings shard ${shard.row},${shard.col}: [BadShardIndex]`),
    true,
    text.stdout,
  );
});

Deno.test("an index entry pointing into the index (valid CRC) is reported as a damaged shard", async () => {
  const store = await copyStore(37);
  const [shard] = await shardFiles(store, "scales");
  const doc = JSON.parse(await Deno.readTextFile(join(store, "scales", "zarr.json")));
  const outer: number[] = doc.chunk_grid.configuration.chunk_shape;
  const inner: number[] = doc.codecs[0].configuration.chunk_shape;
  const n = outer.reduce((a, d, k) => a * d / inner[k], 1);
  const bytes = await Deno.readFile(shard.path);
  const locations = decodeShardIndex(bytes, n);
  const payload = bytes.length - shardIndexLength(n);
  const i = locations.findIndex((l) => l !== null);
  // 8 bytes of payload and 8 of the index: inside the file, past the payload.
  locations[i] = { offset: payload - 8, nbytes: 16 };
  await Deno.writeFile(
    shard.path,
    Uint8Array.from([...bytes.subarray(0, payload), ...encodeShardIndex(locations)]),
  );

  const { code, report, stderr } = await verify(store);
  assertEquals(code, 1);
  assertEquals(stderr.includes("at "), false, stderr);
  const p = report.shardProblems.find((p) => p.kind === "BadShardIndex");
  assertEquals(
    JSON.stringify([p?.array, p?.row, p?.col]),
    JSON.stringify(["scales", shard.row, shard.col]),
  );
  assertEquals(
    p!.message.includes(`shard index entry ${i} points past the payload (`),
    true,
    p!.message,
  );
});

Deno.test("a truncated shard is reported and its pixels counted as unverified", async () => {
  const store = await copyStore(37);
  const [shard] = await shardFiles(store, "embeddings");
  const size = (await Deno.stat(shard.path)).size;
  await Deno.truncate(shard.path, Math.floor(size / 2));

  const { code, report } = await verify(store);
  assertEquals(code, 1);
  assertEquals(report.ok, false);
  const mine = report.shardProblems.filter((p) => p.row === shard.row && p.col === shard.col);
  assertEquals(mine.length > 0, true, JSON.stringify(report.shardProblems));
  assertEquals(report.counts.unverified + report.counts.mismatched > 0, true);
});

Deno.test("usage errors exit 2", async () => {
  assertEquals((await runCli("verify", [])).code, 2);
  assertEquals((await runCli("verify", [join(base, "nope.zarr"), base])).code, 2);
  assertEquals(
    (await runCli("verify", [join(out, "utm35_2024.zarr"), base, "--workers", "0"])).code,
    2,
  );
  assertEquals((await runCli("verify", [join(out, "utm35_2024.zarr"), base, "--bogus"])).code, 2);
  assertEquals((await runCli("verify", [base, base])).code, 2); // not a store
});

Deno.test("the rule: valid beats invalid, the owning cell beats order, else later wins", () => {
  // Zone 31 grid around the tile at (0.15, 52.25); four candidates cover one 1 × 4 block.
  const box = geobox(1454, 2278, 301370, 5798370, 32631);
  const [lonCell, latCell] = pixelCell(box, 31, 500, 100);
  const cand = (name: string, scales: number[], land: number[], own: boolean): CandidateBlock => ({
    name,
    lonCell: own ? lonCell : lonCell + 1,
    latCell,
    width: 4,
    colOffsetPx: 100,
    zone: { r0: 500, r1: 501, c0: 100, c1: 104 },
    embeddings: new Int8Array(4 * 4).fill(name.charCodeAt(0)),
    scales: Float32Array.from(scales),
    land: Uint8Array.from(land),
  });
  // Pixel 0: A valid, B later but water → A.  Pixel 1: A valid in its cell, B valid later → A.
  // Pixel 2: A and B valid, neither in its cell → B (later).  Pixel 3: both invalid → NaN, zeros.
  // (The four pixels share one cell, so pixel 2 is compared with A moved out of it.)
  const A = cand("A", [0.1, 0.1, 0.1, NaN], [1, 1, 1, 1], true);
  const B = cand("B", [0.2, 0.2, 0.2, 0.2], [0, 1, 1, 0], false);
  const A2 = { ...A, lonCell: lonCell + 2 };
  const store = {
    rect: { r0: 500, r1: 501, c0: 100, c1: 104 },
    bands: 4,
    embeddings: Int8Array.from([65, 65, 65, 65, 65, 65, 65, 65, 66, 66, 66, 66, 0, 0, 0, 0]),
    scales: Float32Array.from([0.1, 0.1, 0.2, NaN]),
  };
  const rule = { geobox: box, zone: 31, maxValidScale: 1 };
  const sink = { counts: emptyCounts(), mismatches: [] as PixelMismatch[], maxListed: 10 };
  compareBlock(store, { r0: 500, r1: 501, c0: 100, c1: 102 }, [A, B], rule, sink);
  compareBlock(store, { r0: 500, r1: 501, c0: 102, c1: 104 }, [A2, B], rule, sink);
  assertEquals(JSON.stringify(sink.mismatches), "[]");
  assertEquals(
    JSON.stringify(sink.counts),
    JSON.stringify({
      ...emptyCounts(),
      exact: 1,
      overlapResolved: 2,
      overlapByCell: 1,
      overlapByOrder: 1,
      masked: 1,
    }),
  );

  // The store giving pixel 1 to the later tile B breaks the cell rule.
  store.embeddings.fill(66, 4, 8);
  store.scales[1] = 0.2;
  const bad = { counts: emptyCounts(), mismatches: [] as PixelMismatch[], maxListed: 10 };
  compareBlock(store, { r0: 500, r1: 501, c0: 100, c1: 102 }, [A, B], rule, bad);
  assertEquals(bad.counts.mismatched, 1);
  assertEquals(
    JSON.stringify(
      bad.mismatches.map((m) => [m.array, m.col, m.tile]),
    ),
    '[["scales",101,"A"],["embeddings",101,"A"]]',
  );
});

Deno.test("a stale or missing consolidated block, a lost grid mapping and an old in-store manifest are reported", async () => {
  const store = await copyStore(31);
  const whats = (r: { metadata: { what: string }[] }) => r.metadata.map((m) => m.what);
  // A node document changed behind the store's back (not through FsStore): the block is stale.
  const scalesKey = join(store, "scales", "zarr.json");
  const scales = JSON.parse(await Deno.readTextFile(scalesKey));
  delete scales.attributes.grid_mapping;
  await Deno.writeTextFile(scalesKey, JSON.stringify(scales, null, 2) + "\n");
  let { code, report } = await verify(store);
  assertEquals(code, 1);
  assertEquals(report.counts.mismatched, 0);
  assertDeepEquals(whats(report), [
    "array scales grid_mapping",
    "consolidated metadata of scales",
  ]);
  // Consolidating again (any write through FsStore does) makes the block current.
  await new FsStore(store).consolidate();
  ({ report } = await verify(store));
  assertDeepEquals(whats(report), ["array scales grid_mapping"]);

  // No block at all (a store written before it existed).
  scales.attributes.grid_mapping = "spatial_ref";
  await new FsStore(store).set("scales/zarr.json", jsonBytes(scales));
  const root = JSON.parse(await Deno.readTextFile(join(store, "zarr.json")));
  delete root.consolidated_metadata;
  await Deno.writeTextFile(join(store, "zarr.json"), JSON.stringify(root, null, 2) + "\n");
  await Deno.writeTextFile(join(store, "_chunk_manifest.json"), "{}\n");
  ({ code, report } = await verify(store));
  assertEquals(code, 1);
  assertDeepEquals(whats(report), ["consolidated metadata"]);
  assertDeepEquals(report.strays.map((s) => s.key), ["_chunk_manifest.json"]);
});
