/**
 * NumPy `.npy` writer for the sample-data generator and tests. Writes byte-for-byte the v1
 * header `numpy.save` writes today, and streams data so a 155 MB tile never has to be held in
 * memory at once.
 */

import { TesseraError } from "../errors.ts";
import { NPY_MAGIC, parseDescr } from "./npy_header.ts";

/** numpy pads headers so the data starts on this boundary (lets readers mmap aligned data). */
const ARRAY_ALIGN = 64;
/** numpy leaves room for the first axis to grow to this many digits without rewriting. */
const GROWTH_AXIS_MAX_DIGITS = 21;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** What `write` accepts: raw bytes, or a typed array whose elements match the dtype. */
export type NpyChunk = Uint8Array | Exclude<ArrayBufferView, DataView>;

function checkShape(shape: readonly number[], path?: string): void {
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new TesseraError(
      "BadArgument",
      `shape [${shape.join(", ")}] must be non-negative integers`,
      path,
    );
  }
}

function pyTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/**
 * The v1 `.npy` header (magic, version, length and dict) for a C-order array, padded with
 * spaces and a final `'\n'` to a multiple of 64 bytes exactly as `numpy.save` does.
 *
 * @example
 * ```ts
 * const h = npyHeader("<f4", [1100, 1100]);
 * h.length % 64; // 0
 * ```
 */
export function npyHeader(descr: string, shape: readonly number[]): Uint8Array {
  parseDescr(descr);
  checkShape(shape);
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${pyTuple(shape)}, }`;
  if (shape.length > 0) dict += " ".repeat(GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length);
  const hlen = dict.length + 1; // + '\n'
  const padlen = ARRAY_ALIGN - ((NPY_MAGIC.length + 2 + 2 + hlen) % ARRAY_ALIGN);
  const total = NPY_MAGIC.length + 4 + hlen + padlen;
  if (total - 10 > 0xffff) {
    throw new TesseraError("BadArgument", `shape ${pyTuple(shape)} is too long for a v1 header`);
  }
  const out = new Uint8Array(total);
  out.set(NPY_MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, total - 10, true);
  // The dict is ASCII (descr and digits), so char codes are the bytes.
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  out.fill(0x20, 10 + dict.length, total - 1);
  out[total - 1] = 0x0a;
  return out;
}

/** A `.npy` file being written chunk by chunk. */
export interface NpyWriter {
  readonly path: string;
  /** Data bytes the shape requires. */
  readonly expectedBytes: number;
  /** Data bytes written so far. */
  readonly writtenBytes: number;
  /**
   * Appends data in C order. A `Uint8Array` is written verbatim; other typed arrays must have
   * the dtype's element size and are converted to the descr's byte order.
   */
  write(chunk: NpyChunk): Promise<void>;
  /** Closes the file; throws `BadArgument` if fewer bytes than the shape needs were written. */
  close(): Promise<void>;
  /** Closes and deletes the partial file. */
  abort(): Promise<void>;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += await file.write(bytes.subarray(done));
}

/** Copy of `src` with each `k`-byte element reversed; big-endian output only, so rare. */
function swapped(src: Uint8Array, k: number): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += k) {
    for (let j = 0; j < k; j++) out[i + j] = src[i + k - 1 - j];
  }
  return out;
}

/**
 * Creates (or truncates) `path` and writes its header; data follows through `write`.
 * The total is checked: too many bytes fail at `write`, too few at `close`.
 *
 * @example
 * ```ts
 * const w = await createNpyWriter("grid_0.15_52.05.npy", "|i1", [1100, 1100, 128]);
 * for (let r = 0; r < 1100; r += 100) await w.write(makeRows(r, r + 100)); // Int8Array
 * await w.close();
 * ```
 */
export async function createNpyWriter(
  path: string,
  descr: string,
  shape: readonly number[],
): Promise<NpyWriter> {
  const { itemSize, littleEndian } = parseDescr(descr, path);
  checkShape(shape, path);
  const expectedBytes = shape.reduce((a, b) => a * b, 1) * itemSize;
  const swap = itemSize > 1 && littleEndian !== HOST_LITTLE_ENDIAN;
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  let written = 0;
  let closed = false;
  try {
    await writeAll(file, npyHeader(descr, shape));
  } catch (e) {
    file.close();
    throw e;
  }
  const ensureOpen = () => {
    if (closed) throw new TesseraError("BadArgument", "write after close()", path);
  };
  return {
    path,
    expectedBytes,
    get writtenBytes() {
      return written;
    },
    async write(chunk: NpyChunk): Promise<void> {
      ensureOpen();
      let bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (!(chunk instanceof Uint8Array)) {
        const per = (chunk as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT;
        if (per !== itemSize) {
          throw new TesseraError(
            "BadArgument",
            `chunk has ${per}-byte elements but descr '${descr}' needs ${itemSize}; ` +
              `pass a matching typed array or raw bytes`,
            path,
          );
        }
        if (swap) bytes = swapped(bytes, itemSize);
      }
      if (written + bytes.length > expectedBytes) {
        throw new TesseraError(
          "BadArgument",
          `writing ${bytes.length} more bytes would exceed the ${expectedBytes} data bytes of ` +
            `shape ${pyTuple(shape)} (${written} already written)`,
          path,
        );
      }
      await writeAll(file, bytes);
      written += bytes.length;
    },
    close(): Promise<void> {
      if (closed) return Promise.resolve();
      closed = true;
      file.close();
      if (written !== expectedBytes) {
        return Promise.reject(
          new TesseraError(
            "BadArgument",
            `only ${written} of ${expectedBytes} data bytes were written for shape ` +
              `${pyTuple(shape)}; the file is incomplete, delete it and write it again`,
            path,
          ),
        );
      }
      return Promise.resolve();
    },
    async abort(): Promise<void> {
      if (!closed) {
        closed = true;
        file.close();
      }
      await Deno.remove(path).catch(() => {});
    },
  };
}

/**
 * Writes a whole array to `path` in one call. `data` must hold exactly the shape's bytes;
 * otherwise `BadArgument` is thrown and no file is left behind.
 *
 * @example
 * ```ts
 * await writeNpy("scales.npy", "<f4", [2, 3], new Float32Array([1, 2, 3, 4, 5, 6]));
 * ```
 */
export async function writeNpy(
  path: string,
  descr: string,
  shape: readonly number[],
  data: NpyChunk,
): Promise<void> {
  const w = await createNpyWriter(path, descr, shape);
  try {
    await w.write(data);
    await w.close();
  } catch (e) {
    // A whole-array write that fails leaves nothing behind that could pass for a tile.
    await w.abort();
    throw e;
  }
}
