// The inner-chunk codec chain: its zarr.json form, zstd round trips, and zstd frames that
// carry their content size (older numcodecs, i.e. zarr-python, cannot decode frames without it).

import assert from "node:assert/strict";
import { isTesseraError } from "../../lib/errors.ts";
import { codecChain, decodeChunk, encodeChunk } from "../../lib/zarr/codecs.ts";

/** Frame_Content_Size from a zstd frame header (RFC 8878 §3.1.1.1), or null when absent. */
function frameContentSize(frame: Uint8Array): number | null {
  assert.deepEqual([...frame.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd], "zstd magic");
  const fhd = frame[4];
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const dictIdBytes = [0, 1, 2, 4][fhd & 3];
  const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag];
  if (fcsBytes === 0) return null;
  let at = 5 + (singleSegment ? 0 : 1) + dictIdBytes;
  let size = 0;
  for (let i = 0; i < fcsBytes; i++) size += frame[at++] * 2 ** (8 * i);
  return fcsBytes === 2 ? size + 256 : size;
}

Deno.test("codecs: zarr.json chains", () => {
  assert.deepEqual(codecChain("int8", { compress: "none" }), [{ name: "bytes" }]);
  assert.deepEqual(codecChain("uint8", { compress: "zstd", level: 7 }), [
    { name: "bytes" },
    { name: "zstd", configuration: { level: 7, checksum: false } },
  ]);
  assert.equal(
    JSON.stringify(codecChain("float32", { compress: "zstd" })),
    `[{"name":"bytes","configuration":{"endian":"little"}},` +
      `{"name":"zstd","configuration":{"level":3,"checksum":false}}]`,
  );
});

Deno.test("codecs: zstd frames carry their content size and no checksum", () => {
  for (const length of [0, 1, 255, 256, 300, 65536 + 256, 131072, 1 << 20]) {
    const raw = Uint8Array.from({ length }, (_, i) => (i * 7) % 61);
    const frame = encodeChunk(raw, { compress: "zstd", level: 3 });
    assert.equal(frameContentSize(frame), length, `length ${length}`);
    assert.equal((frame[4] >> 2) & 1, 0, "Content_Checksum_flag");
    assert.deepEqual(decodeChunk(frame, { compress: "zstd" }, length), raw);
  }
});

Deno.test("codecs: none is the identity; bad input is typed", () => {
  const raw = Uint8Array.of(1, 2, 3);
  assert.equal(encodeChunk(raw, { compress: "none" }), raw);
  assert.throws(
    () => decodeChunk(raw, { compress: "zstd" }),
    (e) => isTesseraError(e, "BadStore"),
  );
  assert.throws(
    () => decodeChunk(encodeChunk(raw, { compress: "zstd" }), { compress: "zstd" }, 4),
    (e) => isTesseraError(e, "BadStore"),
  );
  assert.throws(
    () => encodeChunk(raw, { compress: "zstd", level: 1.5 }),
    (e) => isTesseraError(e, "BadArgument"),
  );
});
