/**
 * lib/store/attributes.ts and previews.ts parsing: the format's defaults for what a store does
 * not record (an upstream or older store), and a "BadStore" error naming the attribute for
 * what is wrong.
 */
import { assertDeepEquals, assertEquals, assertRejectsKind } from "../assert.ts";
import {
  DEFAULT_DATASET_VERSION,
  parseBuildState,
  parseStatisticsAttributes,
  parseZoneAttributes,
  STORE_FORMAT,
} from "../../lib/store/attributes.ts";
import { DEFAULT_MAX_VALID_SCALE } from "../../lib/store/pixel_state.ts";
import {
  doneFlag,
  parseMultiscales,
  parsePcaAttributes,
  parsePreviewAttributes,
} from "../../lib/store/previews.ts";

const T = [10, 0, 500000, 0, -10, 6000000];

Deno.test("defaults: a store with only the upstream attributes parses", () => {
  const a = parseZoneAttributes({ utm_zone: 30, year: 2024, transform: T });
  assertEquals(a.zone, 30);
  assertEquals(a.year, 2024);
  assertEquals(a.epsg, 32630);
  assertEquals(a.crs, "EPSG:32630");
  assertEquals(a.pixelSizeM, 10);
  assertEquals(a.maxValidScale, DEFAULT_MAX_VALID_SCALE);
  assertEquals(a.datasetVersion, DEFAULT_DATASET_VERSION);
  assertEquals(a.format, undefined);
  assertEquals(a.bands, undefined);
  assertEquals(a.shape, undefined);
  assertDeepEquals(a.build, {
    complete: false,
    unfinished: false,
    failedTiles: [],
    badScalePixels: {},
  });
  assertEquals(a.statistics, null);
  assertEquals(a.bandPercentiles, undefined);
  assertDeepEquals(a.previews, {
    rgb: false,
    pcaRgb: false,
    rgbBands: undefined,
    rgbStretch: undefined,
    pcaExplainedVariance: undefined,
    multiscales: undefined,
  });
  // The year falls back to the store's name.
  assertEquals(
    parseZoneAttributes({ utm_zone: 5, transform: T }, { name: "utm05_2019.zarr" }).year,
    2019,
  );
  // A recorded max_valid_scale wins; a nonsensical one does not.
  assertEquals(
    parseZoneAttributes({ utm_zone: 30, year: 1, transform: T, max_valid_scale: 0.5 })
      .maxValidScale,
    0.5,
  );
  assertEquals(
    parseZoneAttributes({ utm_zone: 30, year: 1, transform: T, max_valid_scale: -1 }).maxValidScale,
    1,
  );
});

Deno.test("errors: what a zone store must say, named", async () => {
  const base = { utm_zone: 30, year: 2024, transform: T };
  const bad: [Record<string, unknown>, string][] = [
    [{ year: 2024, transform: T }, "utm_zone"],
    [{ ...base, utm_zone: 61 }, "utm_zone"],
    [{ ...base, utm_zone: 30.5 }, "utm_zone"],
    [{ utm_zone: 30, transform: T }, "year"],
    [{ ...base, transform: undefined }, "transform"],
    [{ ...base, transform: [10, 0, 500000, 0, 10, 6000000] }, "transform"], // south-up
    [{ ...base, transform: [10, 1, 500000, 0, -10, 6000000] }, "transform"], // rotated
    [{ ...base, transform: [10, 0, 500000, 0, -20, 6000000] }, "transform"], // not square
    [{ ...base, crs_epsg: 32730 }, "EPSG:32730"],
    [{ ...base, tessera_zones_format: STORE_FORMAT + 1 }, "format"],
  ];
  for (const [attrs, word] of bad) {
    const e = await assertRejectsKind(
      () => parseZoneAttributes(attrs, { where: "/x/utm30_2024.zarr" }),
      "BadStore",
    );
    assertEquals(e.message.includes(word), true, e.message);
    assertEquals(e.message.startsWith("/x/utm30_2024.zarr: "), true, e.message);
  }
});

Deno.test("build state, statistics and stretch attributes", () => {
  assertDeepEquals(parseBuildState({ build_complete: false }), {
    complete: false,
    unfinished: true,
    failedTiles: [],
    badScalePixels: {},
  });
  assertDeepEquals(
    parseBuildState({
      build_complete: true,
      failed_tiles: ["grid_0.15_52.05"],
      bad_scale_pixels: { "grid_0.25_52.05": 12, junk: "x" },
    }),
    {
      complete: true,
      unfinished: false,
      failedTiles: ["grid_0.15_52.05"],
      badScalePixels: { "grid_0.25_52.05": 12 },
    },
  );
  assertEquals(parseStatisticsAttributes({ stats_band_p2: [1] }), null);
  assertDeepEquals(parseStatisticsAttributes({ stats_count: 3, stats_sample_size: 2 }), {
    count: 3,
    latticePx: undefined,
    sampleLatticePx: undefined,
    sampleSize: 2,
    bandP2: undefined,
    bandP98: undefined,
  });
  // The store-wide stretch is read even without a count (a foreign store's).
  const a = parseZoneAttributes({
    utm_zone: 31,
    year: 2023,
    transform: T,
    stats_band_p2: [-1, -2],
    stats_band_p98: [1, 2],
  });
  assertDeepEquals(a.bandPercentiles, { p2: [-1, -2], p98: [1, 2] });
});

Deno.test("preview attributes: done flags, well-formed multiscales only, PCA parameters", () => {
  assertEquals(doneFlag("rgb"), "has_rgb_preview");
  assertEquals(doneFlag("pca_rgb"), "has_pca_preview");
  const level = { level: 0, path: "rgb", pixel_size_m: 10, transform: T, shape: [5, 5, 4] };
  assertDeepEquals(parseMultiscales({ rgb: [level, { level: 1 }], pca_rgb: "x" }), {
    rgb: [level],
  });
  assertEquals(parseMultiscales([level]), undefined);
  const p = parsePreviewAttributes({
    has_rgb_preview: true,
    rgb_bands: [4, 17, 90],
    rgb_stretch: { min: [0, 0, 0], max: "x" },
  });
  assertDeepEquals([p.rgb, p.pcaRgb, p.rgbBands, p.rgbStretch], [
    true,
    false,
    [4, 17, 90],
    undefined,
  ]);
  const pca = {
    components: [[1, 0], [0, 1], [0, 0]],
    mean: [0, 0],
    explainedVariance: [0.5, 0.3, 0],
    medians: [0, 0, 0],
    iqrs: [1, 1, 1],
    stretch: { min: [0, 0, 0], max: [1, 1, 1] },
  };
  assertDeepEquals(
    parsePcaAttributes({
      pca_components: pca.components,
      pca_mean: pca.mean,
      pca_explained_variance: pca.explainedVariance,
      pca_medians: pca.medians,
      pca_iqrs: pca.iqrs,
      pca_stretch: pca.stretch,
    }),
    pca,
  );
  assertEquals(parsePcaAttributes({ pca_components: pca.components }), undefined);
});
