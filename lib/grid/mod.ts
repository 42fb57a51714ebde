/**
 * Grid mathematics, pure (no I/O; the browser viewer bundles it): UTM zones and EPSG codes,
 * the Krüger-series UTM projection, a tile's exact grid (SPEC §3.2), a zone's grid and tile
 * placements (§3.3), ties-to-even rounding, WKT — and the GeoBox (shape + affine + CRS, after
 * odc-geo) with its pixel↔world helpers, the currency every stage passes. Import as
 * `@tessera/zones/grid`.
 *
 * ```ts
 * import { pixelCentre, tileGrid, utmForward } from "./lib/grid/mod.ts";
 * const g = tileGrid(0.15, 52.25);      // EPSG:32631, 726 × 1139 px, origin 301822.8626 …
 * pixelCentre(g.geobox, 0, 0);          // [301827.86…, 5798361.72…]
 * utmForward(0.15, 52.25, 31);          // [easting, northing]
 * ```
 *
 * @module
 */
export * from "./rounding.ts";
export * from "./utm.ts";
export * from "./zone.ts";
export * from "./geobox.ts";
export * from "./pixel_rect.ts";
export * from "./tile_grid.ts";
export * from "./zone_grid.ts";
export * from "./crs.ts";
