/**
 * Where a fetched file lives on disk: the cache (`--cache-dir DIR`) and the private spool both
 * mirror the server, `DIR/{host}_{port}/{path}`, so a cache can be browsed, shared by builds
 * of several zones and years, and pruned with `rm`. Beside each cached file, `{file}.sha256`
 * holds the digest its bytes had when they were fetched (and matched the registry): a file
 * without one is not in the cache. Pure path functions plus the sidecar's read and write.
 */
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../fs_atomic.ts";

/**
 * The path of `url`'s copy under `root`.
 *
 * @example
 * ```ts
 * mirrorPath("/cache", "http://127.0.0.1:8080/global_0.1_degree_tiff_all/grid_0.15_52.25.tiff");
 * // "/cache/127.0.0.1_8080/global_0.1_degree_tiff_all/grid_0.15_52.25.tiff"
 * ```
 */
export function mirrorPath(root: string, url: string): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  const segs = u.pathname.split("/").filter((s) => s !== "").map(decodeURIComponent);
  // URL parsing already folds "..", and a decoded segment may not smuggle a separator in.
  const safe = segs.map((s) => s.replaceAll("/", "%2F").replace(/^\.\.?$/, "%2E"));
  return join(root, `${u.hostname}_${port}`, ...safe);
}

/** The digest sidecar of a cached file. */
export function sidecarPath(path: string): string {
  return `${path}.sha256`;
}

/** What a sidecar records. */
export interface Sidecar {
  readonly sha256: string;
  readonly bytes: number;
  readonly url: string;
}

/** The sidecar of `path`, or undefined when there is none (or it is unreadable). */
export async function readSidecar(path: string): Promise<Sidecar | undefined> {
  try {
    const s = JSON.parse(await Deno.readTextFile(sidecarPath(path)));
    return typeof s.sha256 === "string" && typeof s.bytes === "number" ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `path`'s sidecar atomically (before the file itself is renamed into place). */
export async function writeSidecar(path: string, sidecar: Sidecar): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(sidecarPath(path), new TextEncoder().encode(JSON.stringify(sidecar)));
}

/** A fresh sibling name for a file being fetched: unique per process and attempt. */
export function partPath(path: string): string {
  const rand = crypto.getRandomValues(new Uint8Array(6));
  const hex = [...rand].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${path}.part-${Deno.pid}-${hex}`;
}
