/**
 * Where a fetched file lives on disk: the cache (`--cache-dir DIR`) and the private spool both
 * mirror the server, `DIR/{host}_{port}/{path}`, so a cache can be browsed, shared by builds
 * of several zones and years, and pruned with `rm`. Beside each cached file, `{file}.sha256`
 * holds the digest its bytes had when they were fetched (and matched the registry): a file
 * without one is not in the cache. A download in progress is `{file}.part-{pid}-{random}`;
 * one left by a killed build is taken over by the next (`adoptPartial`). Path functions, the
 * sidecar's read and write, and that take-over.
 */
import { basename, dirname, join } from "node:path";
import type { Hash } from "node:crypto";
import { writeFileAtomic } from "../fs_atomic.ts";
import { hashedFile } from "./fetch_file.ts";
import { processGone } from "./process_gone.ts";

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

/**
 * Takes over what killed builds left of `path`'s download (`{path}.part-{pid}-…` of processes
 * that are gone): the longest is renamed to `part` and hashed, the others are removed. Returns
 * its length and digest state, or undefined when there is nothing to continue (parts of live
 * builds are never touched; a part another build took first is simply missing).
 */
export async function adoptPartial(
  path: string,
  part: string,
  signal?: AbortSignal,
): Promise<{ bytes: number; hash: Hash } | undefined> {
  const dir = dirname(path), stem = `${basename(path)}.part-`;
  const dead: { name: string; size: number }[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const pid = e.isFile && e.name.startsWith(stem)
        ? /^(\d+)-[0-9a-f]+$/.exec(e.name.slice(stem.length))?.[1]
        : undefined;
      if (!pid || Number(pid) === Deno.pid || await processGone(Number(pid)) !== true) continue;
      const size = await Deno.stat(join(dir, e.name)).then((s) => s.size, () => -1);
      if (size >= 0) dead.push({ name: e.name, size });
    }
  } catch {
    return undefined; // no directory yet: nothing left over
  }
  dead.sort((a, b) => b.size - a.size);
  for (const d of dead.slice(1)) await Deno.remove(join(dir, d.name)).catch(() => {});
  const best = dead[0];
  if (!best || best.size === 0) {
    if (best) await Deno.remove(join(dir, best.name)).catch(() => {});
    return undefined;
  }
  try {
    await Deno.rename(join(dir, best.name), part);
  } catch {
    return undefined;
  }
  return await hashedFile(part, undefined, signal);
}
