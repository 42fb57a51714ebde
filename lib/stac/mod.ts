/**
 * STAC 1.1 catalogs of zone stores: one Item per store (WGS 84 footprint, the year, the
 * projection extension's `proj:` fields, the Zarr store and PNG thumbnails as assets) and a
 * Collection over them; written by `deno task stac`, served live by `deno task serve` at
 * `/stac/`. The footprint, layout and documents are pure; `catalog.ts` reads the stores.
 * docs/stac.md describes every field.
 *
 * ```ts
 * import { writeStacCatalog } from "./lib/stac/mod.ts";
 * const r = await writeStacCatalog("out/zarr", { hrefBase: "https://data.example.org/zarr/" });
 * r.items.map((i) => i.path); // ["utm30_2024/utm30_2024.json", …]
 * ```
 *
 * @module
 */
export * from "./footprint.ts";
export * from "./layout.ts";
export * from "./thumbnail.ts";
export * from "./documents.ts";
export * from "./catalog.ts";
