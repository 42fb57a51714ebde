/** Request-path parsing (pure) and resolution under a root with real files and symlinks. */
import { join } from "node:path";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { isInside, parsePath, rawPath, resolveFile } from "../../lib/serve/paths.ts";

Deno.test("rawPath keeps what the client sent, minus query and fragment", () => {
  const cases: [string, string][] = [
    ["http://127.0.0.1:8000/a/../b?x=1", "/a/../b"],
    ["http://127.0.0.1:8000/%2e%2e/x#f", "/%2e%2e/x"],
    ["http://127.0.0.1:8000", "/"],
    ["http://evil/../secret", "/../secret"],
    ["http://h//etc/passwd", "//etc/passwd"],
  ];
  for (const [url, want] of cases) assertEquals(rawPath(url), want, url);
});

Deno.test("parsePath decodes segments and refuses anything that could climb", () => {
  const ok: [string, string[]][] = [
    ["/", []],
    ["/utm30_2024.zarr/scales/c/0/1", ["utm30_2024.zarr", "scales", "c", "0", "1"]],
    ["//etc//passwd/", ["etc", "passwd"]],
    ["/a%20b/%C3%A9", ["a b", "é"]],
    ["/...", ["..."]],
    ["/.hidden", [".hidden"]],
  ];
  for (const [raw, segs] of ok) {
    const p = parsePath(raw);
    assertDeepEquals(p, { ok: true, segments: segs }, raw);
  }
  const refused = [
    "/..",
    "/../x",
    "/a/./b",
    "/a/%2e%2e/b",
    "/%2E%2e/b",
    "/.%2e/b",
    "/%2e/b",
    "/a%2fb",
    "/a%2Fb",
    "/..%2fx",
    "/a\\b",
    "/..%5cx",
    "/a%00b",
    "/a%",
    "/a%2",
    "/%c0%ae%c0%ae/x",
    "relative/path",
    "",
  ];
  for (const raw of refused) assertEquals(parsePath(raw).ok, false, raw);
});

Deno.test("isInside compares whole path components", () => {
  assertEquals(isInside("/data/zarr", "/data/zarr"), true);
  assertEquals(isInside("/data/zarr", "/data/zarr/a"), true);
  assertEquals(isInside("/data/zarr", "/data/zarr2/a"), false);
  assertEquals(isInside("/data/zarr", "/data"), false);
  assertEquals(isInside("/", "/etc"), true);
});

Deno.test("resolveFile: files inside, symlinks out refused, directories absent", async () => {
  const tmp = await Deno.realPath(await Deno.makeTempDir({ prefix: "tz-paths-" }));
  const root = join(tmp, "root");
  await Deno.mkdir(join(root, "sub"), { recursive: true });
  await Deno.writeTextFile(join(root, "a.json"), "{}");
  await Deno.writeTextFile(join(tmp, "secret.txt"), "TOP SECRET");
  await Deno.writeTextFile(join(tmp, "root2.txt"), "sibling with a common prefix");
  await Deno.symlink("../secret.txt", join(root, "out-link"));
  await Deno.symlink("..", join(root, "up"));
  await Deno.symlink(join(tmp, "root2.txt"), join(root, "prefix-link"));
  await Deno.symlink("a.json", join(root, "in-link"));
  await Deno.symlink("sub", join(root, "sub-link"));
  await Deno.writeTextFile(join(root, "sub", "b.bin"), "b");
  try {
    const status = async (segs: string[]) => {
      const r = await resolveFile(root, segs);
      return r.ok ? 200 : r.status;
    };
    assertEquals(await status(["a.json"]), 200);
    assertEquals(await status(["in-link"]), 200);
    assertEquals(await status(["sub-link", "b.bin"]), 200);
    assertEquals(await status(["out-link"]), 403);
    assertEquals(await status(["up", "secret.txt"]), 403);
    assertEquals(await status(["prefix-link"]), 403);
    assertEquals(await status(["sub"]), 404);
    assertEquals(await status(["missing"]), 404);
    assertEquals(await status([]), 404);
    const inLink = await resolveFile(root, ["in-link"]);
    assertEquals(inLink.ok && inLink.path, join(root, "a.json"));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
