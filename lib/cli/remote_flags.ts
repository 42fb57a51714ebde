/**
 * The flags of reading tiles over HTTP (BASE a URL) or checking their hashes, shared by
 * `build` and `scan`. They are carried to the build's Web Workers in the environment
 * (lib/tiles/remote.ts REMOTE_ENV): workers are separate isolates of the same process.
 */
import { TesseraError } from "../errors.ts";
import { parseIntFlag } from "./args.ts";
import { resolve } from "node:path";
import { DEFAULT_CONNECTIONS, DEFAULT_TIMEOUT_MS, isUrl, REMOTE_ENV } from "../tiles/remote.ts";

/** parseArgs options of the remote flags. */
export const REMOTE_FLAGS = {
  registry: { type: "string" },
  connections: { type: "string" },
  timeout: { type: "string" },
  retries: { type: "string" },
  "check-hashes": { type: "boolean" },
  "cache-dir": { type: "string" },
} as const;

/** Usage lines of the remote flags. */
export const REMOTE_USAGE = `
Reading over HTTP (BASE an http(s):// URL serving the published layout):
  --registry URL      registry.parquet (default: BASE/registry.parquet; over HTTP there is
                      no directory walk, so without a registry the task stops, exit 2)
  --connections N     parallel HTTP requests per builder (default ${DEFAULT_CONNECTIONS})
  --timeout S         per-request time limit in seconds (default ${DEFAULT_TIMEOUT_MS / 1000})
  --retries N         further attempts after a failed request, with exponential backoff and
                      jitter, honouring Retry-After (default 4)
  --check-hashes      (build) also check local tiles against the registry's hash, scales_hash
                      (always done over HTTP): a tile whose bytes differ fails by name
  --cache-dir DIR     (build) keep every fetched file under DIR/{host}_{port}/…: a resumed or
                      repeated build takes them from there (re-hashed first: a file whose
                      bytes changed is fetched again) instead of fetching them; without it,
                      tiles go through a private temp spool, each deleted once its shards
                      are written ($TMPDIR; about one row of tiles across the zone)`;

/**
 * Validates the remote flags and puts them in the environment for this thread and the workers;
 * returns the registry location to use (`--registry` over `--registry-dir`).
 *
 * @example
 * const registryDir = applyRemoteFlags(values) ?? values["registry-dir"];
 */
export function applyRemoteFlags(values: {
  registry?: string;
  connections?: string;
  timeout?: string;
  retries?: string;
  "check-hashes"?: boolean;
  "cache-dir"?: string;
}): string | undefined {
  const connections = parseIntFlag(values.connections, "connections", 1, 256);
  const timeoutS = parseIntFlag(values.timeout, "timeout", 1, 3600);
  const retries = parseIntFlag(values.retries, "retries", 0, 100);
  if (connections !== undefined) Deno.env.set(REMOTE_ENV.connections, String(connections));
  if (timeoutS !== undefined) Deno.env.set(REMOTE_ENV.timeoutMs, String(timeoutS * 1000));
  if (retries !== undefined) Deno.env.set(REMOTE_ENV.retries, String(retries));
  if (values["check-hashes"]) Deno.env.set(REMOTE_ENV.checkHashes, "1");
  if (values["cache-dir"] !== undefined) {
    if (values["cache-dir"] === "" || isUrl(values["cache-dir"])) {
      throw new TesseraError("BadArgument", "--cache-dir needs a local directory");
    }
    Deno.env.set(REMOTE_ENV.cacheDir, resolve(values["cache-dir"]));
  }
  if (values.registry !== undefined && values.registry === "") {
    throw new TesseraError("BadArgument", "--registry needs a URL or a path");
  }
  return values.registry;
}
