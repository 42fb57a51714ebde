/**
 * `serve`'s live STAC catalog at `/stac/` (beside `_stores.json`): the documents
 * `deno task stac DIR` would write with relative hrefs, built from the stores as they are at
 * each request, so the catalog never lags behind the stores and a read-only DIR still has one.
 * `/stac/collection.json` is the Collection; `/stac` and `/stac/` redirect there. Thumbnails
 * are encoded on first request and kept while their store's `zarr.json` is unchanged.
 */
import { join } from "node:path";
import { documentBytes, stacCatalog, thumbnailPng } from "../stac/catalog.ts";
import { COLLECTION_FILE, STAC_DIR } from "../stac/layout.ts";

/**
 * The handler of paths under `/stac/` for the stores in `root`: `rest` is the path's segments
 * after `stac`. `headers` are added to every answer (CORS).
 *
 * @example
 * ```ts
 * const stac = stacRoute("out/zarr", { "access-control-allow-origin": "*" });
 * const res = await stac(request, ["collection.json"]);
 * ```
 */
export function stacRoute(
  root: string,
  headers: Readonly<Record<string, string>> = {},
): (request: Request, rest: string[]) => Promise<Response> {
  const pngs = new Map<string, { key: string; bytes: Uint8Array }>();
  const answer = (
    status: number,
    body: BodyInit | null,
    extra: Record<string, string>,
  ) =>
    new Response(body, { status, headers: { ...headers, "cache-control": "no-cache", ...extra } });
  return async (request, rest) => {
    const path = rest.join("/");
    if (path === "") {
      return answer(302, null, { location: `/${STAC_DIR}/${COLLECTION_FILE}` });
    }
    const catalog = await stacCatalog(root);
    let bytes: Uint8Array, type: string;
    const doc = catalog.documents.get(path);
    const thumb = catalog.thumbnails.get(path);
    if (doc) {
      bytes = documentBytes(doc);
      type = path === COLLECTION_FILE ? "application/json" : "application/geo+json";
    } else if (thumb) {
      const info = await Deno.stat(join(thumb.storePath, "zarr.json"));
      const key = `${info.mtime?.getTime()}:${info.size}:${JSON.stringify(thumb.grid)}`;
      let cached = pngs.get(path);
      if (cached?.key !== key) pngs.set(path, cached = { key, bytes: await thumbnailPng(thumb) });
      bytes = cached.bytes;
      type = "image/png";
    } else {
      const why = catalog.items.length
        ? "not found: the catalog starts at /stac/collection.json\n"
        : `no catalogued stores in this folder${
          catalog.problems.length
            ? `: ${catalog.problems.map((p) => `${p.store}: ${p.message}`).join("; ")}`
            : ""
        }\n`;
      return answer(404, why, { "content-type": "text/plain; charset=utf-8" });
    }
    const etag = `"${bytes.length.toString(16)}-${fnv1a(bytes).toString(16)}"`;
    const common = { "content-type": type, etag, "x-content-type-options": "nosniff" };
    const inm = request.headers.get("if-none-match");
    if (inm?.split(",").some((t) => t.trim().replace(/^W\//, "") === etag)) {
      return answer(304, null, common);
    }
    return answer(200, request.method === "HEAD" ? null : bytes as Uint8Array<ArrayBuffer>, {
      ...common,
      "content-length": `${bytes.length}`,
    });
  };
}

/** 32-bit FNV-1a of `bytes`: an ETag that changes whenever the document does. */
function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h;
}
