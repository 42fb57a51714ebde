/** `--resume` on a store that is already complete must leave it byte for byte as it is. */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { runCli } from "../helpers/cli.ts";
import { readTree } from "../helpers/store_files.ts";

Deno.test("resuming a complete store changes nothing (attributes and statistics kept)", async () => {
  const base = await Deno.makeTempDir({ prefix: "tz-resume-done-" });
  await fixtureDataset({ out: base, tiles: 1, bands: 4, groups: ["arctic"] });
  const first = await runCli("build", [base, "--workers", "1"]);
  assertEquals(first.code, 0, first.stderr);
  const store = join(base, "zarr", "utm35_2024.zarr");
  const before = await readTree(store);
  const again = await runCli("build", [base, "--resume", "--json"]);
  assertEquals(again.code, 0, again.stderr);
  const r = JSON.parse(again.stdout).results[0];
  assertEquals(r.complete, true);
  assertEquals(r.shardsBuilt, 0);
  const after = await readTree(store);
  assertEquals([...after.keys()].sort().join(","), [...before.keys()].sort().join(","));
  for (const [k, v] of before) assertEquals(after.get(k)!.every((x, i) => x === v[i]), true, k);
  const attrs = JSON.parse(new TextDecoder().decode(after.get("zarr.json"))).attributes;
  assertEquals(attrs.build_complete, true);
  assertEquals(typeof attrs.stats_count, "number");
  await Deno.remove(base, { recursive: true });
});
