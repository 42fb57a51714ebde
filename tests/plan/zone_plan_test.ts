/**
 * The zone plan carries its shard list (computed once by planZones; nothing downstream
 * re-plans): on the sample dataset's cells and on a bigger block it equals a brute-force
 * oracle — every shard of the grid against every tile, in registry order — each shard's
 * GeoBox is the zone box sliced to the shard, and the worker projection posts intact.
 */
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { pixelCorner, sliceGeoBox } from "../../lib/grid/geobox.ts";
import { withBands, workerPlan } from "../../lib/plan/build_plan.ts";
import { type PixelRect, shardGridShape, type ShardPiece } from "../../lib/plan/shard_plan.ts";
import { planZones, type ZonePlan } from "../../lib/plan/zone_plan.ts";
import { groupCells, TILE_GROUPS } from "../../lib/sample_data/groups.ts";
import { type TileRef, tileRef } from "../../lib/tiles/tile_ref.ts";

/** The cells of the sample generator's groups for `--tiles n`, year 2024. */
function sampleTiles(n: number, groups = TILE_GROUPS.map((g) => g.name)): TileRef[] {
  return TILE_GROUPS.filter((g) => groups.includes(g.name))
    .flatMap((g) => groupCells(g, n).map((c) => tileRef(2024, c.lonI, c.latI)));
}

/** Every shard of the zone grid tested against every tile: the shards some tile touches. */
function bruteForceShards(plan: ZonePlan) {
  const { height: H, width: W } = plan.geobox;
  const [rows, cols] = shardGridShape(H, W);
  const out: { row: number; col: number; rect: PixelRect; pieces: ShardPiece[] }[] = [];
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const rect = {
        r0: row * 1024,
        r1: Math.min(H, (row + 1) * 1024),
        c0: col * 1024,
        c1: Math.min(W, (col + 1) * 1024),
      };
      const pieces: ShardPiece[] = [];
      for (const p of plan.placements) {
        const zone = {
          r0: Math.max(rect.r0, p.rowOffsetPx),
          r1: Math.min(rect.r1, p.rowOffsetPx + p.height),
          c0: Math.max(rect.c0, p.colOffsetPx),
          c1: Math.min(rect.c1, p.colOffsetPx + p.width),
        };
        if (zone.r0 < zone.r1 && zone.c0 < zone.c1) pieces.push({ tile: p.index, zone });
      }
      if (pieces.length) out.push({ row, col, rect, pieces });
    }
  }
  return out;
}

for (
  const [label, tiles] of [
    ["the sample dataset (--tiles 2, every group)", sampleTiles(2)],
    ["greenwich --tiles 5 (tiles across shard lines)", sampleTiles(5, ["greenwich"])],
  ] as const
) {
  Deno.test(`plan.shards equals the brute-force shard list: ${label}`, () => {
    const plans = planZones(tiles);
    assertEquals(plans.length > 0, true);
    for (const plan of plans) {
      const name = `zone ${plan.zone}`;
      const got = plan.shards.map(({ row, col, rect, pieces }) => ({ row, col, rect, pieces }));
      assertDeepEquals(got, bruteForceShards(plan), name);
      // Every tile is in some shard; pieces stay inside their shard.
      const used = new Set(plan.shards.flatMap((s) => s.pieces.map((p) => p.tile)));
      assertEquals(used.size, plan.tiles.length, name);
    }
  });
}

Deno.test("each planned shard's GeoBox is the zone GeoBox sliced to the shard", () => {
  for (const plan of planZones(sampleTiles(5, ["greenwich", "equator"]))) {
    assertEquals(plan.shards.some((s) => s.row > 0 && s.col > 0), true, `zone ${plan.zone}`);
    for (const s of plan.shards) {
      const where = `zone ${plan.zone} shard ${s.row}.${s.col}`;
      assertDeepEquals(s.geobox, sliceGeoBox(plan.geobox, s.rect), where);
      assertEquals(s.geobox.width, s.rect.c1 - s.rect.c0, where);
      assertEquals(s.geobox.height, s.rect.r1 - s.rect.r0, where);
      assertDeepEquals(pixelCorner(s.geobox, 0, 0), pixelCorner(plan.geobox, s.rect.r0, s.rect.c0));
      assertEquals(s.geobox.epsg, plan.epsg, where);
    }
  }
});

Deno.test("withBands adds the band count; workerPlan drops only the shards and posts intact", () => {
  const [plan] = planZones(sampleTiles(2, ["arctic"]));
  const built = withBands(plan, 8);
  assertEquals(built.bands, 8);
  assertEquals(built.shards, plan.shards);
  const w = workerPlan(built);
  assertEquals("shards" in w, false);
  const { shards: _, ...rest } = built;
  assertDeepEquals(w, rest);
  assertDeepEquals(structuredClone(w), w);
});
