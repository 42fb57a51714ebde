/**
 * The build's tile fetcher, in the main thread (docs/decisions/2026-12-01-tile-spool.md): each
 * tile's three files are fetched once, whole, in large sequential requests, into a local
 * spool — the `--cache-dir` when given (kept), else a private temp directory (each tile
 * deleted once no pending shard needs it) — hashed as the bytes stream in, and checked
 * against the registry's digests before any shard that needs the tile is handed out. Tiles
 * are fetched ahead in the order the shards need them, a few at a time and a bounded number
 * of bytes ahead; shard workers then read the local copies through the ordinary local
 * readers, guided by one record per tile (tile_record.ts). Two workers never fetch the same
 * tile, the workers never read the registry, and the bytes fetched are the input's bytes.
 *
 * On local input with `--check-hashes` the same pipeline hashes each file once, in place,
 * before its shards go out (no copy).
 */
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { TesseraError } from "../errors.ts";
import { Limiter } from "../read/limiter.ts";
import type { ShardPlan } from "../plan/shard_plan.ts";
import type { WorkerPlan } from "../plan/build_plan.ts";
import { tilePaths } from "../tiles/layout.ts";
import { findRegistry } from "../tiles/registry.ts";
import { isUrl, REMOTE_ENV, remoteCounters, remoteSettings } from "../tiles/remote.ts";
import { digestKey, tileDigests, type TileHashes } from "../tiles/tile_hashes.ts";
import type { TileRef } from "../tiles/tile_ref.ts";
import { adoptPartial, mirrorPath, partPath, readSidecar, writeSidecar } from "./cache_paths.ts";
import { processGone } from "./process_gone.ts";
import {
  type ByteSink,
  fetchFileTo,
  fileSink,
  hashCounters,
  hashLocalFile,
  MemorySink,
  type SinkSource,
} from "./fetch_file.ts";
import {
  type ErrorRecord,
  errorRecord,
  SPOOL_BUFFERS,
  type SpoolBuffers,
  type SpooledFile,
  type SpoolRef,
  type TileFileRole,
  writeTileRecord,
} from "./tile_record.ts";

/** Options of {@link startTileSpool}. */
export interface TileSpoolOptions {
  /** The tiles' base: a URL, or a local directory (then only with `--check-hashes`). */
  readonly base: string;
  readonly plan: WorkerPlan;
  /** The shards to build, in the order they are handed out. */
  readonly jobs: readonly ShardPlan[];
  /** Shard workers (they consume tiles that many shards at a time). */
  readonly workers: number;
  readonly signal?: AbortSignal;
}

/** What a spool did, for `--json` and the benchmark. */
export interface SpoolStats {
  tiles: number;
  /** Bytes received from the server (bodies only). */
  bytesFetched: number;
  requests: number;
  /** Requests that continued a cut or stalled transfer from the byte reached. */
  resumed: number;
  /** Files taken from the cache (their hash matched again). */
  cacheHits: number;
  /** Cached files whose bytes no longer matched: fetched again. */
  cacheRejected: number;
  /** Milliseconds spent in SHA-256 (main thread). */
  hashMs: number;
  bytesHashed: number;
  /** Files received into a shared buffer an earlier tile had used (no fresh memory). */
  buffersReused: number;
  /** Partial downloads of killed builds found in the cache and continued, not restarted. */
  partialsTaken: number;
}

/** Counters at zero. */
function emptySpoolStats(): SpoolStats {
  return {
    tiles: 0,
    bytesFetched: 0,
    requests: 0,
    resumed: 0,
    cacheHits: 0,
    cacheRejected: 0,
    hashMs: 0,
    bytesHashed: 0,
    buffersReused: 0,
    partialsTaken: 0,
  };
}

/** Every spool of this process added up (a build of several zones runs one per zone). */
export const transferTotals: SpoolStats = emptySpoolStats();

/**
 * One line about what the spools of this process did, or undefined when none ran.
 *
 * @example
 * describeTransfer(transferTotals); // "fetched 951.0 MiB in 27 requests (0 resumed), …"
 */
export function describeTransfer(t: SpoolStats): string | undefined {
  if (t.tiles === 0) return undefined;
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  return `${t.tiles} tile(s): fetched ${mib(t.bytesFetched)} in ${t.requests} request(s) ` +
    `(${t.resumed} resumed), ${t.cacheHits} file(s) from the cache` +
    (t.cacheRejected ? ` (${t.cacheRejected} no longer matched: fetched again)` : "") +
    `; SHA-256 of ${mib(t.bytesHashed)} took ${(t.hashMs / 1000).toFixed(2)} s`;
}

