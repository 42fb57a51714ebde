/**
 * The static server over real HTTP on loopback, with real files: byte ranges, HEAD, OPTIONS,
 * 405, revalidation, content types, CORS, path traversal (raw requests), symlinks, streaming,
 * the viewer routes and 200 concurrent range requests.
 */
import { join } from "node:path";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { patternBytes, rawRequest, sameBytes, withServer } from "./http.ts";
import { RANGE_CASES } from "./range_cases.ts";

const tmp = await Deno.realPath(await Deno.makeTempDir({ prefix: "tz-serve-" }));
const root = join(tmp, "root");
const viewer = join(tmp, "viewer-dist");
const SECRET = "TOP SECRET outside the root";
const small = patternBytes(1000, 7);
const big = patternBytes(4 * 2 ** 20 + 123, 11);

await Deno.mkdir(join(root, "utm30_2024.zarr", "scales", "c", "0"), { recursive: true });
await Deno.mkdir(join(root, "sub"), { recursive: true });
await Deno.writeFile(join(root, "small.bin"), small);
await Deno.writeFile(join(root, "empty.bin"), new Uint8Array(0));
await Deno.writeFile(join(root, "utm30_2024.zarr", "scales", "c", "0", "1"), big);
await Deno.writeTextFile(join(root, "utm30_2024.zarr", "zarr.json"), '{"zarr_format":3}');
await Deno.writeTextFile(join(root, "_stores.json"), '["utm30_2024.zarr"]\n');
for (
  const name of ["page.html", "app.js", "app.mjs", "style.css", "image.png", "mod.wasm", "data.xyz"]
) {
  await Deno.writeTextFile(join(root, "sub", name), name);
}
await Deno.writeTextFile(join(tmp, "secret.txt"), SECRET);
await Deno.symlink("../secret.txt", join(root, "out-link"));
await Deno.symlink("..", join(root, "up"));
await Deno.symlink(join(tmp, "secret.txt"), join(root, "abs-link"));
await Deno.symlink("small.bin", join(root, "in-link"));
await Deno.mkdir(join(viewer, "assets"), { recursive: true });
await Deno.writeTextFile(join(viewer, "index.html"), "<!doctype html><title>viewer</title>");
await Deno.writeTextFile(join(viewer, "assets", "main.js"), "console.log('viewer');");
await Deno.writeTextFile(join(viewer, "assets", "decode.wasm"), "wasm");
await Deno.symlink(join(tmp, "secret.txt"), join(viewer, "assets", "leak"));
const missingViewer = join(tmp, "no-viewer-here");
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));

const serve = (fn: (base: string, port: number) => Promise<void>) =>
  withServer({ root, viewerDir: viewer }, fn);

function assertCors(r: Response | { headers: Map<string, string> }, what: string) {
  assertEquals(r.headers.get("access-control-allow-origin"), "*", `${what}: allow-origin`);
  const expose = r.headers.get("access-control-expose-headers") ?? "";
  for (const h of ["Content-Length", "Content-Range", "ETag", "Accept-Ranges"]) {
    assertEquals(expose.includes(h), true, `${what}: expose ${h}`);
  }
}

/** Every entry under `dir` with its size and mtime, not following symlinks. */
async function listing(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, rel))) {
    const p = join(rel, e.name);
    const st = await Deno.lstat(join(dir, p));
    out.push(`${p} ${st.size} ${st.mtime?.getTime()}`);
    if (e.isDirectory) out.push(...await listing(dir, p));
  }
  return out.sort();
}

async function get(url: string, headers: Record<string, string> = {}, method = "GET") {
  const r = await fetch(url, { method, headers });
  return { r, body: new Uint8Array(await r.arrayBuffer()) };
}

Deno.test("every Range form over HTTP: status, Content-Range, Content-Length and bytes", async () => {
  await serve(async (base) => {
    const failures: string[] = [];
    for (const { header, size, want } of RANGE_CASES) {
      if (size !== 1000 && size !== 0) continue;
      const data = size === 0 ? new Uint8Array(0) : small;
      const file = size === 0 ? "empty.bin" : "small.bin";
      const { r, body } = await get(`${base}${file}`, header === null ? {} : { range: header });
      const tag = `${JSON.stringify(header)} on ${size} B`;
      assertCors(r, tag);
      assertEquals(r.headers.get("accept-ranges"), "bytes", tag);
      if (want === 416) {
        if (r.status !== 416) failures.push(`${tag}: status ${r.status}, want 416`);
        assertEquals(r.headers.get("content-range"), `bytes */${size}`, tag);
        assertEquals(body.length, 0, tag);
      } else if (want === "full") {
        if (r.status !== 200) failures.push(`${tag}: status ${r.status}, want 200`);
        assertEquals(r.headers.get("content-range"), null, tag);
        assertEquals(r.headers.get("content-length"), `${size}`, tag);
        assertEquals(sameBytes(body, data), true, `${tag}: body`);
      } else {
        const [start, end] = want;
        if (r.status !== 206) failures.push(`${tag}: status ${r.status}, want 206`);
        assertEquals(r.headers.get("content-range"), `bytes ${start}-${end}/${size}`, tag);
        assertEquals(r.headers.get("content-length"), `${end - start + 1}`, tag);
        assertEquals(sameBytes(body, data.subarray(start, end + 1)), true, `${tag}: body`);
      }
    }
    assertDeepEquals(failures, []);
  });
});

