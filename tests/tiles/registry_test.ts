/**
 * Tests for registry.parquet: the writer's GeoParquet shape, reading it back (columns, year
 * and size filters, dedup, old files without lon_i/lat_i), auto-discovery in base, parent and
 * grandparent, and every BadRegistry case. Real files in a temp dir; cross-checked with pyarrow
 * when `python3 -c "import pyarrow"` works.
 */
import { pythonWith, withTmp as withTmpDir } from "../helpers/env.ts";
import { join } from "node:path";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { parquetWriteFile } from "hyparquet-writer";
import { assertDeepEquals, assertEquals, assertRejectsKind } from "../assert.ts";
import {
  findRegistry,
  readRegistry,
  registryTiles,
  registryYears,
} from "../../lib/tiles/registry.ts";
import { type RegistryRow, writeRegistry } from "../../lib/tiles/registry_write.ts";
import { tileRef } from "../../lib/tiles/tile_ref.ts";

const PYTHON = await pythonWith("pyarrow");
const HAVE_PYARROW = PYTHON !== undefined;

const withTmp = (fn: (dir: string) => Promise<void>) => withTmpDir("registry_test_", fn);

function row(year: number, lonI: number, latI: number, extra: Partial<RegistryRow> = {}) {
  return {
    year,
    lonI,
    latI,
    hash: "ab".repeat(32),
    scalesHash: "cd".repeat(32),
    mtimeS: 1_700_000_000,
    fileSize: 1000,
    scalesSize: 100,
    ...extra,
  };
}

// Deliberately unsorted, with a duplicate, a zero-size .npy and a zero-size scales row.
const ROWS: RegistryRow[] = [
  row(2024, 15, 5225),
  row(2023, -5, 5145),
  row(2024, -5, 5145),
  row(2024, 25, -5),
  row(2024, 15, 5225, { hash: null }), // duplicate centre: listed once
  row(2024, -105, 5225, { fileSize: 0 }), // .npy missing at scan time
  row(2024, 35, 5225, { scalesSize: 0 }), // scales missing at scan time
  row(2025, 5, 5, { mtimeS: null, scalesHash: null }),
];

Deno.test("writeRegistry writes GeoParquet columns, geo metadata and sorted rows", async () => {
  await withTmp(async (dir) => {
    const path = join(dir, "registry.parquet");
    await writeRegistry(path, ROWS);
    assertDeepEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["registry.parquet"]);

    const file = await asyncBufferFromFile(path);
    const md = await parquetMetadataAsync(file);
    const cols = md.schema.slice(1).map((s) => [s.name, s.type]);
    assertDeepEquals(cols, [
      ["lat", "DOUBLE"],
      ["lon", "DOUBLE"],
      ["year", "INT64"],
      ["hash", "BYTE_ARRAY"],
      ["scales_hash", "BYTE_ARRAY"],
      ["mtime", "INT64"],
      ["file_size", "INT64"],
      ["scales_size", "INT64"],
      ["lon_i", "INT32"],
      ["lat_i", "INT32"],
      ["geometry", "BYTE_ARRAY"],
    ]);
    const geo = JSON.parse(md.key_value_metadata!.find((kv) => kv.key === "geo")!.value!);
    assertEquals(geo.version, "1.0.0");
    assertEquals(geo.primary_column, "geometry");
    assertEquals(geo.columns.geometry.encoding, "WKB");
    assertDeepEquals(geo.columns.geometry.geometry_types, ["Point"]);
    assertDeepEquals(geo.columns.geometry.bbox, [-1.05, -0.05, 0.35, 52.25]);

    const rows = await parquetReadObjects({ file, metadata: md });
    // Sorted (year, lat, lon); lat/lon exactly lat_i/100; geometry is Point(lon, lat).
    assertDeepEquals(
      rows.map((r) => [Number(r.year), r.lat, r.lon]),
      [
        [2023, 51.45, -0.05],
        [2024, -0.05, 0.25],
        [2024, 51.45, -0.05],
        [2024, 52.25, -1.05],
        [2024, 52.25, 0.15],
        [2024, 52.25, 0.15],
        [2024, 52.25, 0.35],
        [2025, 0.05, 0.05],
      ],
    );
    for (const r of rows) {
      assertEquals(r.lon_i, Math.round(r.lon * 100));
      assertEquals(r.lat_i, Math.round(r.lat * 100));
      assertDeepEquals(r.geometry, { type: "Point", coordinates: [r.lon, r.lat] });
    }
    assertEquals((rows[0].mtime as Date).getTime(), 1_700_000_000_000);
    assertEquals(rows[7].mtime, null);
    assertEquals(rows[7].scales_hash, null);
    assertEquals(rows[0].hash, "ab".repeat(32));
  });
});

