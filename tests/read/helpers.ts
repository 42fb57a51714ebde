/**
 * Shared pieces of the read tests: the sample stores (generated and built once per test
 * process through the real CLI), an HTTP server for a directory (the project's own
 * `tasks/serve.ts` when it exists, else the loopback fixture), a fetch that counts requests
 * and bytes, and hard-linked store copies that tests may damage.
 */
import { dirname, join, relative } from "node:path";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { REPO, runCli } from "../helpers/cli.ts";
import { serveFixture } from "./http_fixture.ts";

/** Bands of the sample stores (small, so the tests stay fast). */
export const BANDS = 8;

/** Generates the sample dataset (tiles: 2, 8 bands) and builds every zone store. */
export async function buildSample(): Promise<{ base: string; zarr: string }> {
  const base = await Deno.makeTempDir({ prefix: "tz-read-" });
  // Removed when the test file ends, however it ends (a filtered run skips any last test).
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(base, { recursive: true });
    } catch { /* already removed */ }
  });
  await fixtureDataset({ out: base, tiles: 2, bands: BANDS });
  const r = await runCli("build", [base, "--workers", "2", "--json"]);
  if (r.code !== 0) throw new Error(`build failed (${r.code}):\n${r.stderr}`);
  return { base, zarr: join(base, "zarr") };
}

/** A static HTTP server for a directory. */
export interface DirServer {
  url: string;
  /** "serve" when it is the project's `tasks/serve.ts`, "fixture" otherwise. */
  kind: "serve" | "fixture";
  close(): Promise<void>;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/**
 * Serves `root` over loopback HTTP: with `deno run -A tasks/serve.ts ROOT --port P --no-open`
 * when that task exists, else with the range-capable fixture of http_fixture.ts.
 */
export async function serveDir(root: string): Promise<DirServer> {
  if (!(await exists(join(REPO, "tasks", "serve.ts")))) {
    const s = serveFixture(root);
    return { url: s.url, kind: "fixture", close: () => s.close() };
  }
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/serve.ts", root, "--port", String(port), "--no-open"],
    cwd: REPO,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Drained from the start, so a chatty server never blocks on a full pipe.
  const stderr = new Response(child.stderr).text();
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(url + "_stores.json");
      await res.body?.cancel();
      if (res.status < 500) return { url, kind: "serve", close: () => stop(child, stderr) };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop(child, stderr);
  throw new Error(`tasks/serve.ts did not start listening within 10 s:\n${await stderr}`);
}

async function stop(child: Deno.ChildProcess, stderr: Promise<string>): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // already gone
  }
  await child.status;
  await stderr;
}

/**
 * A fetch that counts requests and response body bytes (from Content-Length when the server
 * sends it, so the body is not copied; else by buffering it), and remembers Range headers.
 */
export function countingFetch() {
  const c = {
    requests: 0,
    bytes: 0,
    ranges: [] as { url: string; range: string | null; status: number }[],
    reset() {
      c.requests = 0;
      c.bytes = 0;
      c.ranges = [];
    },
    fetch: (async (input: string | URL | Request, init?: RequestInit) => {
      c.requests++;
      const res = await fetch(input, init);
      c.ranges.push({
        url: String(input),
        range: new Headers(init?.headers).get("Range"),
        status: res.status,
      });
      const length = res.headers.get("Content-Length");
      if (length !== null) {
        c.bytes += Number(length);
        return res;
      }
      const body = await res.arrayBuffer();
      c.bytes += body.byteLength;
      const nullBody = res.status === 204 || res.status === 304;
      return new Response(nullBody ? null : body, {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers,
      });
    }) as typeof fetch,
  };
  return c;
}

/** Copies a directory tree as hard links (cheap), so a test can delete or replace files. */
export async function linkTree(from: string, to: string): Promise<void> {
  const walk = async (dir: string): Promise<void> => {
    for await (const e of Deno.readDir(dir)) {
      const p = join(dir, e.name);
      const q = join(to, relative(from, p));
      if (e.isDirectory) await walk(p);
      else {
        await Deno.mkdir(dirname(q), { recursive: true });
        await Deno.link(p, q);
      }
    }
  };
  await walk(from);
}
