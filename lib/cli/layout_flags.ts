/**
 * The flags choosing a BASE's tile layout (`--layout`, `--dataset`, `--landmask-version`),
 * shared by `build`, `scan` and `verify`: declared and parsed once, detected from what is there
 * when left out (lib/tiles/layout_detect.ts).
 */
import { TesseraError } from "../errors.ts";
import { DEFAULT_DATASET } from "../tiles/dataset_name.ts";
import type { LayoutRequest } from "../tiles/layout_detect.ts";

/** parseArgs options of the layout flags. */
export const LAYOUT_FLAGS = {
  layout: { type: "string" },
  dataset: { type: "string" },
  "landmask-version": { type: "string" },
} as const;

/** Usage lines of the layout flags. */
export const LAYOUT_USAGE = `
Tile layouts (detected from what is there; docs/remote.md "Layouts"):
  --layout L          seed (global_0.1_degree_representation/, registry.parquet) or public
                      (npy/{dataset}/…, manifest.parquet, landmasks/{version}/…)
  --dataset NAME      public layout: the npy/ dataset, e.g. v1, v1.1-cam, v2-2B-L~beta1
                      (default: the only one in BASE/npy/; over HTTP ${DEFAULT_DATASET})
  --landmask-version V  public layout: the landmasks/ folder (default: the dataset's
                      version, e.g. v1.1 for v1.1-cam)`;

/**
 * Parses the layout flags; throws BadArgument naming the flag for a bad value.
 *
 * @example
 * const base = await resolveBase(positionals[0], { layout: parseLayoutFlags(values) });
 */
export function parseLayoutFlags(values: {
  layout?: string;
  dataset?: string;
  "landmask-version"?: string;
}): LayoutRequest {
  const { layout, dataset } = values;
  if (layout !== undefined && layout !== "seed" && layout !== "public") {
    throw new TesseraError("BadArgument", `--layout must be seed or public, got "${layout}"`);
  }
  for (
    const [flag, v] of [["--dataset", dataset], ["--landmask-version", values["landmask-version"]]]
  ) {
    if (v !== undefined && v.trim() === "") {
      throw new TesseraError("BadArgument", `${flag} needs a name`);
    }
  }
  return { layout, dataset, landmaskVersion: values["landmask-version"] };
}
