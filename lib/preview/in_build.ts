/**
 * Previews inside the build (coordinator side): the stretch and basis are chosen before any
 * shard is written — from the pre-pass over the input tiles (input_sample.ts) or from files
 * the user hands over (parameter_files.ts) — and recorded in the store (`_build/previews.json`)
 * so a resumed build, and every slice of a sliced build, colours with exactly the same
 * parameters. The build's workers colour each shard while they hold it (shard_previews.ts);
 * once every shard is done, {@link finishBuildPreviews} writes the array documents and the
 * coarser pyramid levels from the shards' shares and returns the root attributes to publish
 * with the build's own (done flags last, as the preview pass publishes them).
 */
import { dirname, join } from "node:path";
import { TesseraError } from "../errors.ts";
import { ensureDir, fsyncEnabled, syncDir, tempSibling } from "../fs_atomic.ts";
import type { GeoBox } from "../grid/geobox.ts";
import type { BuildPlan } from "../plan/build_plan.ts";
import { BUILD_DIR, SHARD_PX } from "../store/layout.ts";
import type { FsStore } from "../zarr/fs_store.ts";
import { jsonBytes } from "../zarr/metadata.ts";
import { doneFlag } from "./attributes.ts";
import { type InputSample, sampleZoneInput } from "./input_sample.ts";
import { previewLevels, writeOverviewsGroup } from "./levels.ts";
import type { LevelInfo, PreviewName } from "./overviews.ts";
import { type PcaBasis, pcaBasis } from "./pca.ts";
import { pcaAttributes } from "./pca_pass.ts";
import { finishPyramid, partsDir, partShards } from "./pyramid_parts.ts";
import { chooseRgb, DEFAULT_RGB_BANDS, rgbAttributes } from "./rgb_pass.ts";
import { PreviewJobs } from "./shard_jobs.ts";
import type { ShardPreviewInit } from "./shard_previews.ts";
import type { RgbParams } from "./stretch.ts";
import type { ArrayMetadata } from "../zarr/metadata.ts";
import type { PreviewSource } from "../store/previews.ts";

/** Key of the recorded parameters of a build's previews. */
export const PREVIEWS_RECORD_KEY = `${BUILD_DIR}/previews.json`;

/** Levels a shard's pyramid share can hold: 1..log2(shard) (a 1024 shard: down to 1 px). */
const PART_LEVELS = Math.log2(SHARD_PX) + 1;

/** What a build was asked to draw: each preview with its parameters, given or to be chosen. */
export interface BuildPreviewRequest {
  rgb?: { bands?: readonly number[]; given?: RgbParams };
  pca?: { given?: PcaBasis };
}

/** The parameters a build colours with, as recorded in `_build/previews.json`. */
export interface BuildPreviewParams {
  rgb?: RgbParams;
  pca?: PcaBasis;
  /** Where each came from (recorded as `rgb_source` / `pca_source`). */
  sources?: { rgb?: PreviewSource; pca?: PreviewSource };
}

/** The recorded document. */
interface PreviewsRecord {
  kind: "tessera-zones build previews";
  version: 1;
  rgb?: RgbParams;
  pca?: PcaBasis;
  sources?: { rgb?: PreviewSource; pca?: PreviewSource };
}

/** How the parameters were had. */
export interface ChosenPreviews {
  params: BuildPreviewParams;
  /** The pre-pass, when it ran (a preview without given parameters). */
  sample?: Omit<InputSample, "input" | "scales">;
  seconds: number;
}

/**
 * The parameters of `request` for the zone of `plan`: given ones as they are, the rest chosen
 * from one pre-pass over the input tiles (the same choice the preview pass makes from
 * statistics: p2..p98 per band, the PCA basis of SPEC §6.2).
 *
 * @example
 * ```ts
 * const { params } = await chooseBuildPreviews(base, plan, { rgb: {}, pca: {} }, 1.0);
 * ```
 */