Deno.test("readRegistry + registryTiles: year slice, size > 0, dedup, file order", async () => {
  await withTmp(async (dir) => {
    const path = join(dir, "registry.parquet");
    await writeRegistry(path, ROWS);
    const reg = await readRegistry(path);
    assertEquals(reg.n, ROWS.length);
    assertDeepEquals(registryYears(reg), [2023, 2024, 2025]);
    assertDeepEquals(registryTiles(reg, 2024), [
      tileRef(2024, 25, -5),
      tileRef(2024, -5, 5145),
      tileRef(2024, 15, 5225),
    ]);
    assertDeepEquals(registryTiles(reg, 2023), [tileRef(2023, -5, 5145)]);
    assertDeepEquals(registryTiles(reg, 2019), []);

    const only = await readRegistry(path, { years: [2025] });
    assertEquals(only.n, 1);
    assertDeepEquals([...only.year], [2025]);
    assertDeepEquals(registryTiles(only, 2025), [tileRef(2025, 5, 5)]);
    assertDeepEquals(registryTiles(only, 2024), []);
  });
});

Deno.test("a year whose rows all have size 0 is not listed by registryYears", async () => {
  await withTmp(async (dir) => {
    const path = join(dir, "registry.parquet");
    await writeRegistry(path, [row(2022, 5, 5, { fileSize: 0 }), row(2023, 5, 5)]);
    assertDeepEquals(registryYears(await readRegistry(path)), [2023]);
  });
});

Deno.test("an empty registry reads as zero rows", async () => {
  await withTmp(async (dir) => {
    const path = join(dir, "registry.parquet");
    await writeRegistry(path, []);
    const reg = await readRegistry(path);
    assertEquals(reg.n, 0);
    assertDeepEquals(registryYears(reg), []);
  });
});

Deno.test("readRegistry spans row groups", async () => {
  await withTmp(async (dir) => {
    const path = join(dir, "registry.parquet");
    const rows: RegistryRow[] = [];
    for (let latI = -895; latI <= 895; latI += 10) {
      for (let lonI = -95; lonI <= 95; lonI += 10) rows.push(row(2024, lonI, latI));
    }
    await writeRegistry(path, rows, { rowGroupRows: 333 });
    const md = await parquetMetadataAsync(await asyncBufferFromFile(path));
    assertEquals(md.row_groups.length, Math.ceil(rows.length / 333));
    const tiles = registryTiles(await readRegistry(path), 2024);
    assertDeepEquals(tiles, rows.map((r) => tileRef(2024, r.lonI, r.latI)));
  });
});

Deno.test("old registries without lon_i/lat_i or scales_size: keys from round(x*100)", async () => {
  await withTmp(async (dir) => {
    const path = join(dir, "registry.parquet");
    parquetWriteFile({
      filename: path,
      columnData: [
        // Float centres that are not exact in binary, as pandas would hold them.
        { name: "lat", data: [51.45, 52.25, -0.05], type: "DOUBLE" },
        { name: "lon", data: [-0.05, 0.15, 179.95], type: "DOUBLE" },
        { name: "year", data: [2024n, 2024n, 2024n], type: "INT64" },
        { name: "file_size", data: [10, 0, 10], type: "DOUBLE" }, // float: pandas with NaN
        { name: "hash", data: ["a", "b", "c"], type: "STRING" },
      ],
    });
    const reg = await readRegistry(path);
    assertEquals(reg.scalesSize, undefined);
    assertDeepEquals([...reg.lonI], [-5, 15, 17995]);
    assertDeepEquals([...reg.latI], [5145, 5225, -5]);
    assertDeepEquals(registryTiles(reg, 2024), [tileRef(2024, -5, 5145), tileRef(2024, 17995, -5)]);
  });
});

Deno.test("readRegistry ignores malformed geo metadata (geometry is never read)", async () => {
  await withTmp(async (dir) => {
    const path = join(dir, "registry.parquet");
    parquetWriteFile({
      filename: path,
      columnData: [
        { name: "lat", data: [51.45], type: "DOUBLE" },
        { name: "lon", data: [-0.05], type: "DOUBLE" },
        { name: "year", data: [2024], type: "INT32" },
        { name: "file_size", data: [10], type: "INT32" },
      ],
      kvMetadata: [{ key: "geo", value: "{not json" }],
    });
    assertDeepEquals(registryTiles(await readRegistry(path), 2024), [tileRef(2024, -5, 5145)]);
  });
});

Deno.test("findRegistry looks in base, parent, grandparent, in that order", async () => {
  await withTmp(async (dir) => {
    const base = join(dir, "a", "b", "c");
    await Deno.mkdir(base, { recursive: true });
    assertEquals(await findRegistry(base), undefined);
    await writeRegistry(join(dir, "registry.parquet"), ROWS); // great-grandparent: too far
    assertEquals(await findRegistry(base), undefined);
    await writeRegistry(join(dir, "a", "registry.parquet"), ROWS);
    assertEquals(await findRegistry(base), join(dir, "a", "registry.parquet"));
    await writeRegistry(join(dir, "a", "b", "registry.parquet"), ROWS);
    assertEquals(await findRegistry(base), join(dir, "a", "b", "registry.parquet"));
    await writeRegistry(join(base, "registry.parquet"), ROWS);
    assertEquals(await findRegistry(base), join(base, "registry.parquet"));
    // An explicit directory wins over auto-discovery.
    assertEquals(await findRegistry(base, dir), join(dir, "registry.parquet"));
    // A directory named registry.parquet is not a registry.
    const odd = join(dir, "odd");
    await Deno.mkdir(join(odd, "registry.parquet"), { recursive: true });
    assertEquals(await findRegistry(odd), join(dir, "registry.parquet"));
  });
});

