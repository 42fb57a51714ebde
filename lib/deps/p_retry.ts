// The one place this package's version is pinned (docs/decisions/2026-12-01-importable-library.md):
// lib/ imports it by this file's path, so mod.ts works from any script with no deno.json.
// p-retry runs the attempts of lib/read/retry.ts (docs/decisions/2026-12-01-packages.md).
export { default as pRetry } from "npm:p-retry@9.0.0";
