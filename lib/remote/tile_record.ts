/**
 * What the build's main thread tells its shard workers about a tile it fetched or checked
 * (lib/remote/tile_spool.ts): one small JSON file per tile, written before any shard that
 * needs the tile is handed out. It says where each of the tile's files is to be read (the
 * cache, the private spool, or the input itself), why a file could not be had, and whether
 * the bytes failed the registry's hash — so a worker never fetches, hashes or reads the
 * registry, and reports a failure exactly as the main thread met it.
 */
import { join } from "node:path";
import { type ErrorKind, TesseraError } from "../errors.ts";
import { tileName } from "../tiles/layout.ts";
import type { TileRef } from "../tiles/tile_ref.ts";

/** The three files of a tile. */
export type TileFileRole = "embeddings" | "scales" | "landmask";

/** A TesseraError as it crosses to a worker. */
export interface ErrorRecord {
  readonly kind: ErrorKind;
  /** The message without the `path: ` prefix. */
  readonly message: string;
  readonly path?: string;
}

/** One of a tile's files. */
export interface SpooledFile {
  /**
   * Where a worker reads it: a local path, or the URL itself when the bytes came with the
   * job in shared memory ({@link SPOOL_BUFFERS}).
   */
  readonly local: string;
  /** The URL (or path) it stands for: errors about it name this. */
  readonly source: string;
  /** Why it could not be had; thrown when a worker comes to this file. */
  readonly error?: ErrorRecord;
}

/** The record of one tile. */
export interface TileRecord {
  readonly files: Readonly<Record<TileFileRole, SpooledFile>>;
  /** The bytes differ from the registry's digest: thrown after the format checks. */
  readonly hashError?: ErrorRecord;
}

/** What workers need to find the records: posted with the shard writer's set-up. */
export interface SpoolRef {
  /** Directory of the per-tile records (private to one build). */
  readonly records: string;
}

/**
 * The property of a job (a ShardPlan) that carries, by URL, the shared buffers of the tiles
 * it reads that the main thread holds in memory: posted with the job, so shared, not copied.
 */
export const SPOOL_BUFFERS = "spoolBuffers";

/**
 * A job's in-memory files by URL: each a view of exactly the file's bytes over a shared
 * buffer (posted with the job, the buffer is shared, not copied; it may be longer than the
 * file, as the spool reuses buffers from tile to tile).
 */
export type SpoolBuffers = Record<string, Uint8Array>;

let adopted: SpoolBuffers = {};

/**
 * Takes the buffers that came with `job` (the previous job's are let go). Called by the shard
 * writer as each job arrives.
 */
export function adoptSpoolBuffers(job: object): void {
  adopted = (job as { [SPOOL_BUFFERS]?: SpoolBuffers })[SPOOL_BUFFERS] ?? {};
}

/** The adopted in-memory copy of `url`, if the current job brought one. */
export function spoolBuffer(url: string): Uint8Array | undefined {
  return adopted[url];
}

/** The record file of `tile`. */
export function recordPath(ref: SpoolRef, tile: TileRef): string {
  return join(ref.records, `${tile.year}_${tileName(tile.lonI, tile.latI)}.json`);
}

/** Writes `tile`'s record (whole, then renamed: a worker never reads half of one). */
export async function writeTileRecord(
  ref: SpoolRef,
  tile: TileRef,
  record: TileRecord,
): Promise<void> {
  const path = recordPath(ref, tile);
  await Deno.writeTextFile(`${path}.tmp`, JSON.stringify(record));
  await Deno.rename(`${path}.tmp`, path);
}

/**
 * Reads `tile`'s record. A missing one is a bug of the caller (a shard handed out before its
 * tiles were ready), reported as such.
 */
export async function readTileRecord(ref: SpoolRef, tile: TileRef): Promise<TileRecord> {
  const path = recordPath(ref, tile);
  try {
    return JSON.parse(await Deno.readTextFile(path)) as TileRecord;
  } catch (e) {
    throw new TesseraError(
      "BadArgument",
      `no spool record for this tile (${(e as Error).message}): a shard was started before ` +
        "its tiles were fetched; this is a bug, please report it",
      path,
    );
  }
}

/** `e` as a record (a non-TesseraError becomes a RemoteFetch with its message). */
export function errorRecord(e: unknown, path?: string): ErrorRecord {
  if (e instanceof TesseraError) {
    const prefix = e.path ? `${e.path}: ` : "";
    const message = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
    return { kind: e.kind, message, path: e.path };
  }
  return { kind: "RemoteFetch", message: (e as Error)?.message ?? String(e), path };
}

/** The error a record describes. */
export function recordError(r: ErrorRecord): TesseraError {
  return new TesseraError(r.kind, r.message, r.path);
}
