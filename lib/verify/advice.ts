/**
 * What to do about a verify report, as exact commands: the repair that rewrites damaged or
 * wrong shards and statistics, the preview passes, deleting stray objects, or a rebuild from
 * scratch when the store's grid or documents disagree with the plan. Pure: no I/O.
 */
import type { VerifyReport } from "./report.ts";

/** Where a store came from, for the commands the advice names. */
export interface StoreOrigin {
  base: string;
  zone: number;
  year: number;
  /** The directory holding the store (the build's `--output-dir`). */
  outputDir: string;
  /** The store itself. */
  store: string;
  registryDir?: string;
}

/**
 * The build command that re-checks every shard of the store against the plan and rewrites
 * what differs (missing, truncated or corrupt shards, then the statistics).
 *
 * @example
 * repairCommand({ base: "/data", zone: 30, year: 2024, outputDir: "/data/zarr", store: "…" });
 * // "deno task build /data --zones 30 --year 2024 --output-dir /data/zarr --repair"
 */
export function repairCommand(o: StoreOrigin): string {
  return buildCommand(o, ["--repair"]);
}

function buildCommand(o: StoreOrigin, extra: string[]): string {
  const args = [o.base, "--zones", String(o.zone), "--year", String(o.year)];
  args.push("--output-dir", o.outputDir);
  if (o.registryDir) args.push("--registry-dir", o.registryDir);
  return ["deno task build", ...[...args, ...extra].map(shellQuote)].join(" ");
}

/** Preview attributes and documents: rewritten by the preview passes, not by a repair. */
const PREVIEW_ITEM = /^(attribute (rgb_|pca_|multiscales|has_)|array (rgb|pca_rgb)\b)/;

/**
 * What to do about a report's findings, one step a line, naming the exact commands: a repair
 * for damaged or wrong shards and statistics, the preview passes for previews, deleting stray
 * objects, and a rebuild from scratch when the store's grid or documents disagree with the
 * plan. `previews` says which previews the store has (they survive a repair, so previews of
 * wrong pixels must be rewritten afterwards).
 *
 * @example
 * const advice = adviceFor(report, origin, { rgbBands: [0, 1, 2], pca: true });
 */
export function adviceFor(
  r: Omit<VerifyReport, "advice">,
  origin: StoreOrigin,
  previews: { rgbBands?: readonly number[]; pca: boolean },
): string[] {
  const out: string[] = [];
  const c = r.counts;
  const unfinished = r.metadata.some((m) => m.what === "attribute build_complete");
  const structural = !r.pixelsChecked ||
    r.metadata.some((m) => !/^attribute (failed_tiles|build_complete)$/.test(m.what));
  const repairable = r.shardProblems.length > 0 || c.mismatched > 0 || c.unverified > 0 ||
    r.metadata.some((m) => m.what === "attribute failed_tiles") ||
    r.derived.some((m) => !PREVIEW_ITEM.test(m.what));
  const previewItems = r.derived.some((m) => PREVIEW_ITEM.test(m.what));
  if (unfinished && !structural) {
    out.push(`Finish the build first: ${buildCommand(origin, ["--resume"])}`);
  } else if (structural) {
    out.push(
      "The store's grid, coordinates or array documents do not match the zone plan " +
        `recomputed from ${origin.base}. If that is the dataset it was built from, rebuild ` +
        `the store from scratch (previews included): ${buildCommand(origin, ["--overwrite"])}`,
    );
  } else if (repairable) {
    out.push(
      "Rebuild the shards and statistics that differ from the tiles (every shard is " +
        `re-checked; good ones are kept): ${r.repairCommand}`,
    );
  }
  const pixelsRewritten = !structural && (c.mismatched > 0 || c.unverified > 0 ||
    r.shardProblems.length > 0);
  if (previewItems || (pixelsRewritten && (previews.rgbBands || previews.pca))) {
    const cmds: string[] = [];
    if (previews.rgbBands) {
      cmds.push(
        `deno task stats ${shellQuote(origin.store)} --bands ${previews.rgbBands.join(",")}`,
      );
    }
    if (previews.pca) cmds.push(`deno task pca ${shellQuote(origin.store)}`);
    if (cmds.length) {
      out.push(
        `${pixelsRewritten ? "Then rewrite" : "Rewrite"} the previews (a repair leaves them ` +
          `as they are): ${cmds.join(" and ")}`,
      );
    }
  }
  if (r.strayCount) {
    out.push(
      `Delete the ${r.strayCount} stray object(s) listed above from ${shellQuote(origin.store)}: ` +
        "no reader looks at them and the builder never writes them.",
    );
  }
  return out;
}

/** `s` as one POSIX shell word: unchanged when safe, else single-quoted. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_.,:=@%+\/-]+$/.test(s) ? s : `'${s.replaceAll("'", `'"'"'`)}'`;
}
