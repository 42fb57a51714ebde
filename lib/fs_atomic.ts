/**
 * Crash-safe file writes: write a temporary sibling, then rename over the target. A reader
 * (or a resumed build) sees the old file or the new one, never half of one.
 */
import { dirname, join } from "node:path";

/**
 * Writes `bytes` to `path` atomically, creating the parent directory.
 *
 * @example
 * await writeFileAtomic("out/_stores.json", new TextEncoder().encode("[]"));
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await writePartsAtomic(path, [bytes]);
}

/** Largest single write(2): one huge write is ~10× slower than 4 MiB ones (docs/benchmarks.md). */
const WRITE_PIECE_BYTES = 4 << 20;

/**
 * Writes the concatenation of `parts` to `path` atomically, without joining them in memory
 * (a 128 MiB shard streams from its buffer), in writes of at most 4 MiB. Returns the bytes.
 *
 * @example
 * await writePartsAtomic("out/x.bin", [header, body]);
 */
export async function writePartsAtomic(path: string, parts: Iterable<Uint8Array>): Promise<number> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = tempSibling(path);
  let written = 0;
  try {
    using file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    for (const part of parts) {
      for (let at = 0; at < part.length;) {
        at += file.writeSync(part.subarray(at, Math.min(part.length, at + WRITE_PIECE_BYTES)));
      }
      written += part.length;
    }
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  await Deno.rename(tmp, path);
  return written;
}

/** A unique temporary name next to `path` (`{path}.tmp-{12 hex}`), recognisable by TEMP_SUFFIX. */
export function tempSibling(path: string): string {
  const hex = Array.from(
    crypto.getRandomValues(new Uint8Array(6)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return join(dirname(path), `${path.slice(dirname(path).length + 1)}.tmp-${hex}`);
}

/** Matches names made by {@link tempSibling}. */
export const TEMP_SUFFIX = /\.tmp-[0-9a-f]{12}$/;
