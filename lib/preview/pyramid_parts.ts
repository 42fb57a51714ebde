/**
 * A shard's share of a preview's overview pyramid, made while the build still holds the shard
 * (in_build.ts), and the step that finishes the pyramid from those shares once every shard is
 * done. A full-resolution shard of S × S pixels reduces to an (S/2^k)-square block of level k
 * for every k, and those blocks tile level k exactly (S is a power of two), so each level is
 * the blocks pasted side by side — the same bytes the level-by-level reduction of the preview
 * pass writes (levels.ts), because pixels beyond the zone's edge are alpha 0 in the shard
 * buffer and the alpha-aware mean ignores them exactly as it ignores pixels that do not exist.
 *
 * A share is one file per shard and preview under `_build/previews/` (removed with `_build/`):
 * an 8-byte magic, a uint32 LE level count n, n uint32 LE payload lengths, then the payloads —
 * each level's RGBA block, raw ("TZPYRv2\n"). Shares of version 1 (zstd level 1 payloads,
 * written by earlier builds) are still read, so such a build can be resumed. Raw, because a
 * share is temporary and preview RGBA compresses poorly (to ~75 %) at a cost of ~5 ms per
 * share in zstd, then again in decoding it.
 */
import { BUILD_DIR } from "../store/layout.ts";
import { decodeChunk } from "../zarr/codecs.ts";
import { encodeDenseShard } from "../zarr/dense_shard.ts";
import type { FsStore } from "../zarr/fs_store.ts";
import { arrayLayout, chunkKey } from "../zarr/metadata.ts";
import { TesseraError } from "../errors.ts";
import { PREVIEW_ZSTD_LEVEL, reduce2x2 } from "./overviews.ts";
import type { PreviewName } from "./overviews.ts";
import type { LevelRef } from "./shard_jobs.ts";
import type { PyramidKernel } from "./pyramid_kernel.ts";

const MAGIC = new TextEncoder().encode("TZPYRv2\n");
/** Version 1: the same with zstd payloads. */
const MAGIC_V1 = new TextEncoder().encode("TZPYRv1\n");
const V1_CODEC = { compress: "zstd" as const, level: PREVIEW_ZSTD_LEVEL };

/** Folder of the pyramid shares of preview `name`. */
export function partsDir(name: PreviewName): string {
  return `${BUILD_DIR}/previews/${name}`;
}

/**
 * Key of shard (row, col)'s share of preview `name`'s pyramid.
 *
 * @example
 * ```ts
 * partKey("rgb", 2, 3); // "_build/previews/rgb/2.3"
 * ```
 */
export function partKey(name: PreviewName, row: number, col: number): string {
  return `${partsDir(name)}/${row}.${col}`;
}

/**
 * The encoded pyramid share of one full-resolution RGBA shard (`size × size × 4`): its blocks
 * of levels 1..`levels` − 1, each the 2 × 2 alpha-aware mean of the one before. With `kernel`
 * (a {@link PyramidKernel} of that size and level count, reused across shards) the reduction
 * runs in WebAssembly; the bytes are the same.
 *
 * @example
 * ```ts
 * const part = encodePyramidPart(rgba, 1024, 3); // blocks of 512² and 256²
 * ```
 */
export function encodePyramidPart(
  level0: Uint8Array,
  size: number,
  levels: number,
  kernel?: PyramidKernel,
): Uint8Array {
  let payloads: Uint8Array[] = [];
  if (kernel && levels > 1) {
    if (kernel.size !== size || kernel.levels !== levels) {
      throw new RangeError(`a PyramidKernel of ${kernel.size} px × ${kernel.levels} levels`);
    }
    kernel.level0.set(level0);
    payloads = kernel.reduce();
  } else {
    let src = level0, side = size;
    for (let k = 1; k < levels; k++) {
      const next = Math.max(1, side >> 1);
      const dst = new Uint8Array(next * next * 4);
      reduce2x2(src, side, side, side, dst, next, next, next);
      payloads.push(dst);
      src = dst;
      side = next;
    }
  }
  const head = 8 + 4 + 4 * payloads.length;
  const out = new Uint8Array(head + payloads.reduce((a, p) => a + p.length, 0));
  out.set(MAGIC);
  const view = new DataView(out.buffer);
  view.setUint32(8, payloads.length, true);
  let at = head;
  payloads.forEach((p, i) => {
    view.setUint32(12 + 4 * i, p.length, true);
    out.set(p, at);
    at += p.length;
  });
  return out;
}