Deno.test("findRegistry with a registry dir that lacks the file: BadRegistry", async () => {
  await withTmp(async (dir) => {
    await writeRegistry(join(dir, "registry.parquet"), ROWS); // present in base, but ignored
    const empty = join(dir, "empty");
    await Deno.mkdir(empty);
    const e = await assertRejectsKind(() => findRegistry(dir, empty), "BadRegistry");
    if (!e.message.includes(empty)) throw new Error("message should name the directory");
    await assertRejectsKind(() => findRegistry(dir, join(dir, "nope")), "BadRegistry");
  });
});

Deno.test("readRegistry: missing required columns are named", async () => {
  await withTmp(async (dir) => {
    const path = join(dir, "registry.parquet");
    parquetWriteFile({
      filename: path,
      columnData: [
        { name: "lat", data: [51.45], type: "DOUBLE" },
        { name: "year", data: [2024], type: "INT32" },
      ],
    });
    const e = await assertRejectsKind(() => readRegistry(path), "BadRegistry");
    for (const s of [path, "lon", "file_size"]) {
      if (!e.message.includes(s)) throw new Error(`message should mention ${s}: ${e.message}`);
    }
  });
});

Deno.test("readRegistry: not a parquet file, empty file, missing file", async () => {
  await withTmp(async (dir) => {
    const text = join(dir, "registry.parquet");
    await Deno.writeTextFile(text, "lat,lon,year\n51.45,-0.05,2024\n");
    const e = await assertRejectsKind(() => readRegistry(text), "BadRegistry");
    if (!e.message.includes(text)) throw new Error("message should name the file");
    const empty = join(dir, "empty.parquet");
    await Deno.writeFile(empty, new Uint8Array(0));
    await assertRejectsKind(() => readRegistry(empty), "BadRegistry");
    await assertRejectsKind(() => readRegistry(join(dir, "missing.parquet")), "BadRegistry");
  });
});

Deno.test("readRegistry: a truncated parquet file", async () => {
  await withTmp(async (dir) => {
    const path = join(dir, "registry.parquet");
    await writeRegistry(path, ROWS);
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(path, bytes.subarray(0, bytes.length - 100));
    await assertRejectsKind(() => readRegistry(path), "BadRegistry");
  });
});

Deno.test("readRegistry: null year, non-numeric key column, out-of-range centre", async () => {
  await withTmp(async (dir) => {
    const path = join(dir, "registry.parquet");
    const base = (year: unknown[], lat: number[] = [51.45, 52.25]) => [
      { name: "lat", data: lat, type: "DOUBLE" as const },
      { name: "lon", data: [-0.05, 0.15], type: "DOUBLE" as const },
      { name: "file_size", data: [10, 10], type: "INT32" as const },
      { name: "year", data: year },
    ];
    parquetWriteFile({ filename: path, columnData: base([2024, null]) });
    const e = await assertRejectsKind(() => readRegistry(path), "BadRegistry");
    if (!e.message.includes("row 1")) throw new Error(`should name the row: ${e.message}`);
    parquetWriteFile({ filename: path, columnData: base(["2024", "2024"]) });
    await assertRejectsKind(() => readRegistry(path), "BadRegistry");
    parquetWriteFile({ filename: path, columnData: base([2024, 2024], [51.45, 95.05]) });
    await assertRejectsKind(() => readRegistry(path), "BadRegistry");
  });
});

Deno.test({
  name: "pyarrow reads the written registry (cross-check)",
  ignore: !HAVE_PYARROW,
  fn: async () => {
    await withTmp(async (dir) => {
      const path = join(dir, "registry.parquet");
      await writeRegistry(path, ROWS);
      const out = await new Deno.Command(PYTHON!, {
        args: [
          "-c",
          "import sys, json, pyarrow.parquet as pq\n" +
          "t = pq.read_table(sys.argv[1])\n" +
          "print(json.dumps([t.num_rows, t.column_names, " +
          "json.loads(t.schema.metadata[b'geo'])['primary_column']]))",
          path,
        ],
      }).output();
      if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
      const [n, names, primary] = JSON.parse(new TextDecoder().decode(out.stdout));
      assertEquals(n, ROWS.length);
      assertEquals(names.length, 11);
      assertEquals(primary, "geometry");
    });
  },
});
