/**
 * The library as a new user imports it (issue 13 item 1): a script in a directory outside the
 * repository, with no deno.json anywhere above it, imports mod.ts by file path and by URL from
 * a loopback HTTP server and reads a point. Both must give the same vector as the read API
 * inside the repository.
 */
import { ok as assert } from "node:assert";
import { assertDeepEquals, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openZoneStore, readPoint } from "../mod.ts";
import { sampleStores } from "./helpers/sample.ts";
import { withTmp } from "./helpers/env.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const LON = -0.1, LAT = 51.5;

const SCRIPT = `
const [mod, store, lon, lat] = Deno.args;
const { openZoneStore, readPoint } = await import(mod);
const p = await readPoint(await openZoneStore(store), Number(lon), Number(lat));
console.log(JSON.stringify({ state: p.state, vector: p.vector && Array.from(p.vector) }));
`;

/** Runs the script with plain `deno run -A` from `cwd` (no config), parsing its one line. */
async function runOutside(cwd: string, mod: string, store: string, extra: string[] = []) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-lock", ...extra, "script.ts", mod, store, String(LON), String(LAT)],
    cwd,
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert(out.success, `script outside the repository failed:\n${stderr}`);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
}

/** A static server of the repository's files, TypeScript served as such. */
function serveRepo(): { url: string; close: () => Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const rel = decodeURIComponent(new URL(req.url).pathname).replace(/^\/+/, "");
    if (rel.split("/").includes("..")) return new Response("bad path", { status: 400 });
    try {
      const body = await Deno.readFile(join(REPO, rel));
      const type = rel.endsWith(".ts") ? "application/typescript" : "application/octet-stream";
      return new Response(body, { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return { url: `http://127.0.0.1:${server.addr.port}/`, close: () => server.shutdown() };
}

Deno.test("mod.ts imports by path and by URL from a script outside the repository", async () => {
  const store = join(await sampleStores(), "utm30_2024.zarr");
  const expected = await readPoint(await openZoneStore(store), LON, LAT);
  assertEquals(expected.state, "valid");
  await withTmp("tz-import-", async (dir) => {
    await Deno.writeTextFile(join(dir, "script.ts"), SCRIPT);
    const byPath = await runOutside(dir, join(REPO, "mod.ts"), store);
    assertEquals(byPath.state, "valid");
    assertDeepEquals(byPath.vector, Array.from(expected.vector!));

    const http = serveRepo();
    try {
      // A private DENO_DIR would re-download npm packages; --reload of our host is enough.
      const byUrl = await runOutside(dir, `${http.url}mod.ts`, store, [`--reload=${http.url}`]);
      assertDeepEquals(byUrl.vector, Array.from(expected.vector!));
    } finally {
      await http.close();
    }
  });
});

Deno.test("lib/ imports npm packages only through lib/deps (one pinned version each)", async () => {
  const bare: string[] = [];
  const pinned = new Map<string, string>();
  for await (const f of walkTs(join(REPO, "lib"))) {
    const src = await Deno.readTextFile(f);
    const inDeps = f.includes("/lib/deps/");
    for (
      const m of src.matchAll(
        /^(?:import|export)\b[^;]*?\bfrom\s+"([^"\n]+)"|\bimport\(\s*"([^"\n]+)"\)/gm,
      )
    ) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith(".") || spec.startsWith("node:")) continue;
      if (inDeps && spec.startsWith("npm:")) {
        const name = spec.slice(4).replace(/@[^@/]+$/, "");
        assert(!pinned.has(name), `${name} pinned twice`);
        pinned.set(name, spec);
      } else bare.push(`${f.slice(REPO.length)}: "${spec}"`);
    }
  }
  assertDeepEquals(bare, [], "imports that resolve only through deno.json");
  const config = JSON.parse(await Deno.readTextFile(join(REPO, "deno.json")));
  for (const name of pinned.keys()) {
    assert(
      String(config.imports[name]).startsWith("./lib/deps/"),
      `deno.json maps ${name} to ${config.imports[name]}, not to lib/deps (two versions)`,
    );
  }
});

async function* walkTs(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) yield* walkTs(p);
    else if (e.name.endsWith(".ts")) yield p;
  }
}
