/**
 * NumPy `.npy` reader for tessera tiles. Parses the header (format versions 1, 2 and 3) and
 * reads row ranges (slices along the first axis) with positional reads, so a 155 MB embedding
 * tile is never held whole. Every defect found on open (bad magic, Fortran order, wrong dtype
 * or rank, truncated data) is a `TesseraError` naming the file.
 */

import { TesseraError } from "../errors.ts";

/** The six bytes every `.npy` file starts with. */
export const NPY_MAGIC: Uint8Array = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** Element types this reader understands (numpy names). */
export type NpyDtype =
  | "bool"
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "uint64"
  | "float32"
  | "float64";

/** The typed array returned for each dtype (`bool` reads as `Uint8Array`). */
export type NpyTypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** A decoded `.npy` header. */
export interface NpyHeader {
  /** Format major version (the minor version is always 0). */
  version: 1 | 2 | 3;
  /** The raw numpy type string, e.g. `'|i1'`, `'<f4'`, `'>f4'`. */
  descr: string;
  dtype: NpyDtype;
  /** Byte order of the data on disk (true for single-byte types). */
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the first data byte (magic + length field + header). */
  dataOffset: number;
  /** Bytes per element. */
  itemSize: number;
}

type TypedArrayCtor = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): NpyTypedArray;
  new (length: number): NpyTypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

/** numpy kind letter + item size → dtype and the typed array that holds it. */
const DESCR_TABLE: Record<string, { dtype: NpyDtype; ctor: TypedArrayCtor }> = {
  b1: { dtype: "bool", ctor: Uint8Array },
  i1: { dtype: "int8", ctor: Int8Array },
  u1: { dtype: "uint8", ctor: Uint8Array },
  i2: { dtype: "int16", ctor: Int16Array },
  u2: { dtype: "uint16", ctor: Uint16Array },
  i4: { dtype: "int32", ctor: Int32Array },
  u4: { dtype: "uint32", ctor: Uint32Array },
  i8: { dtype: "int64", ctor: BigInt64Array },
  u8: { dtype: "uint64", ctor: BigUint64Array },
  f4: { dtype: "float32", ctor: Float32Array },
  f8: { dtype: "float64", ctor: Float64Array },
};

const CTOR_BY_DTYPE = Object.fromEntries(
  Object.values(DESCR_TABLE).map((e) => [e.dtype, e.ctor]),
) as Record<NpyDtype, TypedArrayCtor>;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Headers bigger than this are corruption, not data; numpy itself refuses 10 kB by default. */
const MAX_HEADER_BYTES = 1 << 20;

/**
 * Decodes a numpy type string such as `'<f4'` or `'|i1'`.
 *
 * @example
 * ```ts
 * parseDescr("<f4"); // { dtype: "float32", littleEndian: true, itemSize: 4 }
 * ```
 */
export function parseDescr(
  descr: string,
  path?: string,
): { dtype: NpyDtype; littleEndian: boolean; itemSize: number } {
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  const entry = m ? DESCR_TABLE[m[2] + m[3]] : undefined;
  if (!m || !entry) {
    throw new TesseraError(
      "WrongDtype",
      `unsupported dtype '${descr}'; this reader handles bool, (u)int8-64 and float32/64 ` +
        `(tessera embeddings are '|i1', scales '<f4'). Regenerate the file with a supported dtype.`,
      path,
    );
  }
  const itemSize = Number(m[3]);
  // '|' means "not applicable" (single byte) and '=' or no prefix means the writer's native
  // order, which for every platform numpy ships on is little-endian.
  const littleEndian = m[1] === ">" ? itemSize === 1 : true;
  return { dtype: entry.dtype, littleEndian, itemSize };
}

// ---------------------------------------------------------------------------------------------
// A tiny parser for the Python literal numpy writes (a dict of str, bool, int and tuples).
// `eval` would be wrong here: the header is untrusted input.

type PyValue = string | number | boolean | null | PyValue[] | Map<string, PyValue>;

class PyLiteralParser {
  #i = 0;
  constructor(private readonly src: string, private readonly path?: string) {}

  parseAll(): PyValue {
    const v = this.#value();
    this.#ws();
    if (this.#i < this.src.length) this.#fail(`unexpected '${this.src[this.#i]}'`);
    return v;
  }

  #fail(what: string): never {
    throw new TesseraError(
      "BadNpy",
      `unreadable .npy header (${what} at character ${this.#i} of ${
        JSON.stringify(this.src.slice(0, 200))
      }); the file is corrupt or not a NumPy array, re-download or regenerate it`,
      this.path,
    );
  }

