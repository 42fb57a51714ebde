/**
 * `verify` for one store: recompute the zone plan from BASE (registry or directory walk), check
 * the attributes, array documents and coordinate arrays against it, then compare every shard
 * with its source tiles — in a pool of Web Workers, one shard each at a time, merged in shard
 * order so the report does not depend on scheduling. The workers also re-derive each shard's
 * statistics and defect-scale counts from the expected pixels; merged in shard order they
 * must give the store's build-time attributes and `stats/` arrays exactly (derived_checks.ts).
 * Last, the store's tree must hold nothing the builder would not write (store_objects.ts).
 * (Slightly over 400 lines: it is the one place that runs these stages in order; each stage's
 * logic lives in its own module.)
 */
import { basename, dirname } from "node:path";
import { zoneBandCount } from "../tiles/band_count.ts";
import { planZones, type ZonePlan } from "../plan/zone_plan.ts";
import { type BuildPlan, withBands, workerPlan } from "../plan/build_plan.ts";
import { TesseraError } from "../errors.ts";
import { embeddingsCompression } from "../store/arrays.ts";
import { parseBuildState, parseZoneIdentity } from "../store/attributes.ts";
import { type NodeDocument, readDocument } from "../store/documents.ts";
import { SHARD_PX, shardGridShape } from "../store/layout.ts";
import { parseStoreName } from "../store/names.ts";
import { DEFAULT_MAX_VALID_SCALE } from "../store/pixel_state.ts";
import { parsePreviewAttributes } from "../store/previews.ts";
import type { ArrayMetadata } from "../zarr/metadata.ts";
import { listTiles } from "../tiles/tile_list.ts";
import { FsStore } from "../zarr/fs_store.ts";
import { CHUNK_MANIFEST_FILE } from "../manifest/manifest.ts";
import { previewArrayMetadata, pyramidLevels } from "../preview/overviews.ts";
import { checkDerived, type Derivation, DerivedMerger } from "./derived_checks.ts";
import { sampleZoneInput } from "../preview/input_sample.ts";
import { adviceFor, repairCommand, type StoreOrigin } from "./advice.ts";
import {
  emptyCounts,
  mergeShardReports,
  type ShardReport,
  type ValueMismatch,
  type VerifyReport,
} from "./report.ts";
import { chunkGrid, findStrayObjects, type ObjectLayout } from "./store_objects.ts";
import {
  checkArrayDocs,
  checkConsolidated,
  checkCoordinates,
  checkGeoreference,
  compareAttributes,
  expectedAttributes,
  shardIndexChunks,
} from "./store_checks.ts";
import { type ShardedArray, ShardVerifier, type VerifyContext } from "./verify_shard.ts";
import { WorkerPool } from "../workers/pool.ts";

/** One shard to verify and the tiles that may overlap it. */
interface VerifyJob {
  row: number;
  col: number;
  tiles: number[];
}

/** Options of {@link verifyStore}. */
export interface VerifyOptions {
  /** The dataset the store was built from. */
  base: string;
  /** Directory of registry.parquet (default: BASE, its parent or grandparent, else a walk). */
  registryDir?: string;
  /** Parallel shard verifiers (Web Workers); 1 verifies in this thread. Default 2. */
  workers?: number;
  /** How many pixel mismatches (and coordinate mismatches) to list; default 10. */
  maxListed?: number;
  /** The band count the store was built with `--bands`; default the builder's rule. */
  bands?: number;
  /** The builder's `max_valid_scale`; default the builder's default. */
  maxValidScale?: number;
  /** Called once the shard list is known. */
  onPlanned?: (shards: number) => void;
  /** Called after each shard. */
  onShard?: (report: ShardReport) => void;
  signal?: AbortSignal;
}

/**
 * Verifies the store at `storePath` against the tiles under `opts.base`.
 *
 * @example
 * const report = await verifyStore("data/zarr/utm30_2024.zarr", { base: "data" });
 * if (!report.ok) console.log(formatReport(report));
 */
