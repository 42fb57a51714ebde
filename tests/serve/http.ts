/**
 * Test helpers for the HTTP tests: a server on a free loopback port, and a raw HTTP/1.1 client
 * for request targets `fetch` would normalise away (`..`, backslashes, absolute-form).
 */
import { type ServeOptions, startServer } from "../../lib/serve/server.ts";

/** Runs `fn` against a fresh server on 127.0.0.1 and a free port, then stops it. */
export async function withServer(
  opts: ServeOptions,
  fn: (base: string, port: number) => Promise<void>,
): Promise<void> {
  const server = startServer({ port: 0, ...opts });
  try {
    await fn(server.url, server.port);
  } finally {
    await server.shutdown();
  }
}

/** A raw response: status code, lower-cased headers and the body bytes. */
export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: Uint8Array;
}

/**
 * Sends `METHOD target HTTP/1.1` exactly as given (no normalisation) and reads the response
 * until the server closes the connection.
 */
export async function rawRequest(
  port: number,
  target: string,
  method = "GET",
): Promise<RawResponse> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const head = `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
    await conn.write(new TextEncoder().encode(head));
    const bytes = new Uint8Array(await new Response(conn.readable).arrayBuffer());
    const split = findHeaderEnd(bytes);
    const lines = new TextDecoder().decode(bytes.subarray(0, split)).split("\r\n");
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const i = line.indexOf(":");
      if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
    }
    return { status: Number(lines[0].split(" ")[1]), headers, body: bytes.subarray(split + 4) };
  } catch (e) {
    conn.close();
    throw e;
  }
}

function findHeaderEnd(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  throw new Error("no end of headers in the response");
}

/** Deterministic pseudo-random bytes (xorshift32), so failures are reproducible. */
export function patternBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** True when two byte arrays are equal. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
