/**
 * The work list of a sliced build (pure): every planned shard of every zone goes to exactly
 * one slice; the split depends only on the plans and N (not on tile order or on which machine
 * computes it); slices are balanced by expected work across zones of very different sizes;
 * and `--shard K/N | slurm | k8s` resolve the slice from the scheduler's variables.
 */
import { assertDeepEquals, assertEquals, assertRejectsKind } from "../assert.ts";
import { planZones } from "../../lib/plan/zone_plan.ts";
import { tileRef } from "../../lib/tiles/tile_ref.ts";
import { balance, shardCost, sliceItems, workList } from "../../lib/cluster/work_list.ts";
import { parseShardFlag } from "../../lib/cluster/shard_flag.ts";

/** A big block of tiles in zone 31 (20 × 20) and a small one in zone 30 (3 × 3). */
function tiles() {
  const out = [];
  for (let r = 0; r < 20; r++) {
    for (let c = 0; c < 20; c++) out.push(tileRef(2024, 5 + 10 * c, 5005 + 10 * r));
  }
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) out.push(tileRef(2024, -295 + 10 * c, 5005 + 10 * r));
  }
  return out;
}

const plans = planZones(tiles());

Deno.test("every planned shard of every zone is in exactly one slice", () => {
  for (const n of [1, 2, 3, 7, 40]) {
    const work = workList(plans, n);
    const planned = plans.flatMap((p) => p.shards.map((s) => `${p.zone}/${s.row}.${s.col}`));
    const listed = work.items.map((w) => `${w.zone}/${w.row}.${w.col}`);
    assertDeepEquals(listed, planned, `n=${n}: items in plan order`);
    const perSlice = Array.from({ length: n }, (_, k) => [...sliceItems(work, k).values()].flat());
    assertEquals(perSlice.flat().length, planned.length);
    for (const w of work.items) assertEquals(w.slice >= 0 && w.slice < n, true);
    assertDeepEquals(
      work.load,
      perSlice.map((items) => items.reduce((a, w) => a + w.cost, 0)),
    );
  }
});

Deno.test("the heap deals exactly as the plain rule: least work, lowest index on ties", () => {
  for (const n of [1, 2, 3, 5, 16, 97]) {
    const work = workList(plans, n);
    const load = new Array<number>(n).fill(0);
    const order = work.items.map((_, i) => i)
      .sort((a, b) => work.items[b].cost - work.items[a].cost || a - b);
    for (const i of order) {
      let best = 0;
      for (let k = 1; k < n; k++) if (load[k] < load[best]) best = k;
      assertEquals(work.items[i].slice, best, `n=${n}, item ${i}`);
      load[best] += work.items[i].cost;
    }
  }
});

Deno.test("the split depends only on the plans and N, not on the tile order", () => {
  const shuffled = [...tiles()].reverse();
  for (const n of [3, 16]) {
    assertDeepEquals(workList(planZones(shuffled), n), workList(plans, n));
    assertDeepEquals(workList(plans, n), workList(plans, n));
  }
});

Deno.test("slices are balanced by expected work across zones of different sizes", () => {
  const shards = plans.reduce((a, p) => a + p.shards.length, 0);
  // zone 30 has a handful of shards, zone 31 hundreds: slices mix zones to even out.
  assertEquals(plans.map((p) => p.zone).join(","), "30,31");
  for (const n of [2, 4, 8, 16]) {
    const b = balance(workList(plans, n));
    assertEquals(b <= 1.05, true, `n=${n} (${shards} shards): slowest/mean ${b.toFixed(3)}`);
  }
  // Costs follow tile pixels: a shard covered by more tile pixels costs more.
  const s = plans[1].shards;
  const full = s.reduce((a, b) => shardCost(a) > shardCost(b) ? a : b);
  const corner = s.reduce((a, b) => shardCost(a) < shardCost(b) ? a : b);
  assertEquals(shardCost(full) > shardCost(corner), true);
});

Deno.test("more slices than shards: the extra slices have nothing to do", () => {
  const small = planZones(tiles().slice(-9));
  const n = small[0].shards.length + 3;
  const work = workList(small, n);
  const busy = new Set(work.items.map((w) => w.slice));
  assertEquals(busy.size, small[0].shards.length);
  assertEquals(sliceItems(work, n - 1).size, 0);
});

Deno.test("--shard K/N, slurm and k8s", async () => {
  const env = (vars: Record<string, string>) => (v: string) => vars[v];
  assertDeepEquals(parseShardFlag("1/3", undefined, env({})), { k: 1, n: 3 });
  assertEquals(parseShardFlag(undefined, undefined, env({})), undefined);
  assertDeepEquals(
    parseShardFlag(
      "slurm",
      undefined,
      env({ SLURM_ARRAY_TASK_ID: "2", SLURM_ARRAY_TASK_COUNT: "3" }),
    ),
    { k: 2, n: 3 },
  );
  assertDeepEquals(
    parseShardFlag(
      "slurm",
      undefined,
      env({
        SLURM_ARRAY_TASK_ID: "1",
        SLURM_ARRAY_TASK_MIN: "0",
        SLURM_ARRAY_TASK_MAX: "3",
      }),
    ),
    { k: 1, n: 4 },
  );
  // Re-submitting index 1 alone makes a one-task array: --tasks keeps the slicing.
  const resubmitted = { SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_COUNT: "1" };
  assertDeepEquals(parseShardFlag("slurm", "3", env(resubmitted)), { k: 1, n: 3 });
  await assertRejectsKind(
    () => parseShardFlag("slurm", undefined, env(resubmitted)),
    "BadArgument",
  );
  await assertRejectsKind(() => parseShardFlag("slurm", "3", env({})), "BadArgument");
  assertDeepEquals(parseShardFlag("k8s", "4", env({ JOB_COMPLETION_INDEX: "3" })), { k: 3, n: 4 });
  await assertRejectsKind(
    () => parseShardFlag("k8s", undefined, env({ JOB_COMPLETION_INDEX: "0" })),
    "BadArgument",
  );
  await assertRejectsKind(
    () => parseShardFlag("k8s", "4", env({ JOB_COMPLETION_INDEX: "4" })),
    "BadArgument",
  );
  for (const bad of ["3/3", "1/0", "a/b", "1", "-1/3", "pbs"]) {
    await assertRejectsKind(() => parseShardFlag(bad, undefined, env({})), "BadArgument");
  }
  await assertRejectsKind(() => parseShardFlag("1/3", "4", env({})), "BadArgument");
});
