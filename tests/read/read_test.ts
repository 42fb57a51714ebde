/**
 * The read API against real sample stores built by the real CLI, on disk and over loopback
 * HTTP: regions equal zarrita's reading of the same store, points equal the source tiles
 * (both hemispheres, water included), the 30/31 seam routes and falls back, absent shards read
 * as nodata, a cold point read stays within 4 requests and 400 KB, and aborts, retries and
 * corrupt indexes behave.
 */
import * as zarr from "zarrita";
import { join } from "node:path";
import { assertDeepEquals, assertEquals, assertRejectsKind } from "../assert.ts";
import { planZones, storeName, type ZonePlan } from "../../lib/plan/zone_plan.ts";
import { utmForward, utmInverse } from "../../lib/grid/utm.ts";
import { geoboxBounds } from "../../lib/grid/geobox.ts";
import { openLandmask } from "../../lib/tiles/landmask.ts";
import { tilePaths } from "../../lib/tiles/layout.ts";
import { openNpy } from "../../lib/tiles/npy.ts";
import { listTiles } from "../../lib/tiles/tile_list.ts";
import { fsReadable } from "../../lib/zarr/fs_store.ts";
import { chunkCache } from "../../lib/read/cache.ts";
import { Limiter } from "../../lib/read/limiter.ts";
import { seamNeighbours, ZoneCollection, zoneOfPoint } from "../../lib/read/collection.ts";
import { locatePixel, probe, readPoint, samplePoints } from "../../lib/read/point.ts";
import { readRegion, regionWindow } from "../../lib/read/region.ts";
import { openZoneStore } from "../../lib/read/zone_store.ts";
import { BANDS, buildSample, countingFetch, linkTree, serveDir } from "./helpers.ts";
import { serveFixture } from "./http_fixture.ts";
import { ensureDenoKernel, executeNotebook, requireJupyter } from "../notebooks/jupyter.ts";

const { base, zarr: zarrDir } = await buildSample();
const YEAR = 2024;
const plans: ZonePlan[] = planZones((await listTiles(base, { year: YEAR })).tiles);
const ZONES = plans.map((p) => p.zone);

// Directories tests may damage (hard-linked copies) live under one root, also served over HTTP.
const work = await Deno.makeTempDir({ prefix: "tz-read-work-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(work, { recursive: true });
  } catch { /* removed by the last test */ }
});
const http = await serveDir(zarrDir);
// `tasks/serve.ts` writes _stores.json on start; the fixture server does not.
if (http.kind === "fixture") {
  const names = ZONES.map((z) => storeName(z, YEAR));
  await Deno.writeTextFile(join(zarrDir, "_stores.json"), JSON.stringify(names));
}
const zarrUrl = http.url;
// HTTP tests hold connections open across tests (keep-alive, servers started at load).
const opts = { sanitizeOps: false, sanitizeResources: false };

/** The store's arrays as zarrita reads them (the independent reader). */
async function zarritaArrays(zone: number) {
  const root = zarr.root(fsReadable(join(zarrDir, storeName(zone, YEAR))));
  const emb = await zarr.open.v3(root.resolve("embeddings"), { kind: "array" });
  const sc = await zarr.open.v3(root.resolve("scales"), { kind: "array" });
  return {
    emb: (await zarr.get(emb, null)).data as Int8Array,
    sc: (await zarr.get(sc, null)).data as Float32Array,
    width: emb.shape[1],
    height: emb.shape[0],
  };
}

/** What the Jupyter kernel would render: the object's `Symbol.for("Jupyter.display")` bundle. */
function display(obj: object): string {
  const show = (obj as Record<symbol, () => Record<string, string>>)[Symbol.for("Jupyter.display")];
  return show.call(obj)["text/html"];
}

