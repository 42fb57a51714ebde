/**
 * Safe mapping of request paths to files under a root directory. Two gates: the raw request
 * path is split and percent-decoded segment by segment, and any segment that could climb or
 * smuggle a separator (`..`, `.`, `/` or `\` after decoding, NUL, bad escapes) is refused
 * (400); then the file's real path (symlinks resolved) must still be inside the root's real
 * path (else 403). Nothing outside the root is ever opened.
 */
import { join, sep } from "node:path";

/** A request path split into decoded segments, or why it was refused. */
export type ParsedPath =
  | { ok: true; segments: string[] }
  | { ok: false; status: 400; reason: string };

/** A file found under the root, or the status to answer with. */
export type ResolvedFile =
  | { ok: true; path: string; info: Deno.FileInfo }
  | { ok: false; status: 403 | 404 };

/**
 * The raw path of a request URL as the client sent it: no dot-segment normalisation (which
 * `new URL()` would do), no query, no fragment.
 *
 * @example
 * ```ts
 * rawPath("http://127.0.0.1:8000/a/../b?x=1"); // "/a/../b"
 * ```
 */
export function rawPath(url: string): string {
  const scheme = url.indexOf("://");
  const slash = url.indexOf("/", scheme < 0 ? 0 : scheme + 3);
  if (slash < 0) return "/";
  const path = url.slice(slash);
  const end = path.search(/[?#]/);
  return end < 0 ? path : path.slice(0, end);
}

/**
 * Splits a raw request path into percent-decoded segments. Empty segments (`//`, a trailing
 * `/`) are dropped; a segment that is `.` or `..`, or that contains `/`, `\` or NUL once
 * decoded, or has a malformed escape, refuses the whole path.
 *
 * @example
 * ```ts
 * parsePath("/utm30_2024.zarr/scales/c/0/1"); // { ok: true, segments: ["utm30_2024.zarr", …] }
 * parsePath("/a/%2e%2e/b").ok;                 // false (status 400)
 * ```
 */
export function parsePath(raw: string): ParsedPath {
  if (!raw.startsWith("/")) return refuse("the path must start with /");
  const segments: string[] = [];
  for (const part of raw.split("/")) {
    if (part === "") continue;
    let s: string;
    try {
      s = decodeURIComponent(part);
    } catch {
      return refuse("malformed percent-encoding");
    }
    if (s === "." || s === "..") return refuse("dot segments are not allowed");
    if (/[/\\\0]/.test(s)) return refuse("encoded separators or NUL are not allowed");
    segments.push(s);
  }
  return { ok: true, segments };
}

/**
 * Finds the regular file `segments` names under `rootReal` (the root's real path, from
 * `Deno.realPath`). Missing files, directories and other non-files are 404; a path whose real
 * location (after symlinks) is outside the root is 403.
 *
 * @example
 * ```ts
 * const root = await Deno.realPath("out/zarr");
 * const f = await resolveFile(root, ["_stores.json"]);
 * if (f.ok) console.log(f.info.size);
 * ```
 */
export async function resolveFile(rootReal: string, segments: string[]): Promise<ResolvedFile> {
  let real: string;
  try {
    real = await Deno.realPath(join(rootReal, ...segments));
  } catch {
    return { ok: false, status: 404 };
  }
  if (!isInside(rootReal, real)) return { ok: false, status: 403 };
  try {
    const info = await Deno.stat(real);
    return info.isFile ? { ok: true, path: real, info } : { ok: false, status: 404 };
  } catch {
    return { ok: false, status: 404 };
  }
}

/** True when `path` is `root` or below it (both absolute, normalised real paths). */
export function isInside(root: string, path: string): boolean {
  const base = root.endsWith(sep) ? root : root + sep;
  return path === root || path.startsWith(base);
}

function refuse(reason: string): ParsedPath {
  return { ok: false, status: 400, reason };
}