Deno.test("HEAD: the whole file's length, no body, no range; Range ignored", async () => {
  await serve(async (base) => {
    for (const headers of [{}, { range: "bytes=0-9" }] as Record<string, string>[]) {
      const { r, body } = await get(`${base}small.bin`, headers, "HEAD");
      assertEquals(r.status, 200);
      assertEquals(r.headers.get("content-length"), "1000");
      assertEquals(r.headers.get("content-range"), null);
      assertEquals(r.headers.get("accept-ranges"), "bytes");
      assertEquals(r.headers.get("etag") !== null, true);
      assertEquals(body.length, 0);
      assertCors(r, "HEAD");
    }
    // Raw HEAD: really no body on the wire.
    const port = Number(new URL(base).port);
    const raw = await rawRequest(port, "/small.bin", "HEAD");
    assertEquals(raw.status, 200);
    assertEquals(raw.headers.get("content-length"), "1000");
    assertEquals(raw.body.length, 0);
  });
});

Deno.test("OPTIONS preflight allows Range from any origin; other methods get 405 with Allow", async () => {
  await serve(async (base) => {
    const { r } = await get(`${base}small.bin`, {
      origin: "http://example.org",
      "access-control-request-method": "GET",
      "access-control-request-headers": "range",
    }, "OPTIONS");
    assertEquals(r.status, 204);
    assertEquals(r.headers.get("access-control-allow-origin"), "*");
    assertEquals(/\bRange\b/.test(r.headers.get("access-control-allow-headers") ?? ""), true);
    assertEquals((r.headers.get("access-control-allow-methods") ?? "").includes("GET"), true);
    assertEquals(r.headers.get("allow"), "GET, HEAD, OPTIONS");
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const { r: x } = await get(`${base}small.bin`, {}, method);
      assertEquals(x.status, 405, method);
      assertEquals(x.headers.get("allow"), "GET, HEAD, OPTIONS", method);
      assertCors(x, method);
    }
  });
});

Deno.test("ETag and Last-Modified: 304 on a current copy, 200 after a change; If-Range", async () => {
  const path = join(root, "revalidate.bin");
  await Deno.writeFile(path, small);
  await serve(async (base) => {
    const url = `${base}revalidate.bin`;
    const { r } = await get(url);
    const etag = r.headers.get("etag")!;
    const lastModified = r.headers.get("last-modified")!;
    assertEquals(/^"[0-9a-f]+-[0-9a-f]+"$/.test(etag), true, etag);
    assertEquals(Number.isFinite(Date.parse(lastModified)), true);

    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const { r: x, body } = await get(url, { "if-none-match": inm });
      assertEquals(x.status, 304, inm);
      assertEquals(body.length, 0);
      assertEquals(x.headers.get("etag"), etag);
      assertCors(x, "304");
    }
    assertEquals((await get(url, { "if-none-match": '"other"' })).r.status, 200);
    assertEquals((await get(url, { "if-modified-since": lastModified })).r.status, 304);
    assertEquals(
      (await get(url, { "if-modified-since": "Thu, 01 Jan 1970 00:00:00 GMT" })).r.status,
      200,
    );
    // If-None-Match takes precedence over If-Modified-Since.
    const both = await get(url, { "if-none-match": '"other"', "if-modified-since": lastModified });
    assertEquals(both.r.status, 200);
    assertEquals((await get(url, { "if-none-match": etag }, "HEAD")).r.status, 304);

    // If-Range: a matching validator keeps the range, a stale one gets the whole file.
    assertEquals((await get(url, { range: "bytes=0-9", "if-range": etag })).r.status, 206);
    assertEquals((await get(url, { range: "bytes=0-9", "if-range": lastModified })).r.status, 206);
    const stale = await get(url, { range: "bytes=0-9", "if-range": '"stale"' });
    assertEquals(stale.r.status, 200);
    assertEquals(stale.body.length, 1000);

    await Deno.writeFile(path, small.subarray(0, 500));
    const { r: changed } = await get(url, { "if-none-match": etag });
    assertEquals(changed.status, 200);
    assertEquals(changed.headers.get("content-length"), "500");
    assertEquals(changed.headers.get("etag") !== etag, true);
  });
});

