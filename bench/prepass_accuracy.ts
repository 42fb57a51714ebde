/**
 * How the previews' pre-pass (lib/preview/input_sample.ts: every 64th zone row of the input
 * tiles) chooses the RGB stretch and the PCA basis, against the choice from the built store's
 * statistics (gathered from every shard while it was written: the full read the preview pass
 * uses). Prints, per zone: the largest relative difference of any band's p2/p98 (over all
 * bands), the principal angles between the two 3-D PCA subspaces, the per-component angles,
 * the explained variance and the stretch differences, and the pre-pass's cost.
 *
 *   deno run -A bench/prepass_accuracy.ts BASE ZARR_DIR [--zones 30,31]
 */
import { join } from "node:path";
import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { listTiles } from "../lib/tiles/tile_list.ts";
import { planZones, storeName } from "../lib/plan/zone_plan.ts";
import { withBands } from "../lib/plan/build_plan.ts";
import { sampleZoneInput } from "../lib/preview/input_sample.ts";
import { pcaBasis } from "../lib/preview/pca.ts";
import { bandStretch } from "../lib/preview/stretch.ts";
import { readBuildStatistics } from "../lib/preview/statistics.ts";
import { readPreviewStoreInfo } from "../lib/preview/store_info.ts";

const [base, zarrDir, ...rest] = Deno.args;
const zi = rest.indexOf("--zones");
const zones = zi >= 0 ? rest[zi + 1].split(",").map(Number) : undefined;
const { tiles } = await listTiles(base, { year: 2024, zones });
const deg = (x: number) => (x * 180) / Math.PI;

for (const planned of planZones(tiles)) {
  const path = join(zarrDir, storeName(planned.zone, planned.year));
  const info = await readPreviewStoreInfo(path);
  const full = (await readBuildStatistics(path, info.attributes, info.bands, info.maxValidScale))!;
  const t0 = performance.now();
  const pre = await sampleZoneInput(base, withBands(planned, info.bands));
  const seconds = (performance.now() - t0) / 1000;
  const all = Array.from({ length: info.bands }, (_, b) => b);
  const sFull = bandStretch(full.sample, info.bands, all);
  const sPre = bandStretch(pre.input.sample, info.bands, all);
  // Relative to each band's p2..p98 range, the scale a colour level is measured on.
  let worstStretch = 0;
  for (let b = 0; b < info.bands; b++) {
    const range = sFull.max[b] - sFull.min[b];
    worstStretch = Math.max(
      worstStretch,
      Math.abs(sPre.min[b] - sFull.min[b]) / range,
      Math.abs(sPre.max[b] - sFull.max[b]) / range,
    );
  }
  const bFull = pcaBasis(full), bPre = pcaBasis(pre.input);
  // Principal angles between span(bFull) and span(bPre): arccos of the singular values of AᵀB.
  const A = new Matrix(bFull.components), B = new Matrix(bPre.components);
  const M = A.mmul(B.transpose());
  const evd = new EigenvalueDecomposition(M.mmul(M.transpose()), { assumeSymmetric: true });
  const angles = evd.realEigenvalues.map((v) =>
    deg(Math.acos(Math.min(1, Math.sqrt(Math.max(0, v)))))
  )
    .sort((a, b) => b - a);
  const perComponent = bFull.components.map((c, k) => {
    const dot = c.reduce((s, x, i) => s + x * bPre.components[k][i], 0);
    return deg(Math.acos(Math.min(1, Math.abs(dot))));
  });
  console.log(JSON.stringify({
    store: storeName(planned.zone, planned.year),
    tiles: planned.tiles.length,
    prePass: {
      seconds: Number(seconds.toFixed(2)),
      zoneRows: pre.rows,
      tileRows: pre.tileRows,
      MiB: Number((pre.bytesRead / 2 ** 20).toFixed(1)),
      pixelsSummed: pre.input.count,
      sample: pre.input.sample.length / info.bands,
    },
    fullRead: { pixelsSummed: full.count, sample: full.sample.length / info.bands },
    samplesIdentical: pre.input.sample.length === full.sample.length &&
      pre.input.sample.every((v, i) => Object.is(v, full.sample[i])),
    worstBandStretchDiffOfRange: worstStretch,
    pcaSubspaceAnglesDeg: angles.map((a) => Number(a.toFixed(3))),
    pcaComponentAnglesDeg: perComponent.map((a) => Number(a.toFixed(3))),
    explainedVariance: { full: bFull.explainedVariance, prePass: bPre.explainedVariance },
    pcaStretch: { full: bFull.stretch, prePass: bPre.stretch },
  }));
}
