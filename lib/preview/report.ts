/**
 * Console lines and PNG snapshots for the preview tasks (`stats`, `pca`, `build --rgb --pca`),
 * so the tasks stay thin and print the same thing.
 */
import { join } from "node:path";
import { writePreviewPng } from "./png.ts";
import type { PreviewResult } from "./preview_pass.ts";
import type { ZoneBuildResult } from "../builder/build_zone.ts";

const f3 = (xs: readonly number[]) => `[${xs.map((x) => x.toFixed(3)).join(", ")}]`;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * Human-readable summary of a preview pass, one line per preview plus a totals line.
 *
 * @example
 * ```ts
 * for (const line of describePreviews(result)) console.log(line);
 * ```
 */
export function describePreviews(r: PreviewResult): string[] {
  const lines: string[] = [];
  const from = r.statistics === "build"
    ? "build-time statistics"
    : r.statistics === "given"
    ? "the given parameters"
    : "a lattice sample of the shards";
  if (r.rgb) {
    lines.push(
      `  ${r.store}: RGB bands ${r.rgb.bands.join(",")} stretch min=${f3(r.rgb.stretch.min)} ` +
        `max=${f3(r.rgb.stretch.max)} (from ${from})`,
    );
  }
  if (r.pca) {
    const ev = r.pca.explainedVariance;
    lines.push(
      `  ${r.store}: PCA explained variance [${ev.map(pct).join(", ")}] ` +
        `(total ${pct(ev.reduce((a, b) => a + b, 0))}, from ${from})`,
    );
  }
  const levels = Math.max(r.rgb?.levels.length ?? 0, r.pca?.levels.length ?? 0);
  lines.push(
    `  ${r.store}: ${r.shards} shard(s), ${levels} level(s), ` +
      `${(r.bytesWritten / 2 ** 20).toFixed(1)} MiB in ${r.seconds.total.toFixed(1)} s ` +
      `(choose ${r.seconds.choose.toFixed(2)} s, full resolution ${
        r.seconds.render.toFixed(1)
      } s, ` +
      `overviews ${r.seconds.overviews.toFixed(1)} s)`,
  );
  return lines;
}

/**
 * Lines describing the previews a build drew in its own pass: parameters, where they came
 * from (pre-pass, given files, an earlier run's record) and what the pre-pass read.
 *
 * @example
 * ```ts
 * for (const line of describeBuildPreviews(result)) console.log(line);
 * ```
 */
export function describeBuildPreviews(r: ZoneBuildResult): string[] {
  const p = r.previews;
  if (!p || p.source === "none") return [];
  const s = p.sample;
  const from = p.source === "pre-pass" && s
    ? `pre-pass over the input: ${s.rows} zone rows (every ${s.rowStepPx}th), ${s.tileRows} ` +
      `tile rows, ${(s.bytesRead / 2 ** 20).toFixed(1)} MiB in ${p.chooseSeconds.toFixed(2)} s`
    : p.source === "given"
    ? "the given files"
    : p.source === "recorded"
    ? "the parameters this build recorded when it started"
    : "the given files and a pre-pass";
  const lines: string[] = [];
  if (p.params.rgb) {
    lines.push(
      `  ${r.store}: RGB bands ${p.params.rgb.bands.join(",")} stretch ` +
        `min=${f3(p.params.rgb.stretch.min)} max=${f3(p.params.rgb.stretch.max)} (from ${from})`,
    );
  }
  if (p.params.pca) {
    const ev = p.params.pca.explainedVariance;
    lines.push(
      `  ${r.store}: PCA explained variance [${ev.map(pct).join(", ")}] (from ${from})`,
    );
  }
  lines.push(`  ${r.store}: previews drawn in the build's pass (no shard read back)`);
  return lines;
}

/**
 * Writes `{dir}/{store}_{preview}.png` (the coarsest level) for each preview of `r`; returns
 * the files written.
 *
 * @example
 * ```ts
 * await previewPngs(result, "docs/previews"); // ["docs/previews/utm30_2024_rgb.png"]
 * ```
 */
export async function previewPngs(r: PreviewResult, dir: string): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const name of [r.rgb && "rgb", r.pca && "pca_rgb"] as const) {
    if (!name) continue;
    const file = join(dir, `${r.store.replace(/\.zarr$/, "")}_${name}.png`);
    await writePreviewPng(r.path, name, file);
    files.push(file);
  }
  return files;
}
