/**
 * The `serve` server: {@link staticHandler} on `Deno.serve`, bound to loopback unless told
 * otherwise, plus the address to show the user and a best-effort browser launch.
 */
import { TesseraError } from "../errors.ts";
import { staticHandler, type StaticOptions } from "./static.ts";

/** Where to listen and what to serve. */
export interface ServeOptions extends StaticOptions {
  /** Port; 0 picks a free one. Default 8000. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Aborting stops the server (as `shutdown`). */
  signal?: AbortSignal;
}

/** A running server. */
export interface RunningServer {
  /** The address to open in a browser, e.g. `http://127.0.0.1:8000/`. */
  url: string;
  host: string;
  port: number;
  /** Settles when the server has stopped. */
  finished: Promise<void>;
  /** Stops accepting connections and waits for open requests to finish. */
  shutdown(): Promise<void>;
}

/**
 * Starts serving `opts.root`. A port already in use is a "BadArgument" error.
 *
 * @example
 * ```ts
 * const server = startServer({ root: "out/zarr", port: 0 });
 * console.log(`open ${server.url}`);
 * await server.shutdown();
 * ```
 */
export function startServer(opts: ServeOptions): RunningServer {
  const host = opts.host ?? "127.0.0.1";
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      { hostname: host, port: opts.port ?? 8000, signal: opts.signal, onListen: () => {} },
      staticHandler(opts),
    );
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      throw new TesseraError(
        "BadArgument",
        `port ${opts.port} on ${host} is already in use: choose another with --port`,
        undefined,
        { cause: e },
      );
    }
    if (e instanceof Deno.errors.AddrNotAvailable || e instanceof Deno.errors.PermissionDenied) {
      throw new TesseraError(
        "BadArgument",
        `cannot listen on ${host}:${opts.port}: ${(e as Error).message}`,
        undefined,
        { cause: e },
      );
    }
    throw e;
  }
  const port = server.addr.port;
  return {
    url: browserUrl(host, port),
    host,
    port,
    finished: server.finished,
    shutdown: () => server.shutdown(),
  };
}

/**
 * The URL a local browser should use for a server bound to `host`: a wildcard address
 * (`0.0.0.0`, `::`) is reached through loopback; IPv6 literals get brackets.
 *
 * @example
 * ```ts
 * browserUrl("0.0.0.0", 8000); // "http://127.0.0.1:8000/"
 * browserUrl("::1", 8000);     // "http://[::1]:8000/"
 * ```
 */
export function browserUrl(host: string, port: number): string {
  const h = host === "0.0.0.0" || host === "" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${h.includes(":") ? `[${h}]` : h}:${port}/`;
}

/**
 * Tries to open `url` in the desktop's browser (`xdg-open`, `open` on macOS, `start` on
 * Windows) without waiting and without output; returns false when the launcher is missing.
 * Failure is never an error: the URL is printed anyway.
 */
export function openBrowser(url: string): boolean {
  const [cmd, args] = Deno.build.os === "darwin"
    ? ["open", [url]]
    : Deno.build.os === "windows"
    ? ["cmd", ["/c", "start", "", url]]
    : ["xdg-open", [url]];
  try {
    const child = new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    child.status.catch(() => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}
