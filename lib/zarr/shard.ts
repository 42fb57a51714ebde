/**
 * The binary layout of one `sharding_indexed` shard (Zarr v3 sharding spec, index at the end):
 * the stored inner chunks back to back, then one (offset, nbytes) uint64 LE pair per inner
 * chunk in C order, then the CRC32C of those index bytes as uint32 LE. An absent inner chunk
 * (equal to the fill value) is (2^64−1, 2^64−1) and reads back as fill.
 *
 * Payloads are written in C order of the inner chunks. zarr-python writes Morton order, but
 * readers only follow the index, and a fixed order keeps shards byte-identical across runs.
 */

import { TesseraError } from "../errors.ts";
import { crc32c } from "./crc32c.ts";

/** Where one stored inner chunk sits inside its shard. */
export interface ChunkLocation {
  offset: number;
  nbytes: number;
}

const ABSENT = 0xffff_ffff_ffff_ffffn;

/**
 * Byte length of the index (with its CRC32C) of a shard holding `nChunks` inner chunks; a
 * reader fetches exactly this many bytes from the end of a shard.
 *
 * @example
 * ```ts
 * shardIndexLength(1024); // 16388
 * ```
 */
export function shardIndexLength(nChunks: number): number {
  return nChunks * 16 + 4;
}

/**
 * Serialises a shard index: the (offset, nbytes) pairs, null for absent chunks, then CRC32C.
 *
 * @example
 * ```ts
 * encodeShardIndex([{ offset: 0, nbytes: 10 }, null]).length; // 36
 * ```
 */
export function encodeShardIndex(locations: readonly (ChunkLocation | null)[]): Uint8Array {
  const out = new Uint8Array(shardIndexLength(locations.length));
  const view = new DataView(out.buffer);
  for (let i = 0; i < locations.length; i++) {
    const loc = locations[i];
    view.setBigUint64(i * 16, loc ? BigInt(loc.offset) : ABSENT, true);
    view.setBigUint64(i * 16 + 8, loc ? BigInt(loc.nbytes) : ABSENT, true);
  }
  const body = out.subarray(0, locations.length * 16);
  view.setUint32(body.length, crc32c(body), true);
  return out;
}

/**
 * Builds a shard from its encoded inner chunks in C order (null = absent, i.e. all fill).
 * Returns null when every chunk is absent: an empty shard is not written, its absence means
 * fill.
 *
 * @example
 * ```ts
 * encodeShard([encodeChunk(a, codec), null, encodeChunk(c, codec)]); // Uint8Array
 * encodeShard([null, null]); // null
 * ```
 */
export function encodeShard(chunks: readonly (Uint8Array | null)[]): Uint8Array | null {
  let payload = 0;
  for (const c of chunks) if (c) payload += c.length;
  if (chunks.every((c) => c === null)) return null;
  const out = new Uint8Array(payload + shardIndexLength(chunks.length));
  const locations: (ChunkLocation | null)[] = new Array(chunks.length);
  let at = 0;
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i];
    if (c === null) {
      locations[i] = null;
      continue;
    }
    out.set(c, at);
    locations[i] = { offset: at, nbytes: c.length };
    at += c.length;
  }
  out.set(encodeShardIndex(locations), payload);
  return out;
}

/**
 * Reads and checks the index of a shard holding `nChunks` inner chunks. `bytes` is either the
 * whole shard, in which case every location is also checked to lie inside the payload, or just
 * its last {@link shardIndexLength} bytes. A bad CRC, a half-absent pair or an out-of-range
 * location is a "BadStore" error.
 *
 * @example
 * ```ts
 * const locs = decodeShardIndex(shard, 1024);
 * const first = locs[0] && shard.subarray(locs[0].offset, locs[0].offset + locs[0].nbytes);
 * ```
 */
export function decodeShardIndex(bytes: Uint8Array, nChunks: number): (ChunkLocation | null)[] {
  const indexLength = shardIndexLength(nChunks);
  if (bytes.length < indexLength) {
    throw new TesseraError(
      "BadStore",
      `shard of ${bytes.length} bytes is shorter than its ${indexLength}-byte index`,
    );
  }
  const payloadEnd = bytes.length - indexLength;
  const index = bytes.subarray(payloadEnd);
  const view = new DataView(index.buffer, index.byteOffset, index.byteLength);
  const body = index.subarray(0, nChunks * 16);
  const stored = view.getUint32(body.length, true);
  const actual = crc32c(body);
  if (stored !== actual) {
    throw new TesseraError(
      "BadStore",
      `shard index CRC32C mismatch (stored ${hex(stored)}, computed ${hex(actual)}): ` +
        "the shard is corrupt or truncated; rebuild it with `deno task build … --repair` " +
        "(deno task verify names the exact command)",
    );
  }
  const wholeShard = payloadEnd > 0;
  const locations: (ChunkLocation | null)[] = new Array(nChunks);
  for (let i = 0; i < nChunks; i++) {
    const offset = view.getBigUint64(i * 16, true);
    const nbytes = view.getBigUint64(i * 16 + 8, true);
    if (offset === ABSENT && nbytes === ABSENT) {
      locations[i] = null;
      continue;
    }
    const end = offset + nbytes;
    if (offset === ABSENT || nbytes === ABSENT || end > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new TesseraError(
        "BadStore",
        `shard index entry ${i} is invalid (${offset}, ${nbytes})`,
      );
    }
    if (wholeShard && end > BigInt(payloadEnd)) {
      throw new TesseraError(
        "BadStore",
        `shard index entry ${i} points past the payload (${offset}+${nbytes} > ${payloadEnd})`,
      );
    }
    locations[i] = { offset: Number(offset), nbytes: Number(nbytes) };
  }
  return locations;
}

function hex(n: number): string {
  return "0x" + n.toString(16).padStart(8, "0");
}
