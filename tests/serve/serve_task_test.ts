/**
 * `deno task serve` as a real subprocess: refreshes manifests, binds loopback, prints the URL
 * (with ?store=), serves, stops cleanly on SIGINT; bad usage exits 2.
 */
import { join } from "node:path";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { REPO, runCli } from "../helpers/cli.ts";

const tmp = await Deno.makeTempDir({ prefix: "tz-serve-task-" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));

/** A minimal zone store: enough metadata for a manifest, and one shard file. */
async function fakeStore(dir: string, zone: number) {
  const store = join(dir, `utm${zone}_2024.zarr`);
  await Deno.mkdir(join(store, "scales", "c", "0"), { recursive: true });
  const attrs = {
    utm_zone: zone,
    year: 2024,
    crs_epsg: 32600 + zone,
    transform: [10, 0, 0, 0, -10, 0],
  };
  await Deno.writeTextFile(
    join(store, "zarr.json"),
    JSON.stringify({ zarr_format: 3, node_type: "group", attributes: attrs }),
  );
  await Deno.writeTextFile(
    join(store, "scales", "zarr.json"),
    JSON.stringify({
      zarr_format: 3,
      node_type: "array",
      shape: [100, 2000],
      chunk_grid: { name: "regular", configuration: { chunk_shape: [1024, 1024] } },
      chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    }),
  );
  await Deno.writeFile(join(store, "scales", "c", "0", "1"), new Uint8Array([1, 2, 3]));
}

/** Starts the task and reads stdout until the "Viewer:" line; returns the child and the URL. */
async function startServe(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/serve.ts", ...args],
    cwd: REPO,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/Viewer: \S+\n/.test(text)) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`serve exited early:\n${text}`);
    text += value;
  }
  const url = /Viewer: (\S+)\n/.exec(text)![1];
  return { child, url, text, lines };
}

Deno.test("serve: manifests first, loopback URL with ?store=, files served, SIGINT stops cleanly", async () => {
  const dir = join(tmp, "served");
  await fakeStore(dir, 30);
  await fakeStore(dir, 31);
  const { child, url, text, lines } = await startServe([
    dir,
    "--port",
    "0",
    "--no-open",
    "--store",
    "utm31_2024,utm30_2024.zarr",
  ]);
  try {
    const u = new URL(url);
    assertEquals(u.hostname, "127.0.0.1");
    assertEquals(u.search, "?store=utm31_2024.zarr,utm30_2024.zarr");
    assertEquals(text.includes("utm30_2024.zarr: 1 shard(s)"), true, text);
    const stores = await (await fetch(new URL("/_stores.json", u))).json();
    assertDeepEquals(stores, ["utm30_2024.zarr", "utm31_2024.zarr"]);
    const m = await (await fetch(new URL("/utm31_2024.zarr.manifest.json", u))).json();
    assertDeepEquals(m.chunks, [[0, 1]]);
    const page = await fetch(u);
    assertEquals(page.status, 200);
    await page.body?.cancel();
  } finally {
    child.kill("SIGINT");
  }
  let rest = "";
  for (let r = await lines.read(); !r.done; r = await lines.read()) rest += r.value;
  const status = await child.status;
  const stderr = await new Response(child.stderr).text();
  assertEquals(status.code, 0, stderr);
  assertEquals(rest.includes("Stopped."), true, rest);
});

Deno.test("serve: bad usage exits 2 with a message", async () => {
  const dir = join(tmp, "usage");
  await fakeStore(dir, 30);
  const cases: [string[], RegExp][] = [
    [[dir, "--port", "99999", "--no-open"], /--port/],
    [[dir, "--port", "abc", "--no-open"], /--port/],
    [[join(tmp, "missing"), "--no-open"], /not a directory/],
    [
      [dir, "--store", "utm05_2024", "--no-open", "--port", "0"],
      /no store utm05_2024\.zarr.*have: utm30_2024\.zarr/,
    ],
    [[dir, "--store", "../usage/utm30_2024", "--no-open", "--port", "0"], /no store/],
    [[dir, "--bogus"], /bogus/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli("serve", args);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    assertEquals(message.test(r.stderr), true, `${args.join(" ")}: ${r.stderr}`);
  }
});

Deno.test("serve: a port already in use is a clear error, exit 2", async () => {
  const dir = join(tmp, "busy");
  await fakeStore(dir, 30);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (listener.addr as Deno.NetAddr).port;
    const r = await runCli("serve", [dir, "--port", `${port}`, "--no-open"]);
    assertEquals(r.code, 2, r.stderr);
    assertEquals(r.stderr.includes(`port ${port}`) && r.stderr.includes("in use"), true, r.stderr);
  } finally {
    listener.close();
  }
});

Deno.test("serve --help prints the usage and exits 0", async () => {
  const r = await runCli("serve", ["--help"]);
  assertEquals(r.code, 0);
  assertEquals(r.stdout.includes("--no-open") && r.stdout.includes("--host"), true, r.stdout);
});
