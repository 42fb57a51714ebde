/**
 * A tiny range-capable static file server on loopback for the read tests and the read
 * benchmark (GET only; `bytes=a-b`, `a-`, `-n` → 206 + Content-Range; unsatisfiable → 416).
 * It logs every request and can misbehave on purpose: fail the first N requests with a status
 * (503), delay each response, hold chosen requests until the server closes, or ignore Range.
 */
import { join, normalize } from "node:path";

/** One request as the server saw it. */
export interface RequestLogEntry {
  path: string;
  range: string | null;
  status: number;
  /** Body bytes sent. */
  bytes: number;
}

/** Ways to misbehave; all can be changed between requests. */
export interface FixtureBehaviour {
  /** Answer the next N requests with `failStatus` instead of serving them. */
  failNext?: number;
  failStatus?: number;
  /** Wait this long before answering each request. */
  delayMs?: number;
  /** Do not answer the next N requests until the server closes. */
  hangNext?: number;
  /** Hold every request until `release()` (or close): a client's in-flight set, frozen. */
  hold?: boolean;
  /** Answer ranged requests with the whole file and 200, as some servers do. */
  ignoreRange?: boolean;
}

/** A running fixture server. */
export interface FixtureServer {
  /** Base URL ending in "/". */
  url: string;
  log: RequestLogEntry[];
  behaviour: FixtureBehaviour;
  /** Requests and body bytes since the last reset. */
  requests(): number;
  bytes(): number;
  reset(): void;
  /** Requests being held by `hold` right now. */
  held(): number;
  /** Lets every request held by `hold` go on. */
  release(): void;
  close(): Promise<void>;
}

/**
 * Serves the files under `root` on 127.0.0.1 (random free port).
 *
 * @example
 * ```ts
 * const server = serveFixture(dir);
 * const store = await openZoneStore(server.url + "utm30_2024.zarr");
 * await server.close();
 * ```
 */
export function serveFixture(root: string, behaviour: FixtureBehaviour = {}): FixtureServer {
  const log: RequestLogEntry[] = [];
  const state = { behaviour };
  // Responses being held back (hung or delayed); close() lets them all go.
  const held = new Set<() => void>();
  const parked = new Set<() => void>();
  const handler = async (req: Request): Promise<Response> => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    const range = req.headers.get("Range");
    const entry: RequestLogEntry = { path, range, status: 0, bytes: 0 };
    log.push(entry);
    const b = state.behaviour;
    const answer = (
      status: number,
      body: Uint8Array<ArrayBuffer> | null,
      headers: Record<string, string>,
    ) => {
      entry.status = status;
      entry.bytes = body?.length ?? 0;
      return new Response(body, { status, headers });
    };
    if ((b.hangNext ?? 0) > 0) {
      b.hangNext!--;
      // Held until close(): the client's timeout or abort is what the tests exercise.
      await new Promise<void>((resolve) => held.add(resolve));
      return answer(599, null, {});
    }
    if ((b.failNext ?? 0) > 0) {
      b.failNext!--;
      return answer(b.failStatus ?? 503, new TextEncoder().encode("try again"), {});
    }
    if (b.hold) {
      await new Promise<void>((resolve) => {
        const go = () => {
          parked.delete(go);
          held.delete(go);
          resolve();
        };
        parked.add(go);
        held.add(go);
      });
    }
    if (b.delayMs) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          held.delete(release);
          resolve();
        }, b.delayMs);
        const release = () => {
          clearTimeout(t);
          resolve();
        };
        held.add(release);
      });
    }
    if (req.method !== "GET") return answer(405, null, {});
    const rel = normalize(path).replace(/^\/+/, "");
    if (rel.startsWith("..")) return answer(403, null, {});
    let file: Deno.FsFile;
    try {
      file = await Deno.open(join(root, rel), { read: true });
    } catch {
      return answer(404, null, {});
    }
    try {
      const info = await file.stat();
      if (!info.isFile) return answer(404, null, {});
      const size = info.size;
      let start = 0, end = size; // [start, end)
      let partial = false;
      if (range && !b.ignoreRange) {
        const m = /^bytes=(\d*)-(\d*)$/.exec(range);
        if (!m || (m[1] === "" && m[2] === "")) return answer(416, null, {});
        if (m[1] === "") {
          start = Math.max(0, size - Number(m[2]));
        } else {
          start = Number(m[1]);
          end = m[2] === "" ? size : Math.min(size, Number(m[2]) + 1);
        }
        if (start >= size || start >= end) {
          return answer(416, null, { "Content-Range": `bytes */${size}` });
        }
        partial = true;
      }
      const body = new Uint8Array(end - start);
      await file.seek(start, Deno.SeekMode.Start);
      for (let at = 0; at < body.length;) {
        const n = await file.read(body.subarray(at));
        if (n === null) break;
        at += n;
      }
      return partial
        ? answer(206, body, { "Content-Range": `bytes ${start}-${end - 1}/${size}` })
        : answer(200, body, {});
    } finally {
      file.close();
    }
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  let since = 0;
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    log,
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(v: FixtureBehaviour) {
      state.behaviour = v;
    },
    requests: () => log.length - since,
    bytes: () => log.slice(since).reduce((s, e) => s + e.bytes, 0),
    reset: () => {
      since = log.length;
    },
    held: () => parked.size,
    release: () => {
      for (const go of [...parked]) go();
    },
    close: () => {
      for (const release of held) release();
      held.clear();
      return server.shutdown();
    },
  };
}
