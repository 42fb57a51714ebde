/**
 * Pyramid shares (lib/preview/pyramid_parts.ts) on a real store in a temp dir: the levels
 * finished from the shares of 2 × 2 shards are the plain alpha-aware reduction of the mosaic,
 * and shares in the older zstd format (version 1, from a build begun before the format went
 * raw) are read the same, so such a build can still be resumed.
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { encodePyramidPart, finishPyramid, partKey } from "../../lib/preview/pyramid_parts.ts";
import { previewArrayMetadata, reduce2x2 } from "../../lib/preview/overviews.ts";
import { PyramidKernel } from "../../lib/preview/pyramid_kernel.ts";
import { PREVIEW_ZSTD_LEVEL } from "../../lib/preview/overviews.ts";
import { encodeChunk } from "../../lib/zarr/codecs.ts";
import { FsStore } from "../../lib/zarr/fs_store.ts";
import { readDenseShard, wholeShardReader } from "../../lib/preview/shard_read.ts";
import { withTmp } from "../helpers/env.ts";
import { referenceReduce } from "./helpers.ts";

const S = 64, N = 2 * S; // 2 × 2 shards of 64 px: a 128 px mosaic, levels 1..3

/** A mosaic of RGBA with holes (alpha 0) of every size. */
function mosaic(): Uint8Array {
  let x = 11;
  const rnd = () => (x = (x * 48271) % 2147483647) / 2147483647;
  const px = new Uint8Array(N * N * 4);
  for (let p = 0; p < N * N; p++) {
    if (rnd() < 0.2 || (p % N > 100 && Math.floor(p / N) < 30)) continue;
    px.set([rnd() * 256, rnd() * 256, rnd() * 256, 255].map(Math.floor), 4 * p);
  }
  return px;
}

function shardOf(all: Uint8Array, row: number, col: number): Uint8Array {
  const out = new Uint8Array(S * S * 4);
  for (let y = 0; y < S; y++) {
    const from = ((row * S + y) * N + col * S) * 4;
    out.set(all.subarray(from, from + S * 4), y * S * 4);
  }
  return out;
}

/** Version 1 of a share: the same layout, each payload zstd level 1. */
function shareV1(level0: Uint8Array, levels: number): Uint8Array {
  const v2 = encodePyramidPart(level0, S, levels);
  const view = new DataView(v2.buffer, v2.byteOffset, v2.byteLength);
  const n = view.getUint32(8, true);
  let at = 12 + 4 * n;
  const payloads: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const len = view.getUint32(12 + 4 * i, true);
    payloads.push(
      encodeChunk(v2.slice(at, at + len), { compress: "zstd", level: PREVIEW_ZSTD_LEVEL }),
    );
    at += len;
  }
  const out = new Uint8Array(12 + 4 * n + payloads.reduce((a, p) => a + p.length, 0));
  out.set(new TextEncoder().encode("TZPYRv1\n"));
  const ov = new DataView(out.buffer);
  ov.setUint32(8, n, true);
  at = 12 + 4 * n;
  payloads.forEach((p, i) => {
    ov.setUint32(12 + 4 * i, p.length, true);
    out.set(p, at);
    at += p.length;
  });
  return out;
}

for (const version of ["raw (v2)", "zstd (v1)"]) {
  Deno.test(`finishPyramid from ${version} shares = the alpha-aware reduction of the mosaic`, async () => {
    await withTmp("tz-pyrparts-", async (dir) => {
      const store = new FsStore(join(dir, "s.zarr"));
      const all = mosaic();
      const refs = [0, 1, 2, 3].map((k) => ({
        path: `rgb/${k}`,
        meta: previewArrayMetadata(N >> k, N >> k, k),
      }));
      const shards: [number, number][] = [[0, 0], [0, 1], [1, 0], [1, 1]];
      for (const [r, c] of shards) {
        const part = version.startsWith("raw")
          ? encodePyramidPart(shardOf(all, r, c), S, 4)
          : shareV1(shardOf(all, r, c), 4);
        await store.set(partKey("rgb", r, c), part);
      }
      await finishPyramid(store, "rgb", refs, shards, S);
      let want = all, side = N;
      for (let k = 1; k < 4; k++) {
        want = referenceReduce(want, side, side);
        side /= 2;
        const reader = wholeShardReader(store.root, refs[k].path, refs[k].meta);
        const { data } = await readDenseShard(reader, 0, 0);
        assertEquals((data as Uint8Array).every((b, i) => b === want[i]), true, `level ${k}`);
      }
    });
  });
}

Deno.test("a share that is neither version is a BadStore error naming the file", async () => {
  await withTmp("tz-pyrparts-bad-", async (dir) => {
    const store = new FsStore(join(dir, "s.zarr"));
    await store.set(partKey("rgb", 0, 0), new TextEncoder().encode("TZPYRv9\n\0\0\0\0"));
    const refs = [0, 1].map((k) => ({
      path: `rgb/${k}`,
      meta: previewArrayMetadata(S >> k, S >> k, k),
    }));
    const err = await finishPyramid(store, "rgb", refs, [[0, 0]], S).catch((e) => e);
    assertEquals(err?.kind, "BadStore");
    assertEquals(String(err?.message).includes("_build/previews/rgb/0.0"), true, err?.message);
  });
});

Deno.test("PyramidKernel = reduce2x2 level by level, down to 1 px, any alpha", () => {
  let x = 5;
  const rnd = () => (x = (x * 48271) % 2147483647) / 2147483647;
  for (const size of [1, 2, 4, 64]) {
    const levels = Math.log2(size) + 1;
    const src = new Uint8Array(size * size * 4).map(() => Math.floor(rnd() * 256));
    for (let p = 0; p < size * size; p++) {
      const u = rnd(); // no data, 255, or small alphas whose bits do not overlap
      src[4 * p + 3] = u < 0.15 ? 0 : u < 0.8 ? 255 : u < 0.9 ? 1 : 2;
    }
    const k = new PyramidKernel(size, levels);
    k.level0.set(src);
    const got = k.reduce();
    let want = src, side = size;
    for (let l = 1; l < levels; l++) {
      const next = new Uint8Array((side / 2) ** 2 * 4);
      reduce2x2(want, side, side, side, next, side / 2, side / 2, side / 2);
      assertEquals(firstDiff(got[l - 1], next), -1, `size ${size}, level ${l}`);
      want = next;
      side /= 2;
    }
    assertEquals(
      firstDiff(encodePyramidPart(src, size, levels, k), encodePyramidPart(src, size, levels)),
      -1,
      "a share is the same bytes with or without the kernel",
    );
  }
});

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return -2;
  return a.findIndex((v, i) => v !== b[i]);
}
