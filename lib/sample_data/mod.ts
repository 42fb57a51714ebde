/**
 * A realistic sample dataset in the exact published layout (SPEC §2), for tests, demos and
 * notebooks: embeddings sampled from one smooth world field, scales, landmask GeoTIFFs on the
 * exact grids, SHA256 files and a GeoParquet registry, with optional broken tiles (one per
 * real-world defect). Import as `@tessera/zones/sample-data`.
 *
 * ```ts
 * import { generateFixtures } from "./lib/sample_data/mod.ts";
 * await generateFixtures({ out: "/tmp/tz", tiles: 2, bands: 8, defects: true });
 * ```
 *
 * @module
 */
export {
  type FixtureManifest,
  type FixtureOptions,
  generateFixtures,
  readFixtureManifest,
} from "./generate.ts";
export { type DefectKind } from "./defects.ts";