/** Bytes of tiles fetched ahead of the shards being handed out (env TZ_SPOOL_AHEAD_MB). */
const DEFAULT_AHEAD_MB = 2048;
/**
 * Without a cache, tile bytes held in shared memory rather than the temp spool, at most
 * (env TZ_SPOOL_MEMORY_MB): workers read them with no write and no read through the disk.
 */
const DEFAULT_MEMORY_MB = 4096;
/** Shared buffers are made in whole steps of this size, to be reused by files of nearby sizes. */
const BUFFER_STEP = 4 << 20;

interface TileState {
  readonly index: number;
  readonly tile: TileRef;
  readonly firstJob: number;
  /** Jobs still to finish that read this tile. */
  pending: number;
  /** Estimated bytes of its files (from the grid: for the look-ahead budget). */
  readonly bytes: number;
  started: boolean;
  released: boolean;
  /** Files in the private spool, deleted on release. */
  readonly temp: string[];
  /** In-memory copies by URL, their buffers returned to the pool on release. */
  readonly buffers: Map<string, Uint8Array>;
  readonly ready: Promise<void>;
  markReady: () => void;
}

const ROLES: TileFileRole[] = ["embeddings", "scales", "landmask"];

/**
 * Starts the spool for `opts.jobs` (fetching begins at once), or returns undefined when the
 * build needs none (local input without `--check-hashes`).
 *
 * @example
 * ```ts
 * await using spool = await startTileSpool({ base, plan: workerPlan(plan), jobs, workers: 2 });
 * await spool?.ready(0); // the first shard's tiles are on disk and verified
 * spool?.done(0);        // …and it is built: tiles no later shard needs are dropped
 * ```
 */
export async function startTileSpool(opts: TileSpoolOptions): Promise<TileSpool | undefined> {
  const remote = isUrl(opts.base);
  if (!remote && Deno.env.get(REMOTE_ENV.checkHashes) !== "1") return undefined;
  if (opts.jobs.length === 0) return undefined;
  const registry = Deno.env.get(REMOTE_ENV.registry) || await findRegistry(opts.base);
  const used = new Set(opts.jobs.flatMap((j) => j.pieces.map((p) => p.tile)));
  const tiles = [...used].map((i) => opts.plan.tiles[i]);
  const digests = registry ? await tileDigests(registry, tiles) : new Map<string, TileHashes>();
  await sweepDeadSpools();
  const dir = await Deno.makeTempDir({ prefix: `tz-spool-${Deno.pid}-` });
  await Deno.mkdir(join(dir, "records"));
  return new TileSpool(opts, remote, digests, dir);
}

/**
 * Removes the private spools of builds that were killed (`tz-spool-{pid}-…` in the temp dir
 * whose process is gone), so a SIGKILL leaves nothing behind once the next build starts.
 */
async function sweepDeadSpools(): Promise<void> {
  const tmp = tmpdir();
  for await (const e of Deno.readDir(tmp)) {
    const pid = /^tz-spool-(\d+)-/.exec(e.name)?.[1];
    if (!pid || !e.isDirectory || Number(pid) === Deno.pid) continue;
    // Liveness comes from /proc: where it cannot tell, every spool is left alone.
    if (await processGone(Number(pid)) === true) {
      await Deno.remove(join(tmp, e.name), { recursive: true }).catch(() => {});
    }
  }
}

/** A running spool: see {@link startTileSpool}. */
export class TileSpool {
  /** Passed to the shard workers (AssembleContext.spool). */
  readonly ref: SpoolRef;
  readonly #opts: TileSpoolOptions;
  readonly #remote: boolean;
  readonly #digests: Map<string, TileHashes>;
  readonly #dir: string;
  readonly #cacheDir: string | undefined;
  readonly #limiter: Limiter;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #aheadBytes: number;
  readonly #memoryBytes: number;
  /** Bytes of shared buffers held: in use by tiles, or free in {@link #pool}. */
  #memoryUsed = 0;
  /** Buffers of released tiles, for the next tiles' files (fresh memory faults page by page). */
  readonly #pool: SharedArrayBuffer[] = [];
  readonly #maxInFlight: number;
  readonly #abort = new AbortController();
  readonly #byIndex = new Map<number, TileState>();
  /** Tiles in the order the jobs first need them. */
  readonly #order: TileState[];
  #cursor = 0;
  #inFlight = 0;
  /** The highest job asked for: its tiles are fetched whatever the look-ahead budget. */
  #demand = -1;
  readonly #running = new Set<Promise<void>>();
  readonly #hash0 = { ms: hashCounters.ms, bytes: hashCounters.bytes };
  readonly stats: SpoolStats = emptySpoolStats();