export async function verifyStore(storePath: string, opts: VerifyOptions): Promise<VerifyReport> {
  const t0 = performance.now();
  const maxListed = opts.maxListed ?? 10;
  const store = new FsStore(storePath);
  const group = await readDocument(store, "zarr.json", storePath);
  if (!group || group.node_type !== "group") {
    throw new TesseraError(
      "BadArgument",
      `${storePath} is not a zone store (no group zarr.json); give a utm{ZZ}_{YYYY}.zarr directory`,
    );
  }
  const attrs = group.attributes ?? {};
  const { zone, year } = storeIdentity(storePath, attrs);
  const planned = await zonePlan(opts.base, zone, year, opts.registryDir);
  // The builder's own rule (the count most tiles have, or --bands): an odd tile fails alike.
  const plan = withBands(planned, await zoneBandCount(opts.base, planned, { bands: opts.bands }));
  const { bands } = plan;
  const maxValidScale = opts.maxValidScale ?? DEFAULT_MAX_VALID_SCALE;

  const expected = expectedAttributes(plan, maxValidScale);
  const metadata: ValueMismatch[] = compareAttributes(attrs, expected);
  const arrays = await checkArrayDocs(store, plan);
  metadata.push(...arrays.mismatches);
  if (arrays.docs.embeddings) {
    // The one builder attribute that describes an array rather than the plan.
    const want = embeddingsCompression(arrays.docs.embeddings as ArrayMetadata);
    if (attrs.embeddings_compression !== want) {
      metadata.push({
        what: "attribute embeddings_compression",
        expected: want,
        got: attrs.embeddings_compression ?? null,
      });
    }
  }
  const coords = await checkCoordinates(storePath, plan, maxListed);
  metadata.push(...coords.mismatches);
  metadata.push(...checkGeoreference(attrs, arrays.docs, plan));
  metadata.push(...await checkConsolidated(storePath, group, maxListed));

  const { height: H, width: W } = plan.geobox;
  const emb = arrays.docs.embeddings, sc = arrays.docs.scales;
  const gridOk = emb !== undefined && sc !== undefined &&
    JSON.stringify(emb.shape) === JSON.stringify([H, W, bands]) && emb.data_type === "int8" &&
    JSON.stringify(sc.shape) === JSON.stringify([H, W]) && sc.data_type === "float32";
  const shards: VerifyJob[] = [];
  let reports: ShardReport[] = [];
  let derivation: Derivation | undefined;
  const shardPx: [number, number] = emb ? shardShape(emb) : [SHARD_PX, SHARD_PX];
  if (gridOk) {
    const ctx: VerifyContext = {
      storePath,
      base: opts.base,
      plan: workerPlan(plan),
      maxValidScale,
      shardPx,
      arrays: [sharded("embeddings", 3, emb), sharded("scales", 2, sc)],
      maxListed,
    };
    // Every shard of the store's grid, planned or not: an unplanned one must be absent.
    const tilesOf = unitTiles(plan, shardPx);
    for (let r = 0; r * shardPx[0] < H; r++) {
      for (let c = 0; c * shardPx[1] < W; c++) {
        shards.push({ row: r, col: c, tiles: tilesOf(r, c) });
      }
    }
    opts.onPlanned?.(shards.length);
    const merger = new DerivedMerger(bands);
    reports = await runShards(ctx, shards, opts, (i, r) => {
      // Statistics partials leave the report at once: kept, they would grow with the zone.
      merger.add(i, r.derived);
      delete r.derived;
    });
    derivation = merger.finish(shards.length);
  } else {
    opts.onPlanned?.(0);
  }

  const merged = mergeShardReports(reports, maxListed);
  // In the builder's order (code-unit sort, build_zone.ts finalise).
  const failedNames = merged.failedTiles.map((f) => f.tile).sort();
  if (gridOk && JSON.stringify(attrs.failed_tiles ?? []) !== JSON.stringify(failedNames)) {
    metadata.push({
      what: "attribute failed_tiles",
      expected: failedNames,
      got: attrs.failed_tiles ?? null,
    });
  }
  // An unfinished build has no statistics yet (build_complete is reported above).
  const finished = parseBuildState(attrs).complete;
  const derivedChecked = finished && derivation !== undefined && derivation.missing === 0;
  const transform = expected.transform as number[];
  const derived = derivedChecked
    ? await checkDerived(
      storePath,
      attrs,
      derivation!,
      { height: H, width: W, transform },
      maxListed,
      async (rowStepPx) =>
        (await sampleZoneInput(opts.base, plan, { rowStepPx, maxValidScale })).input,
    )
    : [];

  const layout = objectLayout(arrays.docs, {
    height: H,
    width: W,
    bands,
    transform,
    sampleSize: derivedChecked ? derivation!.stats.priorities.length : undefined,
    sampleDoc: await readDocument(store, "stats/sample/zarr.json").catch(() => undefined),
    // `_build` stays while a build is unfinished or when tiles failed; when the pixels were
    // not compared, which tiles fail is unknown.
    buildShards: failedNames.length || !finished || !gridOk
      ? shardGridShape(H, W, shardPx)
      : undefined,
  });
  const strays = await findStrayObjects(storePath, layout, maxListed);

  const origin: StoreOrigin = {
    base: opts.base,
    zone: plan.zone,
    year: plan.year,
    outputDir: dirname(storePath.replace(/\/+$/, "")),
    store: storePath,
    registryDir: opts.registryDir,
  };
  const c = merged.counts;
  const partial: Omit<VerifyReport, "advice"> = {
    store: basename(storePath),
    path: storePath,
    base: opts.base,
    zone: plan.zone,
    year: plan.year,
    bands,
    tiles: plan.tiles.length,
    shards: shards.length,
    seconds: (performance.now() - t0) / 1000,
    counts: c,
    mismatches: merged.mismatches,
    shardProblems: merged.problems,
    metadata,
    coordinateMismatches: coords.count,
    derived,
    derivedChecked,
    strays: strays.listed,
    strayCount: strays.count,
    failedTiles: merged.failedTiles,
    pixelsChecked: gridOk,
    repairCommand: repairCommand(origin),
    ok: gridOk && c.mismatched === 0 && c.unverified === 0 && merged.problems.length === 0 &&
      metadata.length === 0 && derivedChecked && derived.length === 0 && strays.count === 0,
  };
  const previews = parsePreviewAttributes(attrs);
  const rgbBands = previews.rgb ? previews.rgbBands : undefined;
  const advice = partial.ok ? [] : adviceFor(partial, origin, { rgbBands, pca: previews.pcaRgb });
  return { ...partial, advice };
}

