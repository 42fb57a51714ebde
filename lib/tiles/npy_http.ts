/**
 * `.npy` reader over HTTP: the same {@link NpyFile} interface as local files (npy.ts), with
 * the header fetched by one range request and each `readRows` a range request for exactly
 * those rows, so a shard fetches only the row blocks it needs. The same header checks as a
 * local file (npy.ts `checkHeader`); the file's length is probed with a 2-byte range at the
 * end of the data instead of a stat.
 */
import { TesseraError } from "../errors.ts";
import { elementCount, type NpyHeader, readNpyHeaderVia } from "./npy_header.ts";
import {
  checkHeader,
  type NpyByteSource,
  type NpyExpect,
  type NpyFile,
  NpyRowFile,
} from "./npy.ts";
import { fetchRemote, remoteSettings } from "./remote.ts";
import { mirrorPath, readSidecar } from "../remote/cache_paths.ts";
import { spoolBuffer } from "../remote/tile_record.ts";

/** First request's length: real headers are 128 bytes; one request covers almost all. */
const HEADER_PROBE_BYTES = 4096;

const MISSING = "the server has no such file (HTTP 404); check the URL and year, or the registry";

async function getRange(url: string, offset: number, length: number): Promise<Uint8Array> {
  const bytes = await fetchRemote(url, { offset, length });
  if (bytes === undefined) throw new TesseraError("MissingFile", MISSING, url);
  return bytes;
}

/**
 * Fetches and parses the header of a remote `.npy` (one request, two for huge headers) — or
 * reads it from the `--cache-dir` copy when there is one (lib/remote/cache_paths.ts), so a
 * repeated build's band vote fetches nothing. The copy's bytes are checked against the
 * registry later, before any of its pixels are used.
 */
export async function readRemoteNpyHeader(url: string): Promise<NpyHeader> {
  const cacheDir = remoteSettings().cacheDir;
  const copy = cacheDir ? mirrorPath(cacheDir, url) : undefined;
  if (copy && await readSidecar(copy)) {
    try {
      using f = await Deno.open(copy, { read: true });
      return await readNpyHeaderVia(
        async (n) => {
          const buf = new Uint8Array(n);
          let got = 0;
          await f.seek(0, Deno.SeekMode.Start);
          while (got < n) {
            const k = await f.read(buf.subarray(got));
            if (k === null || k === 0) break;
            got += k;
          }
          return buf.subarray(0, got);
        },
        HEADER_PROBE_BYTES,
        url,
      );
    } catch { /* gone or unreadable: ask the server */ }
  }
  return await readNpyHeaderVia((n) => getRange(url, 0, n), HEADER_PROBE_BYTES, url);
}

/**
 * Opens a remote `.npy`: header, checks (`expect`, Fortran order, truncation) and a handle
 * whose row reads are range requests. Errors as `openNpy`, plus `RemoteFetch` naming the URL.
 *
 * @example
 * ```ts
 * const npy = await openRemoteNpy("http://127.0.0.1:8080/…/grid_0.15_52.05.npy", { dtype: "int8" });
 * const rows = await npy.readRows(0, 64);
 * ```
 */
export async function openRemoteNpy(url: string, expect: NpyExpect = {}): Promise<NpyFile> {
  const shared = spoolBuffer(url);
  if (shared) return await openMemoryNpy(url, shared, expect);
  const header = await readRemoteNpyHeader(url);
  const need = header.dataOffset + elementCount(header.shape) * header.itemSize;
  // Past-the-end probe: 416 (empty) means the file is shorter than its header says.
  const tail = need > 0 ? await getRange(url, need - 1, 2) : new Uint8Array(1);
  const fileSize = tail.length === 0 ? 0 : need - 1 + tail.length;
  if (tail.length === 0 && !header.fortranOrder) {
    checkHeader(header, { ...expect }, need, url); // dtype/shape errors first, as locally
    throw new TesseraError(
      "TruncatedNpy",
      `file is truncated: shape (${header.shape.join(", ")}) ${header.dtype} needs ${need} ` +
        `bytes but the server has fewer; re-publish or re-download the tile`,
      url,
    );
  }
  checkHeader(header, expect, fileSize, url);
  return new NpyRowFile(url, header, fileSize, new RemoteBytes(url));
}

/**
 * A fetched copy held in memory (the build's spool, lib/remote/tile_spool.ts): the same
 * checks as a local file, reads are copies out of the shared buffer.
 */
async function openMemoryNpy(url: string, bytes: Uint8Array, expect: NpyExpect): Promise<NpyFile> {
  const header = await readNpyHeaderVia(
    (n) => Promise.resolve(bytes.subarray(0, Math.min(n, bytes.length))),
    HEADER_PROBE_BYTES,
    url,
  );
  checkHeader(header, expect, bytes.length, url);
  // Synchronous reads too, so that a column window is copied row by row out of the shared
  // buffer (as pread does on a local file) rather than its whole span first.
  const readAtSync = (pos: number, dst: Uint8Array): void => {
    if (pos + dst.length > bytes.length) {
      throw new TesseraError(
        "TruncatedNpy",
        `bytes ${pos}..${pos + dst.length} are past the end`,
        url,
      );
    }
    dst.set(bytes.subarray(pos, pos + dst.length));
  };
  return new NpyRowFile(url, header, bytes.length, {
    readAtSync,
    readAt(pos: number, dst: Uint8Array): Promise<void> {
      try {
        readAtSync(pos, dst);
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e);
      }
    },
    close() {},
  });
}

/** HTTP ranges as a byte source: each row read is one range request for exactly its bytes. */
class RemoteBytes implements NpyByteSource {
  constructor(readonly url: string) {}

  async readAt(pos: number, dst: Uint8Array): Promise<void> {
    const bytes = await getRange(this.url, pos, dst.length);
    if (bytes.length !== dst.length) {
      throw new TesseraError(
        "TruncatedNpy",
        `the server sent ${bytes.length} of the ${dst.length} bytes at ${pos}; the file changed ` +
          "or the transfer was cut short — try again",
        this.url,
      );
    }
    dst.set(bytes);
  }

  close(): void {}
}
