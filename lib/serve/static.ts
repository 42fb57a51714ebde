/**
 * The request handler of `serve` (SPEC §8): static files under one directory, plus the viewer
 * bundle from the toolkit's own `viewer/dist/` (`/` and `/viewer/…`). GET, HEAD and OPTIONS;
 * single byte ranges (zarrita's sharded reads depend on them, upstream had none); CORS on every
 * answer; ETag / Last-Modified revalidation; files are streamed, never read whole.
 */
import { besideModule } from "../module_path.ts";
import { contentRange, planRange } from "./ranges.ts";
import { contentType } from "./content_types.ts";
import { parsePath, rawPath, type ResolvedFile, resolveFile } from "./paths.ts";
import { stacRoute } from "./stac_route.ts";

/** The toolkit's built viewer (`viewer/dist/`), served at `/` and `/viewer/`. */
export const VIEWER_DIST: string | undefined = besideModule("../../viewer/dist", import.meta.url);

/** What the handler serves. */
export interface StaticOptions {
  /** The data directory (stores, `_stores.json`); nothing outside it is served. */
  root: string;
  /** The viewer bundle directory; default {@link VIEWER_DIST} (none when imported over HTTP). */
  viewerDir?: string;
  /** Called with unexpected errors (answered with 500). */
  onError?: (error: unknown, request: Request) => void;
}

const ALLOW = "GET, HEAD, OPTIONS";
const READ_CHUNK = 128 * 1024;

const CORS: Readonly<Record<string, string>> = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": ALLOW,
  "access-control-allow-headers": "Range, If-Range, If-None-Match, If-Modified-Since",
  "access-control-expose-headers":
    "Content-Length, Content-Range, ETag, Accept-Ranges, Last-Modified",
};

/**
 * Makes the handler for `Deno.serve`.
 *
 * @example
 * ```ts
 * Deno.serve({ hostname: "127.0.0.1", port: 8000 }, staticHandler({ root: "out/zarr" }));
 * ```
 */
export function staticHandler(opts: StaticOptions): (request: Request) => Promise<Response> {
  // Real paths are resolved once, lazily; a missing viewer bundle is looked for again on
  // each request, so building it while the server runs just works.
  let rootReal: string | undefined;
  const viewerDir = opts.viewerDir ?? VIEWER_DIST;
  const stac = stacRoute(opts.root, CORS);
  return async (request) => {
    try {
      if (request.method === "OPTIONS") {
        return new Response(null, {
          status: 204,
          headers: { ...CORS, allow: ALLOW, "access-control-max-age": "86400" },
        });
      }
      if (request.method !== "GET" && request.method !== "HEAD") {
        return text(405, "method not allowed\n", { allow: ALLOW });
      }
      const parsed = parsePath(rawPath(request.url));
      if (!parsed.ok) return text(400, `bad path: ${parsed.reason}\n`);
      const segs = parsed.segments;
      // The live STAC catalog of the stores (lib/serve/stac_route.ts), beside _stores.json.
      if (segs[0] === "stac") return await stac(request, segs.slice(1));
      let found: ResolvedFile;
      if (segs.length === 0 || segs[0] === "viewer") {
        const viewerReal = viewerDir === undefined
          ? undefined
          : await Deno.realPath(viewerDir).catch(() => undefined);
        if (!viewerReal) {
          return segs.length === 0 ? missingViewer(request, viewerDir) : text(404, "not found\n");
        }
        found = await resolveFile(viewerReal, segs.length === 0 ? ["index.html"] : segs.slice(1));
        if (!found.ok && segs.length === 0) return missingViewer(request, viewerDir);
      } else {
        rootReal ??= await Deno.realPath(opts.root).catch(() => undefined);
        found = rootReal ? await resolveFile(rootReal, segs) : { ok: false, status: 404 };
      }
      if (!found.ok) {
        return text(found.status, found.status === 403 ? "forbidden\n" : "not found\n");
      }
      return await fileResponse(request, found.path, found.info);
    } catch (e) {
      opts.onError?.(e, request);
      return text(500, "internal error\n");
    }
  };
}

/**
 * The response for one regular file: 304 when the client's copy is current, 416 for an
 * unsatisfiable range, 206 for a satisfiable single range, else 200; HEAD gets the headers only.
 */
