/**
 * A small development server for the viewer, used until (and besides) `deno task serve`:
 * the URL layout of the serve contract (`/` → viewer/dist/index.html, `/viewer/…` →
 * viewer/dist/…, everything else → files under DIR), byte ranges (`a-b`, `a-`, `-n`: zarrita
 * reads shards with range and suffix requests), HEAD, CORS. When DIR has no `_stores.json` or a
 * store has no `{store}.manifest.json` beside it, they are made up in memory (nothing is written into DIR).
 * It counts requests, bytes sent and responses the client abandoned, for tests and benchmarks.
 *
 *   deno run -A viewer/dev_server.ts DIR [--port 8010]
 */
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const DIST = fileURLToPath(new URL("./dist", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".png": "image/png",
};

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, HEAD, OPTIONS",
  "access-control-allow-headers": "Range",
  "access-control-expose-headers": "Content-Length, Content-Range",
};

export interface DevServerStats {
  requests: number;
  bytesSent: number;
  /** Responses whose body the client stopped reading (aborted fetches). */
  abandoned: number;
  /** Request paths in arrival order (bounded). */
  log: { path: string; range: string | null; status: number }[];
}

export interface DevServer {
  url: string;
  stats: DevServerStats;
  resetStats(): void;
  close(): Promise<void>;
}

async function isFile(p: string): Promise<boolean> {
  return (await Deno.stat(p).catch(() => null))?.isFile ?? false;
}

/** `_stores.json` as the contract defines it: sorted store directory names. */
async function storeNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory && e.name.endsWith(".zarr") && await isFile(join(dir, e.name, "zarr.json"))) {
      names.push(e.name);
    }
  }
  return names.sort();
}

/** A `{store}.manifest.json` per the contract, from the `scales` shard files present. */
async function manifest(storeDir: string, name: string): Promise<Record<string, unknown>> {
  const attrs = JSON.parse(await Deno.readTextFile(join(storeDir, "zarr.json"))).attributes ?? {};
  const emb = JSON.parse(await Deno.readTextFile(join(storeDir, "embeddings", "zarr.json")));
  const chunks: [number, number][] = [];
  const base = join(storeDir, "scales", "c");
  const rows = await Array.fromAsync(Deno.readDir(base)).catch(() => []);
  for (const r of rows) {
    if (!/^\d+$/.test(r.name)) continue;
    for await (const c of Deno.readDir(join(base, r.name))) {
      if (/^\d+$/.test(c.name)) chunks.push([Number(r.name), Number(c.name)]);
    }
  }
  chunks.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return {
    format: 1,
    store: name,
    zone: attrs.utm_zone,
    year: attrs.year,
    epsg: attrs.crs_epsg,
    transform: attrs.transform,
    shape: emb.shape.slice(0, 2),
    bands: emb.shape[2],
    shard_px: emb.chunk_grid.configuration.chunk_shape[0],
    chunks,
    has_rgb: attrs.has_rgb_preview === true,
    has_pca_rgb: attrs.has_pca_preview === true,
    multiscales: attrs.multiscales ?? null,
    band_p2: attrs.stats_band_p2 ?? null,
    band_p98: attrs.stats_band_p98 ?? null,
    pca_explained_variance: attrs.pca_explained_variance ?? null,
  };
}

function parseRange(header: string, size: number): [number, number] | "bad" | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return "bad";
  let start: number, end: number;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) return "bad";
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(size - 1, Number(m[2]));
  }
  if (start >= size || start > end) return "bad";
  return [start, end];
}

/**
 * Starts the server on 127.0.0.1 (port 0 = any free port).
 *
 * @example
 * const srv = await startDevServer("fixtures/sample/zarr");
 * console.log(srv.url); // http://127.0.0.1:41234/
 */
