/**
 * Builds one shard end to end — assemble, encode, write — with one reusable buffer. Runs
 * inside a worker (shard_worker.ts). Every object is written once via a temporary key and a
 * rename; the per-shard marker (statistics + failures) is written last, so its presence
 * means the shard is complete.
 */
import { dirname, join } from "node:path";
import { tileName } from "../tiles/layout.ts";
import { AtomicFile, syncDir, writePartsAtomic } from "../fs_atomic.ts";
import { denseShardStream, STAGING_BYTES } from "../zarr/dense_shard.ts";
import { FsStore } from "../zarr/fs_store.ts";
import { ShardAppender } from "../zarr/shard_appender.ts";
import { arrayLayout, type ArrayMetadata } from "../zarr/metadata.ts";
import {
  type AssembleContext,
  type AssembleResult,
  assembleShard,
  type TileFailure,
} from "./assemble.ts";
import { newShardBuffer, type ShardBuffer } from "./composite.ts";
import type { ShardPlan } from "../plan/shard_plan.ts";
import { type BuildPlan, workerPlan } from "../plan/build_plan.ts";
import { storeArrays } from "../store/arrays.ts";
import type { StoreInfo } from "../store/attributes.ts";
import {
  badScalesKey,
  failuresKey,
  markerKey,
  SHARD_PX,
  shardKey,
  tileNotesKey,
} from "../store/layout.ts";
import { encodeStats } from "../store/stats_codec.ts";
import { shardStats } from "./stats.ts";
import { adoptSpoolBuffers } from "../remote/tile_record.ts";

/** Everything a worker needs, sent once. */
export interface ShardWriterInit {
  storeRoot: string;
  ctx: AssembleContext;
  embeddings: ArrayMetadata;
  scales: ArrayMetadata;
  shardPx: number;
  /** Repair: compare each shard file with what would be written and rewrite only if it differs. */
  compare?: boolean;
}

/**
 * The writer set-up for `plan`, whose store is described by `info` (`storeInfo(plan, …)`,
 * lib/builder/store_info.ts).
 *
 * @example
 * const info = storeInfo(plan);
 * const writer = new ShardWriter(shardWriterInit(plan, info, base, "out/utm31_2024.zarr"));
 * await writer.write(plan.shards[0]);
 */
export function shardWriterInit(
  plan: BuildPlan,
  info: StoreInfo,
  base: string,
  storeRoot: string,
): ShardWriterInit {
  const arrays = storeArrays(info);
  return {
    storeRoot,
    ctx: { base, plan: workerPlan(plan), maxValidScale: info.maxValidScale },
    embeddings: arrays.embeddings,
    scales: arrays.scales,
    shardPx: SHARD_PX,
  };
}

/** Result of one shard, sent back to the coordinator. */
export interface ShardDone {
  row: number;
  col: number;
  failures: TileFailure[];
  validPixels: number;
  bytesWritten: number;
  /** A data file was written or removed (always, except in a repair that found it sound). */
  rewritten: boolean;
}

/**
 * Work a caller adds to each shard while the writer holds it assembled: `beforeMarker` runs
 * after the shard's data is written and before its completion marker (so a shard with a
 * marker has that work done too). The build's previews colour the shard here.
 */
export interface ShardWriterHooks {
  beforeMarker?(buf: ShardBuffer, job: ShardPlan): Promise<void>;
}

/** A shard builder bound to one store and zone. */
export class ShardWriter {
  #init: ShardWriterInit;
  #store: FsStore;
  #buf?: ShardBuffer;
  #staging = new Uint8Array(STAGING_BYTES);
  #hooks: ShardWriterHooks;

  constructor(init: ShardWriterInit, hooks: ShardWriterHooks = {}) {
    this.#init = init;
    this.#store = new FsStore(init.storeRoot);
    this.#hooks = hooks;
  }

  #embeddingsStream(buf: ShardBuffer, job: ShardPlan): EmbeddingsStream | undefined {
    return embeddingsStream(this.#init, this.#store, buf, job);
  }

