/**
 * Content types for the files `serve` hands out: the viewer bundle (HTML, JS, CSS, images,
 * fonts, WebAssembly) and Zarr stores (JSON metadata, extension-less chunk and shard files).
 * Anything unknown is `application/octet-stream`, which is what a chunk file is.
 */
import { extname } from "node:path";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".htm": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".geojson": "application/geo+json",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".pbf": "application/x-protobuf",
};

/** The type for any file without a known extension (Zarr chunks and shards have none). */
export const OCTET_STREAM = "application/octet-stream";

/**
 * The Content-Type for a file path, from its extension (case-insensitive).
 *
 * @example
 * ```ts
 * contentType("utm30_2024.zarr/zarr.json"); // "application/json; charset=utf-8"
 * contentType("utm30_2024.zarr/scales/c/0/1"); // "application/octet-stream"
 * ```
 */
export function contentType(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? OCTET_STREAM;
}
