/**
 * The inner-chunk codec chain of our arrays: Zarr's `bytes` codec (little endian), optionally
 * followed by `zstd`. Encoding and decoding live here; the chain's `zarr.json` description and
 * its zstd level rule live beside it in codec_chain.ts (no node: imports, so metadata parsing
 * stays importable by the browser), and both files use that one rule, so the bytes on disk and
 * the metadata that describes them cannot drift apart.
 */

import { constants, zstdCompressSync, zstdDecompressSync, type ZstdOptions } from "node:zlib";
import { TesseraError } from "../errors.ts";
import { type ChunkCodec, zstdLevel } from "./codec_chain.ts";

export {
  type ChunkCodec,
  codecChain,
  type CodecJson,
  type Compression,
  DEFAULT_ZSTD_LEVEL,
} from "./codec_chain.ts";

/**
 * Encodes one inner chunk given its raw little-endian C-order bytes. With "none" the input is
 * returned as is (no copy), so callers must not reuse its memory before it is written.
 *
 * @example
 * ```ts
 * const stored = encodeChunk(byteView(chunk), { compress: "zstd", level: 3 });
 * ```
 */
export function encodeChunk(bytes: Uint8Array, codec: ChunkCodec): Uint8Array {
  if (codec.compress === "none") return bytes;
  // node:zlib compresses as a stream, which leaves the content size out of the frame header
  // unless it is pledged; numcodecs before 0.16.2 (zarr-python's zstd) cannot decode such
  // frames. `pledgedSrcSize` is missing from Deno's ZstdOptions typings, hence the wider type.
  const options: ZstdOptions & { pledgedSrcSize: number } = {
    pledgedSrcSize: bytes.length,
    params: {
      [constants.ZSTD_c_compressionLevel]: zstdLevel(codec),
      // The zarr.json says checksum:false; the frame must agree.
      [constants.ZSTD_c_checksumFlag]: 0,
    },
  };
  const out = zstdCompressSync(bytes, options);
  // Frame header descriptor: a content size is present iff Single_Segment or FCS_Flag is set.
  if ((out[4] & 0xe0) === 0) {
    throw new Error("zstd frame lacks its content size: this runtime ignores pledgedSrcSize");
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Decodes one stored inner chunk back to raw bytes (for tests and readers). When
 * `expectedLength` is given a chunk of any other size is a "BadStore" error.
 *
 * @example
 * ```ts
 * decodeChunk(encodeChunk(raw, codec), codec, raw.length); // equals raw
 * ```
 */
export function decodeChunk(
  bytes: Uint8Array,
  codec: ChunkCodec,
  expectedLength?: number,
): Uint8Array {
  let raw: Uint8Array;
  if (codec.compress === "none") {
    raw = bytes;
  } else {
    try {
      const out = zstdDecompressSync(bytes);
      raw = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (e) {
      throw new TesseraError("BadStore", "inner chunk is not a valid zstd frame", undefined, {
        cause: e,
      });
    }
  }
  if (expectedLength !== undefined && raw.length !== expectedLength) {
    throw new TesseraError(
      "BadStore",
      `inner chunk decodes to ${raw.length} bytes, expected ${expectedLength}`,
    );
  }
  return raw;
}
