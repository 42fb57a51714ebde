/**
 * Integrity of tile bytes against the registry's `hash` (SHA-256 of the `.npy`) and
 * `scales_hash`. A build does not come here: its main thread hashes each tile once as it
 * fetches or reads it (lib/remote/tile_spool.ts), with the digests of only the tiles it needs
 * ({@link tileDigests}: the rows of those tiles, not the whole 2.7-million-row registry).
 * Other readers of a URL or of `--check-hashes` input (verify) check here, when a tile is
 * opened: the digest computed in 8 MB pieces (range requests over HTTP), once per tile per
 * isolate. A mismatch is a `HashMismatch` naming the file, before any pixel is read.
 */
import { createHash } from "node:crypto";
import {
  asyncBufferFromFile,
  type DecodedArray,
  parquetMetadataAsync,
  parquetRead,
  parquetReadObjects,
  parquetSchema,
} from "../deps/hyparquet.ts";
import { compressors } from "../deps/hyparquet_compressors.ts";
import { TesseraError } from "../errors.ts";
import type { TilePaths } from "./layout.ts";
import { findRegistry } from "./registry.ts";
import { fetchRemote, isUrl, knownSize, REMOTE_ENV, remoteAsyncBuffer } from "./remote.ts";
import type { TileRef } from "./tile_ref.ts";

const PIECE_BYTES = 8 << 20;

/** Expected digests of one tile (null: the registry does not say). */
export interface TileHashes {
  readonly hash: string | null;
  readonly scalesHash: string | null;
}

const registries = new Map<string, Promise<Map<string, TileHashes>>>();
const verdicts = new Map<string, Promise<void>>();

function key(year: number, lonI: number, latI: number): string {
  return `${year}/${lonI}/${latI}`;
}

/** True when tiles under `base` must have their hashes checked. */
export function hashesRequired(base: string): boolean {
  return isUrl(base) || Deno.env.get(REMOTE_ENV.checkHashes) === "1";
}

/**
 * The registry's digests by tile (`year/lonI/latI`), read once per registry per isolate. An
 * empty map when the registry has no hash columns.
 */
export function registryHashes(path: string): Promise<Map<string, TileHashes>> {
  let p = registries.get(path);
  if (!p) registries.set(path, p = readHashes(path));
  return p;
}

async function readHashes(path: string): Promise<Map<string, TileHashes>> {
  const file = isUrl(path) ? await remoteAsyncBuffer(path) : await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file, { geoparquet: false });
  const names = new Set(parquetSchema(metadata).children.map((c) => c.element.name));
  const out = new Map<string, TileHashes>();
  if (!names.has("hash") && !names.has("scales_hash")) return out;
  const ints = names.has("lon_i") && names.has("lat_i");
  const columns = ["year", ints ? "lon_i" : "lon", ints ? "lat_i" : "lat"];
  for (const c of ["hash", "scales_hash"]) if (names.has(c)) columns.push(c);
  const rows = await parquetReadObjects({ file, metadata, columns, compressors });
  for (const r of rows) {
    const lonI = ints ? Number(r.lon_i) : Math.round(Number(r.lon) * 100);
    const latI = ints ? Number(r.lat_i) : Math.round(Number(r.lat) * 100);
    const k = key(Number(r.year), lonI, latI);
    // First occurrence wins, as in registryTiles.
    if (!out.has(k)) {
      out.set(k, { hash: r.hash ?? null, scalesHash: r.scales_hash ?? null });
    }
  }
  return out;
}

/**
 * The registry's digests of `tiles` (keyed `year/lonI/latI`; first occurrence of a tile wins,
 * as in registryTiles), reading only what it must: the key columns, then the hash columns of
 * just the row ranges that hold those tiles. Empty when the registry has no hash columns.
 *
 * @example
 * ```ts
 * const digests = await tileDigests("http://127.0.0.1:8080/registry.parquet", plan.tiles);
 * digests.get(digestKey(plan.tiles[0]))?.hash; // "9f86d0…" or null
 * ```
 */
