/**
 * lib/store/names.ts and layout.ts: the one store-name pattern (table-driven: names that are
 * and are not zone stores), and the layout's keys and shard grid.
 */
import { assertDeepEquals, assertEquals } from "../assert.ts";
import {
  isStoreName,
  parseStoreName,
  STORE_NAME_PATTERN,
  storeBasename,
  storeName,
} from "../../lib/store/names.ts";
import {
  badScalesKey,
  BUILD_DIR,
  documentKey,
  EMBEDDINGS_INNER_PX,
  failuresKey,
  markerKey,
  PREVIEW_INNER_PX,
  SCALES_INNER_PX,
  SHARD_PX,
  shardGridShape,
  shardKey,
  tileNotesKey,
} from "../../lib/store/layout.ts";

Deno.test("store names: utm{ZZ}_{YYYY}.zarr only, zone zero-padded", () => {
  const table: [string, { zone: number; year: number } | undefined][] = [
    ["utm05_2024.zarr", { zone: 5, year: 2024 }],
    ["utm30_2017.zarr", { zone: 30, year: 2017 }],
    ["utm60_2025.zarr", { zone: 60, year: 2025 }],
    ["utm5_2024.zarr", undefined], // not zero-padded
    ["utm005_2024.zarr", undefined],
    ["utm30_24.zarr", undefined],
    ["utm30_2024.zarr.old", undefined],
    ["utm30_2024.zarr.tmp-0123456789ab", undefined],
    ["global_rgb_2024.zarr", undefined],
    ["UTM30_2024.zarr", undefined],
    ["utm30_2024", undefined],
    ["", undefined],
  ];
  for (const [name, want] of table) {
    assertDeepEquals(parseStoreName(name), want, name);
    assertEquals(isStoreName(name), want !== undefined, name);
    assertEquals(STORE_NAME_PATTERN.test(name), want !== undefined, name);
  }
  for (const zone of [1, 5, 30, 60]) {
    const name = storeName(zone, 2024);
    assertDeepEquals(parseStoreName(name), { zone, year: 2024 }, name);
  }
  assertEquals(storeName(5, 2024), "utm05_2024.zarr");
});

Deno.test("storeBasename: the last path or URL segment, trailing slashes ignored", () => {
  const table: [string, string][] = [
    ["utm30_2024.zarr", "utm30_2024.zarr"],
    ["/data/zarr/utm30_2024.zarr", "utm30_2024.zarr"],
    ["/data/zarr/utm30_2024.zarr///", "utm30_2024.zarr"],
    ["http://127.0.0.1:8000/zarr/utm31_2024.zarr/", "utm31_2024.zarr"],
    ["out\\utm37_2024.zarr", "utm37_2024.zarr"],
  ];
  for (const [where, want] of table) assertEquals(storeBasename(where), want, where);
});

Deno.test("layout: chunk sizes, keys and the shard grid", () => {
  assertDeepEquals([SHARD_PX, EMBEDDINGS_INNER_PX, SCALES_INNER_PX, PREVIEW_INNER_PX], [
    1024,
    32,
    64,
    256,
  ]);
  assertEquals(SHARD_PX % EMBEDDINGS_INNER_PX, 0);
  assertEquals(SHARD_PX % SCALES_INNER_PX, 0);
  assertEquals(documentKey(""), "zarr.json");
  assertEquals(documentKey("stats/sum"), "stats/sum/zarr.json");
  assertEquals(shardKey("scales", 2, 1, 2), "scales/c/1/2");
  assertEquals(shardKey("embeddings", 3, 1, 2), "embeddings/c/1/2/0");
  assertEquals(markerKey(0, 1), `${BUILD_DIR}/shards/0.1.stats`);
  assertEquals(failuresKey(2, 3), "_build/shards/2.3.failures.json");
  assertEquals(badScalesKey(2, 3), "_build/shards/2.3.bad_scales.json");
  assertEquals(tileNotesKey(2, 3), "_build/shards/2.3.tile_notes.json");
  const grids: [number, number, number | [number, number], [number, number]][] = [
    [2280, 1476, SHARD_PX, [3, 2]],
    [1024, 1024, SHARD_PX, [1, 1]],
    [1025, 1, SHARD_PX, [2, 1]],
    [0, 0, SHARD_PX, [0, 0]],
    [570, 369, [768, 512], [1, 1]],
    [2280, 1476, [256, 512], [9, 3]],
  ];
  for (const [h, w, px, want] of grids) {
    assertDeepEquals(shardGridShape(h, w, px), want, `${h}×${w} by ${px}`);
  }
  assertDeepEquals(shardGridShape(2280, 1476), [3, 2]);
});
