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
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = tempSibling(path);
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
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