Deno.test("content types for the viewer's files and the store's", async () => {
  await serve(async (base) => {
    const cases: [string, string][] = [
      ["sub/page.html", "text/html; charset=utf-8"],
      ["sub/app.js", "text/javascript; charset=utf-8"],
      ["sub/app.mjs", "text/javascript; charset=utf-8"],
      ["sub/style.css", "text/css; charset=utf-8"],
      ["sub/image.png", "image/png"],
      ["sub/mod.wasm", "application/wasm"],
      ["sub/data.xyz", "application/octet-stream"],
      ["_stores.json", "application/json; charset=utf-8"],
      ["utm30_2024.zarr/zarr.json", "application/json; charset=utf-8"],
      ["utm30_2024.zarr/scales/c/0/1", "application/octet-stream"],
      ["small.bin", "application/octet-stream"],
      ["", "text/html; charset=utf-8"],
      ["viewer/assets/main.js", "text/javascript; charset=utf-8"],
      ["viewer/assets/decode.wasm", "application/wasm"],
    ];
    for (const [path, type] of cases) {
      const { r } = await get(base + path);
      assertEquals(r.status, 200, path);
      assertEquals(r.headers.get("content-type"), type, path);
      assertEquals(r.headers.get("x-content-type-options"), "nosniff", path);
    }
  });
});

Deno.test("no request reaches outside DIR: traversal, encodings, absolute paths, NUL, symlinks", async () => {
  const cases: [string, number][] = [
    ["/../secret.txt", 400],
    ["/sub/../../secret.txt", 400],
    ["/sub/../small.bin", 400],
    ["/./small.bin", 400],
    ["/%2e%2e/secret.txt", 400],
    ["/%2E%2E/secret.txt", 400],
    ["/.%2e/secret.txt", 400],
    ["/%2e./secret.txt", 400],
    ["/..%2fsecret.txt", 400],
    ["/%2e%2e%2fsecret.txt", 400],
    ["/sub%2f..%2f..%2fsecret.txt", 400],
    ["/%2fetc%2fpasswd", 400],
    ["/..\\secret.txt", 400],
    ["/..%5csecret.txt", 400],
    ["/sub\\..\\..\\secret.txt", 400],
    ["/small.bin%00.png", 400],
    ["/small.bin%00", 400],
    ["/%c0%ae%c0%ae/secret.txt", 400],
    ["/%", 400],
    ["http://evil.example/../secret.txt", 400],
    ["/viewer/../secret.txt", 400],
    ["/viewer/%2e%2e/%2e%2e/secret.txt", 400],
    ["//etc/passwd", 404],
    ["/etc/passwd", 404],
    [`/${tmp}/secret.txt`, 404],
    ["/secret.txt", 404],
    ["/sub", 404],
    ["/sub/", 404],
    ["/out-link", 403],
    ["/up/secret.txt", 403],
    // Judged by real location: this one climbs out and back in, to a file inside DIR.
    ["/up/root/small.bin", 200],
    ["/abs-link", 403],
    ["/viewer/assets/leak", 403],
    ["/in-link", 200],
  ];
  await serve(async (_base, port) => {
    const failures: string[] = [];
    for (const [target, want] of cases) {
      const r = await rawRequest(port, target);
      const text = new TextDecoder().decode(r.body);
      if (text.includes(SECRET) || text.includes("root:x:")) failures.push(`${target}: LEAKED`);
      if (r.status !== want) failures.push(`${target}: status ${r.status}, want ${want}`);
      if (r.headers.get("access-control-allow-origin") !== "*") failures.push(`${target}: no CORS`);
    }
    assertDeepEquals(failures, []);
  });
});

Deno.test("200 concurrent range requests on one big file all come back right", async () => {
  await serve(async (base) => {
    const url = `${base}utm30_2024.zarr/scales/c/0/1`;
    const rnd = patternBytes(200 * 8, 5);
    const view = new DataView(rnd.buffer);
    const reqs = Array.from({ length: 200 }, (_, i) => {
      if (i % 10 === 0) {
        const n = 1 + (view.getUint32(i * 8) % 20000);
        return { header: `bytes=-${n}`, start: big.length - n, end: big.length - 1 };
      }
      const start = view.getUint32(i * 8) % big.length;
      const len = 1 + (view.getUint32(i * 8 + 4) % 300_000);
      const end = Math.min(big.length - 1, start + len - 1);
      return { header: `bytes=${start}-${start + len - 1}`, start, end };
    });
    const results = await Promise.all(reqs.map(async (q) => {
      const r = await fetch(url, { headers: { range: q.header } });
      const body = new Uint8Array(await r.arrayBuffer());
      return { q, status: r.status, range: r.headers.get("content-range"), body };
    }));
    const bad = results.filter(({ q, status, range, body }) =>
      status !== 206 || range !== `bytes ${q.start}-${q.end}/${big.length}` ||
      !sameBytes(body, big.subarray(q.start, q.end + 1))
    ).map(({ q, status }) => `${q.header}: ${status}`);
    assertDeepEquals(bad, []);
  });
});

