// Shard layout: encode/decode round trip, the absent-chunk sentinel, the empty-shard rule and
// CRC protection of the index.

import assert from "node:assert/strict";
import { isTesseraError } from "../../lib/errors.ts";
import { crc32c } from "../../lib/zarr/crc32c.ts";
import {
  decodeShardIndex,
  encodeShard,
  encodeShardIndex,
  shardIndexLength,
} from "../../lib/zarr/shard.ts";

const badStore = (e: unknown) => isTesseraError(e, "BadStore");

Deno.test("shard: round trip with absent chunks", () => {
  const chunks = [Uint8Array.of(1, 2, 3), null, new Uint8Array(0), Uint8Array.of(9), null];
  const shard = encodeShard(chunks)!;
  assert.equal(shard.length, 4 + shardIndexLength(5));
  const locs = decodeShardIndex(shard, 5);
  assert.deepEqual(locs, [
    { offset: 0, nbytes: 3 },
    null,
    { offset: 3, nbytes: 0 },
    { offset: 3, nbytes: 1 },
    null,
  ]);
  chunks.forEach((c, i) => {
    const l = locs[i];
    assert.deepEqual(l && shard.slice(l.offset, l.offset + l.nbytes), c);
  });
  // The index alone decodes the same way.
  assert.deepEqual(decodeShardIndex(shard.subarray(4), 5), locs);
});

Deno.test("shard: exact bytes of the index (uint64 LE pairs, 2^64-1 sentinel, CRC32C LE)", () => {
  const index = encodeShardIndex([{ offset: 0x0102, nbytes: 7 }, null]);
  const body = Uint8Array.of(
    0x02,
    0x01,
    0,
    0,
    0,
    0,
    0,
    0,
    7,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    ...new Array(16).fill(0xff),
  );
  const crc = crc32c(body);
  assert.deepEqual(
    index,
    Uint8Array.of(...body, crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24),
  );
});

Deno.test("shard: all-absent shard is not produced", () => {
  assert.equal(encodeShard([null, null, null]), null);
  assert.equal(encodeShard([]), null);
});

Deno.test("shard: corrupt, truncated or inconsistent indexes are BadStore", () => {
  const shard = encodeShard([Uint8Array.of(1, 2, 3), null])!;
  const flipped = shard.slice();
  flipped[shard.length - 10] ^= 1;
  assert.throws(() => decodeShardIndex(flipped, 2), badStore);
  assert.throws(() => decodeShardIndex(shard.subarray(0, 20), 2), badStore);
  // A pair pointing past the payload, with a valid CRC.
  const lying = Uint8Array.of(1, 2, ...encodeShardIndex([{ offset: 0, nbytes: 3 }, null]));
  assert.throws(() => decodeShardIndex(lying, 2), badStore);
  // Half of the sentinel.
  const half = encodeShardIndex([{ offset: 0, nbytes: 3 }]);
  half.fill(0xff, 0, 8);
  new DataView(half.buffer).setUint32(16, crc32c(half.subarray(0, 16)), true);
  assert.throws(() => decodeShardIndex(half, 1), badStore);
});
