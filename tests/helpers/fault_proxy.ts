/**
 * A fault-injecting HTTP proxy of our own, in front of a real server (nginx) on loopback, for
 * the remote-tile tests. Raw TCP, one request per connection (`Connection: close`), so each
 * fault is exactly what a client meets on the wire: a 503 with `Retry-After`, a connection
 * closed before any response (reset), a body cut short of its Content-Length (truncated), a
 * response that stalls past the client's timeout, the right length with one byte flipped, or
 * a correct answer late ("slow", 40 ms unless told: to give a kill test time to strike mid-build,
 * or to keep a viewer's requests in flight while its view moves). Each hit
 * records where a cut body stopped (`cutAt`), so a test can check that the retry's Range
 * starts exactly there.
 */

/** What the proxy does to one request. */
export type Fault = "503" | "reset" | "truncate" | "stall" | "flip" | "slow";

/** Decides the fault for the `n`-th request (1-based) to `path` (with its Range, if any). */
export type FaultPlan = (path: string, n: number, range: string | undefined) => Fault | undefined;

/** One request the proxy saw. */
export interface ProxyHit {
  readonly path: string;
  readonly range: string | undefined;
  readonly atMs: number;
  readonly fault: Fault | undefined;
  /** For a truncated or stalled body: the file offset of the first byte not sent. */
  cutAt?: number;
  /** Body bytes sent. */
  bytes?: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT/`. */
  readonly url: string;
  readonly hits: ProxyHit[];
  stop(): Promise<void>;
}

const enc = new TextEncoder();

async function readHead(conn: Deno.Conn): Promise<string | undefined> {
  const buf = new Uint8Array(16384);
  let got = 0;
  while (got < buf.length) {
    const n = await conn.read(buf.subarray(got));
    if (n === null) return undefined;
    got += n;
    const text = new TextDecoder().decode(buf.subarray(0, got));
    if (text.includes("\r\n\r\n")) return text;
  }
  return undefined;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += await conn.write(bytes.subarray(done));
}

/**
 * Starts the proxy forwarding to `upstream` (a URL ending in "/"), applying `plan`.
 *
 * @example
 * const proxy = startFaultProxy(nginx.url, (p, n) => p.endsWith(".npy") && n === 1 ? "503" : undefined);
 */
export function startFaultProxy(
  upstream: string,
  plan: FaultPlan,
  stallMs = 4000,
  slowMs = 40,
): FaultProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const counts = new Map<string, number>();
  const hits: ProxyHit[] = [];
  const t0 = Date.now();
  const open = new Set<Deno.Conn>();
  const timers = new Set<ReturnType<typeof setTimeout>>();

  const handle = async (conn: Deno.Conn) => {
    try {
      const head = await readHead(conn);
      if (!head) return;
      const [requestLine, ...lines] = head.split("\r\n");
      const path = requestLine.split(" ")[1] ?? "/";
      const range = lines.find((l) => /^range:/i.test(l))?.replace(/^range:\s*/i, "");
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      const fault = plan(decodeURIComponent(path), n, range);
      const hit: ProxyHit = { path: decodeURIComponent(path), range, atMs: Date.now() - t0, fault };
      hits.push(hit);
      if (fault === "reset") return; // closed with no response at all
      if (fault === "503") {
        await writeAll(
          conn,
          enc.encode(
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n" +
              "Connection: close\r\n\r\n",
          ),
        );
        return;
      }
      if (fault === "slow") {
        await new Promise((r) => {
          const id = setTimeout(r, slowMs);
          timers.add(id);
        });
      }
      const res = await fetch(new URL(path.slice(1), upstream), {
        headers: range ? { Range: range } : {},
      });
      const body = new Uint8Array(await res.arrayBuffer());
      const keep = ["content-type", "content-range", "etag", "last-modified", "accept-ranges"];
      let out = `HTTP/1.1 ${res.status} ${res.statusText}\r\n`;
      for (const [k, v] of res.headers) if (keep.includes(k)) out += `${k}: ${v}\r\n`;
      out += `content-length: ${body.length}\r\nconnection: close\r\n\r\n`;
      await writeAll(conn, enc.encode(out));
      const start = Number(/^bytes (\d+)-/.exec(res.headers.get("content-range") ?? "")?.[1] ?? 0);
      if (fault === "truncate" || fault === "stall") {
        hit.cutAt = start + (body.length >> 1);
        hit.bytes = body.length >> 1;
      } else hit.bytes = body.length;
      if (fault === "truncate") {
        await writeAll(conn, body.subarray(0, body.length >> 1));
        return;
      }
      if (fault === "stall") {
        await writeAll(conn, body.subarray(0, body.length >> 1));
        await new Promise((r) => {
          const id = setTimeout(r, stallMs);
          timers.add(id);
        });
        return;
      }
      if (fault === "flip" && body.length > 0) body[body.length - 1] ^= 0x01;
      await writeAll(conn, body);
    } catch {
      // the client went away (e.g. its timeout fired): nothing to do
    } finally {
      open.delete(conn);
      try {
        conn.close();
      } catch { /* closed */ }
    }
  };

  const serving = (async () => {
    for await (const conn of listener) {
      open.add(conn);
      handle(conn);
    }
  })().catch(() => {});

  return {
    url: `http://127.0.0.1:${port}/`,
    hits,
    async stop() {
      listener.close();
      for (const id of timers) clearTimeout(id);
      for (const c of open) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await serving;
    },
  };
}