function sameScale(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

function locations(zone: number) {
  const name = storeName(zone, YEAR);
  return [["disk", join(zarrDir, name)], ["http", zarrUrl + name]] as const;
}

for (const zone of [30, 31, 35, 37]) {
  for (const [where, loc] of locations(zone)) {
    Deno.test({
      name: `zone ${zone} (${where}): a whole-store region equals zarrita, raw and dequantised`,
      ...opts,
      async fn() {
        const store = await openZoneStore(loc);
        const ref = await zarritaArrays(zone);
        assertDeepEquals(store.shape, [ref.height, ref.width, BANDS]);
        const [minE, minN, maxE, maxN] = geoboxBounds(store.geobox);
        const raw = await readRegion(store, [minE, minN, maxE, maxN], {
          crs: store.crs,
          dequantise: false,
        });
        assertDeepEquals(raw.geobox, store.geobox);
        assertEquals(raw.data.length, ref.emb.length);
        for (let i = 0; i < ref.emb.length; i++) {
          if (raw.data[i] !== ref.emb[i]) throw new Error(`embedding differs at element ${i}`);
        }
        let valid = 0;
        for (let i = 0; i < ref.sc.length; i++) {
          if (!sameScale(raw.scales[i], ref.sc[i])) throw new Error(`scale differs at pixel ${i}`);
          if (raw.valid[i] !== (Number.isNaN(ref.sc[i]) ? 0 : 1)) throw new Error(`mask at ${i}`);
          valid += raw.valid[i];
        }
        assertEquals(valid > 0, true);
        if (where === "http") return;
        const deq = await readRegion(store, [minE, minN, maxE, maxN], { crs: store.crs });
        for (let i = 0; i < ref.emb.length; i++) {
          const want = Math.fround(ref.emb[i] * ref.sc[Math.floor(i / BANDS)]);
          if (!sameScale(deq.data[i], want)) throw new Error(`dequantised differs at ${i}`);
        }
      },
    });
  }
}

Deno.test({
  name: "a lon/lat region is the snapped envelope of its curved edges, southern hemisphere",
  ...opts,
  async fn() {
    const store = await openZoneStore(zarrUrl + storeName(37, YEAR));
    const ref = await zarritaArrays(37);
    const bbox = [36.84, -0.08, 36.88, -0.03] as const;
    const r = await readRegion(store, bbox);
    const { row0, col0, rows, cols } = r.window;
    assertEquals(r.geobox.width * r.geobox.height > 0, true);
    assertDeepEquals(r.geobox.transform, [
      10,
      0,
      store.geobox.transform[2] + col0 * 10,
      0,
      -10,
      store.geobox.transform[5] - row0 * 10,
    ]);
    // Every edge point lies inside the result; the result is no more than one pixel bigger.
    const [minE, minN, maxE, maxN] = geoboxBounds(r.geobox);
    let lo = [Infinity, Infinity], hi = [-Infinity, -Infinity];
    for (let i = 0; i <= 1000; i++) {
      const t = i / 1000;
      for (
        const [x, y] of [
          [36.84 + 0.04 * t, -0.08],
          [36.84 + 0.04 * t, -0.03],
          [36.84, -0.08 + 0.05 * t],
          [36.88, -0.08 + 0.05 * t],
        ]
      ) {
        const [e, n] = utmForward(x, y, 37, false);
        if (!(e >= minE - 1e-3 && e <= maxE + 1e-3 && n >= minN - 1e-3 && n <= maxN + 1e-3)) {
          throw new Error(`edge point (${x}, ${y}) → (${e}, ${n}) is outside the region`);
        }
        lo = [Math.min(lo[0], e), Math.min(lo[1], n)];
        hi = [Math.max(hi[0], e), Math.max(hi[1], n)];
      }
    }
    assertEquals(
      lo[0] - minE < 10 && maxE - hi[0] < 10 && lo[1] - minN < 10 && maxN - hi[1] < 10,
      true,
    );
    assertEquals(maxN < 0, true); // negative canonical northings south of the equator
    for (let r_ = 0; r_ < rows; r_++) {
      for (let c = 0; c < cols; c++) {
        const p = (row0 + r_) * ref.width + col0 + c, q = r_ * cols + c;
        const s = ref.sc[p];
        if (!sameScale(r.scales[q], s)) throw new Error(`scale differs at ${r_},${c}`);
        for (let b = 0; b < BANDS; b++) {
          const want = Math.fround(ref.emb[p * BANDS + b] * s);
          if (!sameScale(r.data[q * BANDS + b], want)) throw new Error(`value at ${r_},${c},${b}`);
        }
      }
    }
    // Unclipped: a box reaching off the grid keeps its full size, off-grid pixels invalid.
    const e0 = store.geobox.transform[2], n0 = store.geobox.transform[5];
    const off = await readRegion(store, [e0 - 100, n0 - 100, e0 + 100, n0 + 100], {
      crs: store.crs,
      clip: false,
      dequantise: false,
    });
    assertDeepEquals([off.window.rows, off.window.cols, off.window.row0, off.window.col0], [
      20,
      20,
      -10,
      -10,
    ]);
    assertEquals(off.valid[0], 0);
    assertEquals(off.scales[10 * 20 + 10], ref.sc[0]);
    const clipped = regionWindow(store, [e0 - 100, n0 - 100, e0 + 100, n0 + 100], {
      crs: store.crs,
    });
    assertDeepEquals(clipped, { row0: 0, col0: 0, rows: 10, cols: 10 });
    const far = await readRegion(store, [10, 10, 10.01, 10.01]);
    assertEquals(far.data.length, 0);
    await assertRejectsKind(() => readRegion(store, [1, 1, 0, 0]), "BadArgument");
    await assertRejectsKind(
      () => readRegion(store, [0, 0, 1, 1], { crs: "EPSG:32630" }),
      "BadArgument",
    );
  },
});

/** Deterministic pseudo-random integers. */
function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

interface TilePoint {
  zone: number;
  lon: number;
  lat: number;
  row: number;
  col: number;
  state: "valid" | "water";
  raw: Int8Array;
  scale: number;
}

/**
 * Points well inside each tile's own 0.1° cell, where no neighbour's raster reaches, so the
 * store must hold exactly the tile's pixel: random ones plus a few landmask-water ones.
 */
async function tilePoints(): Promise<TilePoint[]> {
  const out: TilePoint[] = [];
  const next = rng(7);
  for (const plan of plans) {
    const [, , e0, , , n0] = plan.geobox.transform;
    for (let t = 0; t < plan.tiles.length; t++) {
      const tile = plan.tiles[t], grid = plan.grids[t], place = plan.placements[t];
      const paths = tilePaths(base, tile);
      const emb = await openNpy(paths.embeddings);
      const sc = await openNpy(paths.scales);
      const lm = await openLandmask(paths.landmask);
      const { width: w, height: h } = grid.geobox;
      const land = await lm.readWindow(0, h, 0, w);
      const candidates: [number, number][] = [];
      for (let k = 0; k < 30; k++) candidates.push([next(h), next(w)]);
      let water = 0;
      for (let k = 0; k < 20000 && water < 3; k++) {
        const r = next(h), c = next(w);
        if (land[r * w + c] === 0) {
          candidates.push([r, c]);
          water++;
        }
      }
      for (const [tr, tc] of candidates) {
        const row = tr + place.rowOffsetPx, col = tc + place.colOffsetPx;
        const [lon, lat] = utmInverse(
          e0 + (col + 0.5) * 10,
          n0 - (row + 0.5) * 10,
          plan.zone,
          false,
        );
        const inCell = Math.abs(lon - tile.lon) < 0.05 - 0.02 &&
          Math.abs(lat - tile.lat) < 0.05 - 0.012;
        if (!inCell) continue;
        const raw = (await emb.readRows(tr, tr + 1) as Int8Array).slice(
          tc * BANDS,
          (tc + 1) * BANDS,
        );
        const scale = (await sc.readRows(tr, tr + 1) as Float32Array)[tc];
        const valid = land[tr * w + tc] !== 0 && Number.isFinite(scale) && scale > 0 && scale < 1;
        out.push({
          zone: plan.zone,
          lon,
          lat,
          row,
          col,
          state: valid ? "valid" : "water",
          raw: valid ? raw : new Int8Array(BANDS),
          scale: valid ? scale : NaN,
        });
      }
      emb.close();
      sc.close();
      lm.close();
    }
  }
  return out;
}
const POINTS = await tilePoints();

for (const where of ["disk", "http"] as const) {
  Deno.test({
    name: `points (${where}) equal the source tiles: both hemispheres, valid and water`,
    ...opts,
    async fn() {
      const south = POINTS.filter((p) => p.lat < 0 && p.state === "valid");
      assertEquals(south.length > 5, true, "southern points");
      assertEquals(POINTS.filter((p) => p.state === "water").length >= 10, true, "water points");
      assertDeepEquals([...new Set(POINTS.map((p) => p.zone))].sort(), [...ZONES].sort());
      for (const zone of ZONES) {
        const loc = locations(zone).find(([w]) => w === where)![1];
        const store = await openZoneStore(loc);
        const pts = POINTS.filter((p) => p.zone === zone);
        for (const p of pts) {
          const got = await readPoint(store, p.lon, p.lat);
          const what = `zone ${zone} (${p.lon}, ${p.lat}) row ${p.row} col ${p.col}`;
          assertDeepEquals([got.row, got.col, got.state], [p.row, p.col, p.state], what);
          assertDeepEquals(got.raw, p.raw, what);
          assertEquals(sameScale(got.scale, p.scale), true, what);
          if (p.state === "valid") {
            assertDeepEquals(got.vector, Float32Array.from(p.raw, (v) => v * p.scale), what);
          } else {
            assertEquals(got.vector, null);
          }
          assertEquals(await probe(store, p.lon, p.lat), p.state, what);
          // The same pixel addressed in the store CRS.
          const [e, n] = [got.easting, got.northing];
          assertEquals((await readPoint(store, e, n, { crs: store.crs })).row, p.row);
        }
        // The batch read equals the single reads, in input order, with junk mixed in.
        const batch: [number, number][] = [...pts.map((p) => [p.lon, p.lat] as [number, number])];
        batch.splice(1, 0, [NaN, 0], [10, 10]);
        const s = await samplePoints(store, batch);
        assertEquals(s.states[1], "outside");
        assertEquals(s.states[2], "outside");
        for (let i = 0, k = 0; i < batch.length; i++) {
          if (i === 1 || i === 2) continue;
          const p = pts[k++];
          assertEquals(s.states[i], p.state);
          assertDeepEquals(s.raw.subarray(i * BANDS, (i + 1) * BANDS), p.raw);
          assertEquals(sameScale(s.scales[i], p.scale), true);
          assertEquals([s.rows[i], s.cols[i]].join(), [p.row, p.col].join());
        }
      }
    },
  });
}

Deno.test("points off the grid are outside, never snapped to an edge pixel", async () => {
  const store = await openZoneStore(join(zarrDir, storeName(37, YEAR)));
  for (const [lon, lat] of [[36.87, 5], [36.87, -3], [NaN, 0], [36.5, 0]]) {
    const p = await readPoint(store, lon, lat);
    assertEquals(p.state, "outside");
    assertEquals(p.raw, null);
    assertEquals(await probe(store, lon, lat), "outside");
  }
  const [, , e0, , , n0] = store.geobox.transform;
  assertEquals((await readPoint(store, e0 - 0.001, n0 - 5, { crs: store.crs })).state, "outside");
  assertEquals((await readPoint(store, e0 + 0.001, n0 - 5, { crs: store.crs })).col, 0);
});

// --- the seam, absent shards, collections -------------------------------------------------

/** A zone-30 pixel with data east of 0° (the tilted cell edge leaves a strip in zone 30). */
async function eastOfSeam(): Promise<{ lon: number; lat: number }> {
  const ref = await zarritaArrays(30);
  const store = await openZoneStore(join(zarrDir, storeName(30, YEAR)));
  const [, , e0, , , n0] = store.geobox.transform;
  for (let r = 0; r < ref.height; r += 7) {
    for (let c = ref.width - 1; c >= 0; c--) {
      if (Number.isNaN(ref.sc[r * ref.width + c])) continue;
      const [lon, lat] = utmInverse(e0 + (c + 0.5) * 10, n0 - (r + 0.5) * 10, 30, false);
      if (lon > 0.0005 && lon < 0.02) return { lon, lat };
      if (lon < 0) break;
    }
  }
  throw new Error("no zone-30 data east of 0°");
}
const SEAM = await eastOfSeam();

// seam/: utm30 and utm31, with utm31's shard under SEAM removed (as if no tile covered it).
// only30/: utm30 alone. Both with _stores.json, so they also work over HTTP. years/: lists a
// 2023 store too. listed/: every store, no _stores.json (a directory listing finds them).
const store31 = await openZoneStore(join(zarrDir, storeName(31, YEAR)));
const seamPx = locatePixel(store31, SEAM.lon, SEAM.lat);
const seamShard = [Math.floor(seamPx.row / 1024), Math.floor(seamPx.col / 1024)];
for (const z of [30, 31]) {
  await linkTree(join(zarrDir, storeName(z, YEAR)), join(work, "seam", storeName(z, YEAR)));
}
await Deno.remove(join(work, "seam", storeName(31, YEAR), "scales", "c", ...seamShard.map(String)));
await Deno.remove(
  join(work, "seam", storeName(31, YEAR), "embeddings", "c", ...seamShard.map(String), "0"),
);
await Deno.writeTextFile(
  join(work, "seam", "_stores.json"),
  JSON.stringify([storeName(30, YEAR), storeName(31, YEAR)]),
);
await linkTree(join(zarrDir, storeName(30, YEAR)), join(work, "only30", storeName(30, YEAR)));
await Deno.writeTextFile(
  join(work, "only30", "_stores.json"),
  JSON.stringify([storeName(30, YEAR)]),
);
await Deno.mkdir(join(work, "listed"));
for (const z of ZONES) {
  await Deno.symlink(join(zarrDir, storeName(z, YEAR)), join(work, "listed", storeName(z, YEAR)));
}
await Deno.mkdir(join(work, "years"));
await Deno.symlink(join(zarrDir, storeName(30, YEAR)), join(work, "years", storeName(30, YEAR)));
await Deno.writeTextFile(
  join(work, "years", "_stores.json"),
  JSON.stringify(["utm30_2023.zarr", storeName(30, YEAR)]),
);

// The damaged copies over HTTP too (served once they exist: serve lists stores at start).
const workHttp = await serveDir(work);

Deno.test("zone routing: the 0.1° cell-centre rule and the seam neighbours", () => {
  const cases: [number, number, number[]][] = [
    [-0.001, 30, [31]],
    [0, 31, [30]],
    [0.001, 31, [30]],
    [2.35, 31, []],
    [-120.5, 10, []],
    [138.03, 54, [53]],
    [137.97, 53, [54]],
    [138.2, 54, []],
    [138.0, 54, [53]],
    [-179.97, 1, [60]],
    [179.97, 60, [1]],
  ];
  for (const [lon, zone, neighbours] of cases) {
    assertEquals(zoneOfPoint(lon), zone, `zone of ${lon}`);
    assertDeepEquals(seamNeighbours(lon), neighbours, `neighbours of ${lon}`);
  }
});

for (const where of ["disk", "http"] as const) {
  const root = (dir: string) => where === "disk" ? join(work, dir) : workHttp.url + dir;
  Deno.test({
    name: `collection (${where}): seam routing and fallback, absent shards are nodata, outside`,
    ...opts,
    async fn() {
      // All stores: over HTTP through the server's _stores.json; on disk through a directory
      // listing (listed/ has no _stores.json).
      const all = await ZoneCollection.open(where === "disk" ? join(work, "listed") : zarrUrl);
      assertDeepEquals(all.entries.map((e) => e.zone), [30, 31, 35, 37]);
      {
        const p = await all.readPoint(SEAM.lon, SEAM.lat);
        assertDeepEquals([p.zone, p.state, p.store], [31, "valid", storeName(31, YEAR)]);
        const w = await all.readPoint(-0.001, 51.47);
        assertEquals(w.zone, 30);
        const south = POINTS.find((q) => q.zone === 37 && q.lat < 0 && q.state === "valid")!;
        const s = await all.readPoint(south.lon, south.lat);
        assertDeepEquals([s.zone, s.row, s.col, s.raw], [37, south.row, south.col, south.raw]);
        assertEquals(await all.probe(10, 10), "outside");
        assertEquals(all.years.join(), "2024");
        assertEquals((await all.readPoint(0.05, 51.47, { year: 2023 })).state, "outside");
      }
      if (where === "disk") {
        // Several years: a read must say which; `years` filters.
        const years = await ZoneCollection.open(join(work, "years"));
        assertDeepEquals(years.years, [2023, 2024]);
        await assertRejectsKind(() => years.readPoint(-0.05, 51.47), "BadArgument");
        assertEquals((await years.readPoint(-0.05, 51.47, { year: 2024 })).zone, 30);
        const only2024 = await ZoneCollection.open(join(work, "years"), { years: [2024] });
        assertEquals((await only2024.readPoint(-0.05, 51.47)).store, storeName(30, YEAR));
      }
      const direct30 = await readPoint(
        await openZoneStore(join(zarrDir, storeName(30, YEAR))),
        SEAM.lon,
        SEAM.lat,
      );
      assertEquals(direct30.state, "valid");

      // seam/: zone 31 has no shard there → its answer is nodata → zone 30 answers.
      const seam = await ZoneCollection.open(root("seam"));
      const s31 = await seam.store(31, YEAR);
      assertEquals(await probe(s31!, SEAM.lon, SEAM.lat), "nodata");
      const p = await seam.readPoint(SEAM.lon, SEAM.lat);
      assertDeepEquals([p.zone, p.state, p.row, p.col], [30, "valid", direct30.row, direct30.col]);
      assertDeepEquals(p.vector, direct30.vector);
      const noFallback = await ZoneCollection.open(root("seam"), { seamDegrees: 0 });
      assertDeepEquals(
        [
          (await noFallback.readPoint(SEAM.lon, SEAM.lat)).state,
          (await noFallback.readPoint(SEAM.lon, SEAM.lat)).zone,
        ],
        ["nodata", 31],
      );
      // only30/: no zone-31 store at all.
      const only = await ZoneCollection.open(root("only30"));
      const q = await only.readPoint(SEAM.lon, SEAM.lat);
      assertDeepEquals([q.zone, q.state], [30, "valid"]);
      const aborted = new AbortController();
      aborted.abort();
      await assertRejectsKind(
        () => only.readPoint(-1, 51.5, { signal: aborted.signal }),
        "AbortError",
      );
      const far = await only.readPoint(5, 51.5);
      assertDeepEquals([far.state, far.store, far.zone], ["outside", null, 31]);
      // Batch through the collection equals point by point, input order kept.
      const pts: [number, number][] = [[SEAM.lon, SEAM.lat], [5, 51.5], [NaN, 1], [-0.05, 51.47], [
        0.05,
        51.47,
      ]];
      const batch = await seam.samplePoints(pts);
      for (let i = 0; i < pts.length; i++) {
        const one = await seam.readPoint(pts[i][0], pts[i][1]);
        assertEquals(batch.states[i], one.state, `point ${i}`);
        assertEquals(batch.zones[i], one.state === "outside" && one.store === null ? 0 : one.zone);
        if (one.raw) assertDeepEquals(batch.raw.subarray(i * BANDS, (i + 1) * BANDS), one.raw);
      }
      assertEquals(
        String(display(seam)).includes("utm31_2024.zarr"),
        true,
      );
    },
  });
}

Deno.test("a NaN pixel inside a written shard is water; inside an absent shard, nodata", async () => {
  const store = await openZoneStore(join(work, "seam", storeName(31, YEAR)));
  const ref = await zarritaArrays(31);
  // Find a NaN pixel in a shard that is still there.
  for (let r = 0; r < ref.height; r += 3) {
    for (let c = 0; c < ref.width; c += 3) {
      if (!Number.isNaN(ref.sc[r * ref.width + c])) continue;
      if (Math.floor(r / 1024) === seamShard[0] && Math.floor(c / 1024) === seamShard[1]) continue;
      const e = store.geobox.transform[2] + (c + 0.5) * 10;
      const n = store.geobox.transform[5] - (r + 0.5) * 10;
      assertEquals((await readPoint(store, e, n, { crs: store.crs })).state, "water");
      const inAbsent = await readPoint(store, SEAM.lon, SEAM.lat);
      assertDeepEquals([inAbsent.state, inAbsent.vector, inAbsent.raw?.every((v) => v === 0)], [
        "nodata",
        null,
        true,
      ]);
      return;
    }
  }
  throw new Error("no NaN pixel found");
});

// --- costs, aborts, retries, corruption ----------------------------------------------------

Deno.test({
  name:
    "opening costs one request; a cold point read ≤ 4 requests and ≤ 200 KB; warm costs none; probe reads only scales",
  ...opts,
  async fn() {
    const counter = countingFetch();
    const p37 = POINTS.find((p) => p.zone === 37 && p.state === "valid" && p.lat < 0)!;
    const store = await openZoneStore(zarrUrl + storeName(37, YEAR), { fetch: counter.fetch });
    // The root zarr.json alone: its consolidated metadata holds every array's document.
    assertEquals(counter.requests, 1);
    assertEquals(new URL(counter.ranges[0].url).pathname.endsWith("/zarr.json"), true);
    counter.reset();
    const p = await readPoint(store, p37.lon, p37.lat);
    assertEquals(p.state, "valid");
    assertEquals(counter.requests <= 4, true, `${counter.requests} requests`);
    // Issue 12 item 4: ≤ 200 KB (369 KB with 256 × 256 scales chunks).
    assertEquals(counter.bytes <= 200_000, true, `${counter.bytes} bytes`);
    // Indexes are fetched with one suffix range of exactly 16·nInner + 4 bytes.
    const ranges = counter.ranges.map((r) => `${new URL(r.url).pathname.split("/")[2]} ${r.range}`);
    assertDeepEquals(store.arrays.scales.innerChunkShape, [64, 64]);
    const nEmb = (1024 / 32) * (1024 / 32), nSc = (1024 / 64) * (1024 / 64);
    assertEquals(ranges.includes(`embeddings bytes=-${16 * nEmb + 4}`), true, ranges.join("; "));
    assertEquals(ranges.includes(`scales bytes=-${16 * nSc + 4}`), true, ranges.join("; "));
    assertEquals(counter.ranges.every((r) => r.range !== null && r.status === 206), true);
    // Warm: served from the caches, no request at all (counted, not timed).
    counter.reset();
    const again = await readPoint(store, p37.lon, p37.lat);
    assertEquals(counter.requests, 0);
    assertDeepEquals(again.vector, p.vector);

    const fresh = await openZoneStore(zarrUrl + storeName(37, YEAR), { fetch: counter.fetch });
    counter.reset();
    assertEquals(await probe(fresh, p37.lon, p37.lat), "valid");
    assertEquals(counter.requests, 2);
    assertEquals(counter.ranges.every((r) => r.url.includes("/scales/")), true);

    // 200 points inside one inner chunk: one read per chunk, however many points.
    const fresh2 = await openZoneStore(zarrUrl + storeName(37, YEAR), { fetch: counter.fetch });
    const { row, col } = locatePixel(fresh2, p37.lon, p37.lat);
    const r0 = row - (row % 32), c0 = col - (col % 32);
    const [, , e0, , , n0] = fresh2.geobox.transform;
    const pts: [number, number][] = [];
    for (let i = 0; i < 200; i++) {
      pts.push([e0 + (c0 + (i % 32) + 0.5) * 10, n0 - (r0 + ((i * 7) % 32) + 0.5) * 10]);
    }
    counter.reset();
    const s = await samplePoints(fresh2, pts, { crs: fresh2.crs });
    assertEquals(s.states.filter((x) => x === "valid").length > 100, true);
    assertEquals(counter.requests, 4);

    // Concurrent point reads of one chunk share their fetches.
    const fresh3 = await openZoneStore(zarrUrl + storeName(37, YEAR), { fetch: counter.fetch });
    counter.reset();
    const many = await Promise.all(
      pts.slice(0, 20).map(([e, n]) => readPoint(fresh3, e, n, { crs: fresh3.crs })),
    );
    assertEquals(counter.requests, 4);
    many.forEach((p, i) => assertEquals(p.state, s.states[i]));
  },
});

Deno.test({
  name: "abort: a region read over a slow server stops at once and sends nothing more",
  ...opts,
  async fn() {
    const slow = serveFixture(zarrDir);
    try {
      const store = await openZoneStore(slow.url + storeName(37, YEAR), { concurrency: 4 });
      // The server holds every request: once four (the concurrency) are held, the client has
      // nothing else in flight, so what the server sees after the abort is exact, not a race.
      slow.behaviour = { hold: true };
      slow.reset();
      const c = new AbortController();
      const [minE, minN, maxE, maxN] = geoboxBounds(store.geobox);
      const read = readRegion(store, [minE, minN, maxE, maxN], {
        crs: store.crs,
        signal: c.signal,
      });
      for (let i = 0; slow.held() < 4; i++) {
        if (i > 3000) throw new Error(`only ${slow.held()} requests reached the server`);
        await new Promise((r) => setTimeout(r, 10));
      }
      assertEquals(slow.requests(), 4);
      c.abort();
      // It rejects while its four requests are still held: it did not wait for them.
      await assertRejectsKind(() => read, "AbortError");
      assertEquals(slow.held(), 4);
      slow.behaviour = {};
      slow.release();
      // Let the held answers go out; an aborted read must not send anything after them.
      while (slow.log.slice(-4).some((e) => e.status === 0)) {
        await new Promise((r) => setTimeout(r, 10));
      }
      await new Promise((r) => setTimeout(r, 100));
      assertEquals(slow.requests(), 4, "requests sent after the abort");
      // A point read aborted while waiting for its index.
      const c2 = new AbortController();
      const p = readPoint(store, 36.87, -0.06, { signal: c2.signal });
      c2.abort();
      await assertRejectsKind(() => p, "AbortError");
      // The store still works afterwards (nothing half-cached).
      slow.behaviour = {};
      assertEquals((await readPoint(store, 36.87, -0.06)).row >= 0, true);
    } finally {
      await slow.close();
    }
  },
});

Deno.test({
  name: "retries: a server failing its first requests with 503 is retried to success",
  ...opts,
  async fn() {
    const flaky = serveFixture(zarrDir, { failNext: 4 });
    try {
      const retries: number[] = [];
      const store = await openZoneStore(flaky.url + storeName(37, YEAR), {
        retry: { baseDelayMs: 5, jitter: false, onRetry: (i) => retries.push(i.delayMs) },
        limiter: new Limiter(1),
      });
      const p37 = POINTS.find((p) => p.zone === 37 && p.state === "valid")!;
      const p = await readPoint(store, p37.lon, p37.lat);
      assertDeepEquals(p.raw, p37.raw);
      assertEquals(flaky.log.filter((e) => e.status === 503).length, 4);
      assertEquals(retries.length, 4);
      assertEquals(Math.max(...retries) >= 10, true); // backoff grew
    } finally {
      await flaky.close();
    }
  },
});

Deno.test({
  name: "404 for an absent shard is an answer: one request, cached, never retried",
  ...opts,
  async fn() {
    const counter = countingFetch();
    const store = await openZoneStore(workHttp.url + "seam/" + storeName(31, YEAR), {
      fetch: counter.fetch,
    });
    counter.reset();
    assertEquals(await probe(store, SEAM.lon, SEAM.lat), "nodata");
    assertEquals(counter.requests, 1);
    assertEquals(counter.ranges[0].status, 404);
    assertEquals(await probe(store, SEAM.lon, SEAM.lat), "nodata");
    assertEquals(counter.requests, 1);
  },
});

Deno.test("a shard index with a bad CRC32C is a BadStore error naming the shard", async () => {
  const dir = join(work, "corrupt", storeName(37, YEAR));
  await linkTree(join(zarrDir, storeName(37, YEAR)), dir);
  const key = join(dir, "scales", "c", "0", "0");
  const bytes = await Deno.readFile(key);
  bytes[bytes.length - 10] ^= 0xff;
  await Deno.remove(key); // break the hard link before writing
  await Deno.writeFile(key, bytes);
  const store = await openZoneStore(dir);
  const [, , e0, , , n0] = store.geobox.transform;
  const err = await assertRejectsKind(
    () => probe(store, e0 + 5, n0 - 5, { crs: store.crs }),
    "BadStore",
  );
  assertEquals(
    err.message.includes("scales/c/0/0") && err.message.includes("CRC32C"),
    true,
    err.message,
  );
  await assertRejectsKind(() => openZoneStore(join(work, "nothing-here")), "BadStore");
});

Deno.test("stores share a bounded chunk cache; display outside Jupyter is harmless", async () => {
  const cache = chunkCache(300 * 1024);
  const a = await openZoneStore(join(zarrDir, storeName(30, YEAR)), { cache });
  const b = await openZoneStore(join(zarrDir, storeName(31, YEAR)), { cache });
  for (const p of POINTS.filter((p) => p.zone === 30 || p.zone === 31)) {
    await readPoint(p.zone === 30 ? a : b, p.lon, p.lat);
  }
  assertEquals(cache.weight <= 300 * 1024, true);
  assertEquals(cache.stats.evictions > 0, true);
  const html = display(a);
  for (const s of ["utm30_2024.zarr", "2024", "EPSG:32630", `× ${BANDS}`, "previews"]) {
    assertEquals(html.includes(s), true, s);
  }
  assertEquals(String(a).startsWith("ZoneStore(utm30_2024.zarr"), true);
  assertEquals(a.statistics!.count > 0 && a.statistics!.bandP2!.length === BANDS, true);
  assertDeepEquals(a.arrays.embeddings.innerChunkShape, [32, 32, BANDS]);
  assertEquals(a.preview.rgb, false);
});

Deno.test("in a real Deno Jupyter kernel a store and a collection display as tables", async () => {
  await requireJupyter();
  await ensureDenoKernel();
  const mod = new URL("../../lib/read/mod.ts", import.meta.url).href;
  // Displayed through the notebooks' `show` (which calls the object's Jupyter.display method):
  // a cell's bare result can reach nbconvert after the kernel's "idle" and be lost (Deno 2.9).
  const display = new URL("../../notebooks/display.ts", import.meta.url).href;
  const cell = (id: string, source: string) => ({
    cell_type: "code",
    id,
    execution_count: null,
    metadata: {},
    outputs: [],
    source,
  });
  const nb = {
    cells: [
      cell(
        "store",
        `import { openZoneStore, ZoneCollection } from ${JSON.stringify(mod)};\n` +
          `import { show } from ${JSON.stringify(display)};\n` +
          `await show(await openZoneStore(${JSON.stringify(join(zarrDir, storeName(37, YEAR)))}))`,
      ),
      cell("collection", `await show(await ZoneCollection.open(${JSON.stringify(zarrDir)}))`),
    ],
    metadata: { kernelspec: { display_name: "Deno", language: "typescript", name: "deno" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  const dir = join(work, "notebook");
  await Deno.mkdir(dir);
  await Deno.writeTextFile(join(dir, "display.ipynb"), JSON.stringify(nb));
  const run = await executeNotebook(join(dir, "display.ipynb"), join(dir, "out"));
  assertEquals(run.ok, true, run.log + run.errors.join("\n"));
  const executed = JSON.parse(await Deno.readTextFile(run.executed));
  // nbformat may store a multi-line output as a list of lines.
  const text = (v: string | string[]) => (Array.isArray(v) ? v.join("") : v);
  const [store, collection] = executed.cells.map(
    (c: { outputs: { data?: Record<string, string | string[]> }[] }) => {
      const data = c.outputs.find((o) => o.data?.["text/html"])?.data ?? {};
      return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, text(v)]));
    },
  );
  assertEquals(store["text/html"].includes("2213 × 2228 × 8"), true, store["text/html"]);
  assertEquals(store["text/plain"].startsWith("ZoneStore(utm37_2024.zarr"), true);
  assertEquals(collection["text/html"].includes("utm35_2024.zarr"), true);
});

Deno.test({
  name: "close the HTTP servers and remove the temporary directories",
  ...opts,
  async fn() {
    await http.close();
    await workHttp.close();
    await Deno.remove(work, { recursive: true });
    await Deno.remove(base, { recursive: true });
  },
});
