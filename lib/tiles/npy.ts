/**
 * NumPy `.npy` reader for tessera tiles: opens a file (header parsed by npy_header.ts) and
 * reads row ranges (slices along the first axis) with positional reads, so a 155 MB embedding
 * tile is never held whole. Every defect found on open (bad magic, Fortran order, wrong dtype
 * or rank, truncated data) is a `TesseraError` naming the file.
 */

import { TesseraError } from "../errors.ts";
import {
  CTOR_BY_DTYPE,
  elementCount,
  HOST_LITTLE_ENDIAN,
  type NpyDtype,
  type NpyHeader,
  type NpyTypedArray,
  readNpyHeaderVia,
  type TypedArrayCtor,
} from "./npy_header.ts";
import { openRegular } from "./regular_file.ts";
import { openRemoteNpy, readRemoteNpyHeader } from "./npy_http.ts";
import { isUrl } from "./remote.ts";

export type { NpyDtype, NpyHeader, NpyTypedArray } from "./npy_header.ts";

/** Optional checks `openNpy` performs before any data is read. */
export interface NpyExpect {
  /** Required dtype; mismatch throws `WrongDtype`. Byte order does not matter. */
  dtype?: NpyDtype;
  /** Required number of dimensions; mismatch throws `ShapeMismatch`. */
  ndim?: number;
  /** Required shape, `null` for "any size" on an axis; mismatch throws `ShapeMismatch`. */
  shape?: readonly (number | null)[];
}

/** An open `.npy` file whose rows (first-axis slices) can be read on demand. */
export interface NpyFile {
  readonly path: string;
  readonly header: NpyHeader;
  readonly shape: readonly number[];
  readonly dtype: NpyDtype;
  readonly dataOffset: number;
  /** Elements in one row (product of all axes but the first). */
  readonly rowElements: number;
  /** Bytes past the end of the data; numpy ignores them, callers may want to warn. */
  readonly trailingBytes: number;
  /** Reads rows `r0` (inclusive) to `r1` (exclusive) into a new typed array. */
  readRows(r0: number, r1: number): Promise<NpyTypedArray>;
  /**
   * Reads rows `r0..r1` into `target` (same typed array type as `readRows` returns, at least
   * `(r1 - r0) * rowElements` long) and returns the filled prefix, to reuse one buffer.
   */
  readRowsInto<T extends NpyTypedArray>(r0: number, r1: number, target: T): Promise<T>;
  /**
   * Reads the window of rows `r0..r1` and columns (second axis) `c0..c1` into `target` as one
   * `(r1 - r0) × (c1 - c0) × …` block in C order (at least that many elements, same typed
   * array type as `readRows`) and returns the filled prefix. Only the window's bytes are read
   * from a local file (one positional read per row, one for all rows when the window spans
   * every column); for a 3-D tile that straddles two shards this halves what is read.
   */
  readWindowInto<T extends NpyTypedArray>(
    r0: number,
    r1: number,
    c0: number,
    c1: number,
    target: T,
  ): Promise<T>;
  close(): void;
  [Symbol.dispose](): void;
}

/** Reverses the bytes of each element in place; only big-endian files pay for this loop. */
function byteSwap(a: NpyTypedArray, itemSize: number): void {
  if (itemSize === 1 || a.length === 0) return;
  if (itemSize === 2) {
    const u = new Uint16Array(a.buffer, a.byteOffset, a.length);
    for (let i = 0; i < u.length; i++) u[i] = ((u[i] & 0xff) << 8) | (u[i] >>> 8);
    return;
  }
  const u = new Uint32Array(a.buffer, a.byteOffset, (a.length * itemSize) >>> 2);
  for (let i = 0; i < u.length; i++) {
    const x = u[i];
    u[i] = ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
  }
  if (itemSize === 8) {
    for (let i = 0; i < u.length; i += 2) {
      const t = u[i];
      u[i] = u[i + 1];
      u[i + 1] = t;
    }
  }
}

/**
 * Where an open `.npy`'s bytes come from: `readAt` fills `dst` with the bytes at `pos` or throws
 * (`TruncatedNpy` when there are fewer). A local file (below) or HTTP ranges (npy_http.ts).
 */
