/**
 * The landmask fast path (lib/tiles/tiff_strips.ts, native zlib) reads exactly what
 * geotiff.js reads, window for window, for every layout it takes — Deflate or raw strips,
 * one strip per row up to one per image, one or three interleaved bands — and declines the
 * layouts it does not take (tiles, a predictor), which GDAL writes and geotiff.js then reads.
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { fromArrayBuffer } from "../../lib/deps/geotiff.ts";
import { encodeLandmaskTiff } from "../../lib/tiles/geotiff_write.ts";
import { openLandmask } from "../../lib/tiles/landmask.ts";
import { readStripWindow, stripLayout } from "../../lib/tiles/tiff_strips.ts";
import { tileGrid } from "../../lib/grid/tile_grid.ts";
import { withTmp } from "../helpers/env.ts";

const { geobox } = tileGrid(0.15, 52.25);
const W = geobox.width, H = geobox.height;

function pattern(n: number, seed: number): Uint8Array {
  const d = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    d[i] = (s >>> 24) < 110 ? 0 : (s >>> 28) + 1;
  }
  return d;
}

/** geotiff.js's band 1 of a window: the reference. */
async function geotiffWindow(bytes: Uint8Array, r0: number, r1: number, c0: number, c1: number) {
  const tiff = await fromArrayBuffer(bytes.slice().buffer);
  const image = await tiff.getImage(0);
  const [band] = await image.readRasters({ window: [c0, r0, c1, r1], samples: [0] });
  return Uint8Array.from(band as ArrayLike<number>);
}

const WINDOWS = [
  [0, H, 0, W],
  [0, 1, 0, 1],
  [H - 1, H, W - 1, W],
  [17, 333, 40, 700],
  [500, 501, 0, W],
  [15, 17, 5, 6], // across a strip boundary at 16 rows
];

Deno.test("tiff_strips reads every window exactly as geotiff.js does", async () => {
  for (const compress of ["deflate", "none"] as const) {
    for (const bands of [1, 3]) {
      for (const rowsPerStrip of [1, 16, 37, H]) {
        const bytes = encodeLandmaskTiff({
          width: W,
          height: H,
          epsg: geobox.epsg,
          transform: [...geobox.transform],
          data: pattern(W * H * bands, bands * 100 + rowsPerStrip),
          compress,
          rowsPerStrip,
          bands,
        });
        const image = await (await fromArrayBuffer(bytes.slice().buffer)).getImage(0);
        const layout = await stripLayout(image);
        const label = `${compress}, ${bands} band(s), ${rowsPerStrip} rows per strip`;
        assertEquals(layout !== undefined, true, `${label}: fast path taken`);
        for (const [r0, r1, c0, c1] of WINDOWS) {
          const got = readStripWindow(bytes, layout!, r0, r1, c0, c1);
          const want = await geotiffWindow(bytes, r0, r1, c0, c1);
          assertEquals(got.length, want.length, `${label} ${[r0, r1, c0, c1]}`);
          const i = got.findIndex((v, k) => v !== want[k]);
          assertEquals(i, -1, `${label} ${[r0, r1, c0, c1]}: first difference`);
        }
      }
    }
  }
});

Deno.test("a strip that decodes short or is not Deflate is an error naming the strip", async () => {
  const bytes = encodeLandmaskTiff({
    width: W,
    height: H,
    epsg: geobox.epsg,
    transform: [...geobox.transform],
    data: pattern(W * H, 7),
  });
  const layout =
    (await stripLayout(await (await fromArrayBuffer(bytes.slice().buffer)).getImage(0)))!;
  const broken = bytes.slice();
  broken.fill(0x55, layout.offsets[3], layout.offsets[3] + layout.counts[3]);
  let message = "";
  try {
    readStripWindow(broken, layout, 3 * layout.rowsPerStrip, 3 * layout.rowsPerStrip + 1, 0, W);
  } catch (e) {
    message = (e as Error).message;
  }
  assertEquals(message.startsWith("strip 3 "), true, message);
  // Strip 2 is intact: windows that do not reach strip 3 still read.
  assertEquals(
    readStripWindow(broken, layout, 0, 2 * layout.rowsPerStrip, 0, W).length,
    2 * layout.rowsPerStrip * W,
  );
});

const HAVE_GDAL = await new Deno.Command("gdal_translate", { args: ["--version"] }).output()
  .then((r) => r.success, () => false);

Deno.test({
  name: "layouts the fast path declines (GDAL tiles, predictor 2) still read right via geotiff.js",
  ignore: !HAVE_GDAL,
  fn: () =>
    withTmp("tz-strips-", async (dir) => {
      const data = pattern(W * H, 11);
      const plain = join(dir, "plain.tiff");
      await Deno.writeFile(
        plain,
        encodeLandmaskTiff({
          width: W,
          height: H,
          epsg: geobox.epsg,
          transform: [...geobox.transform],
          data,
        }),
      );
      const declined: [string, string[]][] = [
        ["tiled", ["TILED=YES"]],
        ["predictor", ["COMPRESS=DEFLATE", "PREDICTOR=2"]],
      ];
      for (const [name, co] of declined) {
        const path = join(dir, `${name}.tiff`);
        const r = await new Deno.Command("gdal_translate", {
          args: ["-q", ...co.flatMap((c) => ["-co", c]), plain, path],
          stderr: "piped",
        }).output();
        assertEquals(r.success, true, new TextDecoder().decode(r.stderr));
        const bytes = await Deno.readFile(path);
        const image = await (await fromArrayBuffer(bytes.slice().buffer)).getImage(0);
        assertEquals(await stripLayout(image), undefined, `${name}: declined`);
        const mask = await openLandmask(path);
        const got = await mask.readWindow(17, 333, 40, 700);
        const want = new Uint8Array(316 * 660);
        for (let y = 17; y < 333; y++) {
          want.set(data.subarray(y * W + 40, y * W + 700), (y - 17) * 660);
        }
        assertEquals(
          got.findIndex((v, k) => v !== want[k]),
          -1,
          name,
        );
        mask.close();
      }
    }),
});
