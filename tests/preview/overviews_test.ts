/** Pyramid geometry, chunking, the alpha-aware 2 × 2 mean, and attribute ordering (pure). */
import { assertEquals } from "../assert.ts";
import { withoutPreviews, withPreviews } from "../../lib/store/previews.ts";
import {
  overviewShards,
  previewArrayMetadata,
  pyramidLevels,
  reduce2x2,
} from "../../lib/preview/overviews.ts";
import { referenceReduce } from "./helpers.ts";

const T = [10, 0, 693910, 0, -10, 5720820];

Deno.test("pyramidLevels: halve (rounding up) until the longest side is ≤ 1024", () => {
  const table: [number, number, number[][]][] = [
    [1000, 300, [[1000, 300]]],
    [1024, 1024, [[1024, 1024]]],
    [1025, 10, [[1025, 10], [513, 5]]],
    [2280, 1476, [[2280, 1476], [1140, 738], [570, 369]]],
    [90000, 60000, [
      [90000, 60000],
      [45000, 30000],
      [22500, 15000],
      [11250, 7500],
      [5625, 3750],
      [2813, 1875],
      [1407, 938],
      [704, 469],
    ]],
  ];
  for (const [h, w, shapes] of table) {
    const levels = pyramidLevels("rgb", h, w, T);
    assertEquals(
      JSON.stringify(levels.map((l) => l.shape.slice(0, 2))),
      JSON.stringify(shapes),
      `${h}×${w}`,
    );
  }
  const l = pyramidLevels("pca_rgb", 2280, 1476, T);
  assertEquals(
    JSON.stringify(l.map((x) => x.path)),
    '["pca_rgb","pca_rgb_overviews/1","pca_rgb_overviews/2"]',
  );
  assertEquals(JSON.stringify(l[2].transform), JSON.stringify([40, 0, 693910, 0, -40, 5720820]));
  assertEquals(l[2].pixel_size_m, 40);
  assertEquals(JSON.stringify(l[2].shape), "[570,369,4]");
});

Deno.test("preview array metadata: level 0 like scales, overviews clipped to the array", () => {
  const cfg = (h: number, w: number, k: number) => {
    const m = previewArrayMetadata(h, w, k);
    const shard = m.codecs[0].configuration as {
      chunk_shape: number[];
      codecs: { name: string }[];
    };
    return [
      m.chunk_grid.configuration.chunk_shape,
      shard.chunk_shape,
      shard.codecs.map((c) => c.name),
    ];
  };
  assertEquals(JSON.stringify(cfg(2280, 1476, 0)), '[[1024,1024,4],[256,256,4],["bytes","zstd"]]');
  assertEquals(JSON.stringify(cfg(300, 300, 0)), '[[1024,1024,4],[256,256,4],["bytes","zstd"]]');
  assertEquals(JSON.stringify(cfg(1140, 738, 1)), '[[1024,768,4],[256,256,4],["bytes","zstd"]]');
  assertEquals(JSON.stringify(cfg(570, 369, 2)), '[[768,512,4],[256,256,4],["bytes","zstd"]]');
  assertEquals(JSON.stringify(cfg(564, 209, 1)), '[[768,209,4],[256,209,4],["bytes","zstd"]]');
  const m = previewArrayMetadata(10, 20, 3);
  assertEquals(m.data_type, "uint8");
  assertEquals(m.fill_value, 0);
  assertEquals(JSON.stringify(m.dimension_names), '["northing","easting","rgba"]');
});

Deno.test("reduce2x2 equals the plain alpha-aware mean, odd sizes and strides included", () => {
  let x = 11;
  const rnd = () => (x = (x * 48271) % 2147483647) / 2147483647;
  for (const [h, w] of [[1, 1], [2, 2], [3, 5], [7, 4], [64, 63]]) {
    const src = new Uint8Array(h * w * 4);
    for (let i = 0; i < h * w; i++) {
      if (rnd() < 0.3) continue; // no data
      src.set(
        [Math.floor(rnd() * 256), Math.floor(rnd() * 256), Math.floor(rnd() * 256), 255],
        i * 4,
      );
    }
    const oh = Math.ceil(h / 2), ow = Math.ceil(w / 2);
    // Into a wider destination (stride ow + 3) to exercise the strides.
    const dst = new Uint8Array(oh * (ow + 3) * 4).fill(77);
    reduce2x2(src, h, w, w, dst, oh, ow, ow + 3);
    const got = new Uint8Array(oh * ow * 4);
    for (let r = 0; r < oh; r++) {
      got.set(dst.subarray(r * (ow + 3) * 4, (r * (ow + 3) + ow) * 4), r * ow * 4);
    }
    assertEquals(got.join(","), referenceReduce(src, h, w).join(","), `${h}×${w}`);
  }
  // Halves round up: (10 + 21)/2 = 15.5 → 16; a lone valid pixel keeps its colour.
  const out = new Uint8Array(4);
  reduce2x2(
    Uint8Array.of(10, 0, 0, 255, 21, 0, 0, 255, 9, 9, 9, 0, 0, 0, 0, 0),
    2,
    2,
    2,
    out,
    1,
    1,
    1,
  );
  assertEquals(out.join(","), "16,0,0,255");
});

Deno.test("overviewShards: the next-level shards that existing shards feed", () => {
  // 2253 × 2861 zone, level-0 shards present except (0,2), (2,0), (2,1); level 1 is 1127 × 1431
  // with shards 1024 × 1024.
  const src: [number, number][] = [[0, 0], [0, 1], [1, 0], [1, 1], [1, 2], [2, 2]];
  const got = overviewShards(src, [1024, 1024], [2253, 2861], [1024, 1024]);
  assertEquals(JSON.stringify(got), "[[0,0],[0,1],[1,1]]");
  assertEquals(JSON.stringify(overviewShards([], [1024, 1024], [10, 10], [5, 5])), "[]");
});

Deno.test("preview attributes: canonical order whatever the order of the passes", () => {
  const base = { utm_zone: 30, build_complete: true };
  const rgbLv = [{
    level: 0,
    path: "rgb",
    pixel_size_m: 10,
    transform: T,
    shape: [5, 5, 4] as [number, number, 4],
  }];
  const pcaLv = [{ ...rgbLv[0], path: "pca_rgb" }];
  const rgb = {
    rgb_bands: [0, 1, 2],
    rgb_stretch: { min: [0, 0, 0], max: [1, 1, 1] },
    has_rgb_preview: true,
  };
  const pca = { pca_mean: [0], has_pca_preview: true };
  const a = withPreviews(withPreviews(base, rgb, { rgb: rgbLv }), pca, { pca_rgb: pcaLv });
  const b = withPreviews(withPreviews(base, pca, { pca_rgb: pcaLv }), rgb, { rgb: rgbLv });
  assertEquals(JSON.stringify(a), JSON.stringify(b));
  assertEquals(
    JSON.stringify(Object.keys(a)),
    JSON.stringify([
      "utm_zone",
      "build_complete",
      "multiscales",
      "rgb_bands",
      "rgb_stretch",
      "has_rgb_preview",
      "pca_mean",
      "has_pca_preview",
    ]),
  );
  assertEquals(JSON.stringify(Object.keys(a.multiscales as object)), '["layout","rgb","pca_rgb"]');
  // Withdrawing one preview leaves the other untouched.
  const c = withoutPreviews(a, ["rgb"]);
  assertEquals(JSON.stringify(c), JSON.stringify(withPreviews(base, pca, { pca_rgb: pcaLv })));
  assertEquals(JSON.stringify(withoutPreviews(c, ["pca_rgb"])), JSON.stringify(base));
});
