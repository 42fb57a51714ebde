import { assertEquals } from "../assert.ts";
import {
  addCoverage,
  compositeBlock,
  newShardBuffer,
  type TileBlock,
} from "../../lib/builder/composite.ts";

// A 4 × 4 shard with 2 bands; each "tile" covers the whole shard with constant content.
function block(value: number, scale: number, land = 1, inCell = false): TileBlock {
  const n = 16;
  return {
    rect: { r0: 0, r1: 4, c0: 0, c1: 4 },
    embeddings: new Int8Array(n * 2).fill(value),
    scales: new Float32Array(n).fill(scale),
    land: new Uint8Array(n).fill(land),
    rowLength: 4,
    col0: 0,
    maxValidScale: 1,
    inOwnCell: () => inCell,
  };
}

function run(blocks: TileBlock[]) {
  const b = newShardBuffer(4, 2);
  addCoverage(b, blocks.map((x) => x.rect));
  for (const blk of blocks) compositeBlock(b, blk);
  return { emb: b.embeddings[0], scale: b.scales[0] };
}

Deno.test("a valid pixel beats an invalid one, whichever comes first", () => {
  assertEquals(run([block(5, 0.06), block(9, NaN)]).emb, 5);
  assertEquals(run([block(9, NaN), block(5, 0.06)]).emb, 5);
  assertEquals(run([block(5, 0.06), block(9, 0.06, 0)]).emb, 5); // water loses
  assertEquals(run([block(5, 0.06), block(9, Infinity)]).emb, 5);
  assertEquals(run([block(5, 0.06), block(9, 3.4e38)]).emb, 5);
  assertEquals(run([block(5, 0.06), block(9, -0.1)]).emb, 5);
  assertEquals(run([block(5, 0.06), block(9, 0)]).emb, 5);
});

Deno.test("between valid pixels the tile owning the cell wins, else the later tile", () => {
  assertEquals(run([block(5, 0.06, 1, true), block(9, 0.07)]).emb, 5);
  assertEquals(run([block(5, 0.06), block(9, 0.07, 1, true)]).emb, 9);
  assertEquals(run([block(5, 0.06), block(9, 0.07)]).emb, 9);
  assertEquals(run([block(5, 0.06), block(9, 0.07)]).scale, Math.fround(0.07));
});

Deno.test("invalid pixels end as NaN scale and zero embeddings", () => {
  const r = run([block(9, 0.06, 0)]);
  assertEquals(Number.isNaN(r.scale), true);
  assertEquals(r.emb, 0);
  const r2 = run([block(9, 7.5)]); // finite but above max_valid_scale
  assertEquals(Number.isNaN(r2.scale), true);
  assertEquals(r2.emb, 0);
});

Deno.test("the cell test only runs where tiles overlap", () => {
  let calls = 0;
  const b = newShardBuffer(4, 2);
  const blk = { ...block(1, 0.05), inOwnCell: () => (calls++, true) };
  addCoverage(b, [blk.rect]);
  compositeBlock(b, blk);
  assertEquals(calls, 0);
});