async function fileResponse(
  request: Request,
  path: string,
  info: Deno.FileInfo,
): Promise<Response> {
  const size = info.size;
  const mtime = info.mtime;
  const etag = `"${size.toString(16)}-${(mtime?.getTime() ?? 0).toString(16)}"`;
  const headers: Record<string, string> = {
    ...CORS,
    "accept-ranges": "bytes",
    "content-type": contentType(path),
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    etag,
  };
  if (mtime) headers["last-modified"] = mtime.toUTCString();

  if (notModified(request.headers, etag, mtime)) {
    return new Response(null, { status: 304, headers });
  }
  if (request.method === "HEAD") {
    // Range is defined for GET only (RFC 9110 §14.2): HEAD describes the whole file.
    return new Response(null, {
      status: 200,
      headers: { ...headers, "content-length": `${size}` },
    });
  }
  const ifRange = request.headers.get("if-range");
  const plan = ifRange !== null && !ifRangeMatches(ifRange, etag, mtime)
    ? { kind: "full" as const }
    : planRange(request.headers.get("range"), size);
  if (plan.kind === "unsatisfiable") {
    return new Response(null, {
      status: 416,
      headers: { ...headers, "content-range": contentRange(plan, size)!, "content-length": "0" },
    });
  }
  const [start, end] = plan.kind === "partial" ? [plan.start, plan.end] : [0, size - 1];
  const length = end - start + 1;
  const file = await Deno.open(path, { read: true });
  try {
    if (start > 0) await file.seek(start, Deno.SeekMode.Start);
  } catch (e) {
    file.close();
    throw e;
  }
  if (plan.kind === "partial") headers["content-range"] = contentRange(plan, size)!;
  headers["content-length"] = `${length}`;
  return new Response(fileStream(file, length), {
    status: plan.kind === "partial" ? 206 : 200,
    headers,
  });
}

/**
 * Streams `length` bytes from the file's current position and closes it at the end, on error
 * or when the client goes away. A file that shrinks underneath errors the stream, so the
 * client sees a short body rather than wrong bytes.
 */
function fileStream(file: Deno.FsFile, length: number): ReadableStream<Uint8Array> {
  let left = length;
  let open = true;
  const close = () => {
    if (open) file.close();
    open = false;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (left === 0) {
          close();
          controller.close();
          return;
        }
        const buf = new Uint8Array(Math.min(READ_CHUNK, left));
        const n = await file.read(buf);
        if (n === null) throw new Error("file shrank while it was being sent");
        left -= n;
        controller.enqueue(buf.subarray(0, n));
        if (left === 0) {
          close();
          controller.close();
        }
      } catch (e) {
        close();
        controller.error(e);
      }
    },
    cancel: close,
  });
}

/** RFC 9110 §13.2.2: If-None-Match (weak comparison) wins; else If-Modified-Since. */
function notModified(h: Headers, etag: string, mtime: Date | null): boolean {
  const inm = h.get("if-none-match");
  if (inm !== null) {
    const tags = inm.split(",").map((t) => t.trim());
    return tags.includes("*") || tags.some((t) => opaque(t) === opaque(etag));
  }
  const ims = h.get("if-modified-since");
  if (ims === null || !mtime) return false;
  const since = Date.parse(ims);
  return Number.isFinite(since) && Math.floor(mtime.getTime() / 1000) * 1000 <= since;
}

/** If-Range: a strong ETag match or the exact Last-Modified date keeps the Range header. */
function ifRangeMatches(value: string, etag: string, mtime: Date | null): boolean {
  const v = value.trim();
  if (v.startsWith('"') || v.startsWith("W/")) return v === etag;
  return mtime !== null && v === mtime.toUTCString();
}

function opaque(tag: string): string {
  return tag.startsWith("W/") ? tag.slice(2) : tag;
}

function text(status: number, body: string, extra: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: { ...CORS, "content-type": "text/plain; charset=utf-8", ...extra },
  });
}

/** `/` when the viewer has not been built: say so and how to fix it. DIR is never written. */
function missingViewer(request: Request, viewerDir: string | undefined): Response {
  const esc = (s: string) =>
    s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tessera-zones: viewer not built</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>The viewer bundle is missing</h1>
<p>${
    viewerDir === undefined
      ? "This server runs the library imported over HTTP, which has no viewer bundle beside it."
      : `This server found no <code>${esc(viewerDir)}/index.html</code>.`
  }
Build the viewer in the tessera-zones checkout (see <code>viewer/README.md</code>), then reload
this page; the server need not be restarted.</p>
<p>The data is served all the same: <a href="_stores.json"><code>_stores.json</code></a>
lists the stores, and any Zarr reader can open them at this address.</p>
</body></html>
`;
  return new Response(request.method === "HEAD" ? null : body, {
    status: 200,
    headers: { ...CORS, "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  });
}
