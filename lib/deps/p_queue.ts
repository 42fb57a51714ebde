// The one place this package's version is pinned (docs/decisions/2026-12-01-importable-library.md):
// lib/ imports it by this file's path, so mod.ts works from any script with no deno.json.
// p-queue backs lib/read/limiter.ts: per-task abort of a waiting task, FIFO, linear in the
// queue where our own limiter was quadratic (docs/decisions/2026-12-01-packages.md).
export { default as PQueue } from "npm:p-queue@10.0.0";
