/**
 * Manifests: from a real build through the real CLI (contents against the shard files and
 * the store's attributes), atomic and idempotent rewrites, and hand-made stores for the edge
 * cases (numeric order, stray files, key encodings, done flags, broken stores).
 */
import { join } from "node:path";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { runCli } from "../helpers/cli.ts";
import { buildTinyStores } from "../serve/tiny_store.ts";
import {
  CHUNK_MANIFEST_FILE,
  type ChunkManifest,
  chunkManifest,
  manifestName,
  STORES_FILE,
  writeManifests,
} from "../../lib/manifest/manifest.ts";

const { base, out } = await buildTinyStores("tz-manifest-");
const tmp = await Deno.makeTempDir({ prefix: "tz-manifest-hand-" });
globalThis.addEventListener("unload", () => {
  Deno.removeSync(base, { recursive: true });
  Deno.removeSync(tmp, { recursive: true });
});

/** Shard indices of the files under `{store}/{array}/c/{row}/{col}` (the build's layout). */
async function shardFiles(store: string, array: string): Promise<[number, number][]> {
  const found: [number, number][] = [];
  for await (const r of Deno.readDir(join(store, array, "c"))) {
    for await (const c of Deno.readDir(join(store, array, "c", r.name))) {
      found.push([+r.name, +c.name]);
    }
  }
  return found.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

async function tempFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) found.push(...await tempFiles(join(dir, e.name)));
    else if (e.name.includes(".tmp-")) found.push(join(dir, e.name));
  }
  return found;
}

