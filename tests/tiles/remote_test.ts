/** Pure parts of the remote tile source: URL layout, Retry-After parsing, URL detection. */
import { assertEquals } from "../assert.ts";
import { tilePaths } from "../../lib/tiles/layout.ts";
import { isUrl, joinUrl, retryAfterMs } from "../../lib/tiles/remote.ts";
import { tileRef } from "../../lib/tiles/tile_ref.ts";

Deno.test("tilePaths under a URL keep the scheme and the published layout", () => {
  const cases: [string, string, string][] = [
    [
      "http://127.0.0.1:8080/",
      "http://127.0.0.1:8080/global_0.1_degree_representation/2024/grid_-0.05_51.45/grid_-0.05_51.45.npy",
      "http://127.0.0.1:8080/global_0.1_degree_tiff_all/grid_-0.05_51.45.tiff",
    ],
    [
      "https://host/v1/tiles",
      "https://host/v1/tiles/global_0.1_degree_representation/2024/grid_-0.05_51.45/grid_-0.05_51.45.npy",
      "https://host/v1/tiles/global_0.1_degree_tiff_all/grid_-0.05_51.45.tiff",
    ],
  ];
  for (const [base, emb, mask] of cases) {
    const p = tilePaths(base, tileRef(2024, -5, 5145));
    assertEquals(p.embeddings, emb);
    assertEquals(p.landmask, mask);
    assertEquals(p.scales, emb.replace(/\.npy$/, "_scales.npy"));
  }
});

Deno.test("Retry-After: seconds or an HTTP date, capped at 60 s; junk ignored", () => {
  const now = Date.parse("2026-12-01T12:00:00Z");
  const cases: [string | null, number | undefined][] = [
    ["1", 1000],
    ["0", 0],
    [" 2 ", 2000],
    ["3600", 60_000],
    ["Tue, 01 Dec 2026 12:00:05 GMT", 5000],
    ["soon", undefined],
    ["-1", undefined],
    [null, undefined],
  ];
  for (const [v, want] of cases) assertEquals(retryAfterMs(v, now), want, String(v));
});

Deno.test("isUrl and joinUrl", () => {
  assertEquals(isUrl("http://x/"), true);
  assertEquals(isUrl("HTTPS://x/"), true);
  assertEquals(isUrl("/data"), false);
  assertEquals(isUrl("ftp://x/"), false);
  assertEquals(isUrl(undefined), false);
  assertEquals(joinUrl("http://h/a", "registry.parquet"), "http://h/a/registry.parquet");
  assertEquals(joinUrl("http://h/a/?q=1", "b c.npy"), "http://h/a/b%20c.npy");
});
