/**
 * The shared body of the `stats` and `pca` tasks: run one preview request over a list of
 * stores, one after another, keep going past a failed store, report each. A BadArgument (a
 * usage error) stops everything.
 */
import { progress } from "../cli/progress.ts";
import { type PreviewRequest, type PreviewResult, writePreviews } from "./preview_pass.ts";
import { describePreviews, previewPngs } from "./report.ts";

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