Deno.test("manifest CLI on a real build: every field matches the store and its shard files", async () => {
  const r = await runCli("manifest", [out, "--json"]);
  assertEquals(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assertDeepEquals(report.stores, ["utm30_2024.zarr", "utm31_2024.zarr"]);
  assertDeepEquals(JSON.parse(await Deno.readTextFile(join(out, STORES_FILE))), report.stores);
  assertDeepEquals(report.problems, []);
  assertDeepEquals(
    [...report.written].sort(),
    [
      STORES_FILE,
      manifestName("utm30_2024.zarr"),
      manifestName("utm31_2024.zarr"),
    ].sort(),
  );
  for (const [i, name] of report.stores.entries()) {
    const store = join(out, name);
    const m: ChunkManifest = report.manifests[i];
    assertDeepEquals(JSON.parse(await Deno.readTextFile(join(out, `${name}.manifest.json`))), m);
    const attrs = JSON.parse(await Deno.readTextFile(join(store, "zarr.json"))).attributes;
    const scales = JSON.parse(await Deno.readTextFile(join(store, "scales", "zarr.json")));
    const zone = Number(name.slice(3, 5));
    assertDeepEquals(
      {
        format: m.format,
        store: m.store,
        zone: m.zone,
        year: m.year,
        epsg: m.epsg,
        bands: m.bands,
      },
      { format: 1, store: name, zone, year: 2024, epsg: 32600 + zone, bands: 4 },
    );
    assertDeepEquals(m.transform, attrs.transform);
    assertDeepEquals(m.shape, scales.shape);
    assertDeepEquals(m.shape, attrs["spatial:shape"]);
    assertEquals(m.shard_px, 1024);
    const shards = await shardFiles(store, "scales");
    assertEquals(shards.length > 1, true, `${name}: expected several shards`);
    assertDeepEquals(m.chunks, shards);
    // The build writes an embeddings shard exactly where it writes a scales shard.
    const embShards = (await shardFiles(store, "embeddings")).map(([row, col]) => [row, col]);
    assertDeepEquals(m.chunks, embShards);
    assertEquals(m.has_rgb, false);
    assertEquals(m.has_pca_rgb, false);
    assertEquals(m.multiscales, null);
    assertEquals(m.pca_explained_variance, null);
    assertDeepEquals(m.band_p2, attrs.stats_band_p2);
    assertDeepEquals(m.band_p98, attrs.stats_band_p98);
    assertEquals(m.band_p2!.length, 4);
  }
  assertDeepEquals(await tempFiles(out), []);
});

Deno.test("manifests sit beside the stores: nothing but Zarr nodes inside, an old in-store manifest is removed", async () => {
  const store = join(out, "utm31_2024.zarr");
  // What versions before this one left inside the store (zarr-python warned about it).
  await Deno.writeTextFile(join(store, CHUNK_MANIFEST_FILE), "{}\n");
  const r = await runCli("manifest", [out]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(await Deno.stat(join(store, CHUNK_MANIFEST_FILE)).catch(() => null), null);
  // zarr-python's rule (members of a group): every entry of a group's directory is its
  // zarr.json or a child directory holding a zarr.json; arrays hold only zarr.json and c/.
  const strays: string[] = [];
  const group = async (dir: string, rel: string): Promise<void> => {
    for await (const e of Deno.readDir(dir)) {
      const key = rel ? `${rel}/${e.name}` : e.name;
      if (e.name === "zarr.json") continue;
      const doc = e.isDirectory
        ? await Deno.readTextFile(join(dir, e.name, "zarr.json")).then(JSON.parse, () => null)
        : null;
      if (!doc) strays.push(key);
      else if (doc.node_type === "group") await group(join(dir, e.name), key);
      else {
        for await (const a of Deno.readDir(join(dir, e.name))) {
          if (a.name !== "zarr.json" && a.name !== "c") strays.push(`${key}/${a.name}`);
        }
      }
    }
  };
  for (const name of ["utm30_2024.zarr", "utm31_2024.zarr"]) await group(join(out, name), name);
  assertDeepEquals(strays, []);
});

Deno.test("manifest rewrites are atomic and only happen when something changed", async () => {
  await writeManifests(out);
  const path = join(out, manifestName("utm30_2024.zarr"));
  const before = await Deno.stat(path);
  const again = await writeManifests(out);
  assertDeepEquals(again.written, []);
  assertEquals(again.unchanged.length, 3);
  const same = await Deno.stat(path);
  assertEquals(same.ino, before.ino);
  assertEquals(same.mtime?.getTime(), before.mtime?.getTime());

  // Remove a shard (and move it back afterwards): the manifest is replaced by rename, so a
  // reader holding the old file keeps reading complete old content.
  const shard = join(out, "utm30_2024.zarr", "scales", "c", "1", "0");
  const kept = join(tmp, "kept-shard");
  await Deno.rename(shard, kept);
  try {
    const reader = await Deno.open(path);
    const changed = await writeManifests(out);
    assertDeepEquals(changed.written, [manifestName("utm30_2024.zarr")]);
    const after = await Deno.stat(path);
    assertEquals(after.ino !== before.ino, true, "not replaced by rename");
    const old = JSON.parse(await new Response(reader.readable).text());
    assertEquals(old.chunks.some(([r, c]: number[]) => r === 1 && c === 0), true);
    const now = JSON.parse(await Deno.readTextFile(path));
    assertEquals(now.chunks.some(([r, c]: number[]) => r === 1 && c === 0), false);
    assertDeepEquals(await tempFiles(out), []);
  } finally {
    await Deno.rename(kept, shard);
    await writeManifests(out);
  }
});

interface HandStore {
  attrs?: Record<string, unknown>;
  shape?: number[];
  chunkShape?: number[];
  encoding?: Record<string, unknown>;
  files?: string[];
  dirs?: string[];
}

/** Writes a hand-made store (root and scales metadata plus named files under scales/). */
async function handStore(dir: string, name: string, s: HandStore = {}): Promise<string> {
  const store = join(dir, name);
  await Deno.mkdir(join(store, "scales"), { recursive: true });
  const attrs = s.attrs ??
    { utm_zone: 30, year: 2024, transform: [10, 0, 500000, 0, -10, 6000000] };
  await Deno.writeTextFile(
    join(store, "zarr.json"),
    JSON.stringify({ zarr_format: 3, node_type: "group", attributes: attrs }),
  );
  await Deno.writeTextFile(
    join(store, "scales", "zarr.json"),
    JSON.stringify({
      zarr_format: 3,
      node_type: "array",
      shape: s.shape ?? [11 * 1024, 12 * 1024],
      chunk_grid: { name: "regular", configuration: { chunk_shape: s.chunkShape ?? [1024, 1024] } },
      chunk_key_encoding: s.encoding ?? { name: "default", configuration: { separator: "/" } },
    }),
  );
  for (const d of s.dirs ?? []) await Deno.mkdir(join(store, "scales", d), { recursive: true });
  for (const f of s.files ?? []) {
    const p = join(store, "scales", f);
    await Deno.mkdir(join(p, ".."), { recursive: true });
    await Deno.writeFile(p, new Uint8Array([0]));
  }
  return store;
}

Deno.test("chunks: numeric order; stray, temporary, non-canonical and out-of-grid names ignored", async () => {
  const store = await handStore(join(tmp, "order"), "utm30_2024.zarr", {
    files: [
      "c/10/0",
      "c/2/0",
      "c/2/10",
      "c/2/9",
      "c/0/11",
      "c/01/0", // not a canonical key
      "c/2/3.tmp-0123456789ab", // a crashed writer's temporary
      "c/x/0",
      "c/11/0", // row 11 is outside an 11-row grid
      "c/0/12", // column 12 is outside a 12-column grid
      "c/2/-1",
    ],
    dirs: ["c/3/4"], // a directory where a shard file would be
  });
  const m = await chunkManifest(store);
  assertDeepEquals(m.chunks, [[0, 11], [2, 0], [2, 9], [2, 10], [10, 0]]);
  assertEquals(m.epsg, 32630);
  assertEquals(m.bands, 0);
});

Deno.test("chunks: '.' separator and v2 key encodings", async () => {
  const dot = await handStore(join(tmp, "enc"), "utm30_2024.zarr", {
    encoding: { name: "default", configuration: { separator: "." } },
    files: ["c.0.1", "c.3.2", "c.0.1.tmp-0123456789ab", "c.x.1", "c.1", "notes.txt"],
  });
  assertDeepEquals((await chunkManifest(dot)).chunks, [[0, 1], [3, 2]]);
  const v2 = await handStore(join(tmp, "enc"), "utm31_2024.zarr", {
    encoding: { name: "v2", configuration: { separator: "." } },
    files: ["0.1", "3.2"],
  });
  assertDeepEquals((await chunkManifest(v2)).chunks, [[0, 1], [3, 2]]);
  const v2slash = await handStore(join(tmp, "enc"), "utm32_2024.zarr", {
    encoding: { name: "v2", configuration: { separator: "/" } },
    files: ["0/1", "3/2"],
  });
  assertDeepEquals((await chunkManifest(v2slash)).chunks, [[0, 1], [3, 2]]);
});

Deno.test("has_rgb / has_pca_rgb are the done flags, not array existence; preview attrs pass through", async () => {
  const dir = join(tmp, "flags");
  const t = [10, 0, 500000, 0, -10, 6000000];
  const unfinished = await handStore(dir, "utm30_2024.zarr", {
    attrs: { utm_zone: 30, year: 2024, transform: t, has_rgb_preview: false },
  });
  await Deno.mkdir(join(unfinished, "rgb"));
  await Deno.writeTextFile(join(unfinished, "rgb", "zarr.json"), "{}");
  await Deno.mkdir(join(unfinished, "pca_rgb"));
  await Deno.writeTextFile(join(unfinished, "pca_rgb", "zarr.json"), "{}");
  const a = await chunkManifest(unfinished);
  assertEquals(a.has_rgb, false);
  assertEquals(a.has_pca_rgb, false);

  const multiscales = {
    rgb: [{ level: 0, path: "rgb", pixel_size_m: 10, transform: t, shape: [5, 5, 4] }],
  };
  const done = await handStore(dir, "utm31_2024.zarr", {
    attrs: {
      utm_zone: 31,
      year: 2023,
      crs_epsg: 32631,
      transform: t,
      n_bands: 128,
      has_rgb_preview: true,
      has_pca_preview: true,
      multiscales,
      pca_explained_variance: [0.5, 0.2, 0.1],
      stats_band_p2: [-1, -2],
      stats_band_p98: [1, 2],
    },
  });
  const b = await chunkManifest(done);
  assertDeepEquals(
    [b.has_rgb, b.has_pca_rgb, b.multiscales, b.pca_explained_variance, b.band_p2, b.band_p98],
    [true, true, multiscales, [0.5, 0.2, 0.1], [-1, -2], [1, 2]],
  );
  assertEquals(b.year, 2023);
  assertEquals(b.bands, 128);
});

Deno.test("only utm{ZZ}_{YYYY}.zarr directories are stores; broken ones are reported, exit 1", async () => {
  const dir = join(tmp, "mixed");
  await handStore(dir, "utm30_2024.zarr", { files: ["c/0/0"] });
  await handStore(dir, "global_rgb_2024.zarr");
  await handStore(dir, "utm31_2024.zarr.old");
  await Deno.mkdir(join(dir, "utm32_2024.zarr")); // no zarr.json
  const noScales = await handStore(dir, "utm33_2024.zarr");
  await Deno.remove(join(noScales, "scales"), { recursive: true });
  await handStore(dir, "utm34_2024.zarr", {
    attrs: { year: 2024, transform: [1, 0, 0, 0, -1, 0] },
  });
  const badJson = await handStore(dir, "utm35_2024.zarr");
  await Deno.writeTextFile(join(badJson, "zarr.json"), "{not json");
  await Deno.symlink(join(dir, "utm30_2024.zarr"), join(dir, "utm36_2024.zarr"));
  await Deno.writeTextFile(join(dir, "utm37_2024.zarr"), "a file, not a store");

  const r = await runCli("manifest", [dir, "--json"]);
  assertEquals(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout);
  assertDeepEquals(report.stores, ["utm30_2024.zarr"]);
  assertDeepEquals(JSON.parse(await Deno.readTextFile(join(dir, STORES_FILE))), [
    "utm30_2024.zarr",
  ]);
  assertDeepEquals(
    report.problems.map((p: { store: string }) => p.store),
    ["utm32_2024.zarr", "utm33_2024.zarr", "utm34_2024.zarr", "utm35_2024.zarr"],
  );
  for (const p of report.problems) assertEquals(p.message.includes(p.store), true, p.message);
  const human = await runCli("manifest", [dir]);
  assertEquals(human.code, 1);
  assertEquals(human.stdout.includes("utm32_2024.zarr: NOT INDEXED"), true, human.stdout);
  assertEquals(human.stdout.includes("utm30_2024.zarr: 1 shard(s) of 1024 px"), true, human.stdout);
});

Deno.test("an empty folder is nothing to do (exit 1, nothing written); a missing one is bad usage (exit 2)", async () => {
  const empty = join(tmp, "empty");
  await Deno.mkdir(empty);
  const r = await runCli("manifest", [empty]);
  assertEquals(r.code, 1, r.stderr);
  assertEquals(await Deno.stat(join(empty, STORES_FILE)).then(() => true, () => false), false);
  const missing = await runCli("manifest", [join(tmp, "nope")]);
  assertEquals(missing.code, 2);
  assertEquals(missing.stderr.includes("not a directory"), true, missing.stderr);
});
