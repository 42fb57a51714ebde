// CRC32C against published vectors (RFC 3720 §B.4 and the classic check value) and against a
// bit-at-a-time reference for every length and alignment the slicing-by-8 loop can meet.

import { strictEqual as assertEquals } from "node:assert/strict";
import { crc32c } from "../../lib/zarr/crc32c.ts";

const ascii = (s: string) => new TextEncoder().encode(s);
const VECTORS: [string, Uint8Array, number][] = [
  ["empty", new Uint8Array(0), 0x00000000],
  ["123456789", ascii("123456789"), 0xe3069283],
  ["32 × 0x00", new Uint8Array(32), 0x8a9136aa],
  ["32 × 0xff", new Uint8Array(32).fill(0xff), 0x62a8ab43],
  ["0..31", Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
  ["31..0", Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
];

function bitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

Deno.test("crc32c: known vectors", () => {
  for (const [name, bytes, expected] of VECTORS) {
    assertEquals(crc32c(bytes), expected, name);
  }
});

Deno.test("crc32c: matches the bitwise reference at every length and offset", () => {
  const data = Uint8Array.from({ length: 80 }, (_, i) => (i * 97 + 13) & 0xff);
  for (let off = 0; off < 8; off++) {
    for (let len = 0; off + len <= data.length; len++) {
      const part = data.subarray(off, off + len);
      assertEquals(crc32c(part), bitwise(part), `offset ${off} length ${len}`);
    }
  }
});

Deno.test("crc32c: incremental equals one-shot", () => {
  const data = ascii("The quick brown fox jumps over the lazy dog");
  for (let cut = 0; cut <= data.length; cut++) {
    assertEquals(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut))), crc32c(data));
  }
});
