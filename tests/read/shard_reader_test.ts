/**
 * The one shard reader on real files (FsStorage) and a real loopback server (HttpStorage):
 * single-pixel slices of inner chunks, zero-sized caches that keep nothing, index caches that
 * stay within their bound however many shards are walked, and the index checks verify relies
 * on (CRC32C, short objects, entries past the payload or the end).
 */
import { join } from "node:path";
import { assertEquals, assertRejectsKind } from "../assert.ts";
import { chunkCache } from "../../lib/read/cache.ts";
import { FsStorage } from "../../lib/read/fs_storage.ts";
import { HttpStorage } from "../../lib/read/http_storage.ts";
import { indexCache, ShardReader } from "../../lib/read/shard_reader.ts";
import { readShardIndex, ShardIndexError } from "../../lib/read/shard_index.ts";
import type { ByteRange, Storage } from "../../lib/read/storage.ts";
import { encodeChunk } from "../../lib/zarr/codecs.ts";
import type { ArrayMetadata } from "../../lib/zarr/metadata.ts";
import { encodeShard, encodeShardIndex } from "../../lib/zarr/shard.ts";
import { serveFixture } from "./http_fixture.ts";

// An int8 [16, 8, 3] array in shards of [8, 8, 3] with [4, 4, 3] inner chunks: 2 shards of
// 4 chunks of 48 bytes. Element (y, x, b) holds (y * 8 + x) * 3 + b (mod 256, as int8).
const SHAPE = [16, 8, 3], SHARD = [8, 8, 3], INNER = [4, 4, 3];
const value = (y: number, x: number, b: number) => (((y * 8 + x) * 3 + b) << 24) >> 24;

function metadata(compress: boolean): ArrayMetadata {
  const codecs = [
    { name: "bytes" },
    ...(compress ? [{ name: "zstd", configuration: { level: 1, checksum: false } }] : []),
  ];
  return {
    zarr_format: 3,
    node_type: "array",
    shape: SHAPE,
    data_type: "int8",
    chunk_grid: { name: "regular", configuration: { chunk_shape: SHARD } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    fill_value: 0,
    codecs: [{
      name: "sharding_indexed",
      configuration: {
        chunk_shape: INNER,
        codecs,
        index_codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "crc32c" }],
        index_location: "end",
      },
    }],
  } as unknown as ArrayMetadata;
}

/** Raw bytes of inner chunk (cy, cx) of shard `s`. */
function rawChunk(s: number, cy: number, cx: number): Uint8Array {
  const out = new Uint8Array(4 * 4 * 3);
  const view = new Int8Array(out.buffer);
  for (let y = 0; y < 4; y++) {
    for (let x = 0; x < 4; x++) {
      for (let b = 0; b < 3; b++) {
        view[(y * 4 + x) * 3 + b] = value(s * 8 + cy * 4 + y, cx * 4 + x, b);
      }
    }
  }
  return out;
}

/** Writes array `name` into `dir`: shard 0 with chunk 1 absent, shard 1 absent. */
async function writeArray(dir: string, name: string, compress: boolean): Promise<void> {
  await Deno.mkdir(join(dir, name, "c", "0", "0"), { recursive: true });
  await Deno.writeTextFile(join(dir, name, "zarr.json"), JSON.stringify(metadata(compress)));
  const codec = compress ? { compress: "zstd" as const, level: 1 } : { compress: "none" as const };
  const chunks = [rawChunk(0, 0, 0), null, rawChunk(0, 1, 0), rawChunk(0, 1, 1)]
    .map((c) => c && encodeChunk(c, codec));
  await Deno.writeFile(join(dir, name, "c", "0", "0", "0"), encodeShard(chunks)!);
}

/** `storage` counting its requests and the bytes they returned (a wrapper, as in the reader). */
function counted(storage: Storage) {
  const c = { requests: 0, bytes: 0 };
  const wrapped: Storage = {
    async get(key: string, range?: ByteRange, signal?: AbortSignal) {
      c.requests++;
      const out = await storage.get(key, range, signal);
      c.bytes += out?.length ?? 0;
      return out;
    },
  };
  return { storage: wrapped, c };
}

const dir = await Deno.makeTempDir({ prefix: "tz-shard-reader-" });
// Removed by the last test, or when the file ends however it ends (a filtered run).
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch { /* already removed */ }
});
await writeArray(dir, "raw", false);
await writeArray(dir, "zstd", true);
const server = serveFixture(dir);
const opts = { sanitizeOps: false, sanitizeResources: false };

const STORAGES: [string, () => Storage][] = [
  ["fs", () => new FsStorage(dir)],
  ["http", () => new HttpStorage(server.url)],
];