  #ws(): void {
    while (this.#i < this.src.length && /\s/.test(this.src[this.#i])) this.#i++;
  }

  #value(): PyValue {
    this.#ws();
    const c = this.src[this.#i];
    if (c === "{") return this.#dict();
    if (c === "(") return this.#seq(")");
    if (c === "[") return this.#seq("]");
    if (c === "'" || c === '"') return this.#string();
    const word = /^(?:True|False|None|[-+]?\d+L?)/.exec(this.src.slice(this.#i, this.#i + 40));
    if (!word) this.#fail(c === undefined ? "unexpected end" : `unexpected '${c}'`);
    this.#i += word[0].length;
    if (word[0] === "True") return true;
    if (word[0] === "False") return false;
    if (word[0] === "None") return null;
    // Python 2 numpy wrote longs as `3L`.
    return Number(word[0].replace(/L$/, ""));
  }

  #string(): string {
    const quote = this.src[this.#i++];
    let out = "";
    while (this.#i < this.src.length) {
      const c = this.src[this.#i++];
      if (c === quote) return out;
      if (c === "\\") {
        const e = this.src[this.#i++];
        out += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : e === "0" ? "\0" : e;
      } else {
        out += c;
      }
    }
    this.#fail("unterminated string");
  }

  #seq(close: string): PyValue[] {
    this.#i++;
    const items: PyValue[] = [];
    for (;;) {
      this.#ws();
      if (this.src[this.#i] === close) {
        this.#i++;
        return items;
      }
      items.push(this.#value());
      this.#ws();
      if (this.src[this.#i] === ",") this.#i++;
      else if (this.src[this.#i] !== close) this.#fail(`expected ',' or '${close}'`);
    }
  }

  #dict(): Map<string, PyValue> {
    this.#i++;
    const out = new Map<string, PyValue>();
    for (;;) {
      this.#ws();
      if (this.src[this.#i] === "}") {
        this.#i++;
        return out;
      }
      const key = this.#value();
      if (typeof key !== "string") this.#fail("dict key is not a string");
      this.#ws();
      if (this.src[this.#i++] !== ":") this.#fail("expected ':'");
      out.set(key, this.#value());
      this.#ws();
      if (this.src[this.#i] === ",") this.#i++;
      else if (this.src[this.#i] !== "}") this.#fail("expected ',' or '}'");
    }
  }
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

function startsWithMagic(bytes: Uint8Array): boolean {
  return NPY_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Number of bytes needed to hold the magic, version and header-length fields plus the
 * header itself, or `undefined` when `prefix` (at least 12 bytes, or the whole file) is too
 * short to say. Lets `openNpy` read exactly the header and nothing more.
 */
function headerExtent(prefix: Uint8Array, path?: string): number | undefined {
  if (prefix.length < 10) return undefined;
  const dv = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const major = prefix[6];
  if (major === 1) return 10 + dv.getUint16(8, true);
  if (major === 2 || major === 3) {
    return prefix.length < 12 ? undefined : 12 + dv.getUint32(8, true);
  }
  throw new TesseraError(
    "BadNpy",
    `unsupported .npy format version ${major}.${prefix[7]} (known: 1.0, 2.0, 3.0); ` +
      `re-save the array with numpy.save`,
    path,
  );
}

/**
 * Parses a `.npy` header from the first bytes of a file (at least up to `dataOffset`).
 * Throws `BadNpy` for a bad magic, version or dict, `TruncatedNpy` when `bytes` ends inside
 * the header and `WrongDtype` for an unsupported or structured dtype. Fortran order is
 * reported, not rejected, so callers can say why they refuse it.
 *
 * @example
 * ```ts
 * const h = parseNpyHeader(await Deno.readFile("grid_0.15_52.05_scales.npy"));
 * h.shape; // [1100, 1100]
 * h.dtype; // "float32"
 * ```
 */
export function parseNpyHeader(bytes: Uint8Array, path?: string): NpyHeader {
  if (!startsWithMagic(bytes)) {
    const short = bytes.length < NPY_MAGIC.length &&
      NPY_MAGIC.subarray(0, bytes.length).every((b, i) => bytes[i] === b);
    throw short
      ? new TesseraError(
        "TruncatedNpy",
        `file is only ${bytes.length} bytes, shorter than the .npy magic; re-download the tile`,
        path,
      )
      : new TesseraError(
        "BadNpy",
        `not a NumPy .npy file (missing the '\\x93NUMPY' magic); check the path or ` +
          `re-download the tile`,
        path,
      );
  }
  const extent = headerExtent(bytes, path);
  if (extent !== undefined && extent > MAX_HEADER_BYTES) {
    throw new TesseraError(
      "BadNpy",
      `.npy header claims ${extent} bytes, far more than any real header; the file is corrupt, ` +
        `re-download it`,
      path,
    );
  }
  if (extent === undefined || bytes.length < extent) {
    throw new TesseraError(
      "TruncatedNpy",
      `file ends inside the .npy header (${bytes.length} bytes, header needs ${
        extent ?? "at least 12"
      }); re-download the tile`,
      path,
    );
  }
  const version = bytes[6] as 1 | 2 | 3;
  const headerStart = version === 1 ? 10 : 12;
  const raw = bytes.subarray(headerStart, extent);
  // v1/v2 headers are latin-1 by definition; v3 exists only to allow utf-8.
  const text = version === 3 ? new TextDecoder("utf-8", { fatal: false }).decode(raw) : latin1(raw);

  const dict = new PyLiteralParser(text, path).parseAll();
  const bad = (what: string): never => {
    throw new TesseraError(
      "BadNpy",
      `.npy header ${what} (header: ${JSON.stringify(text.trim().slice(0, 200))}); ` +
        `the file is corrupt or was not written by numpy, re-download or regenerate it`,
      path,
    );
  };
  if (!(dict instanceof Map)) return bad("is not a dict");
  const descr = dict.get("descr");
  const fortran = dict.get("fortran_order");
  const shape = dict.get("shape");
  if (Array.isArray(descr)) {
    throw new TesseraError(
      "WrongDtype",
      `structured dtype ${JSON.stringify(descr)} is not supported; tessera tiles are plain ` +
        `int8 / float32 arrays, regenerate the file`,
      path,
    );
  }
  if (typeof descr !== "string") return bad("has no string 'descr'");
  if (typeof fortran !== "boolean") return bad("has no boolean 'fortran_order'");
  if (
    !Array.isArray(shape) ||
    !shape.every((d) => typeof d === "number" && Number.isSafeInteger(d) && d >= 0)
  ) {
    return bad("has no 'shape' tuple of non-negative integers");
  }
  const { dtype, littleEndian, itemSize } = parseDescr(descr, path);
  return {
    version,
    descr,
    dtype,
    littleEndian,
    fortranOrder: fortran,
    shape: shape as number[],
    dataOffset: extent,
    itemSize,
  };
}

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
  close(): void;
  [Symbol.dispose](): void;
}

function product(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * b, 1);
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

class NpyFileImpl implements NpyFile {
  readonly shape: readonly number[];
  readonly dtype: NpyDtype;
  readonly dataOffset: number;
  readonly rowElements: number;
  readonly trailingBytes: number;
  readonly #ctor: TypedArrayCtor;
  readonly #swap: boolean;
  #file: Deno.FsFile | undefined;
  // seek+read on one handle is not atomic, so concurrent readRows calls are chained.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    readonly header: NpyHeader,
    file: Deno.FsFile,
    fileSize: number,
  ) {
    this.shape = Object.freeze([...header.shape]);
    this.dtype = header.dtype;
    this.dataOffset = header.dataOffset;
    this.rowElements = product(header.shape.slice(1));
    this.trailingBytes = fileSize - header.dataOffset - product(header.shape) * header.itemSize;
    this.#ctor = CTOR_BY_DTYPE[header.dtype];
    this.#swap = header.itemSize > 1 && header.littleEndian !== HOST_LITTLE_ENDIAN;
    this.#file = file;
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
    const out = target.subarray(0, n) as T;
    const itemSize = this.header.itemSize;
    const pos = this.dataOffset + r0 * this.rowElements * itemSize;
    const run = this.#queue.then(async () => {
      await this.#readAt(pos, new Uint8Array(out.buffer, out.byteOffset, n * itemSize));
      if (this.#swap) byteSwap(out, itemSize);
      return out;
    });
    this.#queue = run.catch(() => {});
    return await run;
  }

  async #readAt(pos: number, dst: Uint8Array): Promise<void> {
    const file = this.#file;
    if (!file) {
      throw new TesseraError("BadArgument", "read after close(); reopen the file", this.path);
    }
    await file.seek(pos, Deno.SeekMode.Start);
    let done = 0;
    while (done < dst.length) {
      const got = await file.read(dst.subarray(done));
      if (got === null || got === 0) {
        // The size was checked on open, so the file changed underneath us.
        throw new TesseraError(
          "TruncatedNpy",
          `file ended at byte ${pos + done} while reading ${dst.length} bytes from ${pos}; ` +
            `it shrank after it was opened, re-download the tile`,
          this.path,
        );
      }
      done += got;
    }
  }

  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
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

/**
 * What a path that is not a regular file is, in words ("a FIFO (named pipe)", "a
 * directory", …), or undefined for a regular file. Deno.stat follows symlinks, so a link to
 * /dev/zero is "a character device".
 */
function notRegular(info: Deno.FileInfo): string | undefined {
  if (info.isFile) return undefined;
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO (named pipe)";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  return "not a regular file";
}

/** How {@link statRegularFile} words its errors for one kind of file. */
export interface RegularFileRule {
  /** Error kind for a path that exists but is not a regular file. */
  readonly kind: "BadNpy" | "BadLandmask";
  /** What belongs there, e.g. "the tile's .npy file". */
  readonly what: string;
  /** Message of the `MissingFile` error for a path that does not exist. */
  readonly missing: string;
}

const NPY_RULE: RegularFileRule = {
  kind: "BadNpy",
  what: "the .npy file",
  missing: "file not found; check the base directory and year, or re-download the tile",
};

/**
 * Stats `path` and refuses anything that is not a regular file, before it is opened: opening
 * a FIFO for reading blocks until a writer appears, and a character device such as /dev/zero
 * never ends. Throws `MissingFile` for a missing file (saying so for a dangling symlink),
 * otherwise `rule.kind` naming what the path is. Shared by the tile-file readers.
 *
 * @example
 * ```ts
 * const info = await statRegularFile("grid_0.15_52.25.npy"); // BadNpy for a FIFO
 * ```
 */
export async function statRegularFile(
  path: string,
  rule: RegularFileRule = NPY_RULE,
): Promise<Deno.FileInfo> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    // NotADirectory: a parent on the path is a file (e.g. a tile "directory" that is not one).
    if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory)) throw e;
    const target = await Deno.lstat(path).then(
      (l) => l.isSymlink ? Deno.readLink(path).catch(() => "?") : undefined,
      () => undefined,
    );
    throw new TesseraError(
      "MissingFile",
      target === undefined
        ? rule.missing
        : `is a symlink to a missing file (${target}); fix the link or re-download the tile`,
      path,
      { cause: e },
    );
  }
  const is = notRegular(info);
  if (is !== undefined) {
    throw new TesseraError(
      rule.kind,
      `is ${is}, not a regular file; replace it with ${rule.what} (re-download the tile)`,
      path,
    );
  }
  return info;
}

/** Opens a regular file for reading, after {@link statRegularFile}; re-checked on the handle. */
async function openRegular(path: string): Promise<{ file: Deno.FsFile; size: number }> {
  await statRegularFile(path);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new TesseraError("MissingFile", "file disappeared while it was opened", path, {
        cause: e,
      });
    }
    throw e;
  }
  try {
    // The path could have been swapped between stat and open; the handle is what we read.
    const info = await file.stat();
    const is = notRegular(info);
    if (is !== undefined) {
      throw new TesseraError(
        "BadNpy",
        `is ${is}, not a regular file; point at the .npy file`,
        path,
      );
    }
    return { file, size: info.size };
  } catch (e) {
    file.close();
    throw e;
  }
}

/** Reads and parses the header of an open file (at most the header's bytes). */
async function readHeader(file: Deno.FsFile, path: string): Promise<NpyHeader> {
  let bytes = await readPrefix(file, 12);
  if (startsWithMagic(bytes)) {
    const extent = headerExtent(bytes, path);
    if (extent !== undefined && extent > bytes.length && extent <= MAX_HEADER_BYTES) {
      await file.seek(0, Deno.SeekMode.Start);
      bytes = await readPrefix(file, extent);
    }
  }
  return parseNpyHeader(bytes, path);
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
  const { file, size } = await openRegular(path);
  try {
    const header = await readHeader(file, path);
    checkHeader(header, expect, size, path);
    return new NpyFileImpl(path, header, file, size);
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
  const { file } = await openRegular(path);
  try {
    return await readHeader(file, path);
  } finally {
    file.close();
  }
}

function checkHeader(h: NpyHeader, expect: NpyExpect, fileSize: number, path: string): void {
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
  const need = h.dataOffset + product(h.shape) * h.itemSize;
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
