// The zarr.json documents of SPEC §4, compared as exact text so key order is checked too
// (zarr-python's order: upstream-pr-spec §3.3).

import assert from "node:assert/strict";
import { isTesseraError } from "../../lib/errors.ts";
import { coordinateValues } from "../../lib/zarr/coords.ts";
import {
  arrayLayout,
  arrayMetadata,
  chunkKey,
  groupMetadata,
  jsonText,
} from "../../lib/zarr/metadata.ts";
import { zoneArrays } from "../../lib/store/arrays.ts";

const compact = (o: unknown) => JSON.stringify(o);
const INDEX_CODECS =
  `"index_codecs":[{"name":"bytes","configuration":{"endian":"little"}},{"name":"crc32c"}],` +
  `"index_location":"end"`;
const TAIL = `"zarr_format":3,"node_type":"array","storage_transformers":[]}`;
const KEY_ENCODING = `"chunk_key_encoding":{"name":"default","configuration":{"separator":"/"}}`;

Deno.test("metadata: embeddings, raw", () => {
  assert.equal(
    compact(zoneArrays(2278, 1454, 128, false).embeddings),
    `{"shape":[2278,1454,128],"data_type":"int8",` +
      `"chunk_grid":{"name":"regular","configuration":{"chunk_shape":[1024,1024,128]}},` +
      `${KEY_ENCODING},"fill_value":0,` +
      `"codecs":[{"name":"sharding_indexed","configuration":{"chunk_shape":[32,32,128],` +
      `"codecs":[{"name":"bytes"}],${INDEX_CODECS}}}],` +
      `"attributes":{},"dimension_names":["northing","easting","band"],${TAIL}`,
  );
});

Deno.test("metadata: embeddings, zstd", () => {
  const codecs = compact(zoneArrays(10, 10, 128, true).embeddings.codecs);
  assert.equal(
    codecs,
    `[{"name":"sharding_indexed","configuration":{"chunk_shape":[32,32,128],` +
      `"codecs":[{"name":"bytes"},{"name":"zstd","configuration":{"level":3,"checksum":false}}],` +
      `${INDEX_CODECS}}}]`,
  );
});

Deno.test("metadata: scales", () => {
  assert.equal(
    compact(zoneArrays(2278, 1454, 128, false).scales),
    `{"shape":[2278,1454],"data_type":"float32",` +
      `"chunk_grid":{"name":"regular","configuration":{"chunk_shape":[1024,1024]}},` +
      `${KEY_ENCODING},"fill_value":"NaN",` +
      `"codecs":[{"name":"sharding_indexed","configuration":{"chunk_shape":[64,64],` +
      `"codecs":[{"name":"bytes","configuration":{"endian":"little"}},` +
      `{"name":"zstd","configuration":{"level":3,"checksum":false}}],${INDEX_CODECS}}}],` +
      `"attributes":{},"dimension_names":["northing","easting"],${TAIL}`,
  );
});

Deno.test("metadata: coordinates and band", () => {
  const a = zoneArrays(2278, 3_000_000, 128, false);
  const zstd = `{"name":"zstd","configuration":{"level":3,"checksum":false}}`;
  assert.equal(
    compact(a.northing),
    `{"shape":[2278],"data_type":"float64",` +
      `"chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2278]}},` +
      `${KEY_ENCODING},"fill_value":"NaN",` +
      `"codecs":[{"name":"bytes","configuration":{"endian":"little"}},${zstd}],` +
      `"attributes":{},"dimension_names":["northing"],${TAIL}`,
  );
  // Long axes are chunked rather than stored as one huge object.
  assert.deepEqual(a.easting.chunk_grid.configuration.chunk_shape, [1 << 20]);
  assert.equal(
    compact(a.band),
    `{"shape":[128],"data_type":"int32",` +
      `"chunk_grid":{"name":"regular","configuration":{"chunk_shape":[128]}},` +
      `${KEY_ENCODING},"fill_value":0,` +
      `"codecs":[{"name":"bytes","configuration":{"endian":"little"}},${zstd}],` +
      `"attributes":{},"dimension_names":["band"],${TAIL}`,
  );
});

