/**
 * The `.npy` header, pure (no I/O): magic, format versions 1–3, the Python-literal header
 * dictionary, dtype descriptors and the data offset. `lib/tiles/npy.ts` reads files with it;
 * anything holding the first bytes of a file (an HTTP range, a buffer) can parse them too.
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

export type TypedArrayCtor = {
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

export const CTOR_BY_DTYPE = Object.fromEntries(
  Object.values(DESCR_TABLE).map((e) => [e.dtype, e.ctor]),
) as Record<NpyDtype, TypedArrayCtor>;

export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Headers bigger than this are corruption, not data; numpy itself refuses 10 kB by default. */
export const MAX_HEADER_BYTES = 1 << 20;

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

export function startsWithMagic(bytes: Uint8Array): boolean {
  return NPY_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Number of bytes needed to hold the magic, version and header-length fields plus the
 * header itself, or `undefined` when `prefix` (at least 12 bytes, or the whole file) is too
 * short to say. Lets `openNpy` read exactly the header and nothing more.
 */
export function headerExtent(prefix: Uint8Array, path?: string): number | undefined {
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

/** Number of elements of an array of `shape` (1 for a 0-d array). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Reads and parses a header through `readPrefix(n)` (the first n bytes of the file, fewer if
 * it is shorter): `firstBytes` first, then — when the header says it is longer — its whole
 * extent. The one header read for local files and HTTP ranges alike.
 *
 * @example
 * ```ts
 * const h = await readNpyHeaderVia((n) => Promise.resolve(bytes.subarray(0, n)), 12, "x.npy");
 * ```
 */
export async function readNpyHeaderVia(
  readPrefix: (n: number) => Promise<Uint8Array>,
  firstBytes: number,
  path: string,
): Promise<NpyHeader> {
  let bytes = await readPrefix(firstBytes);
  if (startsWithMagic(bytes)) {
    const extent = headerExtent(bytes, path);
    if (extent !== undefined && extent > bytes.length && extent <= MAX_HEADER_BYTES) {
      bytes = await readPrefix(extent);
    }
  }
  return parseNpyHeader(bytes, path);
}
