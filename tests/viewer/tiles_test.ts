/** viewer/src/tiles.ts: levels of detail, tiles of a view, manifest skipping, zone-edge clips. */
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { geobox, geoboxFromTransform } from "../../lib/grid/geobox.ts";
import { densifyBox, gridsBounds, type LonLat } from "../../viewer/src/geometry.ts";
import type { LevelInfo, StoreInfo } from "../../viewer/src/store.ts";
import { bandLevel, chooseLevel, metresPerPixel, planTiles } from "../../viewer/src/tiles.ts";

const T30 = [10, 0, 693910, 0, -10, 5720820] as const;

function store(over: Partial<StoreInfo> = {}): StoreInfo {
  const levels: LevelInfo[] = [0, 1, 2].map((k) => ({
    level: k,
    path: k ? `rgb_overviews/${k}` : "rgb",
    pixelSizeM: 10 * 2 ** k,
    geobox: geobox(
      Math.ceil(1476 / 2 ** k),
      Math.ceil(2280 / 2 ** k),
      T30[2],
      T30[5],
      32630,
      10 * 2 ** k,
    ),
    shardShape: k === 0 ? [1024, 1024] : k === 1 ? [1024, 768] : [768, 512],
  }));
  return {
    name: "utm30_2024.zarr",
    url: "http://127.0.0.1:1/utm30_2024.zarr",
    zone: 30,
    year: 2024,
    epsg: 32630,
    geobox: geoboxFromTransform(1476, 2280, T30, 32630),
    pixelSizeM: 10,
    bands: 128,
    shardShape: [1024, 1024],
    innerShape: [32, 32],
    shards: new Set(["0/0", "0/1", "1/0", "1/1", "2/0", "2/1"]),
    stats: null,
    previews: { rgb: levels },
    rgbBands: [0, 1, 2],
    rgbStretch: null,
    pcaExplainedVariance: null,
    attrs: {},
    ...over,
  };
}

/** A view covering the whole store, at `metresPerPx`. */
function wholeView(s: StoreInfo, metresPerPx: number) {
  const [w0, s0, e0, n0] = gridsBounds([s]);
  return {
    ring: densifyBox(w0, s0, e0, n0),
    centre: [(w0 + e0) / 2, (s0 + n0) / 2] as LonLat,
    metresPerPx,
  };
}

Deno.test("chooseLevel: the coarsest level still as fine as the screen", () => {
  const levels = store().previews.rgb!;
  assertEquals(chooseLevel(levels, 5).level, 0);
  assertEquals(chooseLevel(levels, 10).level, 0);
  assertEquals(chooseLevel(levels, 28).level, 1);
  assertEquals(chooseLevel(levels, 40).level, 2);
  assertEquals(chooseLevel(levels, 5000).level, 2);
  assertEquals(Math.round(metresPerPixel(0, 0)), 78272);
});

Deno.test("preview tiles are the level's shards, from chunk_grid (not inner chunks)", () => {
  const s = store();
  const t1 = planTiles(s, "rgb", wholeView(s, 28), { zonesShown: new Set([30]), colourKey: "" });
  // Level 1 is 1140 × 738 with 1024 × 768 shards: 2 × 1 tiles.
  assertEquals(t1.length, 2);
  assertDeepEquals(t1.map((t) => [t.path, t.rect.r0, t.rect.r1, t.rect.c0, t.rect.c1]).sort(), [
    ["rgb_overviews/1", 0, 1024, 0, 738],
    ["rgb_overviews/1", 1024, 1140, 0, 738],
  ]);
  const t0 = planTiles(s, "rgb", wholeView(s, 5), { zonesShown: new Set([30]), colourKey: "" });
  assertEquals(t0.length, 6);
  assertEquals(t0.every((t) => t.level === 0 && t.rect.r1 - t.rect.r0 <= 1024), true);
});

Deno.test("band tiles are 256 px blocks of the 1024 px shards; absent shards are skipped", () => {
  const s = store({ shards: new Set(["0/0", "2/1"]) });
  assertDeepEquals(bandLevel(s).tileShape, [256, 256]);
  const tiles = planTiles(s, "bands", wholeView(s, 28), {
    zonesShown: new Set([30]),
    colourKey: "",
  });
  // Shard 0/0: 4 × 4 tiles; shard 2/1 (rows 2048..2280, cols 1024..1476): 1 × 2 tiles.
  assertEquals(tiles.length, 16 + 2);
  // Nearest first.
  for (let i = 1; i < tiles.length; i++) {
    assertEquals(tiles[i - 1].priority <= tiles[i].priority, true);
  }
});

Deno.test("a store is clipped at the zone edge only when the neighbouring zone is shown", () => {
  const s = store();
  const view = wholeView(s, 5);
  const alone = planTiles(s, "rgb", view, { zonesShown: new Set([30]), colourKey: "" });
  assertEquals(alone.some((t) => t.clipEast || t.clipWest), false);
  const both = planTiles(s, "rgb", view, { zonesShown: new Set([30, 31]), colourKey: "" });
  // The store's east edge lies just past 0° (zone 31): its eastern tiles are clipped there.
  assertEquals(both.filter((t) => t.clipEast).length > 0, true);
  assertEquals(both.some((t) => t.clipWest), false);
  // Keys differ, so clipped and unclipped renders never share a cache entry.
  const keys = new Set(alone.map((t) => t.key));
  assertEquals(both.filter((t) => t.clipEast).every((t) => !keys.has(t.key)), true);
});

Deno.test("a whole real zone in band tiles: only a window around the centre is planned", () => {
  // 930 000 × 67 000 px (a northern zone): 3.6 million × 262 band tiles.
  const s = store({
    geobox: geoboxFromTransform(67_000, 930_000, T30, 32630),
    shards: null,
    previews: {},
  });
  const view = wholeView(s, 5000);
  const t0 = performance.now();
  const tiles = planTiles(s, "bands", view, {
    zonesShown: new Set([30]),
    colourKey: "",
    maxTiles: 32,
  });
  assertEquals(tiles.length <= 4 * 32 + 64, true, `${tiles.length} tiles`);
  assertEquals(performance.now() - t0 < 1000, true);
});
