/**
 * ShardAppender (a chunk-order shard encoded a run of chunks at a time, as the builder appends
 * each assembled chunk row to the shard file) gives exactly encodeDenseShard's bytes, however
 * the chunks are split into appends, for raw and zstd chunks, int8 zero fill and float32 NaN
 * fill, with and without the caller's "known fill" hints; and it refuses misuse.
 */
import { assertEquals, assertRejectsKind } from "../assert.ts";
import { encodeDenseShard } from "../../lib/zarr/dense_shard.ts";
import { ShardAppender } from "../../lib/zarr/shard_appender.ts";
import type { Compression } from "../../lib/zarr/codecs.ts";

const SHARD = [64, 64, 3], INNER = [16, 16, 3], CHUNKS = 16, CHUNK_ELEMS = 16 * 16 * 3;

/** A chunk-order int8 shard: chunk c filled with a pattern, or zeros for the listed chunks. */
function int8Shard(fillChunks: number[]): Int8Array {
  const d = new Int8Array(CHUNKS * CHUNK_ELEMS);
  for (let i = 0; i < d.length; i++) d[i] = ((i * 7919) % 251) - 125;
  for (const c of fillChunks) d.fill(0, c * CHUNK_ELEMS, (c + 1) * CHUNK_ELEMS);
  // A chunk whose only non-fill element is its last: examined, stored.
  d.fill(0, 5 * CHUNK_ELEMS, 6 * CHUNK_ELEMS - 1);
  return d;
}

function float32Shard(fillChunks: number[]): Float32Array {
  const d = new Float32Array(CHUNKS * 16 * 16);
  for (let i = 0; i < d.length; i++) d[i] = (i % 97) / 10;
  for (const c of fillChunks) d.fill(NaN, c * 256, (c + 1) * 256);
  return d;
}

/** The appender's bytes for appends ending at each of `stops` (then the rest), index last. */
function appended(
  opts: ConstructorParameters<typeof ShardAppender>[0],
  stops: number[],
  maxPart?: number,
): Uint8Array | null {
  const a = new ShardAppender(opts);
  const out: number[] = [];
  for (const to of [...stops, a.chunkCount]) {
    for (const p of a.append(to, maxPart)) {
      if (maxPart !== undefined && opts.compress === "none") {
        assertEquals(p.length <= maxPart, true, "raw parts stay within maxPart");
      }
      out.push(...p);
    }
  }
  if (a.storedChunks === 0) return null;
  out.push(...a.index());
  return Uint8Array.from(out);
}

Deno.test("ShardAppender gives encodeDenseShard's bytes for any split into appends", () => {
  const fillChunks = [0, 1, 2, 3, 9, 15]; // a whole first chunk row, and two more
  const cases: {
    data: Int8Array | Float32Array;
    shape: number[];
    inner: number[];
    fill: number;
  }[] = [
    { data: int8Shard(fillChunks), shape: SHARD, inner: INNER, fill: 0 },
    { data: float32Shard(fillChunks), shape: [64, 64], inner: [16, 16], fill: NaN },
  ];
  for (const { data, shape, inner, fill } of cases) {
    for (const compress of ["none", "zstd"] as Compression[]) {
      const base = { data, shardShape: shape, innerShape: inner, fill, compress, level: 3 };
      const want = encodeDenseShard({ ...base, layout: "chunks" })!;
      // Exactly the fill chunks marked: the hint changes nothing but what is examined.
      const hint = new Uint8Array(CHUNKS).fill(1);
      for (const c of fillChunks) hint[c] = 0;
      for (const maybeData of [undefined, hint]) {
        for (const stops of [[], [4, 8, 12], [1, 2, 3, 5, 6, 7, 11, 13, 14], [0, 0, 16]]) {
          const got = appended({ ...base, maybeData }, stops, 2000);
          const label = `${data.constructor.name} ${compress} hint=${!!maybeData} ${stops}`;
          assertEquals(got?.length, want.length, label);
          assertEquals(got!.every((v, i) => v === want[i]), true, label);
        }
      }
    }
  }
});

Deno.test("ShardAppender: an all-fill shard stores nothing; a 0 hint is trusted", () => {
  const empty = new Int8Array(CHUNKS * CHUNK_ELEMS);
  const base = { shardShape: SHARD, innerShape: INNER, fill: 0, compress: "none" as const };
  assertEquals(appended({ ...base, data: empty }, [8]), null);
  assertEquals(encodeDenseShard({ ...base, data: empty, layout: "chunks" }), null);
  // The hint is the caller's promise: chunks it marks 0 are not looked at.
  assertEquals(
    appended({ ...base, data: int8Shard([]), maybeData: new Uint8Array(CHUNKS) }, []),
    null,
  );
});

Deno.test("ShardAppender refuses appends backwards or past the end, an early index, bad hints", async () => {
  const base = {
    data: int8Shard([]),
    shardShape: SHARD,
    innerShape: INNER,
    fill: 0,
    compress: "none" as const,
  };
  const a = new ShardAppender(base);
  for (const _ of a.append(8));
  await assertRejectsKind(() => [...a.append(4)], "BadArgument");
  await assertRejectsKind(() => [...a.append(17)], "BadArgument");
  await assertRejectsKind(() => a.index(), "BadArgument");
  await assertRejectsKind(
    () => new ShardAppender({ ...base, maybeData: new Uint8Array(3) }),
    "BadArgument",
  );
  await assertRejectsKind(
    () => new ShardAppender({ ...base, data: new Int8Array(10) }),
    "BadArgument",
  );
});
