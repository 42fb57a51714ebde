/**
 * The zone store format (SPEC §4, docs/format.md), encoded and parsed in one place: store
 * names, the layout (chunk sizes, keys, shard grid), the array documents, the group attributes
 * (the store's own, the build's state and statistics, the previews'), the pixel states, and
 * opening a store's metadata from any `get(key)`. Everything re-exported here is pure and
 * browser-safe (the viewer bundles it). The parts that touch files or use node:zlib are
 * imported from their own files: `init.ts` (writing a new store's metadata),
 * `stats_codec.ts` (the statistics group and shard markers), `shard_files.ts` (which shard
 * files exist) and `lock.ts` (the build lock).
 *
 * ```ts
 * import { openZoneMetadata, storeName } from "./lib/store/mod.ts";
 * const meta = await openZoneMetadata(storage, { name: storeName(30, 2024) });
 * meta.zone.maxValidScale; // 1 unless the store records another
 * ```
 *
 * @module
 */
export * from "./names.ts";
export * from "./layout.ts";
export * from "./pixel_state.ts";
export * from "./arrays.ts";
export * from "./attributes.ts";
export * from "./previews.ts";
export * from "./documents.ts";
export * from "./open.ts";
