/**
 * Landmask GeoTIFFs: our writer and reader round-trip bit-exactly, GDAL and rasterio agree
 * with both, and every defect in SPEC §2 becomes the right TesseraError.
 */

import { pythonWith } from "../helpers/env.ts";
import { join } from "node:path";
import { assertDeepEquals, assertEquals, assertRejectsKind } from "../assert.ts";
import { encodeLandmaskTiff, writeLandmaskTiff } from "../../lib/tiles/geotiff_write.ts";
import { openLandmask } from "../../lib/tiles/landmask.ts";
import { tileGrid } from "../../lib/grid/tile_grid.ts";

/** Deterministic pattern with water, land = 1 and other non-zero values, so nothing cancels. */
function pattern(width: number, height: number, seed: number): Uint8Array {
  const data = new Uint8Array(width * height);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const v = s >>> 24;
    data[i] = v < 100 ? 0 : v < 240 ? 1 : v;
  }
  return data;
}

/** A landmask exactly on the tile grid of SPEC §3.2, as the published ones are. */
function tileMask(lon: number, lat: number, seed: number) {
  const { geobox } = tileGrid(lon, lat);
  return {
    width: geobox.width,
    height: geobox.height,
    epsg: geobox.epsg,
    transform: [...geobox.transform],
    data: pattern(geobox.width, geobox.height, seed),
  };
}

function windowOf(data: Uint8Array, width: number, r0: number, r1: number, c0: number, c1: number) {
  const out = new Uint8Array((r1 - r0) * (c1 - c0));
  for (let r = r0; r < r1; r++) {
    out.set(data.subarray(r * width + c0, r * width + c1), (r - r0) * (c1 - c0));
  }
  return out;
}

function assertBytesEqual(actual: Uint8Array, expected: Uint8Array, what: string) {
  assertEquals(actual.length, expected.length, `${what}: length`);
  const i = actual.findIndex((v, k) => v !== expected[k]);
  if (i >= 0) throw new Error(`${what}: pixel ${i} is ${actual[i]}, expected ${expected[i]}`);
}

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const text = new TextDecoder().decode(r.success ? r.stdout : r.stderr);
    return { ok: r.success, out: text };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { ok: false, out: `${cmd} not found` };
    throw e;
  }
}

const HAVE_GDAL = (await run("gdalinfo", ["--version"])).ok;
// rasterio may live only in the system Python when python3 on PATH is a pyenv shim.
const PYTHON = await pythonWith("rasterio");

const CASES = [
  { name: "north (0.15, 52.25), EPSG 32631", lon: 0.15, lat: 52.25, epsg: 32631 },
  { name: "south (36.85, -1.25), EPSG 32737", lon: 36.85, lat: -1.25, epsg: 32737 },
];

