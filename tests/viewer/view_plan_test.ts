/**
 * viewer/src/view_plan.ts, colour_source.ts, view_info.ts: the pure halves of the Viewer —
 * what each store is coloured from, the band-bytes budget of one view, what the panel says.
 */
import { assertEquals } from "../assert.ts";
import { geobox } from "../../lib/grid/geobox.ts";
import { bandStretch, colourKey, sourceFor } from "../../viewer/src/colour_source.ts";
import { densifyBox, gridsBounds } from "../../viewer/src/geometry.ts";
import type { LevelInfo, StoreInfo } from "../../viewer/src/store.ts";
import { viewInfo, viewStatus } from "../../viewer/src/view_info.ts";
import { BAND_BYTES_PER_VIEW, planView } from "../../viewer/src/view_plan.ts";

const GB = geobox(1476, 2280, 693910, 5720820, 32630);

function store(over: Partial<StoreInfo> = {}): StoreInfo {
  const rgb: LevelInfo[] = [{
    level: 0,
    path: "rgb",
    pixelSizeM: 10,
    geobox: GB,
    shardShape: [1024, 1024],
  }];
  return {
    name: "utm30_2024.zarr",
    url: "http://127.0.0.1:1/utm30_2024.zarr",
    zone: 30,
    year: 2024,
    epsg: 32630,
    geobox: GB,
    pixelSizeM: 10,
    bands: 128,
    shardShape: [1024, 1024],
    innerShape: [32, 32],
    shards: null,
    stats: { p2: Array(128).fill(-2), p98: Array(128).fill(2), count: 1 },
    previews: { rgb, pca_rgb: rgb.map((l) => ({ ...l, path: "pca_rgb" })) },
    rgbBands: [0, 1, 2],
    rgbStretch: null,
    pcaExplainedVariance: null,
    attrs: {},
    ...over,
  };
}

Deno.test("sourceFor: PCA preview, rgb preview for its own bands, else bands", () => {
  const s = store();
  assertEquals(sourceFor(s, { mode: "pca", bands: [0, 1, 2] }), "pca_rgb");
  assertEquals(sourceFor(s, { mode: "rgb", bands: [0, 1, 2] }), "rgb");
  assertEquals(sourceFor(s, { mode: "rgb", bands: [5, 1, 2] }), "bands");
  assertEquals(sourceFor(store({ previews: {} }), { mode: "pca", bands: [0, 1, 2] }), "bands");
  // No statistics: the fixed ±4 stretch; the key names the bands and the stretch.
  assertEquals(bandStretch([store({ stats: null })], [7]).max.join(), "4");
  assertEquals(colourKey([s], s, "bands", [5, 1, 2]).startsWith("b5,1,2:-2.000000"), true);
  assertEquals(colourKey([s], s, "pca_rgb", [5, 1, 2]), "pca");
});

Deno.test("planView keeps the nearest band tiles within the bytes of one view", () => {
  const s = store();
  const [w, so, e, n] = gridsBounds([s]);
  const view = {
    ring: densifyBox(w, so, e, n),
    centre: [(w + e) / 2, (so + n) / 2] as [number, number],
    metresPerPx: 5,
  };
  const all = planView([s], view, { mode: "rgb", bands: [5, 6, 7] }, true);
  // 2280 × 1476 px at 132 bytes: 444 MB, more than one view's 256 MiB.
  const [kept, wanted] = all.bandTiles;
  assertEquals(wanted, 9 * 6);
  assertEquals(kept < wanted && kept === all.tiles.length, true);
  const bytes = all.tiles.reduce(
    (sum, t) => sum + (t.rect.r1 - t.rect.r0) * (t.rect.c1 - t.rect.c0) * (s.bands + 4),
    0,
  );
  assertEquals(bytes <= BAND_BYTES_PER_VIEW, true);
  for (let i = 1; i < all.tiles.length; i++) {
    assertEquals(all.tiles[i - 1].priority <= all.tiles[i].priority, true);
  }
  // Previews have no budget.
  const rgb = planView([s], view, { mode: "rgb", bands: [0, 1, 2] }, true);
  assertEquals(rgb.bandTiles.join(), "0,0");
  assertEquals(rgb.tiles.length, 6);
});

Deno.test("viewInfo and viewStatus: what the panel says", () => {
  const s = store({ shards: new Set(["0/0", "1/1"]) });
  const info = viewInfo([s], [], [0, 1, 2], { done: 3, total: 4 }, 2);
  assertEquals(info.grid, "1476×2280 px (14.8×22.8 km)");
  assertEquals(info.shards, "2 with data / 6");
  assertEquals(info.level, "nothing in view");
  assertEquals(info.tiles, "3/4 loaded, 2 shown");
  assertEquals(viewInfo([s], undefined, [0, 1, 2], { done: 0, total: 0 }, 0).level, undefined);
  assertEquals(viewStatus([3, 5], true, 0).level, "warn");
  assertEquals(viewStatus([5, 5], true, 0).text, "Ready");
  assertEquals(viewStatus([5, 5], true, 2).text, "2 tile(s) failed (see console)");
  assertEquals(viewStatus([5, 5], false, 0).text, "Loading…");
});
