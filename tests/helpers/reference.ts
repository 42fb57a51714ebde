/**
 * An independent, deliberately plain reimplementation of the compositing rule (SPEC §3.4,
 * §4.3) for tests: whole tiles in memory, one pixel at a time, no shards. The builder's
 * output must equal this exactly.
 */
import type { ZonePlan } from "../../lib/plan/zone_plan.ts";
import { utmInverse } from "../../lib/grid/utm.ts";
import { openLandmask } from "../../lib/tiles/landmask.ts";
import { tileName, tilePaths } from "../../lib/tiles/layout.ts";
import { openNpy } from "../../lib/tiles/npy.ts";

export interface ReferenceZone {
  height: number;
  width: number;
  bands: number;
  embeddings: Int8Array;
  scales: Float32Array;
  /** Pixels whose winner was decided among several valid tiles. */
  contested: number;
}

/** Composites the zone of `plan` from the files under `base`, skipping tiles in `broken`. */
export async function referenceZone(
  base: string,
  plan: ZonePlan,
  bands: number,
  broken: Set<string>,
  maxValidScale = 1,
): Promise<ReferenceZone> {
  const { width: W, height: H } = plan.geobox;
  const [, , e0, , , n0] = plan.geobox.transform;
  const tiles = [];
  for (let i = 0; i < plan.tiles.length; i++) {
    const t = plan.tiles[i];
    if (broken.has(tileName(t.lonI, t.latI))) continue;
    const p = tilePaths(base, t);
    const emb = await openNpy(p.embeddings);
    const sc = await openNpy(p.scales);
    const lm = await openLandmask(p.landmask);
    const [h, w] = emb.shape;
    tiles.push({
      t,
      h,
      w,
      r0: plan.placements[i].rowOffsetPx,
      c0: plan.placements[i].colOffsetPx,
      emb: (await emb.readRows(0, h)) as Int8Array,
      scales: (await sc.readRows(0, h)) as Float32Array,
      land: await lm.readWindow(0, h, 0, w),
    });
    emb.close();
    sc.close();
    lm.close();
  }
  const embeddings = new Int8Array(H * W * bands);
  const scales = new Float32Array(H * W).fill(NaN);
  let contested = 0;
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      let winner = -1, winnerInCell = false, nValid = 0;
      for (let k = 0; k < tiles.length; k++) {
        const T = tiles[k];
        const tr = r - T.r0, tc = c - T.c0;
        if (tr < 0 || tc < 0 || tr >= T.h || tc >= T.w) continue;
        const s = T.scales[tr * T.w + tc];
        const valid = T.land[tr * T.w + tc] !== 0 && Number.isFinite(s) && s > 0 &&
          s < maxValidScale;
        if (!valid) continue;
        nValid++;
        const [lon, lat] = utmInverse(e0 + (c + 0.5) * 10, n0 - (r + 0.5) * 10, plan.zone, false);
        const inCell = Math.floor(lon * 10) === (T.t.lonI - 5) / 10 &&
          Math.floor(lat * 10) === (T.t.latI - 5) / 10;
        if (winnerInCell && !inCell) continue;
        winner = k;
        winnerInCell = inCell;
      }
      if (nValid > 1) contested++;
      if (winner < 0) continue;
      const T = tiles[winner];
      const src = (r - T.r0) * T.w + (c - T.c0);
      scales[r * W + c] = T.scales[src];
      embeddings.set(T.emb.subarray(src * bands, (src + 1) * bands), (r * W + c) * bands);
    }
  }
  return { height: H, width: W, bands, embeddings, scales, contested };
}
