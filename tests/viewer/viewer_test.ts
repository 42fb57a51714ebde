/// <reference lib="dom" />
/**
 * The viewer end to end: a dataset made by the toolkit's tasks (fixtures → build → stats →
 * pca), served by `deno task serve` on loopback, opened in Debian's headless Chromium. What the
 * page draws and shows is compared with the store read by zarrita in Deno.
 *
 * Skipped (with a message) when /usr/bin/chromium is missing. Set TZ_SCREENSHOTS=DIR to keep
 * the screenshots each step takes.
 */
import * as zarr from "zarrita";
import type { Page } from "playwright-core";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { fsReadable } from "../../lib/zarr/fs_store.ts";
import {
  chromiumAvailable,
  jumpTo,
  launchChromium,
  makeDataset,
  mapPixels,
  openViewer,
  type PageGlobal,
  project,
  serveDir,
  whenIdle,
} from "../../viewer/headless.ts";
import { lonLatToUtm, utmToLonLat } from "../../viewer/src/geometry.ts";
import { startFaultProxy } from "../helpers/fault_proxy.ts";
import { openStore } from "../../viewer/src/store.ts";

const SHOTS = Deno.env.get("TZ_SCREENSHOTS");

if (!chromiumAvailable()) {
  console.warn("viewer_test: /usr/bin/chromium not found (apt-get install chromium); skipping");
}

interface StoreData {
  name: string;
  zone: number;
  transform: number[];
  h: number;
  w: number;
  scales: Float32Array;
  emb: zarr.Array<zarr.DataType, zarr.Readable>;
  sc: zarr.Array<zarr.DataType, zarr.Readable>;
  rgb?: zarr.Array<zarr.DataType, zarr.Readable>;
}

async function readStore(dir: string, name: string): Promise<StoreData> {
  const root = zarr.root(fsReadable(`${dir}/${name}`));
  const group = await zarr.open.v3(root, { kind: "group" });
  const emb = await zarr.open.v3(root.resolve("embeddings"), { kind: "array" });
  const sc = await zarr.open.v3(root.resolve("scales"), { kind: "array" });
  const rgb = await zarr.open.v3(root.resolve("rgb"), { kind: "array" }).catch(() => undefined);
  const attrs = group.attrs as Record<string, unknown>;
  const scales = (await zarr.get(sc, null)).data as Float32Array;
  return {
    name,
    zone: attrs.utm_zone as number,
    transform: attrs.transform as number[],
    h: sc.shape[0],
    w: sc.shape[1],
    scales,
    emb,
    sc,
    rgb,
  };
}

/** Lon/lat of the centre of pixel (row, col). */
function pixelLonLat(s: StoreData, row: number, col: number): [number, number] {
  const t = s.transform;
  return utmToLonLat(s.zone, t[2] + (col + 0.5) * t[0], t[5] + (row + 0.5) * t[4]);
}

/** Valid pixels (finite scale) on a coarse lattice, at least `margin` px from invalid ones. */
function validLattice(s: StoreData, step: number, margin = 6): [number, number][] {
  const out: [number, number][] = [];
  const ok = (r: number, c: number) =>
    r >= 0 && c >= 0 && r < s.h && c < s.w && Number.isFinite(s.scales[r * s.w + c]);
  for (let r = step / 2; r < s.h; r += step) {
    for (let c = step / 2; c < s.w; c += step) {
      if (
        [[0, 0], [-margin, 0], [margin, 0], [0, -margin], [0, margin]].every(([dr, dc]) =>
          ok(r + dr, c + dc)
        )
      ) {
        out.push([r, c]);
      }
    }
  }
  return out;
}

/** Whether the store has a valid pixel at lon/lat. */
function validAt(s: StoreData, lon: number, lat: number): boolean {
  const [e, n] = lonLatToUtm(s.zone, lon, lat);
  const r = Math.floor((n - s.transform[5]) / s.transform[4]);
  const c = Math.floor((e - s.transform[2]) / s.transform[0]);
  return r >= 0 && c >= 0 && r < s.h && c < s.w && Number.isFinite(s.scales[r * s.w + c]);
}

async function screenPoints(page: Page, s: StoreData, px: [number, number][]) {
  return await Promise.all(px.map(([r, c]) => project(page, ...pixelLonLat(s, r, c))));
}

async function setRange(page: Page, id: string, value: number): Promise<void> {
  await page.evaluate(([id, value]) => {
    const el = document.getElementById(id as string) as HTMLInputElement;
    el.value = String(value);
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }, [id, value]);
}

