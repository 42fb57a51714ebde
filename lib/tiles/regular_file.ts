/**
 * Tile files must be regular files: a FIFO blocks its reader until a writer appears and a
 * device such as /dev/zero never ends, so every tile-file reader stats first and refuses
 * anything else, naming the file and what it is.
 */
import { TesseraError } from "../errors.ts";

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

/**
 * Opens a `.npy` path for reading after {@link statRegularFile}, re-checked on the handle (the
 * path could be swapped between the two).
 */
export async function openRegular(path: string): Promise<{ file: Deno.FsFile; size: number }> {
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
