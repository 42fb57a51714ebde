/**
 * Publishing stores: the manifests (`_stores.json`, per-store chunk manifests) and a
 * range-serving static HTTP server with CORS, ETags and the bundled viewer. Import as
 * `@tessera/zones/serve`.
 *
 * ```ts
 * import { startServer, writeManifests } from "./lib/serve/mod.ts";
 * await writeManifests("out/zarr");
 * const server = startServer({ root: "out/zarr", port: 8000 });
 * await server.shutdown();
 * ```
 *
 * @module
 */
export {
  CHUNK_MANIFEST_FILE,
  type ChunkManifest,
  chunkManifest,
  formatManifestReport,
  MANIFEST_SUFFIX,
  manifestName,
  type ManifestReport,
  STORES_FILE,
  writeManifests,
} from "../manifest/manifest.ts";
export { browserUrl, type RunningServer, type ServeOptions, startServer } from "./server.ts";
export { staticHandler, type StaticOptions } from "./static.ts";