export function startDevServer(
  dataDir: string,
  opts: { port?: number; dist?: string } = {},
): Promise<DevServer> {
  const root = resolve(dataDir);
  const dist = resolve(opts.dist ?? DIST);
  const stats: DevServerStats = { requests: 0, bytesSent: 0, abandoned: 0, log: [] };

  async function fileResponse(req: Request, path: string): Promise<Response> {
    const head = req.method === "HEAD";
    const info = await Deno.stat(path).catch(() => null);
    if (!info?.isFile) return new Response("not found", { status: 404, headers: CORS });
    const size = info.size;
    const headers: Record<string, string> = {
      ...CORS,
      "content-type": TYPES[extname(path)] ?? "application/octet-stream",
      "accept-ranges": "bytes",
      "cache-control": "no-cache",
    };
    let start = 0, end = size - 1, status = 200;
    const rangeHeader = req.headers.get("range");
    if (rangeHeader) {
      const r = parseRange(rangeHeader, size);
      if (r === "bad") {
        return new Response(null, {
          status: 416,
          headers: { ...CORS, "content-range": `bytes */${size}` },
        });
      }
      if (r) {
        [start, end] = r;
        status = 206;
        headers["content-range"] = `bytes ${start}-${end}/${size}`;
      }
    }
    const length = size === 0 ? 0 : end - start + 1;
    headers["content-length"] = String(length);
    if (head || length === 0) return new Response(null, { status, headers });
    const file = await Deno.open(path, { read: true });
    await file.seek(start, Deno.SeekMode.Start);
    let left = length;
    let closed = false;
    const close = () => {
      if (!closed) file.close();
      closed = true;
    };
    const body = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        const buf = new Uint8Array(Math.min(left, 1 << 20));
        const n = await file.read(buf);
        if (n === null || n === 0) {
          close();
          ctrl.close();
          return;
        }
        left -= n;
        stats.bytesSent += n;
        ctrl.enqueue(buf.subarray(0, n));
        if (left <= 0) {
          close();
          ctrl.close();
        }
      },
      cancel() {
        stats.abandoned++;
        close();
      },
    });
    return new Response(body, { status, headers });
  }

  function jsonResponse(body: unknown): Response {
    const text = JSON.stringify(body);
    stats.bytesSent += text.length;
    return new Response(text, { headers: { ...CORS, "content-type": "application/json" } });
  }

  async function handle(req: Request): Promise<Response> {
    if (req.method === "OPTIONS") return new Response(null, { status: 204, headers: CORS });
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("method not allowed", { status: 405, headers: CORS });
    }
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path === "/" || path === "/index.html") return fileResponse(req, join(dist, "index.html"));
    if (path.startsWith("/viewer/")) {
      const p = normalize(join(dist, path.slice("/viewer/".length)));
      if (!p.startsWith(dist + "/")) return new Response("forbidden", { status: 403 });
      return fileResponse(req, p);
    }
    const p = normalize(join(root, path));
    if (p !== root && !p.startsWith(root + "/")) return new Response("forbidden", { status: 403 });
    if (!await isFile(p)) {
      if (path === "/_stores.json") return jsonResponse(await storeNames(root));
      const m = /^\/([^/]+\.zarr)\.manifest\.json$/.exec(path);
      if (m && await isFile(join(root, m[1], "zarr.json"))) {
        return jsonResponse(await manifest(join(root, m[1]), m[1]));
      }
    }
    return fileResponse(req, p);
  }

  return new Promise((resolveServer) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: opts.port ?? 0,
      onListen: ({ port }) => {
        resolveServer({
          url: `http://127.0.0.1:${port}/`,
          stats,
          resetStats() {
            stats.requests = 0;
            stats.bytesSent = 0;
            stats.abandoned = 0;
            stats.log = [];
          },
          close: () => server.shutdown(),
        });
      },
    }, async (req) => {
      stats.requests++;
      const res = await handle(req);
      if (stats.log.length < 20000) {
        stats.log.push({
          path: new URL(req.url).pathname,
          range: req.headers.get("range"),
          status: res.status,
        });
      }
      return res;
    });
  });
}

if (import.meta.main) {
  const dir = Deno.args.find((a) => !a.startsWith("--")) ?? "fixtures/sample/zarr";
  const i = Deno.args.indexOf("--port");
  const srv = await startDevServer(dir, { port: i >= 0 ? Number(Deno.args[i + 1]) : 8010 });
  console.log(`viewer dev server: ${srv.url} (data ${resolve(dir)}, viewer ${DIST})`);
}