/**
 * What the store may hold: the core arrays and their chunk grids (from the plan's shapes and
 * the stored chunk shapes), the `stats` group, both previews' levels, and `_build` markers
 * when tiles failed.
 */
function objectLayout(
  docs: Record<string, NodeDocument | undefined>,
  g: {
    height: number;
    width: number;
    bands: number;
    transform: number[];
    sampleSize?: number;
    sampleDoc?: NodeDocument;
    buildShards?: [number, number];
  },
): ObjectLayout {
  const { height: H, width: W, bands: B } = g;
  const chunkOf = (doc: NodeDocument | undefined, shape: number[]) =>
    doc?.chunk_grid?.configuration?.chunk_shape ?? shape;
  const arrays = new Map<string, number[]>();
  const core: [string, number[]][] = [
    ["embeddings", [H, W, B]],
    ["scales", [H, W]],
    ["northing", [H]],
    ["easting", [W]],
    ["band", [B]],
    ["spatial_ref", []],
  ];
  for (const [name, shape] of core) {
    arrays.set(name, chunkGrid(shape, chunkOf(docs[name], shape)));
  }
  const n = g.sampleSize ?? g.sampleDoc?.shape?.[0] ?? 0;
  for (
    const [name, shape] of [["sum", [B]], ["sum_products", [B, B]], ["sample", [n, B]]] as const
  ) {
    arrays.set(`stats/${name}`, chunkGrid(shape, shape.map((s) => Math.max(1, s))));
  }
  for (const name of ["rgb", "pca_rgb"] as const) {
    for (const l of pyramidLevels(name, H, W, g.transform)) {
      const meta = previewArrayMetadata(l.shape[0], l.shape[1], l.level);
      arrays.set(l.path, chunkGrid(meta.shape, meta.chunk_grid.configuration.chunk_shape));
    }
  }
  return {
    groups: new Set(["", "stats", "rgb_overviews", "pca_rgb_overviews"]),
    arrays,
    rootFiles: new Set(),
    rootFileReasons: new Map([[
      CHUNK_MANIFEST_FILE,
      "written inside the store by an older `deno task manifest` (zarr-python warns about it); " +
      "run `deno task manifest` on the stores' folder, which moves it beside the store",
    ]]),
    buildShards: g.buildShards,
  };
}

/**
 * The plan tiles that may overlap each work unit of `unitPx` (the store's shard shape), in
 * registry order: the pieces of the planned shards the unit meets — the plan's own shard
 * list, so verify never re-plans the geometry (it re-derives the pixels). For a store with
 * the builder's shard shape (every sound one) a unit is one planned shard and these are its
 * pieces.
 */
