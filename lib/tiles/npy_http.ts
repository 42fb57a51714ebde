/**
 * `.npy` reader over HTTP: the same {@link NpyFile} interface as local files (npy.ts), with
 * the header fetched by one range request and each `readRows` a range request for exactly
 * those rows, so a shard fetches only the row blocks it needs. The same header checks as a
 * local file (npy.ts `checkHeader`); the file's length is probed with a 2-byte range at the
 * end of the data instead of a stat.
 */
import { TesseraError } from "../errors.ts";
import {
  CTOR_BY_DTYPE,
  headerExtent,
  HOST_LITTLE_ENDIAN,
  MAX_HEADER_BYTES,
  type NpyHeader,
  type NpyTypedArray,
  parseNpyHeader,
  startsWithMagic,
} from "./npy_header.ts";
import { byteSwap, checkHeader, type NpyExpect, type NpyFile } from "./npy.ts";
import { fetchRemote } from "./remote.ts";

/** First request's length: real headers are 128 bytes; one request covers almost all. */
const HEADER_PROBE_BYTES = 4096;

const MISSING = "the server has no such file (HTTP 404); check the URL and year, or the registry";

async function getRange(url: string, offset: number, length: number): Promise<Uint8Array> {
  const bytes = await fetchRemote(url, { offset, length });
  if (bytes === undefined) throw new TesseraError("MissingFile", MISSING, url);
  return bytes;
}

/** Fetches and parses the header of a remote `.npy` (one request, two for huge headers). */
export async function readRemoteNpyHeader(url: string): Promise<NpyHeader> {
  let bytes = await getRange(url, 0, HEADER_PROBE_BYTES);
  if (startsWithMagic(bytes)) {
    const extent = headerExtent(bytes, url);
    if (extent !== undefined && extent > bytes.length && extent <= MAX_HEADER_BYTES) {
      bytes = await getRange(url, 0, extent);
    }
  }
  return parseNpyHeader(bytes, url);
}

function product(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * b, 1);
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
  const header = await readRemoteNpyHeader(url);
  const need = header.dataOffset + product(header.shape) * header.itemSize;
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
  return new RemoteNpy(url, header, fileSize);
}

class RemoteNpy implements NpyFile {
  readonly shape: readonly number[];
  readonly dtype;
  readonly dataOffset: number;
  readonly rowElements: number;
  readonly trailingBytes: number;
  #closed = false;

  constructor(readonly path: string, readonly header: NpyHeader, fileSize: number) {
    this.shape = Object.freeze([...header.shape]);
    this.dtype = header.dtype;
    this.dataOffset = header.dataOffset;
    this.rowElements = product(header.shape.slice(1));
    this.trailingBytes = fileSize - header.dataOffset - product(header.shape) * header.itemSize;
  }

  #checkRange(r0: number, r1: number): number {
    const rows = this.shape[0];
    if (this.shape.length === 0) {
      throw new TesseraError("BadArgument", "a 0-d array has no rows to read", this.path);
    }
    if (!Number.isSafeInteger(r0) || !Number.isSafeInteger(r1) || r0 < 0 || r1 < r0 || r1 > rows) {
      throw new TesseraError(
        "BadArgument",
        `rows ${r0}..${r1} are outside the array's ${rows} rows (need 0 <= r0 <= r1 <= ${rows})`,
        this.path,
      );
    }
    return (r1 - r0) * this.rowElements;
  }

  async readRows(r0: number, r1: number): Promise<NpyTypedArray> {
    const n = this.#checkRange(r0, r1);
    return await this.readRowsInto(r0, r1, new CTOR_BY_DTYPE[this.dtype](n));
  }

  async readRowsInto<T extends NpyTypedArray>(r0: number, r1: number, target: T): Promise<T> {
    const n = this.#checkRange(r0, r1);
    const ctor = CTOR_BY_DTYPE[this.dtype];
    if (!(target instanceof ctor) || target.length < n) {
      throw new TesseraError(
        "BadArgument",
        `readRowsInto target must be a ${ctor.name} of at least ${n} elements ` +
          `(got ${target.constructor.name} of ${target.length})`,
        this.path,
      );
    }
    if (this.#closed) {
      throw new TesseraError("BadArgument", "read after close(); reopen the file", this.path);
    }
    const out = target.subarray(0, n) as T;
    const itemSize = this.header.itemSize;
    const length = n * itemSize;
    if (length === 0) return out;
    const pos = this.dataOffset + r0 * this.rowElements * itemSize;
    const bytes = await getRange(this.path, pos, length);
    if (bytes.length !== length) {
      throw new TesseraError(
        "TruncatedNpy",
        `the server sent ${bytes.length} of the ${length} bytes at ${pos}; the file changed ` +
          "or the transfer was cut short — try again",
        this.path,
      );
    }
    new Uint8Array(out.buffer, out.byteOffset, length).set(bytes);
    if (itemSize > 1 && this.header.littleEndian !== HOST_LITTLE_ENDIAN) byteSwap(out, itemSize);
    return out;
  }

  close(): void {
    this.#closed = true;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
