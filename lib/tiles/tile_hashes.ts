/**
 * Integrity of tile bytes against the registry's `hash` (SHA-256 of the `.npy`) and
 * `scales_hash`: checked for every tile a build opens when it reads over HTTP, and on local
 * disk when asked (`--check-hashes`, env TZ_CHECK_HASHES=1). The digest is computed in 8 MB
 * pieces (range requests over HTTP), so memory stays bounded, and once per tile per isolate:
 * every shard of a worker that touches the tile reuses the verdict. A mismatch is a
 * `HashMismatch` naming the file, raised when the tile is opened — before any of its pixels
 * are read into a shard.
 */
import { createHash } from "node:crypto";
import {
  asyncBufferFromFile,
  parquetMetadataAsync,
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
