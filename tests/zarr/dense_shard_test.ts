// encodeDenseShard against an element-by-element reference implementation, for every fill
// kind (zero fast path, NaN, other values), several chunk geometries, misaligned buffers and
// both codecs; plus decoding every stored chunk back into the dense buffer.

import assert from "node:assert/strict";
import { isTesseraError } from "../../lib/errors.ts";
import { type ChunkCodec, decodeChunk, encodeChunk } from "../../lib/zarr/codecs.ts";
import { encodeDenseShard } from "../../lib/zarr/dense_shard.ts";
import { byteView, type NumericArray } from "../../lib/zarr/dtype.ts";
import { decodeShardIndex, encodeShard } from "../../lib/zarr/shard.ts";

/** Straightforward per-element cut of a dense C-order buffer into inner chunks. */
function referenceChunks(
  data: NumericArray,
  shard: number[],
  inner: number[],
  fill: number,
): (NumericArray | null)[] {
  const n = shard.length;
  const grid = shard.map((s, k) => s / inner[k]);
  const nChunks = grid.reduce((a, b) => a * b, 1);
  const chunkElems = inner.reduce((a, b) => a * b, 1);
  const Ctor = data.constructor as new (n: number) => NumericArray;
  const out: (NumericArray | null)[] = [];
  for (let c = 0; c < nChunks; c++) {
    const gc = unravel(c, grid);
    const chunk = new Ctor(chunkElems);
    let allFill = true;
    for (let e = 0; e < chunkElems; e++) {
      const ic = unravel(e, inner);
      let flat = 0;
      for (let k = 0; k < n; k++) flat = flat * shard[k] + gc[k] * inner[k] + ic[k];
      chunk[e] = data[flat];
      const v = data[flat];
      if (!(Object.is(v, fill) || (Number.isNaN(fill) && Number.isNaN(v)))) allFill = false;
    }
    out.push(allFill ? null : chunk);
  }
  return out;
}

function unravel(i: number, shape: number[]): number[] {
  const out = new Array(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    out[k] = i % shape[k];
    i = Math.floor(i / shape[k]);
  }
  return out;
}

interface Case {
  name: string;
  make: () => NumericArray;
  shard: number[];
  inner: number[];
  fill: number;
}

/** Deterministic pseudo-random values with whole inner-chunk-sized holes of fill. */
function sparse<T extends NumericArray>(
  arr: T,
  value: (i: number) => number,
  fill: number,
  keep: (i: number) => boolean,
): T {
  for (let i = 0; i < arr.length; i++) arr[i] = keep(i) ? value(i) : fill;
  return arr;
}

const CASES: Case[] = [
  {
    name: "int8 3-D, full band dim, fill 0",
    shard: [64, 96, 8],
    inner: [32, 32, 8],
    fill: 0,
    // Rows 0..31 hold data, and within them every other column block; one byte set in a
    // far corner of an otherwise empty chunk must keep that chunk.
    make: () => {
      const a = sparse(
        new Int8Array(64 * 96 * 8),
        (i) => ((i * 31) % 255) - 127,
        0,
        (i) => Math.floor(i / (96 * 8)) < 32 && Math.floor((i % (96 * 8)) / (32 * 8)) % 2 === 0,
      );
      a[a.length - 1] = 5;
      return a;
    },
  },
  {
    name: "int16 3-D, partial trailing dim, fill 0",
    shard: [8, 12, 6],
    inner: [4, 4, 3],
    fill: 0,
    make: () =>
      sparse(
        new Int16Array(8 * 12 * 6),
        (i) => i * 7 - 300,
        0,
        (i) => i < 4 * 12 * 6 && i % 5 === 0,
      ),
  },
  {
    name: "float32 2-D, fill NaN with odd NaN payloads",
    shard: [64, 64],
    inner: [16, 32],
    fill: NaN,
    make: () => {
      const a = sparse(new Float32Array(64 * 64), (i) => i / 7, NaN, (i) => i < 64 * 16);
      // A NaN with a different bit pattern still counts as fill.
      new Uint32Array(a.buffer)[64 * 40 + 3] = 0xffc00001;
      return a;
    },
  },
  {
    name: "float32 2-D, fill 0, negative zero is kept",
    shard: [8, 8],
    inner: [4, 4],
    fill: 0,
    make: () => {
      const a = new Float32Array(64);
      a[0] = -0;
      a[63] = 1.5;
      return a;
    },
  },
  {
    name: "uint8 1-D, fill 7",
    shard: [100],
    inner: [10],
    fill: 7,
    make: () => sparse(new Uint8Array(100), (i) => i, 7, (i) => i >= 50 && i < 60 || i === 99),
  },
  {
    name: "int8 3-D in a misaligned view, fill 0",
    shard: [8, 8, 4],
    inner: [4, 4, 4],
    fill: 0,
    make: () => {
      const a = new Int8Array(new ArrayBuffer(8 * 8 * 4 + 3), 3, 8 * 8 * 4);
      a[4 * 8 * 4 + 4 * 4 + 1] = 1; // chunk (1, 1) only
      a[3] = -1; // chunk (0, 0) only
      return a;
    },
  },
];

for (const codec of [{ compress: "none" }, { compress: "zstd", level: 5 }] as ChunkCodec[]) {
  for (const c of CASES) {
    Deno.test(`dense shard (${codec.compress}): ${c.name}`, () => {
      const data = c.make();
      const shard = encodeDenseShard({
        data,
        shardShape: c.shard,
        innerShape: c.inner,
        fill: c.fill,
        ...codec,
      });
      const ref = referenceChunks(data, c.shard, c.inner, c.fill);
      assert.ok(ref.some((x) => x === null), "case must have empty chunks");
      assert.ok(ref.some((x) => x !== null), "case must have stored chunks");
      const expected = encodeShard(ref.map((x) => x && encodeChunk(byteView(x), codec)));
      assert.deepEqual(shard, expected);

      // Every chunk decodes back to the reference contents.
      const locs = decodeShardIndex(shard!, ref.length);
      locs.forEach((l, i) => {
        assert.equal(l === null, ref[i] === null, `chunk ${i} presence`);
        if (!l) return;
        const raw = decodeChunk(
          shard!.subarray(l.offset, l.offset + l.nbytes),
          codec,
          ref[i]!.byteLength,
        );
        assert.deepEqual(raw, byteView(ref[i]!));
      });
    });
  }
}

Deno.test("dense shard: all fill gives null", () => {
  const base = { shardShape: [16, 16], innerShape: [8, 8], compress: "none" } as const;
  assert.equal(encodeDenseShard({ ...base, data: new Int8Array(256), fill: 0 }), null);
  assert.equal(
    encodeDenseShard({ ...base, data: new Float32Array(256).fill(NaN), fill: NaN }),
    null,
  );
  assert.equal(
    encodeDenseShard({ ...base, data: new Float64Array(256).fill(-1), fill: -1 }),
    null,
  );
});

Deno.test("dense shard: bad arguments", () => {
  const bad = (e: unknown) => isTesseraError(e, "BadArgument");
  const ok = { data: new Int8Array(256), shardShape: [16, 16], innerShape: [8, 8], fill: 0 };
  const go = (o: Partial<typeof ok> & { fill?: number }) => () =>
    encodeDenseShard({ ...ok, ...o, compress: "none" });
  assert.throws(go({ innerShape: [5, 8] }), bad);
  assert.throws(go({ innerShape: [8] }), bad);
  assert.throws(go({ data: new Int8Array(255) }), bad);
  assert.throws(go({ fill: NaN }), bad);
  assert.throws(go({ fill: 300 }), bad);
});
