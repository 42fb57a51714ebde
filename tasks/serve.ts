/** `deno task serve [DIR]`: the stores in DIR and the viewer over HTTP, on loopback (SPEC §8). */
import { join } from "node:path";
import { parseIntFlag, parseTaskArgs, runTask } from "../lib/cli/args.ts";
import { TesseraError } from "../lib/errors.ts";
import { formatManifestReport, writeManifests } from "../lib/manifest/manifest.ts";
import { defaultStoreDir } from "../lib/sample_stores.ts";
import { openBrowser, startServer } from "../lib/serve/server.ts";
import { ensureViewerBuilt } from "../viewer/bundle.ts";

const USAGE = `
deno task serve [DIR] [options]

Serves the Zarr stores in DIR (byte ranges, CORS) and the viewer at /.
DIR defaults to $TESSERA_DATA/zarr, else to the sample's stores (built on first use).
Manifests (_stores.json, {store}.manifest.json) are refreshed first; nothing else is written.

Options:
  --port N       port (default 8000; 0 picks a free one)
  --host ADDR    interface to bind (default 127.0.0.1, this machine only)
  --store NAME   open the viewer on this store (utm30_2024 or utm30_2024.zarr;
                 a comma-separated list shows several zones together)
  --no-open      do not open a browser
  -h, --help     this help

Ctrl-C stops the server. Exit code: 0 after a clean stop, 1 on failure, 2 on bad usage.
`;

await runTask("serve", async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    name: "serve",
    usage: USAGE,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      store: { type: "string" },
      "no-open": { type: "boolean" },
    },
    positionals: ["[DIR]"],
  });
  const port = parseIntFlag(values.port, "port", 0, 65535) ?? 8000;
  const dir = positionals[0] ?? await defaultStoreDir();
  if (!(await Deno.stat(dir).catch(() => undefined))?.isDirectory) {
    throw new TesseraError(
      "BadArgument",
      `"${dir}" is not a directory: give the folder holding the *.zarr stores, ` +
        "or build some first with `deno task build`",
    );
  }
  let stores: string[] = [];
  try {
    const report = await writeManifests(dir);
    stores = report.stores;
    console.log(formatManifestReport(report));
  } catch (e) {
    // A read-only folder can still be served; the viewer then lacks the shard lists.
    if (!(e instanceof Deno.errors.PermissionDenied)) throw e;
    console.error(`serve: cannot write manifests in ${dir} (${e.message}); serving anyway`);
  }
  if (stores.length === 0) console.log("No stores found; the viewer can still open any store URL.");
  // The viewer is bundled from local npm packages on first use (and after source changes).
  try {
    await ensureViewerBuilt();
  } catch (e) {
    console.error(`serve: could not build the viewer (${(e as Error).message}); serving data only`);
  }
  let page = "";
  if (values.store) {
    const names = values.store.split(",").map((s) => s.trim()).filter(Boolean)
      .map((s) => s.endsWith(".zarr") ? s : `${s}.zarr`);
    for (const name of names) {
      const found = !/[/\\]/.test(name) &&
        (await Deno.stat(join(dir, name)).catch(() => undefined))?.isDirectory;
      if (!found) {
        throw new TesseraError(
          "BadArgument",
          `--store: no store ${name} in ${dir}` +
            (stores.length ? ` (have: ${stores.join(", ")})` : ""),
        );
      }
    }
    page = `?store=${names.map(encodeURIComponent).join(",")}`;
  }

  const stop = new AbortController();
  // First Ctrl-C: stop accepting and let open responses finish; a second one: leave now.
  const onSignal = () => stop.signal.aborted ? Deno.exit(130) : stop.abort();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  const server = startServer({
    root: dir,
    port,
    host: values.host,
    signal: stop.signal,
    onError: (e, req) =>
      console.error(`serve: ${req.method} ${req.url}: ${(e as Error).stack ?? e}`),
  });
  const url = server.url + page;
  console.log(`Serving ${dir} on ${server.host}:${server.port}`);
  console.log(`Viewer: ${url}`);
  if (!values["no-open"]) openBrowser(url);
  console.log("Press Ctrl-C to stop.");
  await server.finished;
  for (const s of signals) Deno.removeSignalListener(s, onSignal);
  console.log("Stopped.");
  return 0;
});
