/** Grid mathematics: zones, UTM, tile grids, zone grids, GeoBoxes. Pure, no I/O. */
export * from "./rounding.ts";
export * from "./utm.ts";
export * from "./zone.ts";
export * from "./geobox.ts";
export * from "./tile_grid.ts";
export * from "./zone_grid.ts";
export * from "./crs.ts";