  constructor(
    opts: TileSpoolOptions,
    remote: boolean,
    digests: Map<string, TileHashes>,
    dir: string,
  ) {
    this.#opts = opts;
    this.#remote = remote;
    this.#digests = digests;
    this.#dir = dir;
    this.ref = { records: join(dir, "records") };
    const s = remoteSettings();
    this.#cacheDir = remote ? s.cacheDir : undefined;
    this.#limiter = new Limiter(s.connections);
    this.#timeoutMs = s.timeoutMs;
    this.#retries = s.retries;
    const aheadMb = Number(Deno.env.get("TZ_SPOOL_AHEAD_MB"));
    this.#aheadBytes = (aheadMb >= 0 ? aheadMb : DEFAULT_AHEAD_MB) * 2 ** 20;
    const memoryMb = Number(Deno.env.get("TZ_SPOOL_MEMORY_MB") || NaN);
    this.#memoryBytes = (memoryMb >= 0 ? memoryMb : DEFAULT_MEMORY_MB) * 2 ** 20;
    // Three files a tile: enough tiles at once to keep the connections busy.
    this.#maxInFlight = Math.max(1, Math.ceil(s.connections / 3));
    opts.signal?.addEventListener("abort", () => this.#abort.abort(opts.signal!.reason), {
      once: true,
    });
    const { plan } = opts;
    opts.jobs.forEach((job, j) => {
      for (const piece of job.pieces) {
        let t = this.#byIndex.get(piece.tile);
        if (!t) {
          const g = plan.grids[piece.tile].geobox;
          let markReady = () => {};
          const ready = new Promise<void>((r) => markReady = r);
          t = {
            index: piece.tile,
            tile: plan.tiles[piece.tile],
            firstJob: j,
            pending: 0,
            bytes: g.width * g.height * (plan.bands + 4),
            started: false,
            released: false,
            temp: [],
            buffers: new Map(),
            ready,
            markReady,
          };
          this.#byIndex.set(piece.tile, t);
        }
        t.pending++;
      }
    });
    this.#order = [...this.#byIndex.values()].sort((a, b) =>
      a.firstJob - b.firstJob || a.index - b.index
    );
    this.stats.tiles = this.#order.length;
    this.#pump();
  }

  /**
   * Resolves once every tile job `j` reads is on disk (or in memory, then attached to the
   * job), checked, and its record written.
   */
  async ready(j: number): Promise<void> {
    trace(`ask job ${j}`);
    this.#demand = Math.max(this.#demand, j);
    this.#pump();
    const tiles = [...new Set(this.#opts.jobs[j].pieces.map((p) => p.tile))]
      .map((i) => this.#byIndex.get(i)!);
    await Promise.all(tiles.map((t) => t.ready));
    const buffers: SpoolBuffers = {};
    for (const t of tiles) for (const [url, b] of t.buffers) buffers[url] = b;
    if (Object.keys(buffers).length) {
      (this.#opts.jobs[j] as { [SPOOL_BUFFERS]?: SpoolBuffers })[SPOOL_BUFFERS] = buffers;
    }
  }

  /** Job `j` is finished (built or failed): its tiles that no pending job needs are dropped. */
  done(j: number): void {
    trace(`done job ${j}`);
    delete (this.#opts.jobs[j] as { [SPOOL_BUFFERS]?: SpoolBuffers })[SPOOL_BUFFERS];
    for (const i of new Set(this.#opts.jobs[j].pieces.map((p) => p.tile))) {
      const t = this.#byIndex.get(i)!;
      if (--t.pending === 0) this.#release(t);
    }
    this.#pump();
  }

  #release(t: TileState): void {
    t.released = true;
    // The jobs that read these views are finished (done() comes after a worker's result):
    // no worker reads them again, so the memory can take another tile's file.
    for (const v of t.buffers.values()) this.#pool.push(v.buffer as SharedArrayBuffer);
    t.buffers.clear();
    for (const f of t.temp.splice(0)) Deno.remove(f).catch(() => {});
  }

  /** Starts the next tiles while the look-ahead allows (the demanded ones always). */
  #pump(): void {
    if (this.#abort.signal.aborted) return;
    while (this.#cursor < this.#order.length) {
      const t = this.#order[this.#cursor];
      if (t.firstJob > this.#demand) {
        if (this.#inFlight >= this.#maxInFlight) break;
        const ahead = this.#order.slice(0, this.#cursor)
          .filter((s) => s.firstJob > this.#demand && !s.released)
          .reduce((a, s) => a + s.bytes, 0);
        if (ahead > 0 && ahead + t.bytes > this.#aheadBytes) break;
      }
      this.#cursor++;
      this.#start(t);
    }
  }

  #start(t: TileState): void {
    trace(`start tile ${t.index} (first job ${t.firstJob}, demand ${this.#demand})`);
    t.started = true;
    this.#inFlight++;
    const run = this.#obtainTile(t)
      .catch((e) => {
        // Only an abort gets here (every file's failure is in its record); the pool stops.
        if (!this.#abort.signal.aborted) console.error(e);
      })
      .finally(() => {
        this.#inFlight--;
        this.#running.delete(run);
        this.#syncStats();
        trace(`ready tile ${t.index}`);
        t.markReady();
        this.#pump();
      });
    this.#running.add(run);
  }

  async #obtainTile(t: TileState): Promise<void> {
    const paths = tilePaths(this.#opts.base, t.tile);
    const want = this.#digests.get(digestKey(t.tile));
    const digest: Record<TileFileRole, string | null> = {
      embeddings: want?.hash ?? null,
      scales: want?.scalesHash ?? null,
      landmask: null,
    };
    const got = await Promise.all(
      ROLES.map((role) =>
        this.#remote
          ? this.#fetchFile(t, paths[role], role, digest[role])
          : this.#checkLocal(paths[role], role, digest[role])
      ),
    );
    const files = Object.fromEntries(ROLES.map((r, k) => [r, got[k].file])) as Record<
      TileFileRole,
      SpooledFile
    >;
    const hashError = got.find((g) => g.hashError)?.hashError;
    await writeTileRecord(this.ref, t.tile, { files, hashError });
  }

  /** Local input: hash in place; the file is read where it is. */
  async #checkLocal(
    path: string,
    role: TileFileRole,
    want: string | null,
  ): Promise<{ file: SpooledFile; hashError?: ErrorRecord }> {
    const file = { local: path, source: path };
    if (!want) return { file };
    let sha256: string;
    try {
      ({ sha256 } = await hashLocalFile(path, undefined, this.#abort.signal));
    } catch (e) {
      if (this.#abort.signal.aborted) throw e;
      return { file }; // unreadable: the worker's open says why, as without --check-hashes
    }
    return { file, hashError: mismatch(path, role, sha256, want) };
  }

  /** A remote file: from the cache when its bytes still match, else fetched. */
  async #fetchFile(
    t: TileState,
    url: string,
    role: TileFileRole,
    want: string | null,
  ): Promise<{ file: SpooledFile; hashError?: ErrorRecord }> {
    const signal = this.#abort.signal;
    const cached = this.#cacheDir ? mirrorPath(this.#cacheDir, url) : undefined;
    if (cached) {
      const side = await readSidecar(cached);
      if (side) {
        const again = await hashLocalFile(cached, undefined, signal).catch(() => undefined);
        if (again && again.sha256 === (want ?? side.sha256).toLowerCase()) {
          this.stats.cacheHits++;
          return { file: { local: cached, source: url } };
        }
        // Not what was verified (or no longer the registry's): fetch it again.
        this.stats.cacheRejected++;
        await Deno.remove(cached).catch(() => {});
        await Deno.remove(`${cached}.sha256`).catch(() => {});
      }
    }
    const temp = mirrorPath(join(this.#dir, "files"), url);
    const final = cached ?? temp;
    await Deno.mkdir(dirname(final), { recursive: true });
    const part = partPath(final);
    let file: Deno.FsFile | undefined;
    let memory: MemorySink | undefined;
    // Without a cache the .npy files go to shared memory while the budget lasts.
    const inMemory = !cached && role !== "landmask";
    let sink: SinkSource = async (length: number | undefined): Promise<ByteSink> => {
      const buffer = inMemory && length !== undefined ? this.#takeBuffer(length) : undefined;
      if (buffer) return memory = new MemorySink(length!, buffer);
      file = await Deno.open(part, { write: true, createNew: true });
      return fileSink(file);
    };
    // A killed build's partial download of this file, continued where it stopped — only
    // where a digest will vouch for the joined bytes.
    const from = cached && want ? await adoptPartial(cached, part, signal) : undefined;
    if (from) {
      this.stats.partialsTaken++;
      file = await Deno.open(part, { write: true });
      await file.seek(0, Deno.SeekMode.End);
      sink = fileSink(file);
    }
    try {
      let fetched;
      try {
        fetched = await fetchFileTo(url, sink, {
          from,
          limiter: this.#limiter,
          timeoutMs: this.#timeoutMs,
          retries: this.#retries,
          signal,
          onBytes: (n) => {
            this.stats.bytesFetched += n;
            remoteCounters.bytes += n;
          },
          onRequest: (range) => {
            this.stats.requests++;
            remoteCounters.requests++;
            if (range) this.stats.resumed++;
          },
        });
      } finally {
        file?.close();
      }
      const bad = want ? mismatch(url, role, fetched.sha256, want) : undefined;
      if (bad && from) {
        // The partial came from another version of the file: fetch it whole, once more.
        await Deno.remove(part).catch(() => {});
        return await this.#fetchFile(t, url, role, want);
      }
      if (memory) {
        if (memory.length !== memory.view.length) {
          throw new TesseraError("RemoteFetch", "the body was shorter than announced", url);
        }
        t.buffers.set(url, memory.view);
        return { file: { local: url, source: url }, hashError: bad };
      }
      if (bad || !cached) {
        // Bytes that fail the registry never enter the cache: the worker still opens them
        // from the private spool, so a format defect keeps its own kind.
        await Deno.mkdir(dirname(temp), { recursive: true });
        await Deno.rename(part, temp);
        t.temp.push(temp);
        return { file: { local: temp, source: url }, hashError: bad };
      }
      await writeSidecar(cached, { sha256: fetched.sha256, bytes: fetched.bytes, url });
      await Deno.rename(part, cached);
      return { file: { local: cached, source: url } };
    } catch (e) {
      if (memory) this.#pool.push(memory.buffer);
      await Deno.remove(part).catch(() => {});
      if (signal.aborted) throw e;
      return { file: { local: final, source: url, error: errorRecord(e, url) } };
    }
  }

  /**
   * A shared buffer for a file of `length` bytes: the smallest pooled one that fits without
   * wasting more than a quarter, else a new one (sized up to whole {@link BUFFER_STEP}s, so
   * files of nearby sizes share buffers) while the memory budget allows — pooled buffers
   * that do not fit are let go to make room. Undefined: the file goes to the disk spool.
   */
  #takeBuffer(length: number): SharedArrayBuffer | undefined {
    let best = -1;
    this.#pool.forEach((b, k) => {
      const fits = b.byteLength >= length && b.byteLength <= length * 1.25 + BUFFER_STEP;
      if (fits && (best < 0 || b.byteLength < this.#pool[best].byteLength)) best = k;
    });
    if (best >= 0) {
      this.stats.buffersReused++;
      return this.#pool.splice(best, 1)[0];
    }
    const size = Math.ceil(length / BUFFER_STEP) * BUFFER_STEP;
    this.#pool.sort((a, b) => a.byteLength - b.byteLength);
    while (this.#memoryUsed + size > this.#memoryBytes && this.#pool.length) {
      this.#memoryUsed -= this.#pool.pop()!.byteLength;
    }
    if (this.#memoryUsed + size > this.#memoryBytes) return undefined;
    this.#memoryUsed += size;
    return new SharedArrayBuffer(size);
  }

  #syncStats(): void {
    this.stats.hashMs = hashCounters.ms - this.#hash0.ms;
    this.stats.bytesHashed = hashCounters.bytes - this.#hash0.bytes;
  }

  /** Stops fetching, waits for the transfers in hand, and removes the private spool. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#abort.abort(new TesseraError("Interrupted", "the build ended"));
    await Promise.allSettled([...this.#running]);
    this.#syncStats();
    for (const k of Object.keys(transferTotals) as (keyof SpoolStats)[]) {
      transferTotals[k] += this.stats[k];
    }
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}

const TRACE = Deno.env.get("TZ_SPOOL_TRACE") === "1";
const T0 = performance.now();
function trace(what: string): void {
  if (TRACE) console.error(`spool ${((performance.now() - T0) / 1000).toFixed(2)} s: ${what}`);
}

/** A HashMismatch record when `got` differs from `want`, else undefined. */
function mismatch(
  path: string,
  role: TileFileRole,
  got: string,
  want: string,
): ErrorRecord | undefined {
  if (got.toLowerCase() === want.toLowerCase()) return undefined;
  return {
    kind: "HashMismatch",
    path,
    message: `${role} bytes do not match the registry: SHA-256 ${got}, registry says ${want}; ` +
      "the tile is skipped — re-download it, or check the server (a proxy or cache may be " +
      "altering it)",
  };
}