Deno.test("big files stream: a full GET is right, a range at the end of 4 GiB is instant", async () => {
  const sparse = join(root, "sparse.bin");
  await Deno.writeFile(sparse, new Uint8Array(0));
  await Deno.truncate(sparse, 4 * 2 ** 30);
  try {
    await serve(async (base) => {
      const { r, body } = await get(`${base}utm30_2024.zarr/scales/c/0/1`);
      assertEquals(r.status, 200);
      assertEquals(sameBytes(body, big), true);

      // Reading the whole 4 GiB to answer would take seconds and gigabytes.
      const rss0 = Deno.memoryUsage().rss;
      const t0 = performance.now();
      const tail = await get(`${base}sparse.bin`, { range: "bytes=-16" });
      assertEquals(tail.r.status, 206);
      assertEquals(
        tail.r.headers.get("content-range"),
        `bytes ${4 * 2 ** 30 - 16}-${4 * 2 ** 30 - 1}/${4 * 2 ** 30}`,
      );
      assertEquals(tail.body.length, 16);
      // A full GET abandoned after a few chunks: the server must not buffer the file.
      const full = await fetch(`${base}sparse.bin`);
      assertEquals(full.headers.get("content-length"), `${4 * 2 ** 30}`);
      const reader = full.body!.getReader();
      let got = 0;
      while (got < 2 ** 20) got += (await reader.read()).value!.length;
      await reader.cancel();
      assertEquals(performance.now() - t0 < 5000, true, "took too long");
      assertEquals(
        Deno.memoryUsage().rss - rss0 < 512 * 2 ** 20,
        true,
        "memory grew by the file size",
      );
    });
  } finally {
    await Deno.remove(sparse);
  }
});

Deno.test("abandoned downloads close their files", async () => {
  if (Deno.build.os !== "linux") return;
  // Big enough that the server cannot have finished reading when the client gives up.
  const sparse = join(root, "sparse-fd.bin");
  await Deno.writeFile(sparse, new Uint8Array(0));
  await Deno.truncate(sparse, 2 ** 30);
  const openFiles = () =>
    [...Deno.readDirSync("/proc/self/fd")].filter((e) => {
      try {
        return Deno.readLinkSync(`/proc/self/fd/${e.name}`) === sparse;
      } catch {
        return false;
      }
    }).length;
  try {
    await serve(async (base) => {
      for (let i = 0; i < 20; i++) {
        const r = await fetch(`${base}sparse-fd.bin`);
        const reader = r.body!.getReader();
        await reader.read();
        await reader.cancel();
      }
      // The server notices the cancellations asynchronously.
      for (let i = 0; i < 100 && openFiles() > 0; i++) {
        await new Promise((res) => setTimeout(res, 20));
      }
      assertEquals(openFiles(), 0, "files left open");
    });
  } finally {
    await Deno.remove(sparse);
  }
});

Deno.test("viewer: / and /viewer/* come from the bundle, ?store= is the viewer's business", async () => {
  await serve(async (base) => {
    for (const path of ["", "?store=utm30_2024.zarr"]) {
      const { r, body } = await get(base + path);
      assertEquals(r.status, 200);
      assertEquals(new TextDecoder().decode(body), "<!doctype html><title>viewer</title>");
    }
    const js = await get(`${base}viewer/assets/main.js`);
    assertEquals(new TextDecoder().decode(js.body), "console.log('viewer');");
    assertEquals((await get(`${base}viewer/nothing.js`)).r.status, 404);
    assertEquals((await get(`${base}viewer/assets`)).r.status, 404);
  });
});

Deno.test("viewer missing: / explains how to build it, DIR is not written", async () => {
  const before = await listing(root);
  await withServer({ root, viewerDir: missingViewer }, async (base) => {
    const { r, body } = await get(base);
    assertEquals(r.status, 200);
    assertEquals(r.headers.get("content-type"), "text/html; charset=utf-8");
    const html = new TextDecoder().decode(body);
    assertEquals(html.includes("viewer bundle is missing"), true, html);
    assertEquals(html.includes(missingViewer), true);
    assertEquals((await get(`${base}viewer/index.html`)).r.status, 404);
    assertEquals((await get(`${base}_stores.json`)).r.status, 200);
  });
  assertDeepEquals(await listing(root), before);
});

Deno.test("a missing DIR answers 404, not 500", async () => {
  await withServer({ root: join(tmp, "gone"), viewerDir: viewer }, async (base) => {
    const { r } = await get(`${base}_stores.json`);
    assertEquals(r.status, 404);
    assertCors(r, "404");
  });
});
