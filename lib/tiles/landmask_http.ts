/**
 * Landmask GeoTIFFs over HTTP through geotiff.js's remote source (`fromCustomClient`): the
 * header and only the strips a window needs are fetched, each request going through
 * lib/tiles/remote.ts (bounded connections, timeout, retries honouring `Retry-After`), so a
 * landmask fetch fails or recovers like any other tile file.
 */
import { fromCustomClient, type GeoTIFF } from "../deps/geotiff.ts";
import { TesseraError } from "../errors.ts";
import { fetchRemote, knownSize } from "./remote.ts";

/** geotiff.js's BaseResponse, for a ranged answer we already hold. */
class RangeResponse {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly data: ArrayBuffer,
  ) {}
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }
  getHeader(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }
  getData(): Promise<ArrayBuffer> {
    return Promise.resolve(this.data);
  }
}

/** geotiff.js's BaseClient: answers each `Range: bytes=a-b` request with one fetchRemote. */
class RemoteClient {
  constructor(readonly url: string, readonly size: number) {}
  async request(options: RequestInit = {}): Promise<RangeResponse> {
    const h = new Headers(options.headers);
    const m = /^bytes=(\d+)-(\d+)$/.exec(h.get("Range") ?? "");
    const start = m ? Number(m[1]) : 0;
    const end = Math.min(m ? Number(m[2]) : this.size - 1, this.size - 1);
    if (start > end) return new RangeResponse(416, {}, new ArrayBuffer(0));
    const bytes = await fetchRemote(this.url, { offset: start, length: end - start + 1 });
    if (bytes === undefined) throw new TesseraError("MissingFile", MISSING, this.url);
    const data = bytes.slice().buffer;
    return new RangeResponse(206, {
      "content-type": "image/tiff",
      "content-range": `bytes ${start}-${start + bytes.length - 1}/${this.size}`,
    }, data);
  }
}

const MISSING = "landmask GeoTIFF not found on the server (HTTP 404); check the URL, or " +
  "drop the tile from the registry";

/** A remote TIFF's first bytes (for the magic check), its size and the opened GeoTIFF. */
export interface RemoteTiff {
  readonly head: Uint8Array;
  readonly size: number;
  open(): Promise<GeoTIFF>;
}

/**
 * Fetches the first bytes of a remote landmask (learning its size from `Content-Range`) and
 * returns a way to open it with geotiff.js's blocked remote source.
 *
 * @example
 * ```ts
 * const t = await openRemoteTiff("http://127.0.0.1:8080/global_0.1_degree_tiff_all/grid_0.15_52.25.tiff");
 * const image = await (await t.open()).getImage(0);
 * ```
 */
export async function openRemoteTiff(url: string): Promise<RemoteTiff> {
  const head = await fetchRemote(url, { offset: 0, length: 16 });
  if (head === undefined) throw new TesseraError("MissingFile", MISSING, url);
  // A server that ignores Range sends 200 with the whole file: its length is the size.
  const size = knownSize(url) ?? head.length;
  return {
    head,
    size,
    open: () => fromCustomClient(new RemoteClient(url, size) as never),
  };
}
