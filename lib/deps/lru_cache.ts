// The one place this package's version is pinned (docs/decisions/2026-12-01-importable-library.md):
// lib/ imports it by this file's path, so mod.ts works from any script with no deno.json.
// lru-cache backs lib/read/cache.ts: 2.1× less CPU than our own map-based LRU on the read
// API's pattern (docs/decisions/2026-12-01-packages.md).
export { LRUCache } from "npm:lru-cache@11.5.3";