/** Reads level `k`'s block (`side² × 4` bytes) out of a stored share. */
async function readPartLevel(
  store: FsStore,
  key: string,
  k: number,
  side: number,
  heads: Map<string, { v1: boolean; lengths: number[] }>,
): Promise<Uint8Array> {
  let known = heads.get(key);
  if (!known) {
    const head = await store.get(key, { offset: 0, length: 12 + 4 * 16 });
    const is = (magic: Uint8Array) =>
      head && head.length >= 12 && magic.every((b, i) => head[i] === b);
    const v1 = is(MAGIC_V1);
    if (!head || (!v1 && !is(MAGIC))) throw corrupt(store, key);
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const n = view.getUint32(8, true);
    if (n > 16 || head.length < 12 + 4 * n) throw corrupt(store, key);
    const lengths = Array.from({ length: n }, (_, i) => view.getUint32(12 + 4 * i, true));
    heads.set(key, known = { v1: !!v1, lengths });
  }
  const { v1, lengths } = known;
  if (k < 1 || k > lengths.length) throw corrupt(store, key);
  let offset = 12 + 4 * lengths.length;
  for (let i = 0; i < k - 1; i++) offset += lengths[i];
  const bytes = await store.get(key, { offset, length: lengths[k - 1] });
  if (!bytes || bytes.length !== lengths[k - 1]) throw corrupt(store, key);
  if (!v1) {
    if (bytes.length !== side * side * 4) throw corrupt(store, key);
    return bytes;
  }
  try {
    return decodeChunk(bytes, V1_CODEC, side * side * 4);
  } catch {
    throw corrupt(store, key);
  }
}

function corrupt(store: FsStore, key: string): TesseraError {
  return new TesseraError(
    "BadStore",
    "is not a readable preview pyramid share; resume the build with --resume after deleting " +
      "the store's _build/shards marker of that shard, or rebuild with --overwrite",
    `${store.root}/${key}`,
  );
}

/**
 * Writes overview levels 1.. of preview `name` (`refs`: every level, level 0 first) from the
 * pyramid shares of `shards` (the full-resolution shards that have data, row-major), one
 * output shard at a time; all-fill shards are not written. Returns the bytes written.
 *
 * @example
 * ```ts
 * await finishPyramid(store, "rgb", refs, [[0, 0], [0, 1]], 1024);
 * ```
 */
export async function finishPyramid(
  store: FsStore,
  name: PreviewName,
  refs: readonly LevelRef[],
  shards: readonly (readonly [number, number])[],
  shardPx: number,
  signal?: AbortSignal,
): Promise<number> {
  const heads = new Map<string, { v1: boolean; lengths: number[] }>();
  let bytes = 0;
  for (let k = 1; k < refs.length; k++) {
    const layout = arrayLayout(refs[k].meta);
    const [SH, SW] = layout.chunkShape;
    const side = Math.max(1, shardPx >> k);
    // Each full-resolution shard's block lands in exactly one shard of level k.
    const targets = new Map<
      string,
      { tr: number; tc: number; from: (readonly [number, number])[] }
    >();
    for (const s of shards) {
      const tr = Math.floor((s[0] * side) / SH), tc = Math.floor((s[1] * side) / SW);
      const key = `${tr},${tc}`;
      let t = targets.get(key);
      if (!t) targets.set(key, t = { tr, tc, from: [] });
      t.from.push(s);
    }
    const order = [...targets.values()].sort((a, b) => a.tr - b.tr || a.tc - b.tc);
    const dense = new Uint8Array(SH * SW * 4);
    for (const t of order) {
      signal?.throwIfAborted();
      dense.fill(0);
      for (const [row, col] of t.from) {
        const block = await readPartLevel(store, partKey(name, row, col), k, side, heads);
        const oy = row * side - t.tr * SH, ox = col * side - t.tc * SW;
        const w = Math.min(side, SW - ox);
        for (let y = 0; y < side && oy + y < SH; y++) {
          dense.set(
            block.subarray(y * side * 4, (y * side + w) * 4),
            ((oy + y) * SW + ox) * 4,
          );
        }
      }
      const shard = encodeDenseShard({
        data: dense,
        shardShape: layout.chunkShape,
        innerShape: layout.innerChunkShape!,
        fill: 0,
        compress: layout.compress,
        level: layout.level,
      });
      if (!shard) continue;
      await store.set(chunkKey(refs[k].path, [t.tr, t.tc, 0]), shard);
      bytes += shard.length;
    }
  }
  return bytes;
}

/**
 * The full-resolution shards with a pyramid share of preview `name`, row-major.
 *
 * @example
 * ```ts
 * await partShards(store, "rgb"); // [[0, 0], [0, 1], …]
 * ```
 */
export async function partShards(store: FsStore, name: PreviewName): Promise<[number, number][]> {
  const prefix = partsDir(name) + "/";
  const out: [number, number][] = [];
  for (const key of await store.list(prefix)) {
    const m = /^(\d+)\.(\d+)$/.exec(key.slice(prefix.length));
    if (m) out.push([Number(m[1]), Number(m[2])]);
  }
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}
