// Writes a real zone-shaped store to a temp directory with the zarr writing layer and reads
// every value back with zarrita: several shards including edge shards, empty inner chunks, an
// entirely empty shard that must not exist on disk, NaN-filled scales, coordinate arrays, and
// both embedding codecs.

import assert from "node:assert/strict";
import * as zarr from "zarrita";
import { coordinateValues } from "../../lib/zarr/coords.ts";
import { encodeDenseShard } from "../../lib/zarr/dense_shard.ts";
import { fsReadable, FsStore } from "../../lib/zarr/fs_store.ts";
import { arrayLayout, chunkKey, groupMetadata, jsonBytes } from "../../lib/zarr/metadata.ts";
import { zoneArrays } from "../../lib/store/arrays.ts";
import { SHARD_PX } from "../../lib/store/layout.ts";
import { decodeShardIndex } from "../../lib/zarr/shard.ts";
import { writeVectorArray } from "../../lib/zarr/vector_array.ts";

const H = 1500;
const W = 2100;
const B = 8;
const ORIGIN_E = 301370;
const ORIGIN_N = 5798370;
/** Shard (1, 1) — rows 1024..1499, cols 1024..2047 — has no data at all. */
const EMPTY_SHARD = [1, 1];

/** Pixel validity: a diagonal pattern of whole 32 × 32 blocks is "water", plus EMPTY_SHARD. */
function valid(r: number, c: number): boolean {
  if (Math.floor(r / SHARD_PX) === EMPTY_SHARD[0] && Math.floor(c / SHARD_PX) === EMPTY_SHARD[1]) {
    return false;
  }
  return (Math.floor(r / 32) + Math.floor(c / 32)) % 7 !== 0;
}
const embedding = (r: number, c: number, b: number) => ((r * 31 + c * 17 + b * 7) % 255) - 127;
const scale = (r: number, c: number) => Math.fround(0.01 + ((r * 7 + c) % 100) / 1000);

async function buildStore(dir: string, compressEmbeddings: boolean): Promise<string[]> {
  const store = new FsStore(dir);
  const arrays = zoneArrays(H, W, B, compressEmbeddings);
  const emb = arrayLayout(arrays.embeddings);
  const sca = arrayLayout(arrays.scales);
  const written: string[] = [];
  for (let sr = 0; sr * SHARD_PX < H; sr++) {
    for (let sc = 0; sc * SHARD_PX < W; sc++) {
      // Dense shard buffers, edge shards padded with the fill value.
      const e = new Int8Array(SHARD_PX * SHARD_PX * B);
      const s = new Float32Array(SHARD_PX * SHARD_PX).fill(NaN);
      for (let y = 0; y < SHARD_PX; y++) {
        const r = sr * SHARD_PX + y;
        if (r >= H) break;
        for (let x = 0; x < SHARD_PX; x++) {
          const c = sc * SHARD_PX + x;
          if (c >= W || !valid(r, c)) continue;
          const p = y * SHARD_PX + x;
          s[p] = scale(r, c);
          for (let b = 0; b < B; b++) e[p * B + b] = embedding(r, c, b);
        }
      }
      const eShard = encodeDenseShard({
        data: e,
        shardShape: emb.chunkShape,
        innerShape: emb.innerChunkShape!,
        fill: emb.fill,
        compress: emb.compress,
        level: emb.level,
      });
      const sShard = encodeDenseShard({
        data: s,
        shardShape: sca.chunkShape,
        innerShape: sca.innerChunkShape!,
        fill: sca.fill,
        compress: sca.compress,
        level: sca.level,
      });
      for (
        const [name, shard, key] of [
          ["embeddings", eShard, [sr, sc, 0]],
          ["scales", sShard, [sr, sc]],
        ] as const
      ) {
        if (shard === null) continue;
        await store.set(chunkKey(name, key), shard);
        written.push(chunkKey(name, key));
      }
    }
  }
  await store.set("embeddings/zarr.json", jsonBytes(arrays.embeddings));
  await store.set("scales/zarr.json", jsonBytes(arrays.scales));
  await writeVectorArray(
    store,
    "northing",
    arrays.northing,
    coordinateValues(ORIGIN_N, 10, H, "decreasing"),
  );
  await writeVectorArray(
    store,
    "easting",
    arrays.easting,
    coordinateValues(ORIGIN_E, 10, W, "increasing"),
  );
  await writeVectorArray(store, "band", arrays.band, Int32Array.from({ length: B }, (_, i) => i));
  await store.set("zarr.json", jsonBytes(groupMetadata({ utm_zone: 30, year: 2024 })));
  return written.sort();
}

