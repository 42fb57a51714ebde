/**
 * The shared body of the `stats` and `pca` tasks: run one preview request over a list of
 * stores, one after another, keep going past a failed store, report each. A BadArgument (a
 * usage error) stops everything.
 */
import { progress } from "../cli/progress.ts";
import { type PreviewRequest, type PreviewResult, writePreviews } from "./preview_pass.ts";
import { describePreviews, previewPngs } from "./report.ts";
import { choosePreviewParametersOf, type PreviewParameters } from "./parameters.ts";
import { TesseraError } from "../errors.ts";

/** What {@link previewStores} did. */
export interface PreviewStoresResult {
  results: PreviewResult[];
  failed: { path: string; error: string }[];
}

/**
 * Writes `request`'s previews into every store of `stores`.
 *
 * @example
 * const { failed } = await previewStores(["out/utm30_2024.zarr"], { pca: true }, { workers: 2 });
 */
export async function previewStores(
  stores: readonly string[],
  request: PreviewRequest,
  opts: { workers: number; png?: string; quiet?: boolean },
): Promise<PreviewStoresResult> {
  const out: PreviewStoresResult = { results: [], failed: [] };
  for (const path of stores) {
    try {
      const r = await writePreviews(path, request, {
        workers: opts.workers,
        progress: (label, total) => progress(label, total, { quiet: opts.quiet }),
      });
      out.results.push(r);
      if (opts.png) await previewPngs(r, opts.png);
      if (!opts.quiet) describePreviews(r).forEach((l) => console.log(l));
    } catch (e) {
      if ((e as { kind?: string }).kind === "BadArgument") throw e;
      out.failed.push({ path, error: (e as Error).message });
      if (!opts.quiet) console.error(`  ${path}: FAILED: ${(e as Error).message}`);
    }
  }
  return out;
}

/** What {@link dryRunStores} needs from its task: how to describe and how to save the choice. */
export interface DryRunOptions {
  quiet: boolean;
  /** `--save FILE`: written with the (single) store's parameters. */
  save?: string;
  /** The line printed per store (without the store's path). */
  describe: (p: PreviewParameters) => string;
  /** The parameter file's text for `p`, chosen from the store at `path`. */
  saveText: (p: PreviewParameters, path: string) => string;
}

/**
 * `stats`/`pca --dry-run [--save FILE]`: chooses each store's parameters as the pass would and
 * prints them (JSON with `quiet`), writing nothing into the stores.
 *
 * @example
 * await dryRunStores(stores, { pca: true }, { quiet, describe, saveText });
 */
export async function dryRunStores(
  stores: readonly string[],
  request: PreviewRequest,
  opts: DryRunOptions,
): Promise<void> {
  const chosen = [];
  for (const path of stores) {
    const p = await choosePreviewParametersOf(path, request);
    chosen.push({ store: path, statistics: p.statistics, rgb: p.rgb, pca: p.pca });
    if (!opts.quiet) {
      console.log(
        `  ${path}: ${opts.describe(p)} (from ${p.statistics} statistics; nothing written)`,
      );
    }
    if (opts.save) {
      await Deno.writeTextFile(opts.save, opts.saveText(p, path));
      if (!opts.quiet) console.log(`  saved ${opts.save}`);
    }
  }
  if (opts.quiet) console.log(JSON.stringify({ dryRun: true, chosen }, null, 2));
}

/** `--save FILE` takes one store: BadArgument naming how many `stores` matched otherwise. */
export function checkSaveTarget(save: string | undefined, stores: readonly string[]): void {
  if (save && stores.length !== 1) {
    throw new TesseraError(
      "BadArgument",
      `--save FILE takes one store, ${stores.length} match: name one STORE or one --zones`,
    );
  }
}
