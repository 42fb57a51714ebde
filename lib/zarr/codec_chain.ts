/**
 * The `zarr.json` description of our inner-chunk codec chain — `bytes` (little endian), then
 * optionally `zstd` — and the zstd level rule that codecs.ts encodes with. No I/O and no node:
 * imports, so metadata documents can be built and parsed anywhere, the browser included.
 */

import { TesseraError } from "../errors.ts";
import { type DataType, itemSize } from "./dtype.ts";

/** How inner chunks are compressed after the `bytes` codec. */
export type Compression = "none" | "zstd";

/** An inner-chunk codec chain: `bytes`, then zstd at `level` when `compress` is "zstd". */
export interface ChunkCodec {
  readonly compress: Compression;
  /** zstd level; ignored for "none". Defaults to {@link DEFAULT_ZSTD_LEVEL}. */
  readonly level?: number;
}

/** zstd level used when none is given: zarr-python's default, a good speed/size balance. */
export const DEFAULT_ZSTD_LEVEL = 3;

/** One codec entry of a `zarr.json` `codecs` list. */
export interface CodecJson {
  name: string;
  configuration?: Record<string, unknown>;
}

/**
 * The `codecs` JSON for inner chunks of `dataType`, in zarr-python's exact form: single-byte
 * types get a bare `{"name":"bytes"}` (endianness is meaningless for them, and zarr-python
 * omits it), wider types `{"endian":"little"}`.
 *
 * @example
 * ```ts
 * codecChain("float32", { compress: "zstd" });
 * // [{name:"bytes",configuration:{endian:"little"}},
 * //  {name:"zstd",configuration:{level:3,checksum:false}}]
 * ```
 */
export function codecChain(dataType: DataType, codec: ChunkCodec): CodecJson[] {
  const bytes: CodecJson = itemSize(dataType) === 1
    ? { name: "bytes" }
    : { name: "bytes", configuration: { endian: "little" } };
  if (codec.compress === "none") return [bytes];
  return [bytes, { name: "zstd", configuration: { level: zstdLevel(codec), checksum: false } }];
}

/**
 * The zstd level of a codec (default {@link DEFAULT_ZSTD_LEVEL}); anything zstd does not accept
 * is a "BadArgument" error.
 *
 * @example
 * ```ts
 * zstdLevel({ compress: "zstd" }); // 3
 * ```
 */
export function zstdLevel(codec: ChunkCodec): number {
  const level = codec.level ?? DEFAULT_ZSTD_LEVEL;
  // zstd accepts negative "fast" levels down to -131072 and up to 22.
  if (!Number.isInteger(level) || level < -131072 || level > 22) {
    throw new TesseraError("BadArgument", `zstd level must be an integer ≤ 22, got ${level}`);
  }
  return level;
}