for (const compressEmbeddings of [false, true]) {
  const codec = compressEmbeddings ? "zstd" : "raw";
  Deno.test(`store round trip through zarrita (embeddings ${codec})`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "tz-zarr-roundtrip-" });
    try {
      const written = await buildStore(dir, compressEmbeddings);

      // Shards on disk: 2 × 3 grid minus the empty one, for both grid arrays.
      const store = new FsStore(dir);
      const shardKeys = (await store.list()).filter((k) =>
        k.includes("/c/") && /^(emb|sca)/.test(k)
      );
      assert.deepEqual(shardKeys, written);
      assert.equal(written.length, 10);
      assert.equal(await store.has("embeddings/c/1/1/0"), false);
      assert.equal(await store.has("scales/c/1/1"), false);
      assert.equal(await store.has("embeddings/c/1/2/0"), true); // corner edge shard

      // Inner chunks fully inside water are absent from the index.
      const shard00 = (await store.get("embeddings/c/0/0/0"))!;
      const locs = decodeShardIndex(shard00, 32 * 32);
      for (let i = 0; i < 32; i++) {
        for (let j = 0; j < 32; j++) {
          assert.equal(locs[i * 32 + j] === null, (i + j) % 7 === 0, `inner chunk ${i},${j}`);
        }
      }

      const group = await zarr.open.v3(zarr.root(fsReadable(dir)), { kind: "group" });
      assert.deepEqual(group.attrs, { utm_zone: 30, year: 2024 });
      const open = (name: string) => zarr.open.v3(group.resolve(name), { kind: "array" });

      const emb = await open("embeddings");
      assert.equal(emb.dtype, "int8");
      assert.deepEqual(emb.shape, [H, W, B]);
      assert.deepEqual(emb.dimensionNames, ["northing", "easting", "band"]);
      const e = await zarr.get(emb);
      assert.deepEqual(e.shape, [H, W, B]);
      const ed = e.data as Int8Array;
      let mismatches = 0;
      for (let r = 0; r < H; r++) {
        for (let c = 0; c < W; c++) {
          const ok = valid(r, c);
          for (let b = 0; b < B; b++) {
            if (ed[(r * W + c) * B + b] !== (ok ? embedding(r, c, b) : 0)) mismatches++;
          }
        }
      }
      assert.equal(mismatches, 0);

      // A window straddling four shards, read through zarrita's slicing.
      const win = await zarr.get(emb, [zarr.slice(1000, 1050), zarr.slice(1000, 1100), 3]);
      assert.deepEqual(win.shape, [50, 100]);
      for (let y = 0; y < 50; y++) {
        for (let x = 0; x < 100; x++) {
          const r = 1000 + y, c = 1000 + x;
          assert.equal((win.data as Int8Array)[y * 100 + x], valid(r, c) ? embedding(r, c, 3) : 0);
        }
      }

      const sca = await open("scales");
      assert.deepEqual(sca.dimensionNames, ["northing", "easting"]);
      assert.ok(Number.isNaN(sca.fillValue));
      const sd = (await zarr.get(sca)).data as Float32Array;
      let scaleMismatches = 0;
      for (let r = 0; r < H; r++) {
        for (let c = 0; c < W; c++) {
          const v = sd[r * W + c];
          if (valid(r, c) ? v !== scale(r, c) : !Number.isNaN(v)) scaleMismatches++;
        }
      }
      assert.equal(scaleMismatches, 0);

      const northing = await open("northing");
      assert.deepEqual(northing.dimensionNames, ["northing"]);
      assert.deepEqual(
        (await zarr.get(northing)).data,
        coordinateValues(ORIGIN_N, 10, H, "decreasing"),
      );
      const easting = await open("easting");
      assert.deepEqual(easting.dimensionNames, ["easting"]);
      assert.deepEqual(
        (await zarr.get(easting)).data,
        coordinateValues(ORIGIN_E, 10, W, "increasing"),
      );
      const band = await open("band");
      assert.deepEqual(band.dimensionNames, ["band"]);
      assert.deepEqual((await zarr.get(band)).data, Int32Array.from({ length: B }, (_, i) => i));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