for (const c of CASES) {
  for (const compress of ["deflate", "none"] as const) {
    Deno.test(`landmask round-trips exactly: ${c.name}, ${compress}`, async () => {
      const dir = await Deno.makeTempDir();
      try {
        const m = tileMask(c.lon, c.lat, c.epsg);
        assertEquals(m.epsg, c.epsg);
        const path = join(dir, `grid_${c.lon.toFixed(2)}_${c.lat.toFixed(2)}.tiff`);
        await writeLandmaskTiff(path, { ...m, compress });
        // The rename leaves only the landmask behind, no temp file.
        assertDeepEquals([...Deno.readDirSync(dir)].map((e) => e.name), [path.split("/").pop()]);

        const mask = await openLandmask(path);
        assertEquals(mask.path, path);
        assertEquals(mask.epsg, c.epsg);
        assertEquals(mask.width, m.width);
        assertEquals(mask.height, m.height);
        // Bit-exact: the origin must survive as the same IEEE double.
        for (let i = 0; i < 6; i++) {
          assertEquals(Object.is(mask.transform[i], m.transform[i]), true, `transform[${i}]`);
        }

        const { width: W, height: H, data } = m;
        assertBytesEqual(await mask.readWindow(0, H, 0, W), data, "whole raster");
        const windows: [number, number, number, number][] = [
          [0, 3, 0, 5], // upper-left
          [0, 3, W - 5, W], // upper-right
          [H - 3, H, 0, 5], // lower-left
          [H - 3, H, W - 5, W], // lower-right
          [H - 1, H, W - 1, W], // last pixel
          [15, 17, 100, 101], // straddles a strip boundary (16 rows per strip)
          [0, H, 7, 8], // a full column crosses every strip
        ];
        for (const [r0, r1, c0, c1] of windows) {
          assertBytesEqual(
            await mask.readWindow(r0, r1, c0, c1),
            windowOf(data, W, r0, r1, c0, c1),
            `window rows ${r0}..${r1} cols ${c0}..${c1}`,
          );
        }
        assertEquals((await mask.readWindow(5, 5, 0, W)).length, 0);
        mask.close();
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }

  Deno.test({
    name: `GDAL reads our landmask, and we read GDAL's: ${c.name}`,
    ignore: !HAVE_GDAL,
    async fn() {
      const dir = await Deno.makeTempDir();
      try {
        const m = tileMask(c.lon, c.lat, c.epsg + 1);
        const path = join(dir, "ours.tiff");
        await writeLandmaskTiff(path, m);

        const info = await run("gdalinfo", ["-json", path]);
        assertEquals(info.ok, true, info.out);
        const j = JSON.parse(info.out);
        assertDeepEquals(j.size, [m.width, m.height]);
        const [a, , e0, , e, n0] = m.transform;
        const expected = [e0, a, 0, n0, 0, e];
        (j.geoTransform as number[]).forEach((v, i) => {
          if (!(Math.abs(v - expected[i]) <= 1e-6)) {
            throw new Error(`gdalinfo geoTransform[${i}] = ${v}, expected ${expected[i]}`);
          }
        });
        const wkt: string = j.coordinateSystem.wkt;
        assertEquals(wkt.trimEnd().endsWith(`ID["EPSG",${c.epsg}]]`), true, wkt.slice(-80));
        assertEquals(j.bands.length, 1);
        assertEquals(j.bands[0].type, "Byte");

        // GDAL's own writer: tiled, predictor, and a second band we must ignore.
        const gdalPath = join(dir, "gdal.tiff");
        const tr = await run("gdal_translate", [
          "-q",
          "-b",
          "1",
          "-b",
          "1",
          "-co",
          "TILED=YES",
          "-co",
          "BLOCKXSIZE=256",
          "-co",
          "BLOCKYSIZE=256",
          "-co",
          "COMPRESS=DEFLATE",
          "-co",
          "PREDICTOR=2",
          path,
          gdalPath,
        ]);
        assertEquals(tr.ok, true, tr.out);
        const mask = await openLandmask(gdalPath);
        assertEquals(mask.epsg, c.epsg);
        assertDeepEquals([...mask.transform], m.transform);
        assertBytesEqual(await mask.readWindow(0, m.height, 0, m.width), m.data, "GDAL copy");
        mask.close();
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });

  Deno.test({
    name: `rasterio reads our landmask pixel for pixel: ${c.name}`,
    ignore: PYTHON === undefined,
    async fn() {
      const dir = await Deno.makeTempDir();
      try {
        const m = tileMask(c.lon, c.lat, c.epsg + 2);
        const path = join(dir, "ours.tiff");
        const raw = join(dir, "band1.raw");
        await writeLandmaskTiff(path, m);
        const script = [
          "import json, sys, rasterio",
          "with rasterio.open(sys.argv[1]) as ds:",
          "    a = ds.read(1)",
          "    open(sys.argv[2], 'wb').write(a.tobytes())",
          "    print(json.dumps({'epsg': ds.crs.to_epsg(), 'dtype': str(a.dtype),",
          "        'shape': list(a.shape), 'transform': list(ds.transform)[:6]}))",
        ].join("\n");
        const r = await run(PYTHON!, ["-c", script, path, raw]);
        assertEquals(r.ok, true, r.out);
        const j = JSON.parse(r.out);
        assertEquals(j.epsg, c.epsg);
        assertEquals(j.dtype, "uint8");
        assertDeepEquals(j.shape, [m.height, m.width]);
        assertDeepEquals(j.transform, m.transform);
        assertBytesEqual(await Deno.readFile(raw), m.data, "rasterio band 1");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

// --- defects -------------------------------------------------------------------------------

const GOOD = {
  width: 40,
  height: 37,
  epsg: 32631,
  transform: [10, 0, 301822.86261, 0, -10, 5798366.72759],
  data: pattern(40, 37, 7),
};

/** Writes `bytes` (or a landmask with `over` applied) to a temp dir and opens it. */
async function openBroken(
  make: Uint8Array | Partial<typeof GOOD>,
  kind: string,
  mustMention?: string,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "grid_0.15_52.25.tiff");
    const bytes = make instanceof Uint8Array ? make : encodeLandmaskTiff({ ...GOOD, ...make });
    await Deno.writeFile(path, bytes);
    const e = await assertRejectsKind(() => openLandmask(path), kind);
    assertEquals(e.message.includes(path), true, `message names the file: ${e.message}`);
    if (mustMention) {
      assertEquals(e.message.includes(mustMention), true, `"${mustMention}" in: ${e.message}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("missing landmask is MissingFile", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "grid_0.15_52.25.tiff");
    const e = await assertRejectsKind(() => openLandmask(path), "MissingFile");
    assertEquals(e.message.includes(path), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("random bytes are BadLandmask (not a TIFF)", async () => {
  const junk = pattern(64, 64, 99);
  junk[0] = 0x89; // never a TIFF byte-order mark
  await openBroken(junk, "BadLandmask", "not a TIFF");
  await openBroken(new Uint8Array(0), "BadLandmask", "not a TIFF");
});

Deno.test("random bytes behind a TIFF header are BadLandmask", async () => {
  const junk = pattern(64, 64, 98);
  junk.set([0x49, 0x49, 42, 0]);
  await openBroken(junk, "BadLandmask");
});

Deno.test("truncated landmask is BadLandmask, both compressed and raw", async () => {
  for (const compress of ["deflate", "none"] as const) {
    const full = encodeLandmaskTiff({ ...tileMask(0.15, 52.25, 5), compress });
    await openBroken(full.subarray(0, full.length >> 1), "BadLandmask", "truncated: strip");
    // Cut inside the IFD itself.
    await openBroken(full.subarray(0, 60), "BadLandmask", "unreadable TIFF structure");
  }
});

Deno.test("corrupt Deflate data is BadLandmask", async () => {
  const bytes = encodeLandmaskTiff(tileMask(0.15, 52.25, 6));
  // The last strip ends the file; breaking its zlib checksum must not pass silently.
  bytes.fill(0xff, bytes.length - 8);
  await openBroken(bytes, "BadLandmask", "cannot decode");
});

Deno.test("pixel size other than 10 m is BadLandmask", async () => {
  await openBroken({ transform: [20, 0, 301822.86261, 0, -20, 5798366.72759] }, "BadLandmask");
  await openBroken({ transform: [10.02, 0, 301822.86261, 0, -10, 5798366.72759] }, "BadLandmask");
  await openBroken({ transform: [10, 0, 301822.86261, 0, -9.98, 5798366.72759] }, "BadLandmask");
});

Deno.test("a pixel size within 1 cm of 10 m is accepted and reported as stored", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "m.tiff");
    const transform = [10.005, 0, 301822.86261, 0, -9.995, 5798366.72759];
    await writeLandmaskTiff(path, { ...GOOD, transform });
    const mask = await openLandmask(path);
    assertDeepEquals([...mask.transform], transform);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rotated grid is BadLandmask", async () => {
  await openBroken({ transform: [10, 0.5, 301822.86261, 0.5, -10, 5798366.72759] }, "BadLandmask");
});

Deno.test("non-UTM or missing EPSG is BadLandmask", async () => {
  await openBroken({ epsg: 3857 }, "BadLandmask", "3857");
  await openBroken({ epsg: 4326 }, "BadLandmask", "4326");
  await openBroken({ epsg: 32661 }, "BadLandmask", "32661"); // UPS north, not UTM
  await openBroken({ epsg: 32767 }, "BadLandmask", "user-defined");
});

Deno.test("windows outside the raster are BadArgument; reads after close too", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "m.tiff");
    await writeLandmaskTiff(path, GOOD);
    const mask = await openLandmask(path);
    const { width: W, height: H } = GOOD;
    const bad: [number, number, number, number][] = [
      [0, H + 1, 0, W],
      [0, H, 0, W + 1],
      [-1, 1, 0, 1],
      [0, 1, -1, 1],
      [3, 2, 0, 1],
      [0, 1, 5, 4],
      [0, 1.5, 0, 1],
      [0, NaN, 0, 1],
    ];
    for (const [r0, r1, c0, c1] of bad) {
      await assertRejectsKind(() => mask.readWindow(r0, r1, c0, c1), "BadArgument");
    }
    mask.close();
    await assertRejectsKind(() => mask.readWindow(0, 1, 0, 1), "BadArgument");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writer refuses data that does not fill width × height", async () => {
  await assertRejectsKind(
    () => encodeLandmaskTiff({ ...GOOD, data: new Uint8Array(GOOD.width * GOOD.height - 1) }),
    "BadArgument",
  );
  await assertRejectsKind(
    () => encodeLandmaskTiff({ ...GOOD, transform: [10, 0, 0] }),
    "BadArgument",
  );
});

Deno.test("a 3-band landmask opens with bands = 3 and reads band 1 (GDAL agrees)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const m = tileMask(0.15, 52.25, 11);
    const rgb = new Uint8Array(m.data.length * 3);
    for (let i = 0; i < m.data.length; i++) rgb.set([m.data[i], 255 - m.data[i], 7], 3 * i);
    for (const compress of ["deflate", "none"] as const) {
      const path = join(dir, `rgb_${compress}.tiff`);
      await writeLandmaskTiff(path, { ...m, data: rgb, bands: 3, compress });
      const mask = await openLandmask(path);
      assertEquals(mask.bands, 3);
      assertBytesEqual(await mask.readWindow(0, m.height, 0, m.width), m.data, compress);
      mask.close();
      if (HAVE_GDAL) {
        const info = await run("gdalinfo", ["-json", path]);
        assertEquals(JSON.parse(info.out).bands.length, 3, info.out);
      }
    }
    const single = join(dir, "one.tiff");
    await writeLandmaskTiff(single, m);
    assertEquals((await openLandmask(single)).bands, 1);
    await assertRejectsKind(
      () => encodeLandmaskTiff({ ...m, data: m.data, bands: 3 }),
      "BadArgument",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