export async function tileDigests(
  path: string,
  tiles: readonly TileRef[],
): Promise<Map<string, TileHashes>> {
  const file = isUrl(path) ? await remoteAsyncBuffer(path) : await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file, { geoparquet: false });
  const names = new Set(parquetSchema(metadata).children.map((c) => c.element.name));
  const out = new Map<string, TileHashes>();
  const hashCols = ["hash", "scales_hash"].filter((c) => names.has(c));
  if (hashCols.length === 0 || tiles.length === 0) return out;
  const wanted = new Set(tiles.map(digestKey));
  const ints = names.has("lon_i") && names.has("lat_i");
  const keyCols = ["year", ints ? "lon_i" : "lon", ints ? "lat_i" : "lat"];
  const rows: { row: number; key: string }[] = [];
  const seen = new Set<string>();
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupEnd = groupStart + Number(group.num_rows);
    const n = groupEnd - groupStart;
    const cols: Record<string, unknown[]> = Object.fromEntries(
      keyCols.map((c) => [c, new Array(n)]),
    );
    await parquetRead({
      file,
      metadata,
      rowStart: groupStart,
      rowEnd: groupEnd,
      columns: keyCols,
      compressors,
      onChunk: ({ columnName, columnData, rowStart }: {
        columnName: string;
        columnData: DecodedArray;
        rowStart: number;
      }) => {
        const dst = cols[columnName];
        for (let k = 0; k < columnData.length; k++) {
          const at = rowStart - groupStart + k;
          if (at >= 0 && at < n) dst[at] = columnData[k];
        }
      },
    });
    for (let i = 0; i < n; i++) {
      const lon = Number(cols[keyCols[1]][i]), lat = Number(cols[keyCols[2]][i]);
      const key = `${Number(cols.year[i])}/${ints ? lon : Math.round(lon * 100)}/${
        ints ? lat : Math.round(lat * 100)
      }`;
      if (!wanted.has(key) || seen.has(key)) continue;
      seen.add(key);
      rows.push({ row: groupStart + i, key });
    }
    groupStart = groupEnd;
  }
  // Runs of nearby rows: a zone's tiles sit in one stretch per latitude row.
  for (let a = 0; a < rows.length;) {
    let b = a + 1;
    while (b < rows.length && rows[b].row - rows[b - 1].row <= 64) b++;
    const rowStart = rows[a].row, rowEnd = rows[b - 1].row + 1;
    const got = await parquetReadObjects({
      file,
      metadata,
      columns: hashCols,
      rowStart,
      rowEnd,
      compressors,
    });
    for (let k = a; k < b; k++) {
      const r = got[rows[k].row - rowStart];
      out.set(rows[k].key, { hash: r.hash ?? null, scalesHash: r.scales_hash ?? null });
    }
    a = b;
  }
  return out;
}

/** The key of a tile in {@link tileDigests}' map. */
export function digestKey(tile: TileRef): string {
  return key(tile.year, tile.lonI, tile.latI);
}

/** SHA-256 (hex) of a local file or a URL, read in pieces. */
export async function sha256Of(path: string): Promise<string> {
  const h = createHash("sha256");
  if (isUrl(path)) {
    for (let offset = 0;;) {
      const bytes = await fetchRemote(path, { offset, length: PIECE_BYTES });
      if (bytes === undefined) throw new TesseraError("MissingFile", "not on the server", path);
      h.update(bytes);
      offset += bytes.length;
      const size = knownSize(path);
      if (bytes.length < PIECE_BYTES || (size !== undefined && offset >= size)) break;
    }
  } else {
    using f = await Deno.open(path);
    const buf = new Uint8Array(PIECE_BYTES);
    for (;;) {
      const n = await f.read(buf);
      if (n === null || n === 0) break;
      h.update(buf.subarray(0, n));
    }
  }
  return h.digest("hex");
}

async function checkOne(path: string, want: string | null, what: string): Promise<void> {
  if (!want) return;
  const got = await sha256Of(path);
  if (got.toLowerCase() !== want.toLowerCase()) {
    throw new TesseraError(
      "HashMismatch",
      `${what} bytes do not match the registry: SHA-256 ${got}, registry says ${want}; the ` +
        "tile is skipped — re-download it, or check the server (a proxy or cache may be " +
        "altering it)",
      path,
    );
  }
}

/**
 * Throws `HashMismatch` (naming the file) unless the tile's `.npy` and scales hash to the
 * registry's digests. Rows without digests pass. Memoised per tile in this isolate.
 *
 * @example
 * ```ts
 * await verifyTileHashes("http://127.0.0.1:8080/", tile, tilePaths(base, tile));
 * ```
 */
export function verifyTileHashes(base: string, tile: TileRef, paths: TilePaths): Promise<void> {
  const id = `${paths.embeddings}\n${paths.scales}`;
  let p = verdicts.get(id);
  if (!p) {
    p = (async () => {
      const reg = Deno.env.get(REMOTE_ENV.registry) || await findRegistry(base);
      if (!reg) return;
      const want = (await registryHashes(reg)).get(key(tile.year, tile.lonI, tile.latI));
      if (!want) return;
      await checkOne(paths.embeddings, want.hash, "embeddings");
      await checkOne(paths.scales, want.scalesHash, "scales");
    })();
    verdicts.set(id, p);
    // A transfer failure is not a verdict: let a later shard try again.
    p.catch((e) => {
      if (!(e instanceof TesseraError && e.kind === "HashMismatch")) verdicts.delete(id);
    });
  }
  return p;
}
