/// <reference lib="dom" />
/**
 * Driving the viewer headless, for its end-to-end tests, benchmark and screenshots: make a
 * small dataset with the toolkit's own tasks (fixtures → build → stats → pca), serve it with
 * `deno task serve` (or the dev server while serve does not exist), and open the page in
 * Debian's Chromium through playwright-core (never a downloaded browser).
 *
 * Deno-side code; the page is reached only through Playwright.
 */
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { fileURLToPath } from "node:url";
import { ensureViewerBuilt } from "./bundle.ts";
import { startDevServer } from "./dev_server.ts";
import type { Viewer, ViewerStats } from "./src/app.ts";

/** What the viewer page exposes as `globalThis.tesseraViewer` (see viewer/src/main.ts). */
export interface PageGlobal {
  tesseraViewer: { viewer: Viewer; whenIdle(): Promise<void>; stats(): ViewerStats };
}

export const REPO: string = fileURLToPath(new URL("..", import.meta.url));
export const CHROMIUM = "/usr/bin/chromium";

/** Whether Debian's Chromium is installed (the e2e tests skip, saying so, when it is not). */
export function chromiumAvailable(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  return !!(await Deno.stat(path).catch(() => null));
}

async function task(name: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `tasks/${name}.ts`, ...args],
    cwd: REPO,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const dec = new TextDecoder();
    throw new Error(
      `deno task ${name} ${args.join(" ")} failed (${out.code}):\n` +
        dec.decode(out.stdout).slice(-2000) + dec.decode(out.stderr).slice(-2000),
    );
  }
}

export interface Dataset {
  /** Folder holding the `*.zarr` stores. */
  zarr: string;
  previews: { rgb: boolean; pca: boolean };
}

/**
 * Makes a dataset in `dir` with the toolkit's tasks: `fixtures` (groups, tiles per side),
 * `build`, then `stats` and `pca` when they exist and `previews` is set.
 */
export async function makeDataset(
  dir: string,
  opts: { groups?: string; tiles?: number; previews?: boolean } = {},
): Promise<Dataset> {
  await task("fixtures", [
    dir,
    "--groups",
    opts.groups ?? "greenwich",
    "--tiles",
    String(opts.tiles ?? 1),
  ]);
  await task("build", [dir, "--workers", "2"]);
  const zarr = `${dir}/zarr`;
  const previews = { rgb: false, pca: false };
  if (opts.previews !== false) {
    if (await exists(`${REPO}tasks/stats.ts`)) {
      await task("stats", [zarr]);
      previews.rgb = true;
    }
    if (await exists(`${REPO}tasks/pca.ts`)) {
      await task("pca", [zarr]);
      previews.pca = true;
    }
  }
  return { zarr, previews };
}

export interface Served {
  /** The viewer page URL (the server's root). */
  url: string;
  kind: "serve" | "dev";
  close(): Promise<void>;
}

/**
 * Serves `dir` and the viewer on loopback: with `deno task serve DIR --port 0 --no-open` when
 * tasks/serve.ts exists (the real thing), else with viewer/dev_server.ts.
 */
export async function serveDir(dir: string, prefer: "serve" | "dev" = "serve"): Promise<Served> {
  await ensureViewerBuilt();
  if (prefer === "dev" || !await exists(`${REPO}tasks/serve.ts`)) {
    const srv = await startDevServer(dir);
    return { url: srv.url, kind: "dev", close: () => srv.close() };
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/serve.ts", dir, "--port", "0", "--no-open"],
    cwd: REPO,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    const m = /Viewer: (http:\/\/\S+)/.exec(text);
    if (m) {
      // Keep draining both pipes so the server never blocks on a full pipe.
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })().catch(() => {});
      child.stderr.pipeTo(new WritableStream()).catch(() => {});
      const url = new URL(m[1]);
      return {
        url: `${url.origin}/`,
        kind: "serve",
        close: async () => {
          try {
            child.kill("SIGTERM");
          } catch { /* already gone */ }
          await child.status;
        },
      };
    }
  }
  child.kill("SIGKILL");
  const err = await new Response(child.stderr).text().catch(() => "");
  throw new Error(`serve did not start:\n${text}\n${err}`);
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Debian's Chromium, headless, with a fresh profile (removed on close). */
export async function launchChromium(
  viewport = { width: 1280, height: 800 },
): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "tz-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    deviceScaleFactor: 1,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

/** Opens the viewer at `url` and waits until its first view is completely drawn. */
export async function openViewer(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => "tesseraViewer" in globalThis);
  await whenIdle(page);
}

/** Waits until the viewer has loaded and drawn everything the current view needs. */
export async function whenIdle(page: Page, timeoutMs = 90_000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`viewer not idle after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([
      page.evaluate(() => (globalThis as unknown as PageGlobal).tesseraViewer.whenIdle()),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads the map's WebGL canvas at CSS-pixel points, right after a frame is drawn (the drawing
 * buffer is not preserved between frames). Returns RGBA per point.
 */
export async function mapPixels(page: Page, points: [number, number][]): Promise<number[][]> {
  return await page.evaluate((pts) => {
    const map = (globalThis as unknown as PageGlobal).tesseraViewer.viewer.map;
    return new Promise<number[][]>((resolve) => {
      map.once("render", () => {
        const canvas = map.getCanvas() as HTMLCanvasElement;
        const gl =
          (canvas.getContext("webgl2") ?? canvas.getContext("webgl")) as WebGLRenderingContext;
        const ratio = canvas.width / canvas.clientWidth;
        const buf = new Uint8Array(4);
        resolve(pts.map(([x, y]) => {
          gl.readPixels(
            Math.floor(x * ratio),
            canvas.height - 1 - Math.floor(y * ratio),
            1,
            1,
            gl.RGBA,
            gl.UNSIGNED_BYTE,
            buf,
          );
          return [...buf];
        }));
      });
      map.triggerRepaint();
    });
  }, points);
}

/** Screen position (CSS px) of a lon/lat on the current map. */
export async function project(page: Page, lon: number, lat: number): Promise<[number, number]> {
  return await page.evaluate(([lon, lat]) => {
    const p = (globalThis as unknown as PageGlobal).tesseraViewer.viewer.map.project([lon, lat]);
    return [p.x, p.y] as [number, number];
  }, [lon, lat]);
}

/**
 * Moves the map without animation and waits for the new view to be drawn. Returns the page's
 * clock (ms since the epoch, like Playwright's request timings) at the move.
 */
export async function jumpTo(page: Page, lon: number, lat: number, zoom: number): Promise<number> {
  const at = await page.evaluate(([lon, lat, zoom]) => {
    const t = Date.now();
    (globalThis as unknown as PageGlobal).tesseraViewer.viewer.map.jumpTo({
      center: [lon, lat],
      zoom,
    });
    return t;
  }, [lon, lat, zoom]);
  await whenIdle(page);
  return at;
}
