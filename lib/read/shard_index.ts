/**
 * One shard's index read over {@link Storage}: ONE suffix range request of exactly
 * 16·nInner + 4 bytes, its CRC32C and entries checked (lib/zarr/shard.ts), decoded compactly.
 * {@link ShardReader} caches what this returns; verify also asks for the payload check — that
 * every stored chunk lies before the index — which costs one more small range request
 * (a suffix read alone cannot tell the object's size).
 */
import { TesseraError } from "../errors.ts";
import { decodeShardIndex, shardIndexLength } from "../zarr/shard.ts";
import { LruCache } from "./cache.ts";
import type { Storage } from "./storage.ts";

/**
 * A decoded shard index, compactly: `[2i]` is inner chunk i's byte offset and `[2i + 1]` its
 * length, both −1 when the chunk is absent (all fill).
 */
export type ShardIndex = Float64Array;

/** A cache of shard indexes (null = the shard does not exist), bounded by bytes. */
export type IndexCache = LruCache<string, ShardIndex | null>;

/**
 * An index cache holding at most `maxBytes` (default 32 MiB: ~2000 embedding shard indexes;
 * 0 keeps none).
 *
 * @example
 * ```ts
 * const indexes = indexCache(8 << 20);
 * ```
 */
export function indexCache(maxBytes = 32 * 2 ** 20): IndexCache {
  return new LruCache<string, ShardIndex | null>({
    maxWeight: maxBytes,
    weigh: (v) => (v ? v.byteLength : 64),
  });
}

/**
 * A shard whose index is damaged (kind "BadStore", naming the shard's key): too short, a bad
 * CRC32C, an invalid entry, or (with the payload check) an entry past the payload.
 * `problem` is the message without the key.
 */
export class ShardIndexError extends TesseraError {
  readonly problem: string;

  constructor(problem: string, key: string, options?: ErrorOptions) {
    super("BadStore", problem, key, options);
    this.problem = problem;
  }
}

/** Options of {@link readShardIndex}. */
export interface ReadIndexOptions {
  signal?: AbortSignal;
  /** Also check that every stored chunk ends before the index (one more range request). */
  checkPayload?: boolean;
}

/**
 * The index of the shard object `key` holding `nInner` inner chunks, or null when the object
 * does not exist. A damaged index is a {@link ShardIndexError}.
 *
 * @example
 * ```ts
 * const index = await readShardIndex(new FsStorage(store), "scales/c/0/0", 1024);
 * index && index[0]; // byte offset of inner chunk 0, or −1 when it is absent
 * ```
 */
export async function readShardIndex(
  storage: Storage,
  key: string,
  nInner: number,
  opts: ReadIndexOptions = {},
): Promise<ShardIndex | null> {
  const indexBytes = shardIndexLength(nInner);
  const bytes = await storage.get(key, { suffixLength: indexBytes }, opts.signal);
  if (bytes === undefined) return null;
  let locations;
  try {
    locations = decodeShardIndex(bytes, nInner);
  } catch (e) {
    throw new ShardIndexError((e as Error).message, key, { cause: e });
  }
  const index: ShardIndex = new Float64Array(2 * nInner).fill(-1);
  locations.forEach((loc, i) => {
    if (loc) [index[2 * i], index[2 * i + 1]] = [loc.offset, loc.nbytes];
  });
  if (opts.checkPayload) await checkPayload(storage, key, index, indexBytes, opts.signal);
  return index;
}

/**
 * Throws when a stored chunk reaches into the index or past the object's end. The bytes from
 * the furthest chunk end must still hold a whole index: one range request of the index's
 * length from there tells, and its length gives the object's size when it falls short.
 */
async function checkPayload(
  storage: Storage,
  key: string,
  index: ShardIndex,
  indexBytes: number,
  signal?: AbortSignal,
): Promise<void> {
  let last = -1, maxEnd = 0;
  for (let i = 0; 2 * i < index.length; i++) {
    const end = index[2 * i] + index[2 * i + 1];
    if (index[2 * i] >= 0 && (last < 0 || end > maxEnd)) [last, maxEnd] = [i, end];
  }
  if (last < 0) return;
  const after = await storage.get(key, { offset: maxEnd, length: indexBytes }, signal);
  if (after === undefined) {
    throw new ShardIndexError("the shard vanished while its index was checked", key);
  }
  if (after.length === indexBytes) return;
  // Short: the object ends less than an index past the last chunk. Its size is maxEnd plus
  // what came back — unless nothing did, when it may end before maxEnd.
  let size: number | undefined = maxEnd + after.length;
  if (after.length === 0 && maxEnd > 0) {
    const lastByte = await storage.get(key, { offset: maxEnd - 1, length: 1 }, signal);
    if (lastByte?.length !== 1) size = undefined;
  }
  const at = (i: number) => `${index[2 * i]}+${index[2 * i + 1]}`;
  if (size === undefined) {
    throw new ShardIndexError(
      `shard index entry ${last} points past the end of the shard (${at(last)})`,
      key,
    );
  }
  const payloadEnd = size - indexBytes;
  for (let i = 0; 2 * i < index.length; i++) {
    if (index[2 * i] >= 0 && index[2 * i] + index[2 * i + 1] > payloadEnd) {
      throw new ShardIndexError(
        `shard index entry ${i} points past the payload (${at(i)} > ${payloadEnd})`,
        key,
      );
    }
  }
}