for (const [kind, make] of STORAGES) {
  for (const array of ["raw", "zstd"]) {
    Deno.test(`chunkSlice (${kind}, ${array}): one pixel's bands, fill as null`, opts, async () => {
      const { storage, c } = counted(make());
      const r = new ShardReader(storage, array, metadata(array === "zstd"), {
        cache: chunkCache(0),
      });
      for (const [y, x] of [[0, 0], [1, 2], [5, 3], [6, 7], [7, 4]]) {
        const chunk = r.innerIndex([Math.floor(y / 4), Math.floor(x / 4), 0]);
        const px = await r.chunkSlice([0, 0, 0], chunk, ((y % 4) * 4 + (x % 4)) * 3, 3);
        assertEquals(
          JSON.stringify([...new Int8Array(px!.buffer, px!.byteOffset, 3)]),
          JSON.stringify([0, 1, 2].map((b) => value(y, x, b))),
        );
      }
      // Chunk 1 (rows 0..3, columns 4..7) is absent; shard 1 does not exist.
      assertEquals(await r.chunkSlice([0, 0, 0], 1, 0, 3), null);
      assertEquals(await r.chunkSlice([1, 0, 0], 0, 0, 3), null);
      if (array === "raw") {
        // One index request per shard, then exactly 3 bytes per pixel.
        assertEquals(c.requests, 2 + 5);
        assertEquals(c.bytes, r.indexBytes + 5 * 3);
      }
      assertEquals(r.cache.size, 0);
      await assertRejectsKind(() => r.chunkSlice([0, 0, 0], 0, 46, 3), "BadArgument");
      await assertRejectsKind(() => r.chunkSlice([0, 0, 0], 4, 0, 3), "BadArgument");
    });
  }
}

Deno.test(
  "zero-sized caches keep nothing; a bounded index cache stays bounded over many shards",
  opts,
  async () => {
    const { storage, c } = counted(new FsStorage(dir));
    const none = new ShardReader(storage, "raw", metadata(false), {
      cache: chunkCache(0),
      indexes: indexCache(0),
    });
    for (let i = 0; i < 3; i++) assertEquals((await none.chunks([0, 0, 0], [0, 2]))[1]!.length, 48);
    assertEquals(none.cache.size + none.indexes.size, 0);
    // Nothing cached: every call fetches the index again (the two chunks coalesce into one run).
    assertEquals(c.requests, 3 * 2);

    // A reader over a large grid keeps at most what its index cache allows, not every index.
    const meta = { ...metadata(false), shape: [8 * 100, 8, 3] } as ArrayMetadata;
    const walker = new ShardReader(new FsStorage(dir), "raw", meta, { indexes: indexCache(200) });
    for (let s = 0; s < 100; s++) await walker.index([s, 0, 0]);
    assertEquals(walker.indexes.weight <= 200, true, String(walker.indexes.weight));
    assertEquals(walker.indexes.size < 100, true);
  },
);

Deno.test(
  "readShardIndex checks the CRC32C, the length and (asked) the payload bounds",
  opts,
  async () => {
    const key = "raw/c/0/0/0";
    const sound = await Deno.readFile(join(dir, key));
    const fs = new FsStorage(dir);
    const http = new HttpStorage(server.url);
    const put = async (name: string, bytes: Uint8Array) => {
      await Deno.mkdir(join(dir, "bad"), { recursive: true });
      await Deno.writeFile(join(dir, "bad", name), bytes);
      return `bad/${name}`;
    };
    const problem = async (storage: Storage, k: string) => {
      try {
        await readShardIndex(storage, k, 4, { checkPayload: true });
        return "";
      } catch (e) {
        assertEquals(e instanceof ShardIndexError, true, String(e));
        assertEquals((e as ShardIndexError).message, `${k}: ${(e as ShardIndexError).problem}`);
        return (e as ShardIndexError).problem;
      }
    };
    const payload = sound.length - 68;
    // A chunk entry rewritten past the payload (into the index), or past the end, with a valid CRC.
    const pointing = (offset: number) =>
      Uint8Array.from([
        ...sound.subarray(0, payload),
        ...encodeShardIndex([{ offset: 0, nbytes: 48 }, null, { offset, nbytes: 48 }, null]),
      ]);
    const crc = Uint8Array.from(sound);
    crc[crc.length - 2] ^= 0xff;
    const cases: [string, Uint8Array, RegExp | ""][] = [
      ["sound", sound, ""],
      ["crc", crc, /^shard index CRC32C mismatch/],
      ["short", sound.subarray(0, 40), /^shard of 40 bytes is shorter than its 68-byte index$/],
      [
        "into-index",
        pointing(payload - 20),
        new RegExp(
          `^shard index entry 2 points past the payload \\(${payload - 20}\\+48 > ${payload}\\)$`,
        ),
      ],
      [
        "past-end",
        pointing(10_000),
        /^shard index entry 2 points past the end of the shard \(10000\+48\)$/,
      ],
    ];
    for (const [name, bytes, want] of cases) {
      const k = await put(name, bytes);
      for (const storage of [fs, http]) {
        const got = await problem(storage, k);
        if (want === "") assertEquals(got, "");
        else assertEquals(want.test(got), true, `${name}: ${got}`);
      }
    }
    assertEquals(await readShardIndex(fs, "bad/none", 4, { checkPayload: true }), null);
    // Without the payload check an entry into the index goes unnoticed (one request only).
    assertEquals((await readShardIndex(fs, "bad/into-index", 4))![4], payload - 20);
  },
);

Deno.test("close the HTTP fixture and remove the temporary directory", opts, async () => {
  await server.close();
  await Deno.remove(dir, { recursive: true });
});