export interface NpyByteSource {
  readAt(pos: number, dst: Uint8Array): Promise<void>;
  /**
   * The same read, done before returning: local files offer it, so that a window read (one
   * read per row) costs a system call per row rather than a trip through the async I/O pool.
   */
  readAtSync?(pos: number, dst: Uint8Array): void;
  close(): void;
}

/**
 * The row reads of an open `.npy` over any byte source: range checks, the target check, byte
 * order. Local files and HTTP share it.
 */
export class NpyRowFile implements NpyFile {
  readonly shape: readonly number[];
  readonly dtype: NpyDtype;
  readonly dataOffset: number;
  readonly rowElements: number;
  readonly trailingBytes: number;
  readonly #ctor: TypedArrayCtor;
  readonly #swap: boolean;
  #source: NpyByteSource | undefined;

  constructor(
    readonly path: string,
    readonly header: NpyHeader,
    fileSize: number,
    source: NpyByteSource,
  ) {
    this.shape = Object.freeze([...header.shape]);
    this.dtype = header.dtype;
    this.dataOffset = header.dataOffset;
    this.rowElements = elementCount(header.shape.slice(1));
    this.trailingBytes = fileSize - header.dataOffset - elementCount(header.shape) *
        header.itemSize;
    this.#ctor = CTOR_BY_DTYPE[header.dtype];
    this.#swap = header.itemSize > 1 && header.littleEndian !== HOST_LITTLE_ENDIAN;
    this.#source = source;
  }

