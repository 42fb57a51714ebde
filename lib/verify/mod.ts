/**
 * `verify`: every pixel of a zone store re-derived from its source tiles with an independent
 * implementation of the compositing rule, the build-time statistics and derived attributes
 * recomputed, stray objects found; the report says what to do (`build … --repair`). Import as
 * `@tessera/zones/verify`.
 *
 * ```ts
 * import { formatReport, verifyStore } from "./lib/verify/mod.ts";
 * const report = await verifyStore("out/utm30_2024.zarr", { base: "/data" });
 * console.log(formatReport(report)); // report.ok: every pixel and statistic agrees
 * ```
 *
 * @module
 */
export { type VerifyOptions, verifyStore } from "./verify_store.ts";
export {
  formatReport,
  type PixelCounts,
  type PixelCoverage,
  type PixelMismatch,
  reportJson,
  type VerifyReport,
} from "./report.ts";
export { adviceFor, repairCommand, type StoreOrigin } from "./advice.ts";
