// The one place this package's version is pinned (docs/decisions/2026-12-01-importable-library.md):
// lib/ imports it by this file's path, so mod.ts works from any script with no deno.json.
// pngjs encodes the preview PNGs: 2.7–3.8× less CPU than our own encoder was, 7 % smaller
// files (docs/decisions/2026-12-01-packages.md).
export { PNG } from "npm:pngjs@7.0.0";