Deno.test("metadata: group document and JSON text form", () => {
  assert.equal(
    jsonText(groupMetadata({ utm_zone: 30, name: "Zürich" })),
    `{\n  "attributes": {\n    "utm_zone": 30,\n    "name": "Z\\u00fcrich"\n  },\n` +
      `  "zarr_format": 3,\n  "node_type": "group"\n}\n`,
  );
  assert.throws(
    () => jsonText(groupMetadata({ bad: NaN })),
    (e) => isTesseraError(e, "BadArgument"),
  );
  // NaN / ±Infinity fills are spelled as strings, which jsonText accepts.
  const m = (fillValue: number) =>
    arrayMetadata({
      shape: [4],
      dataType: "float64",
      chunkShape: [4],
      fillValue,
      compress: "none",
      dimensionNames: ["x"],
    }).fill_value;
  assert.deepEqual([m(NaN), m(Infinity), m(-Infinity), m(0.5)], [
    "NaN",
    "Infinity",
    "-Infinity",
    0.5,
  ]);
});

Deno.test("metadata: invalid arrays are BadArgument", () => {
  const base = {
    shape: [100, 100],
    dataType: "int8" as const,
    chunkShape: [64, 64],
    fillValue: 0,
    compress: "none" as const,
    dimensionNames: ["y", "x"],
  };
  const bad = (e: unknown) => isTesseraError(e, "BadArgument");
  assert.throws(() => arrayMetadata({ ...base, fillValue: 128 }), bad);
  assert.throws(() => arrayMetadata({ ...base, fillValue: NaN }), bad);
  assert.throws(() => arrayMetadata({ ...base, dimensionNames: ["y"] }), bad);
  assert.throws(() => arrayMetadata({ ...base, chunkShape: [64] }), bad);
  assert.throws(() => arrayMetadata({ ...base, innerChunkShape: [24, 32] }), bad);
  assert.throws(() => arrayMetadata({ ...base, compress: "zstd", level: 99 }), bad);
});

Deno.test("metadata: arrayLayout reads back what arrayMetadata wrote", () => {
  const a = zoneArrays(1500, 2100, 8, true);
  assert.deepEqual(arrayLayout(a.embeddings), {
    dataType: "int8",
    shape: [1500, 2100, 8],
    chunkShape: [1024, 1024, 8],
    innerChunkShape: [32, 32, 8],
    fill: 0,
    compress: "zstd",
    level: 3,
  });
  const s = arrayLayout(a.scales);
  assert.ok(Number.isNaN(s.fill));
  assert.equal(arrayLayout(zoneArrays(1, 1, 8, false).embeddings).compress, "none");
  assert.equal(arrayLayout(a.band).innerChunkShape, undefined);
});

Deno.test("metadata: chunk keys", () => {
  assert.equal(chunkKey("embeddings", [0, 1, 0]), "embeddings/c/0/1/0");
  assert.equal(chunkKey("scales", [2, 3]), "scales/c/2/3");
  assert.equal(chunkKey("easting", [0]), "easting/c/0");
  assert.throws(() => chunkKey("scales", [-1, 0]), (e) => isTesseraError(e, "BadArgument"));
});

Deno.test("coords: pixel centres", () => {
  assert.deepEqual(
    coordinateValues(301370, 10, 3, "increasing"),
    Float64Array.of(301375, 301385, 301395),
  );
  assert.deepEqual(
    coordinateValues(5798370, 10, 2, "decreasing"),
    Float64Array.of(5798365, 5798355),
  );
  // Same float operations as upstream's `origin_n - (j + 0.5) * 10`, bit for bit.
  const origin = 5709696.9836;
  const v = coordinateValues(origin, 10, 2000, "decreasing");
  for (let j = 0; j < 2000; j++) assert.equal(v[j], origin - (j + 0.5) * 10);
});