  #checkRange(r0: number, r1: number): number {
    if (this.shape.length === 0) {
      throw new TesseraError("BadArgument", "a 0-d array has no rows to read", this.path);
    }
    const rows = this.shape[0];
    if (!Number.isSafeInteger(r0) || !Number.isSafeInteger(r1) || r0 < 0 || r1 < r0 || r1 > rows) {
      throw new TesseraError(
        "BadArgument",
        `rows ${r0}..${r1} are outside the array's ${rows} rows (need 0 <= r0 <= r1 <= ${rows})`,
        this.path,
      );
    }
    return (r1 - r0) * this.rowElements;
  }

  // async so range errors reject rather than throw synchronously from a Promise-returning call.
  async readRows(r0: number, r1: number): Promise<NpyTypedArray> {
    const n = this.#checkRange(r0, r1);
    return await this.readRowsInto(r0, r1, new this.#ctor(n));
  }

  async readRowsInto<T extends NpyTypedArray>(r0: number, r1: number, target: T): Promise<T> {
    const n = this.#checkRange(r0, r1);
    if (!(target instanceof this.#ctor) || target.length < n) {
      throw new TesseraError(
        "BadArgument",
        `readRowsInto target must be a ${this.#ctor.name} of at least ${n} elements ` +
          `(got ${target.constructor.name} of ${target.length})`,
        this.path,
      );
    }
    const source = this.#source;
    if (!source) {
      throw new TesseraError("BadArgument", "read after close(); reopen the file", this.path);
    }
    const out = target.subarray(0, n) as T;
    const itemSize = this.header.itemSize;
    if (n === 0) return out;
    const pos = this.dataOffset + r0 * this.rowElements * itemSize;
    await source.readAt(pos, new Uint8Array(out.buffer, out.byteOffset, n * itemSize));
    if (this.#swap) byteSwap(out, itemSize);
    return out;
  }

  async readWindowInto<T extends NpyTypedArray>(
    r0: number,
    r1: number,
    c0: number,
    c1: number,
    target: T,
  ): Promise<T> {
    this.#checkRange(r0, r1);
    const cols = this.shape[1];
    if (
      this.shape.length < 2 || !Number.isSafeInteger(c0) || !Number.isSafeInteger(c1) ||
      c0 < 0 || c1 < c0 || c1 > cols
    ) {
      throw new TesseraError(
        "BadArgument",
        this.shape.length < 2
          ? `a ${this.shape.length}-d array has no columns to read a window of`
          : `columns ${c0}..${c1} are outside the array's ${cols} columns ` +
            `(need 0 <= c0 <= c1 <= ${cols})`,
        this.path,
      );
    }
    const source = this.#source;
    if (!source) {
      throw new TesseraError("BadArgument", "read after close(); reopen the file", this.path);
    }
    const perCol = this.rowElements / cols;
    const rows = r1 - r0, rowWindow = (c1 - c0) * perCol;
    const n = rows * rowWindow;
    if (!(target instanceof this.#ctor) || target.length < n) {
      throw new TesseraError(
        "BadArgument",
        `readWindowInto target must be a ${this.#ctor.name} of at least ${n} elements ` +
          `(got ${target.constructor.name} of ${target.length})`,
        this.path,
      );
    }
    const out = target.subarray(0, n) as T;
    if (n === 0) return out;
    const itemSize = this.header.itemSize;
    const bytes = new Uint8Array(out.buffer, out.byteOffset, n * itemSize);
    const rowBytes = this.rowElements * itemSize, windowBytes = rowWindow * itemSize;
    const first = this.dataOffset + r0 * rowBytes + c0 * perCol * itemSize;
    if (rowWindow === this.rowElements) {
      // Every column: the rows are one contiguous range.
      if (source.readAtSync) source.readAtSync(first, bytes);
      else await source.readAt(first, bytes);
    } else if (source.readAtSync) {
      for (let r = 0; r < rows; r++) {
        source.readAtSync(
          first + r * rowBytes,
          bytes.subarray(r * windowBytes, (r + 1) * windowBytes),
        );
      }
    } else {
      // A remote file: one request from the window's first byte to its last, then the rows'
      // windows moved to the front (each moves down, so in order they never overlap ahead).
      const span = (rows - 1) * rowBytes + windowBytes;
      const scratch = this.#scratch.length >= span
        ? this.#scratch
        : (this.#scratch = new Uint8Array(span));
      await source.readAt(first, scratch.subarray(0, span));
      for (let r = 0; r < rows; r++) {
        bytes.set(scratch.subarray(r * rowBytes, r * rowBytes + windowBytes), r * windowBytes);
      }
    }
    if (this.#swap) byteSwap(out, itemSize);
    return out;
  }

  /** Remote window reads only: the span read before its rows' windows are picked out. */
  #scratch = new Uint8Array(0);

  close(): void {
    this.#source?.close();
    this.#source = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** A local file as a byte source: positional reads on one handle, chained (seek+read is not atomic). */
class LocalFileBytes implements NpyByteSource {
  #queue: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string, readonly file: Deno.FsFile) {}

  readAt(pos: number, dst: Uint8Array): Promise<void> {
    const run = this.#queue.then(() => this.#read(pos, dst));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #read(pos: number, dst: Uint8Array): Promise<void> {
    await this.file.seek(pos, Deno.SeekMode.Start);
    let done = 0;
    while (done < dst.length) {
      const got = await this.file.read(dst.subarray(done));
      if (got === null || got === 0) throw this.#shrank(pos, done, dst.length);
      done += got;
    }
  }

  readAtSync(pos: number, dst: Uint8Array): void {
    // Its own handle: an async read between its seek and its read must never see this seek.
    const file = this.#syncFile ??= this.#twin();
    file.seekSync(pos, Deno.SeekMode.Start);
    let done = 0;
    while (done < dst.length) {
      const got = file.readSync(dst.subarray(done));
      if (got === null || got === 0) throw this.#shrank(pos, done, dst.length);
      done += got;
    }
  }

  #syncFile?: Deno.FsFile;

  /** A second handle on the same file (the same inode, or the file was replaced: refused). */
  #twin(): Deno.FsFile {
    const twin = Deno.openSync(this.path, { read: true });
    const a = this.file.statSync(), b = twin.statSync();
    if (a.ino !== b.ino || a.dev !== b.dev) {
      twin.close();
      throw new TesseraError(
        "BadNpy",
        "the file was replaced while it was being read; run the command again",
        this.path,
      );
    }
    return twin;
  }

  #shrank(pos: number, done: number, length: number): TesseraError {
    // The size was checked on open, so the file changed underneath us.
    return new TesseraError(
      "TruncatedNpy",
      `file ended at byte ${pos + done} while reading ${length} bytes from ${pos}; ` +
        `it shrank after it was opened, re-download the tile`,
      this.path,
    );
  }

  close(): void {
    this.file.close();
    this.#syncFile?.close();
    this.#syncFile = undefined;
  }
}

async function readPrefix(file: Deno.FsFile, n: number): Promise<Uint8Array> {
  const buf = new Uint8Array(n);
  let done = 0;
  while (done < n) {
    const got = await file.read(buf.subarray(done));
    if (got === null || got === 0) break;
    done += got;
  }
  return buf.subarray(0, done);
}

/** Reads and parses the header of an open file (at most the header's bytes). */
function readHeader(file: Deno.FsFile, path: string): Promise<NpyHeader> {
  return readNpyHeaderVia(
    async (n) => {
      await file.seek(0, Deno.SeekMode.Start);
      return await readPrefix(file, n);
    },
    12,
    path,
  );
}

/**
 * Opens a `.npy` file, validates it (magic, C order, `expect`ed dtype and rank, file size)
 * and returns a handle for row reads. Only the header is read here. Anything that is not a
 * regular file (a FIFO, a directory, a device) is refused before it is opened.
 *
 * Errors: `MissingFile`, `BadNpy` (bad magic/header, Fortran order, not a regular file),
 * `WrongDtype`, `ShapeMismatch`, `TruncatedNpy` (file shorter than header + data).
 *
 * @example
 * ```ts
 * using npy = await openNpy("grid_0.15_52.05.npy", { dtype: "int8", ndim: 3 });
 * const rows = await npy.readRows(0, 64) as Int8Array; // 64 × W × 128 values
 * ```
 */
export async function openNpy(path: string, expect: NpyExpect = {}): Promise<NpyFile> {
  if (isUrl(path)) return await openRemoteNpy(path, expect);
  const { file, size } = await openRegular(path);
  try {
    const header = await readHeader(file, path);
    checkHeader(header, expect, size, path);
    return new NpyRowFile(path, header, size, new LocalFileBytes(path, file));
  } catch (e) {
    file.close();
    throw e;
  }
}

/**
 * Reads only the header of a `.npy` file: no dtype, shape or size checks, so a truncated file
 * still reports its shape. For surveys over many files (e.g. a zone's band count).
 *
 * @example
 * ```ts
 * const h = await readNpyHeader("grid_0.15_52.05.npy");
 * h.shape[2]; // 128
 * ```
 */
export async function readNpyHeader(path: string): Promise<NpyHeader> {
  if (isUrl(path)) return await readRemoteNpyHeader(path);
  const { file } = await openRegular(path);
  try {
    return await readHeader(file, path);
  } finally {
    file.close();
  }
}

export function checkHeader(h: NpyHeader, expect: NpyExpect, fileSize: number, path: string): void {
  const shapeStr = `(${h.shape.join(", ")}${h.shape.length === 1 ? "," : ""})`;
  if (h.fortranOrder) {
    throw new TesseraError(
      "BadNpy",
      `array is stored in Fortran (column-major) order, rows cannot be read; re-save it with ` +
        `numpy.save(path, numpy.ascontiguousarray(a))`,
      path,
    );
  }
  if (expect.dtype !== undefined && h.dtype !== expect.dtype) {
    throw new TesseraError(
      "WrongDtype",
      `dtype is ${h.dtype} ('${h.descr}') but ${expect.dtype} was expected; the file is not ` +
        `the expected kind of tile or was written wrongly, re-download or regenerate it`,
      path,
    );
  }
  if (expect.ndim !== undefined && h.shape.length !== expect.ndim) {
    throw new TesseraError(
      "ShapeMismatch",
      `array has ${h.shape.length} dimensions ${shapeStr} but ${expect.ndim} were expected; ` +
        `re-download or regenerate the file`,
      path,
    );
  }
  if (
    expect.shape !== undefined &&
    (expect.shape.length !== h.shape.length ||
      expect.shape.some((d, i) => d !== null && d !== h.shape[i]))
  ) {
    const want = expect.shape.map((d) => d ?? "*").join(", ");
    throw new TesseraError(
      "ShapeMismatch",
      `array shape is ${shapeStr} but (${want}) was expected; re-download or regenerate the file`,
      path,
    );
  }
  const need = h.dataOffset + elementCount(h.shape) * h.itemSize;
  if (fileSize < need) {
    throw new TesseraError(
      "TruncatedNpy",
      `file is truncated: shape ${shapeStr} ${h.dtype} needs ${need} bytes (header ` +
        `${h.dataOffset} + data ${need - h.dataOffset}) but the file has ${fileSize} ` +
        `(${need - fileSize} missing); re-download the tile`,
      path,
    );
  }
}
