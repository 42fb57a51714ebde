/**
 * Previews drawn inside the build's single pass (lib/preview/in_build.ts): real fixtures, real
 * builds on disk, stores compared file by file. The pass must give exactly the bytes of a plain
 * build followed by the preview pass (the old path, which reads every shard back) with the same
 * stretch and basis; the pre-pass must reproduce the build's own sample; resumes and worker
 * counts must not change a byte.
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { listTiles } from "../../lib/tiles/tile_list.ts";
import { planZones } from "../../lib/plan/zone_plan.ts";
import { withBands } from "../../lib/plan/build_plan.ts";
import { buildZone } from "../../lib/builder/build_zone.ts";
import { writePreviews } from "../../lib/preview/preview_pass.ts";
import { sampleZoneInput } from "../../lib/preview/input_sample.ts";
import { readStatsGroup } from "../../lib/store/stats_codec.ts";
import { FsStore } from "../../lib/zarr/fs_store.ts";
import { diffTrees } from "../helpers/store_files.ts";
import { withTmp } from "../helpers/env.ts";
import { rootAttrs } from "./helpers.ts";
import type { ZonePlan } from "../../lib/plan/zone_plan.ts";

const BANDS = 16;

/** Deep equality through JSON (arrays of strings and numbers). */
function assertSame(actual: unknown, expected: unknown, msg?: string): void {
  assertEquals(JSON.stringify(actual), JSON.stringify(expected), msg);
}

async function dataset(dir: string): Promise<{ base: string; plan: ZonePlan }> {
  const base = join(dir, "data");
  await fixtureDataset({ out: base, groups: ["greenwich"], tiles: 2, bands: BANDS });
  const { tiles } = await listTiles(base, { year: 2024, zones: [30] });
  return { base, plan: planZones(tiles)[0] };
}

Deno.test("build --rgb --pca in one pass = build, then stats and pca with the same parameters", async () => {
  await withTmp("tz-inbuild-", async (dir) => {
    const { base, plan } = await dataset(dir);
    const one = await buildZone(plan, {
      base,
      outputDir: join(dir, "one"),
      workers: 2,
      previews: { rgb: {}, pca: {} },
    });
    assertEquals(one.complete, true);
    assertEquals(one.previews?.source, "pre-pass");
    assertSame(one.previews?.pending, []);
    const store = one.path;
    const attrs = await rootAttrs(store);
    assertEquals(attrs.has_rgb_preview, true);
    assertEquals(attrs.has_pca_preview, true);
    // Nothing of the pass is left behind.
    assertSame(await new FsStore(store).list("_build/"), []);

    const plain = await buildZone(plan, { base, outputDir: join(dir, "two"), workers: 1 });
    const { rgb, pca, sources } = one.previews!.params;
    assertSame(sources, { rgb: { from: "input", row_step_px: 64 }, pca: sources!.rgb });
    await writePreviews(plain.path, { rgb: { given: rgb, source: sources!.rgb } }, { workers: 1 });
    await writePreviews(plain.path, { pca: { given: pca, source: sources!.pca } }, { workers: 2 });
    assertSame(await diffTrees(store, plain.path), []);
  });
});

Deno.test("the pre-pass sample is the build's stats/sample, bit for bit", async () => {
  await withTmp("tz-inbuild-sample-", async (dir) => {
    const { base, plan } = await dataset(dir);
    const r = await buildZone(plan, { base, outputDir: join(dir, "zarr"), workers: 2 });
    const stored = await readStatsGroup(new FsStore(r.path), BANDS, r.path);
    const pre = await sampleZoneInput(base, withBands(plan, BANDS));
    assertEquals(pre.input.sample.length > 0, true);
    assertEquals(pre.input.sample.length, stored!.sample.length);
    const differing = pre.input.sample.findIndex((v, i) => !Object.is(v, stored!.sample[i]));
    assertEquals(
      differing,
      -1,
      "the pre-pass reads every row of the 64-px sample lattice, composited as the build does",
    );
    // With every row of the 16-px lattice the sums are the build's too.
    const dense = await sampleZoneInput(base, withBands(plan, BANDS), { rowStepPx: 16 });
    const attrs = await rootAttrs(r.path);
    assertEquals(dense.input.count, attrs.stats_count);
    for (let i = 0; i < BANDS; i++) {
      const rel = Math.abs(dense.input.sum[i] - stored!.sum[i]) / Math.abs(stored!.sum[i]);
      assertEquals(rel < 1e-12, true, `band ${i}: sum ${dense.input.sum[i]} vs ${stored!.sum[i]}`);
    }
  });
});

Deno.test("a build killed between shards and resumed draws the same previews, any worker count", async () => {
  await withTmp("tz-inbuild-resume-", async (dir) => {
    const { base, plan } = await dataset(dir);
    const whole = await buildZone(plan, {
      base,
      outputDir: join(dir, "whole"),
      workers: 1,
      previews: { rgb: { bands: [3, 1, 7] }, pca: {} },
    });
    // Stop after the first shard, then resume without the preview flags: the recorded
    // parameters carry on.
    const stop = new AbortController();
    let done = 0;
    const first = await buildZone(plan, {
      base,
      outputDir: join(dir, "resumed"),
      workers: 1,
      previews: { rgb: { bands: [3, 1, 7] }, pca: {} },
      signal: stop.signal,
      onShard: () => {
        if (++done === 1) stop.abort(new Error("stop"));
      },
    }).catch((e) => e);
    assertEquals(first instanceof Error, true, "the aborted build throws");
    const resumed = await buildZone(plan, {
      base,
      outputDir: join(dir, "resumed"),
      workers: 2,
      resume: true,
    });
    assertEquals(resumed.previews?.source, "recorded");
    assertEquals(resumed.shardsReused >= 1, true);
    assertSame(await diffTrees(whole.path, resumed.path), []);
  });
});

Deno.test("a resume of a build begun without previews leaves them to the preview pass", async () => {
  await withTmp("tz-inbuild-pending-", async (dir) => {
    const { base, plan } = await dataset(dir);
    const stop = new AbortController();
    await buildZone(plan, {
      base,
      outputDir: join(dir, "zarr"),
      workers: 1,
      signal: stop.signal,
      onShard: () => stop.abort(new Error("stop")),
    }).catch(() => {});
    const r = await buildZone(plan, {
      base,
      outputDir: join(dir, "zarr"),
      workers: 1,
      resume: true,
      previews: { rgb: {} },
    });
    assertEquals(r.previews?.source, "none");
    assertSame(r.previews?.pending, ["rgb"]);
    assertEquals((await rootAttrs(r.path)).has_rgb_preview, undefined);
  });
});
