/**
 * What a build does with a store that already exists: it never replaces one silently. It
 * refuses (naming what is there and what each flag does) unless asked to `--resume` (continue
 * an unfinished build), `--repair` (re-derive every shard, rewrite what differs) or
 * `--overwrite` (replace, previews included); resume and repair need the same grid and
 * parameters. Checks change nothing, so a build of several zones checks every store first.
 */
import { join } from "node:path";
import { TesseraError } from "../errors.ts";
import { parseBuildState, storeAttributes } from "../store/attributes.ts";
import { readGroupAttributes } from "../store/documents.ts";
import { BUILD_DIR } from "../store/layout.ts";
import { parsePreviewAttributes, PREVIEW_NAMES } from "../store/previews.ts";
import { FsStore } from "../zarr/fs_store.ts";
import type { BuildOptions } from "./build_zone.ts";
import type { StoreInfo } from "./store_info.ts";

/** How a build treats an existing store. */
export type StoreMode = "fresh" | "resume" | "overwrite" | "repair";

/** The mode the options ask for; more than one of resume/overwrite/repair is a usage error. */
export function storeMode(opts: Pick<BuildOptions, "resume" | "overwrite" | "repair">): StoreMode {
  const asked = (["resume", "overwrite", "repair"] as const).filter((k) => opts[k]);
  if (asked.length > 1) {
    throw new TesseraError(
      "BadArgument",
      `--${asked.join(" and --")} cannot be combined: --resume continues an unfinished ` +
        "build, --repair re-checks a built store and rewrites what differs, --overwrite " +
        "replaces it",
    );
  }
  return asked[0] ?? "fresh";
}

/** What is at a store path before a build. */
export interface ExistingStore {
  exists: boolean;
  /** It has a zone store's group document (`utm_zone` attribute). */
  zoneStore: boolean;
  complete: boolean;
  /** Built, but some tiles failed: their shards' markers are kept for a --resume. */
  failedTiles: string[];
  attributes?: Record<string, unknown>;
  /** Arrays beyond the core ones (previews), which an overwrite would delete. */
  previews: string[];
}

/** Looks at what is at `path` without changing anything. */
export async function inspectStore(path: string): Promise<ExistingStore> {
  const exists = await Deno.lstat(path).then(() => true).catch(() => false);
  if (!exists) return { exists, zoneStore: false, complete: false, failedTiles: [], previews: [] };
  // Anything unreadable is "not a zone store" here: the caller refuses to touch it.
  const attributes = await readGroupAttributes(new FsStore(path)).catch(() => undefined);
  const markers = await Deno.stat(join(path, BUILD_DIR)).then(() => true).catch(() => false);
  const build = parseBuildState(attributes ?? {});
  const previews = attributes ? parsePreviewAttributes(attributes) : undefined;
  return {
    exists,
    zoneStore: attributes?.utm_zone !== undefined,
    complete: build.complete && !markers,
    failedTiles: build.complete ? build.failedTiles : [],
    attributes,
    previews: PREVIEW_NAMES.filter((n) => n === "rgb" ? previews?.rgb : previews?.pcaRgb),
  };
}

/**
 * Whether a build in `mode` may go ahead on what is at `path`: refuses to touch anything that
 * is not a zone store, and refuses to replace an existing zone store unless asked
 * (`--overwrite`), naming `--resume`, `--repair` and `--overwrite`. Changes nothing; a build of
 * several zones checks every store before it builds any.
 */
export function checkStoreMode(path: string, existing: ExistingStore, mode: StoreMode): void {
  if (!existing.exists) {
    if (mode === "repair") {
      throw new TesseraError(
        "BadArgument",
        "nothing to repair: no store here; build it without --repair",
        path,
      );
    }
    return;
  }
  if (!existing.zoneStore) {
    throw new TesseraError(
      "BadStore",
      "exists but is not a zone store; refusing to overwrite it — choose another --output-dir",
      path,
    );
  }
  if (mode !== "fresh") return;
  const previews = existing.previews.length
    ? ` and its previews (${existing.previews.join(", ")})`
    : "";
  throw new TesseraError(
    "StoreExists",
    existing.complete
      ? `is already built${previews}; leaving it as it is. Run again with --resume to keep ` +
        `it (and continue anything unfinished), --repair to re-check every shard and rewrite ` +
        `only what differs, or --overwrite to replace it${previews}`
      : existing.failedTiles.length
      ? `is built but ${existing.failedTiles.length} tile(s) failed (` +
        `${existing.failedTiles.slice(0, 3).join(", ")}${
          existing.failedTiles.length > 3 ? ", …" : ""
        }); leaving it as it is. Fix them and run again with --resume to redo only their ` +
        "shards, or --overwrite to replace the store"
      : "holds an unfinished build; leaving it as it is. Run again with --resume to continue " +
        "it (only unfinished shards are built), or --overwrite to start it again from nothing",
    path,
  );
}

/**
 * Makes `path` ready for this build and says what is there: "fresh" (a new or replaced store),
 * "resume" (an unfinished store to continue), "complete" (resuming a finished store: nothing
 * to do), or "repair". Resume and repair require the same grid and parameters.
 */
export async function prepareStore(
  path: string,
  info: StoreInfo,
  mode: StoreMode,
): Promise<"fresh" | "resume" | "complete" | "repair"> {
  const existing = await inspectStore(path);
  checkStoreMode(path, existing, mode);
  if (!existing.exists) return "fresh";
  if (mode === "overwrite") {
    await Deno.remove(path, { recursive: true });
    return "fresh";
  }
  const want = storeAttributes(info);
  for (
    const k of [
      "utm_zone",
      "year",
      "transform",
      "n_bands",
      "n_tiles",
      "max_valid_scale",
      "embeddings_compression",
    ]
  ) {
    const have = existing.attributes?.[k];
    if (JSON.stringify(have) !== JSON.stringify(want[k])) {
      throw new TesseraError(
        "BadStore",
        `cannot ${mode}: the store's ${k} is ${JSON.stringify(have)} but this build ` +
          `has ${JSON.stringify(want[k])}; run with --overwrite to rebuild it`,
        path,
      );
    }
  }
  if (mode === "repair") return "repair";
  return existing.complete ? "complete" : "resume";
}