  /** Builds, encodes and writes shard `job` (one of the plan's shards). */
  async write(job: ShardPlan): Promise<ShardDone> {
    const { ctx, shardPx } = this.#init;
    const { bands, tiles } = ctx.plan;
    adoptSpoolBuffers(job); // tiles the main thread fetched into memory (lib/remote/)
    const buf = this.#buf ??= newShardBuffer(shardPx, bands, embeddingsChunkPx(this.#init));
    let bytesWritten = 0;
    let rewritten = false;
    // Embeddings in stored chunks (not a repair): appended to the shard file a chunk row at a
    // time as the assembly finishes each, while the row is still in the CPU's caches.
    const stream = this.#init.compare ? undefined : this.#embeddingsStream(buf, job);
    let assembled: AssembleResult;
    try {
      assembled = await assembleShard(ctx, job, buf, stream?.onRows);
      if (stream) {
        const done = await stream.finish();
        bytesWritten += done.bytes;
        rewritten ||= done.rewritten;
      }
    } catch (e) {
      await stream?.abort();
      throw e;
    }
    const { failures, counts, badScales, tileNotes } = assembled;
    const put = async (
      name: string,
      meta: ArrayMetadata,
      data: Int8Array | Float32Array,
      layout: "c" | "chunks",
    ) => {
      const l = arrayLayout(meta);
      const key = shardKey(name, l.shape.length, job.row, job.col);
      const stream = denseShardStream({
        data,
        shardShape: l.chunkShape,
        innerShape: l.innerChunkShape!,
        fill: l.fill,
        compress: l.compress,
        level: l.level,
        layout,
        // Chunks the compositing took no valid pixel into are fill: not examined.
        maybeData: chunksWithData(buf, l.chunkShape, l.innerChunkShape!),
      });
      const path = join(this.#store.root, key);
      if (stream) {
        // A repair rewrites only a file whose bytes differ from what the build would write.
        if (this.#init.compare && await sameBytes(path, stream.parts(this.#staging))) return;
        bytesWritten += await writePartsAtomic(path, stream.parts(this.#staging));
        rewritten = true;
      } else if (await this.#store.delete(key)) {
        await syncDir(dirname(path)); // durable before the marker, like a write
        rewritten = true;
      }
    };
    if (!stream) {
      await put(
        "embeddings",
        this.#init.embeddings,
        buf.embeddings,
        buf.chunkPx === shardPx ? "c" : "chunks",
      );
    }
    await put("scales", this.#init.scales, buf.scales, "c");
    const st = shardStats(
      buf.embeddings,
      buf.scales,
      shardPx,
      bands,
      job.rect.r0,
      job.rect.c0,
      job.rect.r1 - job.rect.r0,
      job.rect.c1 - job.rect.c0,
      buf.chunkPx,
    );
    // Written before the marker, like the data: a shard with a marker has all of it.
    if (badScales.size) {
      const byTile = Object.fromEntries(
        [...badScales].sort((a, b) => a[0] - b[0]).map(([i, n]) => [tileKey(tiles[i]), n]),
      );
      await this.#store.set(
        badScalesKey(job.row, job.col),
        new TextEncoder().encode(JSON.stringify(byTile)),
      );
    } else {
      await this.#store.delete(badScalesKey(job.row, job.col));
    }
    if (tileNotes.size) {
      const byTile = Object.fromEntries(
        [...tileNotes].sort((a, b) => a[0] - b[0]).map(([i, n]) => [tileKey(tiles[i]), n]),
      );
      await this.#store.set(
        tileNotesKey(job.row, job.col),
        new TextEncoder().encode(JSON.stringify(byTile)),
      );
    } else {
      await this.#store.delete(tileNotesKey(job.row, job.col));
    }
    if (failures.length) {
      await this.#store.set(
        failuresKey(job.row, job.col),
        new TextEncoder().encode(JSON.stringify(failures)),
      );
    } else {
      await this.#store.delete(failuresKey(job.row, job.col));
    }
    await this.#hooks.beforeMarker?.(buf, job);
    await this.#store.set(markerKey(job.row, job.col), encodeStats(st));
    return {
      row: job.row,
      col: job.col,
      failures,
      validPixels: counts.valid,
      bytesWritten,
      rewritten,
    };
  }
}

/**
 * Which inner chunks of shape `inner` (C order over a `shard`-shaped shard) may hold data,
 * from the buffer's record of the chunks it took valid pixels into (ShardBuffer.chunkData);
 * undefined when the two grids do not nest (then every chunk is examined).
 */
function chunksWithData(
  buf: ShardBuffer,
  shard: readonly number[],
  inner: readonly number[],
): Uint8Array | undefined {
  const [rows, cols] = inner;
  const c = buf.chunkPx;
  if (
    shard[0] !== buf.size || shard[1] !== buf.size || rows % c !== 0 || cols % c !== 0 ||
    shard.slice(2).some((d, k) => d !== inner[2 + k]) // a chunk must span every band
  ) {
    return undefined;
  }
  if (rows === c && cols === c) return buf.chunkData;
  const per = buf.size / c, gridRows = buf.size / rows, gridCols = buf.size / cols;
  const out = new Uint8Array(gridRows * gridCols);
  for (let r = 0; r < per; r++) {
    for (let k = 0; k < per; k++) {
      if (buf.chunkData[r * per + k]) {
        out[Math.floor((r * c) / rows) * gridCols + Math.floor((k * c) / cols)] = 1;
      }
    }
  }
  return out;
}

/** Written bytes of an embeddings shard between background flushes (AtomicFile.flushSoFar). */
const EARLY_FLUSH_BYTES = 32 * 2 ** 20;

/** An embeddings shard being appended to as its chunk rows are assembled. */
interface EmbeddingsStream {
  /** assembleShard's callback: shard-local rows 0..rows are final. */
  onRows(rows: number): Promise<void>;
  /** After the assembly: the last rows and the index, then commit (or delete: all fill). */
  finish(): Promise<{ bytes: number; rewritten: boolean }>;
  /** After a failed assembly: removes the temporary file. */
  abort(): Promise<void>;
}

/**
 * The embeddings stream of `job` when the buffer's chunks are the stored inner chunks
 * (chunk layout), else undefined (the shard is then encoded whole once assembled).
 */
function embeddingsStream(
  init: ShardWriterInit,
  store: FsStore,
  buf: ShardBuffer,
  job: ShardPlan,
): EmbeddingsStream | undefined {
  const l = arrayLayout(init.embeddings);
  const maybeData = chunksWithData(buf, l.chunkShape, l.innerChunkShape!);
  if (buf.chunkPx === buf.size || maybeData !== buf.chunkData) return undefined;
  const appender = new ShardAppender({
    data: buf.embeddings,
    shardShape: l.chunkShape,
    innerShape: l.innerChunkShape!,
    fill: l.fill,
    compress: l.compress,
    level: l.level,
    maybeData,
  });
  const key = shardKey("embeddings", l.shape.length, job.row, job.col);
  const path = join(store.root, key);
  const chunksPerRow = buf.size / buf.chunkPx;
  let file: AtomicFile | undefined;
  let flushedAt = 0;
  const append = async (to: number) => {
    for (const part of appender.append(to)) (file ??= await AtomicFile.open(path)).write(part);
    // Let the disk take what is written while the rest is assembled: the flush before the
    // marker then waits for the last part only (the bytes and the durability are the same).
    if (file && file.bytesWritten - flushedAt >= EARLY_FLUSH_BYTES) {
      flushedAt = file.bytesWritten;
      file.flushSoFar();
    }
  };
  return {
    onRows: (rows) => append(Math.floor(rows / buf.chunkPx) * chunksPerRow),
    async finish() {
      await append(appender.chunkCount);
      if (file) {
        file.write(appender.index());
        return { bytes: await file.commit(), rewritten: true };
      }
      // Nothing but fill: no shard file (an old one goes, durably, like a write).
      if (!(await store.delete(key))) return { bytes: 0, rewritten: false };
      await syncDir(dirname(path));
      return { bytes: 0, rewritten: true };
    },
    async abort() {
      await file?.abort();
    },
  };
}

/**
 * Whether the file at `path` holds exactly the concatenation of `parts` (false when it is
 * missing or not a regular file). Reads it sequentially beside the stream: no second copy.
 */
async function sameBytes(path: string, parts: Iterable<Uint8Array>): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    if (!(await Deno.lstat(path)).isFile) return false;
    file = await Deno.open(path, { read: true });
  } catch {
    return false;
  }
  try {
    let scratch = new Uint8Array(0);
    for (const part of parts) {
      if (scratch.length < part.length) scratch = new Uint8Array(part.length);
      const got = scratch.subarray(0, part.length);
      for (let at = 0; at < got.length;) {
        const n = file.readSync(got.subarray(at));
        if (n === null) return false; // shorter than it should be
        at += n;
      }
      if (!equalBytes(got, part)) return false;
    }
    return file.readSync(new Uint8Array(1)) === null; // and not longer
  } finally {
    file.close();
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  // Compare 8 bytes at a time where both are aligned; the rest byte by byte.
  let i = 0;
  if (a.byteOffset % 8 === 0 && b.byteOffset % 8 === 0) {
    const n = a.length >> 3;
    const a8 = new BigUint64Array(a.buffer, a.byteOffset, n);
    const b8 = new BigUint64Array(b.buffer, b.byteOffset, n);
    for (; i < n; i++) if (a8[i] !== b8[i]) return false;
    i = n << 3;
  }
  for (; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The shard buffer keeps embeddings in their inner chunks when those are square and span
 * every band (32 × 32 × 128): stored chunks are then written straight from the buffer.
 * Any other chunking falls back to C order (one chunk the size of the shard).
 */
function embeddingsChunkPx(init: ShardWriterInit): number {
  const l = arrayLayout(init.embeddings);
  const [r, c, b] = l.innerChunkShape ?? [];
  const fits = r === c && b === init.ctx.plan.bands && l.chunkShape[0] === init.shardPx &&
    l.chunkShape[1] === init.shardPx && init.shardPx % r === 0;
  return fits ? r : init.shardPx;
}

/** "year/grid_…" — the key of a tile in the bad-scale files. */
function tileKey(t: { year: number; lonI: number; latI: number }): string {
  return `${t.year}/${tileName(t.lonI, t.latI)}`;
}