export async function chooseBuildPreviews(
  base: string,
  plan: BuildPlan,
  request: BuildPreviewRequest,
  maxValidScale: number,
  signal?: AbortSignal,
): Promise<ChosenPreviews> {
  const t0 = performance.now();
  const needSample = (request.rgb && !request.rgb.given) || (request.pca && !request.pca.given);
  let sample: InputSample | undefined;
  if (needSample) sample = await sampleZoneInput(base, plan, { maxValidScale, signal });
  const params: BuildPreviewParams = {};
  if (request.rgb) {
    params.rgb = request.rgb.given ??
      chooseRgb(sample!.input, request.rgb.bands ?? DEFAULT_RGB_BANDS);
  }
  if (request.pca) params.pca = request.pca.given ?? pcaBasis(sample!.input);
  const source = (given: unknown): PreviewSource =>
    given ? { from: "given" } : { from: "input", row_step_px: sample!.rowStepPx };
  params.sources = {
    ...(request.rgb ? { rgb: source(request.rgb.given) } : {}),
    ...(request.pca ? { pca: source(request.pca.given) } : {}),
  };
  let summary: ChosenPreviews["sample"];
  if (sample) {
    const { input: _i, scales: _s, ...rest } = sample;
    summary = rest;
  }
  return { params, sample: summary, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The parameters recorded in a store by an earlier (interrupted) build, or undefined.
 *
 * @example
 * ```ts
 * const recorded = await readPreviewsRecord(store);
 * ```
 */
export async function readPreviewsRecord(store: FsStore): Promise<BuildPreviewParams | undefined> {
  const bytes = await store.get(PREVIEWS_RECORD_KEY);
  if (!bytes) return undefined;
  try {
    const rec = JSON.parse(new TextDecoder().decode(bytes)) as PreviewsRecord;
    if (rec.kind !== "tessera-zones build previews" || rec.version !== 1) throw new Error();
    return {
      ...(rec.rgb ? { rgb: rec.rgb } : {}),
      ...(rec.pca ? { pca: rec.pca } : {}),
      ...(rec.sources ? { sources: rec.sources } : {}),
    };
  } catch {
    throw new TesseraError(
      "BadStore",
      "is not a readable previews record; delete it (the build then writes its previews " +
        "after the shards, reading them back) or rebuild the store with --overwrite",
      join(store.root, PREVIEWS_RECORD_KEY),
    );
  }
}

/**
 * Records `params` in the store, exactly once: the first writer creates the record
 * (a complete temporary file hard-linked to its name), and every later one — a resume, a
 * sibling slice — gets the record already there, which it must then colour with.
 *
 * @example
 * ```ts
 * const params = await claimPreviewsRecord(store, chosen.params); // the recorded ones
 * ```
 */
export async function claimPreviewsRecord(
  store: FsStore,
  params: BuildPreviewParams,
): Promise<BuildPreviewParams> {
  const path = join(store.root, PREVIEWS_RECORD_KEY);
  await ensureDir(dirname(path));
  const tmp = tempSibling(path);
  const rec: PreviewsRecord = { kind: "tessera-zones build previews", version: 1, ...params };
  try {
    {
      using f = await Deno.open(tmp, { write: true, createNew: true });
      const bytes = new TextEncoder().encode(JSON.stringify(rec) + "\n");
      for (let at = 0; at < bytes.length;) at += f.writeSync(bytes.subarray(at));
      if (fsyncEnabled()) f.syncDataSync();
    }
    try {
      await Deno.link(tmp, path);
      await syncDir(dirname(path));
      return params;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
  return (await readPreviewsRecord(store))!;
}

/**
 * Forgets previews `names` of a build's pass (their recorded parameters and pyramid shares):
 * the preview pass calls this when it redraws them, so a later `build --resume` of a store
 * finished with failed tiles does not bring the build's older colouring back.
 *
 * @example
 * ```ts
 * await forgetBuildPreviews(store, ["rgb"]);
 * ```
 */
export async function forgetBuildPreviews(
  store: FsStore,
  names: readonly PreviewName[],
): Promise<void> {
  const recorded = await readPreviewsRecord(store).catch(() => undefined);
  for (const n of names) {
    await Deno.remove(join(store.root, partsDir(n)), { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
  if (!recorded) return;
  const kept: BuildPreviewParams = { ...recorded };
  if (names.includes("rgb")) delete kept.rgb, delete kept.sources?.rgb;
  if (names.includes("pca_rgb")) delete kept.pca, delete kept.sources?.pca;
  if (kept.rgb || kept.pca) {
    const rec: PreviewsRecord = { kind: "tessera-zones build previews", version: 1, ...kept };
    await store.set(PREVIEWS_RECORD_KEY, new TextEncoder().encode(JSON.stringify(rec) + "\n"));
  } else {
    await store.delete(PREVIEWS_RECORD_KEY);
  }
}

/** The names of the previews `params` draws, in canonical order. */
export function previewNames(params: BuildPreviewParams): PreviewName[] {
  return [...(params.rgb ? ["rgb" as const] : []), ...(params.pca ? ["pca_rgb" as const] : [])];
}

/**
 * The worker init that colours the shards of the store at `storeRoot` (zone grid `geobox`).
 *
 * @example
 * ```ts
 * const init = shardPreviewInit(path, plan.geobox, 128, params);
 * ```
 */
export function shardPreviewInit(
  storeRoot: string,
  geobox: GeoBox,
  bands: number,
  params: BuildPreviewParams,
): ShardPreviewInit {
  const p = previewLevels(levelsInfo(geobox), previewNames(params));
  const refs: ShardPreviewInit["refs"] = {};
  for (const n of p.names) refs[n] = p.levels[n].map((l) => p.refs.get(l.path)!);
  return { storeRoot, bands, shardPx: SHARD_PX, params, refs, partLevels: PART_LEVELS };
}

/** What {@link finishBuildPreviews} gives the group document. */
export interface FinishedPreviews {
  /** Preview attributes, done flags included. */
  attributes: Record<string, unknown>;
  levels: Partial<Record<PreviewName, LevelInfo[]>>;
  bytesWritten: number;
}

/**
 * Once every shard is built: writes each preview's array documents and its overview levels
 * (from the shards' pyramid shares; levels past a share's depth by reducing the level above,
 * as the preview pass does), and returns the attributes to publish. The caller publishes them
 * in the group document, after the data (the done flags mean "complete").
 *
 * @example
 * ```ts
 * const done = await finishBuildPreviews(store, plan.geobox, params, arrays);
 * ```
 */
export async function finishBuildPreviews(
  store: FsStore,
  geobox: GeoBox,
  params: BuildPreviewParams,
  core: { bands: number; maxValidScale: number; embeddings: ArrayMetadata; scales: ArrayMetadata },
  signal?: AbortSignal,
): Promise<FinishedPreviews> {
  const names = previewNames(params);
  const p = previewLevels(levelsInfo(geobox), names);
  let bytes = 0;
  for (const name of names) {
    const refs = p.levels[name].map((l) => p.refs.get(l.path)!);
    await store.set(`${name}/zarr.json`, jsonBytes(refs[0].meta));
    if (refs.length > 1) await writeOverviewsGroup(store, name);
    for (const r of refs.slice(1)) await store.set(`${r.path}/zarr.json`, jsonBytes(r.meta));
    const shards = await partShards(store, name);
    bytes += await finishPyramid(
      store,
      name,
      refs.slice(0, PART_LEVELS),
      shards,
      SHARD_PX,
      signal,
    );
    if (refs.length > PART_LEVELS) {
      // Deeper than a share reaches (zones over 2^20 px): reduce the level above, in-process.
      const jobs = new PreviewJobs({ storePath: store.root, ...core });
      for (let k = PART_LEVELS; k < refs.length; k++) {
        const src = refs[k - 1], dst = refs[k];
        const [dh, dw] = dst.meta.chunk_grid.configuration.chunk_shape;
        const rows = Math.ceil(dst.meta.shape[0] / dh), cols = Math.ceil(dst.meta.shape[1] / dw);
        // Such a level is at most ~2048 px a side: a few shards; all-fill ones are not written.
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) {
            signal?.throwIfAborted();
            const res = await jobs.run({ type: "reduce", row: r, col: c, src, dst });
            bytes += Object.values(res.written).reduce((a, b) => a + b, 0);
          }
        }
      }
    }
  }
  const attributes: Record<string, unknown> = {};
  const src = params.sources ?? {};
  if (params.rgb) {
    Object.assign(attributes, rgbAttributes(params.rgb, src.rgb), { [doneFlag("rgb")]: true });
  }
  if (params.pca) {
    Object.assign(attributes, pcaAttributes(params.pca, src.pca), { [doneFlag("pca_rgb")]: true });
  }
  const levels: FinishedPreviews["levels"] = {};
  for (const n of names) levels[n] = p.levels[n];
  return { attributes, levels, bytesWritten: bytes };
}

function levelsInfo(geobox: GeoBox) {
  return { height: geobox.height, width: geobox.width, transform: [...geobox.transform] };
}
