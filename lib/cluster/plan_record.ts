/**
 * The plan a sliced build records in a store (`_build/plan.json`, docs/format.md "Sliced
 * builds"): written once, atomically and first, by whichever slice initialises the store; every
 * later slice — and the finalise step — compares its own plan with it and refuses a store
 * initialised from a different one, naming the difference. It also lets `deno task status`
 * count a store's planned shards and say which slice builds each, without the tiles.
 *
 * It lives under `_build/`, which the finalise step removes (or, when tiles failed and the
 * markers stay for a resume, it removes just this file), so a finalised store holds exactly
 * the bytes of a one-machine build.
 */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { TesseraError } from "../errors.ts";
import { ensureDir, fsyncEnabled, syncDir, tempSibling } from "../fs_atomic.ts";
import type { BuildPlan } from "../plan/build_plan.ts";
import { BUILD_DIR } from "../store/layout.ts";
import { tileName } from "../tiles/layout.ts";
import type { StoreInfo } from "../store/attributes.ts";
import { WORK_LIST_VERSION, type WorkList } from "./work_list.ts";

/** Key of the record inside the store. */
export const PLAN_RECORD_KEY = `${BUILD_DIR}/plan.json`;

/** What a sliced build's store records about the plan it was initialised from. */
export interface PlanRecord {
  kind: "tessera-zones sliced build";
  work_list_version: number;
  /** N: the number of slices. */
  slices: number;
  year: number;
  /** Every zone of the work list (the build's selection), ascending. */
  zones: number[];
  /** SHA-256 of the whole work list (every zone's shards and their slices). */
  work_sha256: string;
  /** This store's parameters (the ones a resume must match too). */
  store: {
    utm_zone: number;
    year: number;
    transform: number[];
    shape: [number, number];
    n_tiles: number;
    /** SHA-256 of the zone's tile names in registry order. */
    tiles_sha256: string;
    n_bands: number;
    max_valid_scale: number;
    embeddings_compression: string;
    tessera_dataset_version: string;
  };
  /** This store's planned shards: [row, col, slice], in row-major order. */
  shards: [number, number, number][];
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * The record of `plan`'s store (with `info`, its store parameters) in the sliced build `work`.
 *
 * @example
 * const record = planRecord(plan, info, workList(plans, 3));
 * record.shards.filter(([, , k]) => k === 0); // this store's shards of slice 0
 */
export function planRecord(plan: BuildPlan, info: StoreInfo, work: WorkList): PlanRecord {
  const zones = [...new Set(work.items.map((w) => w.zone))].sort((a, b) => a - b);
  const workText = work.items.map((w) => `${w.year}/${w.zone}/${w.row}/${w.col}:${w.slice}`)
    .join("\n");
  return {
    kind: "tessera-zones sliced build",
    work_list_version: WORK_LIST_VERSION,
    slices: work.slices,
    year: plan.year,
    zones,
    work_sha256: sha256(workText),
    store: {
      utm_zone: info.zone,
      year: info.year,
      transform: [...info.geobox.transform],
      shape: [info.geobox.height, info.geobox.width],
      n_tiles: info.nTiles,
      tiles_sha256: sha256(plan.tiles.map((t) => tileName(t.lonI, t.latI)).join("\n")),
      n_bands: info.bands,
      max_valid_scale: info.maxValidScale,
      embeddings_compression: info.compress,
      tessera_dataset_version: info.datasetVersion,
    },
    shards: work.items.filter((w) => w.zone === plan.zone && w.year === plan.year)
      .map((w) => [w.row, w.col, w.slice]),
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * What differs between the plan a store was initialised from (`have`) and this build's
 * (`want`), in words, or undefined when they are the same plan.
 *
 * @example
 * planDifference(recorded, planRecord(plan, info, work));
 * // "it was initialised by a 3-slice build, this is a 2-slice build"
 */
export function planDifference(have: PlanRecord, want: PlanRecord): string | undefined {
  if (have.kind !== want.kind || have.work_list_version !== want.work_list_version) {
    return `it was initialised by another version of the toolkit (work list version ` +
      `${have.work_list_version}, this one is ${want.work_list_version})`;
  }
  if (have.slices !== want.slices) {
    return `it was initialised by a ${have.slices}-slice build, this is a ${want.slices}-slice ` +
      `build (--tasks / --shard K/N)`;
  }
  if (have.year !== want.year) return `its year is ${have.year}, this build's is ${want.year}`;
  if (!same(have.zones, want.zones)) {
    return `it was initialised by a build of zones ${have.zones.join(",")}, this build is of ` +
      `zones ${want.zones.join(",")} (--zones: the slices of one build must select the same zones)`;
  }
  for (const k of Object.keys(want.store) as (keyof PlanRecord["store"])[]) {
    if (!same(have.store[k], want.store[k])) {
      const hint = k === "tiles_sha256"
        ? " (the zone's tile list changed: another registry, or tiles added or removed)"
        : k === "n_bands"
        ? " (--bands)"
        : k === "embeddings_compression"
        ? " (--compress)"
        : "";
      return `its ${k} is ${JSON.stringify(have.store[k])}, this build's is ` +
        `${JSON.stringify(want.store[k])}${hint}`;
    }
  }
  if (have.work_sha256 !== want.work_sha256 || !same(have.shards, want.shards)) {
    return "its work list differs (the tiles of another zone of the selection changed)";
  }
  return undefined;
}

/** Reads a store's plan record; undefined when it has none. */
export async function readPlanRecord(storePath: string): Promise<PlanRecord | undefined> {
  const path = join(storePath, PLAN_RECORD_KEY);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  try {
    const rec = JSON.parse(text) as PlanRecord;
    if (rec.kind !== "tessera-zones sliced build" || !Array.isArray(rec.shards)) {
      throw new Error("not a plan record");
    }
    return rec;
  } catch {
    throw new TesseraError(
      "BadStore",
      "is not a readable plan record; delete the store and run the slices again",
      path,
    );
  }
}

/**
 * Records `want` in the store, or checks it against the record already there. The record is
 * created atomically and exclusively (a complete temporary file hard-linked to its name), so
 * of several slices starting at once exactly one writes it and every other reads a complete
 * record. Throws BadStore naming the difference when the store belongs to another plan.
 *
 * @example
 * await claimPlanRecord("out/utm30_2024.zarr", planRecord(plan, info, work)); // "created" | "same"
 */
export async function claimPlanRecord(
  storePath: string,
  want: PlanRecord,
): Promise<"created" | "same"> {
  const path = join(storePath, PLAN_RECORD_KEY);
  await ensureDir(dirname(path));
  const tmp = tempSibling(path);
  try {
    {
      using f = await Deno.open(tmp, { write: true, createNew: true });
      const bytes = new TextEncoder().encode(JSON.stringify(want) + "\n");
      for (let at = 0; at < bytes.length;) at += f.writeSync(bytes.subarray(at));
      if (fsyncEnabled()) f.syncDataSync();
    }
    try {
      await Deno.link(tmp, path);
      await syncDir(dirname(path));
      return "created";
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
  const have = await readPlanRecord(storePath);
  const diff = have && planDifference(have, want);
  if (diff) throw differentPlan(storePath, diff);
  return "same";
}

/** The error of a store initialised from another plan. */
export function differentPlan(storePath: string, diff: string): TesseraError {
  return new TesseraError(
    "BadStore",
    `belongs to another sliced build: ${diff}. Run every slice and the finalise step with ` +
      "the same BASE, --zones, --year, --tasks, --bands and --compress, or delete the store " +
      "(rm -r) to start it again with this plan",
    storePath,
  );
}
