/**
 * Previews of zone stores (SPEC §6): the RGB band stretch and the PCA colouring — chosen from
 * the input tiles before a build (`sampleZoneInput`, the pre-pass the build runs), or from a
 * store's build-time statistics — written as uint8 RGBA arrays with 2× overview pyramids and
 * `multiscales`; parameter files (`--rgb-stretch`, `--pca-basis`); PNG export. Import as
 * `@tessera/zones/preview`.
 *
 * ```ts
 * import { writePreviews } from "./lib/preview/mod.ts";
 * const r = await writePreviews("out/utm30_2024.zarr", { rgb: { bands: [4, 17, 90] }, pca: true });
 * r.pca?.explainedVariance;
 * ```
 *
 * @module
 */
export {
  type PreviewOptions,
  type PreviewRequest,
  type PreviewResult,
  writePreviews,
} from "./preview_pass.ts";
export { type PcaBasis, pcaBasis, type PcaInput } from "./pca.ts";
export { bandStretch, channel, percentileSorted, type Stretch } from "./stretch.ts";
export { chooseRgb, DEFAULT_RGB_BANDS } from "./rgb_pass.ts";
export { pcaFromAttributes } from "./pca_pass.ts";
export { type LevelInfo, pyramidLevels } from "./overviews.ts";
export { encodePng, readPreviewLevel, writePreviewPng } from "./png.ts";
export { findStores } from "./stores.ts";
export {
  INPUT_ROW_STEP_PX,
  type InputSample,
  type InputSampleOptions,
  sampleZoneInput,
} from "./input_sample.ts";
export {
  checkPcaFits,
  checkRgbFits,
  type ParameterSource,
  parsePcaBasis,
  parseRgbStretch,
  pcaBasisJson,
  readPcaBasis,
  readRgbStretch,
  rgbStretchJson,
} from "./parameter_files.ts";
export {
  type BuildPreviewParams,
  type BuildPreviewRequest,
  chooseBuildPreviews,
} from "./in_build.ts";
