/**
 * viewer/bundle.ts: the source hash covers every repository file the bundle is made from (the
 * viewer's modules and the lib/grid maths it shares with the toolkit), and the lib/ modules
 * the browser bundle pulls in stay browser-safe (no Deno or node: APIs).
 */
import { fileURLToPath } from "node:url";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { VIEWER_ENTRIES, viewerLocalSources } from "../../viewer/bundle.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** Repository files in the module graph of the entry points, as `deno info` resolves it. */
async function denoGraph(): Promise<string[]> {
  const files = new Set<string>();
  for (const entry of VIEWER_ENTRIES) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: REPO,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.success, true, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: { specifier: string }[];
    };
    for (const m of info.modules) {
      if (m.specifier.startsWith("file:")) files.add(fileURLToPath(m.specifier));
    }
  }
  return [...files].sort();
}

Deno.test("the bundle's source list is the entry points' whole local module graph", async () => {
  assertDeepEquals(await viewerLocalSources(), await denoGraph());
});

Deno.test("lib/ modules bundled into the viewer use no Deno or node: APIs", async () => {
  // lib/deps/ files only name an npm package (its pinned version), which the bundle inlines.
  const libFiles = (await viewerLocalSources()).filter((f) =>
    f.startsWith(`${REPO}lib/`) && !f.startsWith(`${REPO}lib/deps/`)
  );
  // The grid maths (GeoBox, pixel rectangles, zone rules) and the error type, nothing else.
  assertEquals(libFiles.some((f) => f.endsWith("lib/grid/geobox.ts")), true);
  for (const f of libFiles) {
    const code = await Deno.readTextFile(f);
    assertEquals(/\bDeno\./.test(code), false, `${f} uses Deno APIs`);
    assertEquals(/from\s*["'](node:|npm:|jsr:)/.test(code), false, `${f} imports a package`);
    assertEquals(
      /lib\/(builder|plan|tiles|verify|scan|cli)\//.test(f),
      false,
      `${f} is build code`,
    );
  }
});
