/**
 * Screenshots of the viewer for docs/screenshots/, taken in Debian's headless Chromium against
 * `deno task serve`:
 *
 *   deno run -A viewer/screenshots.ts [DIR] [--out docs/screenshots]
 *
 * DIR: a folder holding utm30/31/37_2024.zarr with previews (default: a fresh dataset of the
 * greenwich and equator groups made with the fixtures, build, stats and pca tasks).
 */
import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import {
  jumpTo,
  launchChromium,
  makeDataset,
  openViewer,
  project,
  REPO,
  serveDir,
  whenIdle,
} from "./headless.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: { out: { type: "string", default: `${REPO}docs/screenshots` } },
  allowPositionals: true,
});
const out = values.out!;
await Deno.mkdir(out, { recursive: true });

let dir = positionals[0];
let tmp: string | undefined;
if (!dir) {
  tmp = await Deno.makeTempDir({ prefix: "tz-shots-" });
  console.log(`Making a dataset in ${tmp}…`);
  dir = (await makeDataset(tmp, { groups: "greenwich,equator", tiles: 2 })).zarr;
}
const srv = await serveDir(dir);
const browser = await launchChromium();
const page = await browser.context.newPage();
const errors: string[] = [];
page.on("console", (m) => m.type() === "error" && errors.push(m.text()));

async function shot(name: string, what: string): Promise<void> {
  await whenIdle(page);
  await page.mouse.move(300, 400);
  await page.screenshot({ path: `${out}/${name}.png` });
  console.log(`  ${name}.png: ${what}`);
}

async function click(p: Page, lon: number, lat: number): Promise<void> {
  const [x, y] = await project(p, lon, lat);
  await p.mouse.click(x, y);
  await p.waitForFunction(() => {
    const el = document.getElementById("inspector")!;
    return !el.hidden && !el.dataset.busy && el.querySelector(".plot svg");
  });
}

try {
  await openViewer(page, `${srv.url}?store=utm30_2024.zarr`);
  await shot("zone30_rgb", "zone 30 at fit zoom, rgb preview (overview level)");
  await page.check("#mode-pca");
  await shot("zone30_pca", "the same, PCA preview, explained variance in the panel");
  await page.check('input[name="mode"][value="rgb"]');
  await page.fill("#band-r", "20");
  await page.fill("#band-g", "40");
  await page.fill("#band-b", "60");
  await page.waitForTimeout(300);
  await shot("zone30_bands", "bands 20/40/60 computed from the embeddings, store-wide stretch");
  await page.fill("#band-r", "0");
  await page.fill("#band-g", "1");
  await page.fill("#band-b", "2");
  await page.waitForTimeout(300);
  await whenIdle(page);
  await jumpTo(page, -0.06, 51.47, 16.5);
  await click(page, -0.06, 51.47);
  await shot("inspector", "a pixel clicked at full resolution: its 128 dequantised values");

  await openViewer(page, `${srv.url}?store=utm30_2024.zarr,utm31_2024.zarr`);
  await shot("zones30_31", "zones 30 and 31 together: one stretch, clipped at the meridian");
  await jumpTo(page, 0, 51.45, 16);
  await shot("seam", "the zone seam at 0° at full resolution (UTM zone line dashed)");

  await openViewer(page, `${srv.url}?store=utm37_2024.zarr`);
  await shot("zone37_equator", "zone 37 across the equator (negative northings south)");
  await jumpTo(page, 37, 0, 3);
  await shot("zone37_outline", "zone 37's outline over both hemispheres, 80°S to 84°N");
  if (errors.length) console.error(`console errors: ${errors.join("; ")}`);
} finally {
  await browser.close();
  await srv.close();
  if (tmp) await Deno.remove(tmp, { recursive: true });
}
