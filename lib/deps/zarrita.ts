// The one place this package's version is pinned (docs/decisions/2026-12-01-importable-library.md):
// lib/ imports it by this file's path, so mod.ts works from any script with no deno.json.
export * from "npm:zarrita@0.7.5";
