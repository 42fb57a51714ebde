/** viewer/src/url_state.ts: what a page URL asks for. */
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { hasSharedView, readUrlState, storeUrl, yearOf } from "../../viewer/src/url_state.ts";

Deno.test("readUrlState: stores by name and by URL, bands, mode, overviews, basemap", () => {
  const cases: [search: string, want: Partial<ReturnType<typeof readUrlState>>][] = [
    ["", {
      storeNames: [],
      storeUrls: [],
      bands: undefined,
      bandsListed: false,
      mode: "rgb",
      overviews: true,
      basemap: "",
    }],
    ["?store=utm30_2024, zarr/utm31_2024.zarr/", {
      storeNames: ["utm30_2024.zarr", "utm31_2024.zarr"],
      storeUrls: [],
    }],
    ["?store=http://h:8000/x/utm37_2024.zarr", {
      storeNames: [],
      storeUrls: ["http://h:8000/x/utm37_2024.zarr"],
    }],
    ["?bands=3,4,5&mode=pca&overviews=0", {
      bands: [3, 4, 5],
      bandsListed: true,
      mode: "pca",
      overviews: false,
    }],
    // Three values, one not a band: the default bands are used (and shown in the inputs).
    ["?bands=3,x,5", { bands: undefined, bandsListed: true }],
    ["?bands=3,4", { bands: undefined, bandsListed: false }],
    ["?basemap=https%3A%2F%2Ft%2F%7Bz%7D%2F%7Bx%7D%2F%7By%7D.png", {
      basemap: "https://t/{z}/{x}/{y}.png",
    }],
  ];
  for (const [search, want] of cases) {
    const got = readUrlState(search) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(want)) assertDeepEquals(got[k], v, `${search}: ${k}`);
  }
});

Deno.test("store URLs, years and shared views", () => {
  const base = new URL("http://127.0.0.1:8000/viewer/");
  assertEquals(storeUrl("utm30_2024.zarr", base), "http://127.0.0.1:8000/viewer/utm30_2024.zarr");
  assertEquals(yearOf("utm30_2024.zarr"), "2024");
  assertEquals(yearOf("mine.zarr"), "other");
  assertEquals(hasSharedView("#12.5/51.47/-0.06"), true);
  assertEquals(hasSharedView(""), false);
  assertEquals(hasSharedView("#about"), false);
});