async function setBands(page: Page, bands: number[]): Promise<void> {
  for (const [i, id] of ["band-r", "band-g", "band-b"].entries()) {
    await page.fill(`#${id}`, String(bands[i]));
  }
  // The band inputs are debounced by 150 ms.
  await page.waitForTimeout(250);
}

function differs(a: number[], b: number[], by = 24): boolean {
  return Math.max(...[0, 1, 2].map((k) => Math.abs(a[k] - b[k]))) > by;
}

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

Deno.test({
  name: "viewer in headless Chromium against deno task serve",
  ignore: !chromiumAvailable(),
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const tmp = await Deno.makeTempDir({ prefix: "tz-viewer-" });
  const data = await makeDataset(tmp, { groups: "greenwich", tiles: 1 });
  const s30 = await readStore(data.zarr, "utm30_2024.zarr");
  const s31 = await readStore(data.zarr, "utm31_2024.zarr");
  const srv = await serveDir(data.zarr);
  const browser = await launchChromium();
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  const failed: { url: string; error: string; at: number }[] = [];
  page.on(
    "requestfailed",
    (r) =>
      failed.push({ url: r.url(), error: r.failure()?.errorText ?? "", at: performance.now() }),
  );

  try {
    await t.step("store metadata: shard geometry from chunk_grid, manifest, previews", async () => {
      const info = await openStore(`${srv.url}utm30_2024.zarr`);
      // zarrita reports the *inner* chunks of a sharded array; the viewer must tile by shards
      // (the upstream viewer's bug, upstream-pr-spec §9.2.1).
      assertDeepEquals(s30.emb.chunks, [32, 32, 128]);
      assertDeepEquals(info.shardShape, [1024, 1024]);
      assertDeepEquals(info.innerShape, [32, 32]);
      assertDeepEquals([info.geobox.height, info.geobox.width], [s30.h, s30.w]);
      assertDeepEquals([...info.geobox.transform], s30.transform);
      assertEquals(info.zone, 30);
      const files = [...Deno.readDirSync(`${data.zarr}/utm30_2024.zarr/scales/c`)].flatMap((r) =>
        [...Deno.readDirSync(`${data.zarr}/utm30_2024.zarr/scales/c/${r.name}`)].map((c) =>
          `${r.name}/${c.name}`
        )
      );
      assertDeepEquals([...info.shards!].sort(), files.sort());
      if (data.previews.rgb) {
        const levels = info.previews.rgb!;
        assertEquals(levels[0].path, "rgb");
        assertEquals(levels.length >= 2, true);
        for (const l of levels) {
          const meta = JSON.parse(
            await Deno.readTextFile(`${data.zarr}/utm30_2024.zarr/${l.path}/zarr.json`),
          );
          assertDeepEquals(l.shardShape, meta.chunk_grid.configuration.chunk_shape.slice(0, 2));
        }
      }
    });

    const lattice = validLattice(s30, 96);
    let points: [number, number][] = [];
    let background: number[][] = [];

    await t.step("the page loads without console errors and zone 30 renders", async () => {
      await openViewer(page, `${srv.url}?store=utm30_2024.zarr`);
      assertDeepEquals(errors, [], "console errors");
      assertEquals(lattice.length > 10, true, "enough valid sample pixels");
      points = await screenPoints(page, s30, lattice);
      const drawn = await mapPixels(page, points);
      await setRange(page, "opacity", 0);
      background = await mapPixels(page, points);
      await setRange(page, "opacity", 100);
      const coloured = drawn.filter((p, i) => differs(p, background[i])).length;
      // Every valid pixel sampled is drawn over the basemap.
      assertEquals(coloured, points.length, `${coloured} of ${points.length} points coloured`);
      const info = await page.locator("#info-level").textContent();
      if (data.previews.rgb) assertEquals(/^rgb L\d/.test(info ?? ""), true, `level: ${info}`);
      await shot(page, "zone30");
    });

    await t.step("switching colours changes the picture (PCA, then other bands)", async () => {
      const before = await mapPixels(page, points);
      if (data.previews.pca) {
        await page.check("#mode-pca");
        await whenIdle(page);
        const pca = await mapPixels(page, points);
        const changed = pca.filter((p, i) => differs(p, before[i])).length;
        assertEquals(
          changed > points.length * 0.6,
          true,
          `PCA changed ${changed}/${points.length}`,
        );
        const variance = await page.locator("#variance").textContent();
        assertEquals(
          /Variance \d+\.\d% \+ \d+\.\d% \+ \d+\.\d%/.test(variance ?? ""),
          true,
          variance!,
        );
        await shot(page, "zone30_pca");
        await page.check('input[name="mode"][value="rgb"]');
        await whenIdle(page);
      }
      await setBands(page, [20, 40, 60]);
      await whenIdle(page);
      assertEquals(await page.locator("#info-level").textContent(), "bands 20,40,60 (10 m)");
      const bands = await mapPixels(page, points);
      const changed = bands.filter((p, i) => differs(p, before[i])).length;
      assertEquals(
        changed > points.length * 0.6,
        true,
        `bands changed ${changed}/${points.length}`,
      );
      const drawn = bands.filter((p, i) => differs(p, background[i])).length;
      assertEquals(drawn, points.length, "band colours drawn at every valid sample pixel");
      await shot(page, "zone30_bands");
      await setBands(page, [0, 1, 2]);
      await whenIdle(page);
      assertDeepEquals(errors, [], "console errors");
    });

    await t.step("clicking a pixel shows its exact values", async () => {
      const [row, col] = lattice[Math.floor(lattice.length / 2)];
      const [lon, lat] = pixelLonLat(s30, row, col);
      await page.uncheck("#ov-grid");
      await jumpTo(page, lon, lat, 17);
      const [x, y] = await project(page, lon, lat);
      await page.mouse.click(x, y);
      await page.waitForFunction(() => {
        const el = document.getElementById("inspector")!;
        return !el.hidden && el.dataset.reading && !el.dataset.busy &&
          el.querySelector(".plot svg");
      });
      const shown = JSON.parse((await page.locator("#inspector").getAttribute("data-reading"))!);
      const raw = Array.from((await zarr.get(s30.emb, [row, col, null])).data as Int8Array);
      const scale = await zarr.get(s30.sc, [row, col]) as number;
      assertEquals(shown.store, "utm30_2024.zarr");
      assertEquals([shown.row, shown.col].join(), [row, col].join());
      assertEquals(shown.state, "valid");
      assertEquals(shown.scale, scale);
      assertEquals(JSON.stringify(shown.raw), JSON.stringify(raw));
      assertEquals(
        JSON.stringify(shown.values),
        JSON.stringify(raw.map((v) => Math.fround(v * scale))),
      );
      const t = s30.transform;
      assertEquals(shown.easting, t[2] + (col + 0.5) * t[0]);
      assertEquals(shown.northing, t[5] + (row + 0.5) * t[4]);
      // The pixel under the cursor is drawn in the preview's exact colour (level 0, nearest).
      if (s30.rgb) {
        const want = Array.from((await zarr.get(s30.rgb, [row, col, null])).data as Uint8Array);
        const [got] = await mapPixels(page, [[x, y]]);
        assertEquals(
          got.slice(0, 3).join(),
          want.slice(0, 3).join(),
          "rendered colour = rgb preview",
        );
      }
      await shot(page, "inspector");
      await page.click("#inspector-close");
      await page.check("#ov-grid");
      assertDeepEquals(errors, [], "console errors");
    });

    // Opens zone 31 from `base`, starts band tiles and moves away while they are in flight.
    const pansAway = async (base: string) => {
      await openViewer(page, `${base}?store=utm31_2024.zarr`);
      const failedBefore = failed.length;
      const statsBefore = await page.evaluate(() =>
        (globalThis as unknown as PageGlobal).tesseraViewer.stats()
      );
      const firstTile = page.waitForRequest(/\/embeddings\/c\//);
      await setBands(page, [3, 4, 5]);
      await firstTile;
      await page.waitForTimeout(150);
      // Far away from any data: nothing new to load there. The viewer's counters are read in
      // the same task as the move, i.e. after the new plan aborted what it does not need.
      const atMove = await page.evaluate(() => {
        const tv = (globalThis as unknown as PageGlobal).tesseraViewer;
        tv.viewer.map.jumpTo({ center: [20, 10], zoom: 12.5 });
        return tv.stats();
      });
      await whenIdle(page);
      // Playwright reports network events asynchronously: give them a moment to arrive.
      const chunkFailures = () =>
        failed.slice(failedBefore).filter((f) => /embeddings|scales/.test(f.url));
      for (let i = 0; i < 50 && chunkFailures().length === 0; i++) await page.waitForTimeout(100);
      const aborted = chunkFailures();
      const stats = await page.evaluate(() =>
        (globalThis as unknown as PageGlobal).tesseraViewer.stats()
      );
      assertEquals(aborted.length > 0, true, "aborted requests seen by the browser");
      assertEquals(
        aborted.every((f) => /ABORTED/.test(f.error)),
        true,
        aborted.map((f) => f.error).join(),
      );
      assertEquals(stats.tilesAborted > statsBefore.tilesAborted, true, "tiles aborted");
      assertEquals(stats.fetchesAborted > statsBefore.fetchesAborted, true, "fetches aborted");
      assertEquals(atMove.tilesAborted > statsBefore.tilesAborted, true, "aborted by the move");
      // No tile of the old view was started after the move.
      assertEquals(stats.tilesStarted, atMove.tilesStarted, "tiles started after the move");
      await setBands(page, [0, 1, 2]);
    };

    await t.step("panning away cancels the tiles in flight", async () => {
      // A fresh page on zone 31 at its fit zoom, through a proxy that answers each chunk
      // request 2 s late: whatever the machine's speed, the band tiles' fetches are still in
      // flight when the view moves away (a fast loopback once served them all within 150 ms).
      const proxy = startFaultProxy(
        srv.url,
        (path) => /\/(embeddings|scales)\/c\//.test(path) ? "slow" : undefined,
        4000,
        2000,
      );
      try {
        await pansAway(proxy.url);
      } finally {
        await proxy.stop();
      }
    });

    await t.step("?store=URL opens a store by URL (manual mode)", async () => {
      await openViewer(page, `${srv.url}?store=${encodeURIComponent(`${srv.url}utm31_2024.zarr`)}`);
      assertEquals(await page.locator("#info-zone").textContent(), "31");
      assertEquals(await page.inputValue("#manual-url"), `${srv.url}utm31_2024.zarr`);
      assertDeepEquals(errors, [], "console errors");
    });

    await t.step("zones 30 and 31 together meet without a gap at the meridian", async () => {
      errors.length = 0;
      await openViewer(page, `${srv.url}?store=utm30_2024.zarr,utm31_2024.zarr`);
      assertDeepEquals(errors, [], "console errors");
      await shot(page, "zones30_31");
      await page.uncheck("#ov-grid");
      await page.uncheck("#ov-zone");
      // A latitude where both stores hold valid data either side of 0°.
      let lat = NaN;
      for (let r = 20; r < s30.h - 20 && Number.isNaN(lat); r += 10) {
        const l = pixelLonLat(s30, r, 0)[1];
        const ok = [-0.002, -0.001, -0.0002, 0.0002, 0.001, 0.002].every((lon) =>
          validAt(lon < 0 ? s30 : s31, lon, l)
        );
        if (ok) lat = l;
      }
      assertEquals(Number.isNaN(lat), false, "a latitude with data on both sides of the seam");
      await jumpTo(page, 0, lat, 16);
      // A lattice of screen points across the seam (±24 px, 1 data pixel ≈ 13 px here) on
      // rows 20 px apart; checked where the zone that owns the point has a valid pixel.
      const [x0, y0] = await project(page, 0, lat);
      const pts: [number, number][] = [];
      for (let dy = -300; dy <= 300; dy += 20) {
        for (let dx = -24; dx <= 24; dx += 2) pts.push([x0 + dx, y0 + dy]);
      }
      const lonlat = await page.evaluate((pts) => {
        const map = (globalThis as unknown as PageGlobal).tesseraViewer.viewer.map;
        return pts.map((p) => map.unproject(p as [number, number]).toArray());
      }, pts) as [number, number][];
      const mine = pts.map((_, i) => {
        const [lon, la] = lonlat[i];
        return validAt(lon < 0 ? s30 : s31, lon, la);
      });
      const drawn = await mapPixels(page, pts);
      await setRange(page, "opacity", 0);
      const bg = await mapPixels(page, pts);
      await setRange(page, "opacity", 100);
      const checked = pts.filter((_, i) => mine[i]);
      const gaps = pts.filter((_, i) => mine[i] && !differs(drawn[i], bg[i]));
      assertEquals(checked.length > 300, true, `${checked.length} seam points with data`);
      assertEquals(gaps.length, 0, `seam points showing the basemap: ${JSON.stringify(gaps)}`);
      await page.check("#ov-zone");
      await page.check("#ov-grid");
      await shot(page, "seam");
    });
  } finally {
    await browser.close();
    await srv.close();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
});