function unitTiles(
  plan: BuildPlan,
  unitPx: [number, number],
): (row: number, col: number) => number[] {
  const { height: H, width: W } = plan.geobox;
  const [, planCols] = shardGridShape(H, W);
  const planned = new Map(plan.shards.map((s) => [s.row * planCols + s.col, s]));
  return (row, col) => {
    const [ur, uc] = unitPx;
    const r1 = Math.min(H, (row + 1) * ur), c1 = Math.min(W, (col + 1) * uc);
    const tiles = new Set<number>();
    for (let r = Math.floor(row * ur / SHARD_PX); r * SHARD_PX < r1; r++) {
      for (let c = Math.floor(col * uc / SHARD_PX); c * SHARD_PX < c1; c++) {
        for (const p of planned.get(r * planCols + c)?.pieces ?? []) tiles.add(p.tile);
      }
    }
    return [...tiles].sort((a, b) => a - b);
  };
}

/** Zone and year from the store's name (the builder's contract), else from its attributes. */
function storeIdentity(
  path: string,
  attrs: Record<string, unknown>,
): { zone: number; year: number } {
  const named = parseStoreName(basename(path.replace(/\/+$/, "")));
  if (named) return named;
  const recorded = parseZoneIdentity(attrs);
  if (recorded) return recorded;
  throw new TesseraError(
    "BadArgument",
    `cannot tell the zone and year of ${path}: its name is not utm{ZZ}_{YYYY}.zarr and its ` +
      "attributes have no utm_zone/year",
  );
}

/** The plan of one zone and year, recomputed from BASE exactly as `build` computes it. */
async function zonePlan(
  base: string,
  zone: number,
  year: number,
  registryDir?: string,
): Promise<ZonePlan> {
  const list = await listTiles(base, { year, zones: [zone], registryDir });
  const plan = planZones(list.tiles).find((p) => p.zone === zone && p.year === year);
  if (!plan) {
    throw new TesseraError(
      "BadArgument",
      `BASE ${base} has no tiles for zone ${zone} in ${year}; give the dataset the store was built from`,
    );
  }
  return plan;
}

/** Band count as the builder finds it: from the first tile whose embeddings header reads. */
function shardShape(doc: NodeDocument): [number, number] {
  const s = doc.chunk_grid?.configuration?.chunk_shape ?? [];
  return [s[0] || 1, s[1] || 1];
}

function sharded(name: "embeddings" | "scales", rank: number, doc: NodeDocument): ShardedArray {
  return { name, rank, shard: shardShape(doc), indexChunks: shardIndexChunks(doc) };
}

/** Verifies `shards` in-process (workers ≤ 1) or in a Web Worker pool; results in shard order. */
async function runShards(
  ctx: VerifyContext,
  shards: readonly VerifyJob[],
  opts: VerifyOptions,
  onResult: (index: number, report: ShardReport) => void,
): Promise<ShardReport[]> {
  const n = Math.max(1, Math.min(opts.workers ?? 2, shards.length));
  const results: ShardReport[] = new Array(shards.length);
  if (n === 1) {
    const v = new ShardVerifier(ctx);
    for (let i = 0; i < shards.length; i++) {
      opts.signal?.throwIfAborted();
      results[i] = await v.verify(shards[i].row, shards[i].col, shards[i].tiles);
      onResult(i, results[i]);
      opts.onShard?.(results[i]);
    }
    return results;
  }
  using pool = WorkerPool.start<VerifyJob, ShardReport>({
    module: new URL("./verify_worker.ts", import.meta.url),
    size: n,
    init: ctx,
    name: "verify",
    describe: (job) => `shard ${job.row},${job.col}`,
  });
  await pool.runSettled(shards, { signal: opts.signal }, (o, i) => {
    const { row, col } = shards[i];
    results[i] = o.ok ? o.result : crashReport(ctx, row, col, o.detail);
    onResult(i, results[i]);
    opts.onShard?.(results[i]);
  });
  return results;
}

/** A shard whose verifier threw (a bug, not damage): all its pixels are unverified. */
function crashReport(ctx: VerifyContext, row: number, col: number, message: string): ShardReport {
  const { height: H, width: W } = ctx.plan.geobox;
  const [sr, sc] = ctx.shardPx;
  const counts = emptyCounts();
  counts.unverified = (Math.min(H, (row + 1) * sr) - row * sr) *
    (Math.min(W, (col + 1) * sc) - col * sc);
  return {
    row,
    col,
    counts,
    mismatches: [],
    problems: [{ row, col, array: "embeddings+scales", kind: "VerifierError", message }],
    failures: [],
    derived: null,
  };
}
