import { assertEquals } from "../assert.ts";
import { countScales } from "../../lib/scan/check_tile.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { runCli } from "../helpers/cli.ts";
import { withTmp } from "../helpers/env.ts";

Deno.test("countScales classifies NaN, inf, FLT_MAX, zero, negative and absurd scales", () => {
  const c = countScales(
    Float32Array.from([0.06, NaN, Infinity, -Infinity, 3.4028234663852886e38, 0, -0.1, 7.5, 0.99]),
  );
  assertEquals(JSON.stringify(c), JSON.stringify({ valid: 2, nan: 1, huge: 4, nonPositive: 2 }));
});

Deno.test("scan --deep reports the bad-scales tile and only it", async () => {
  await withTmp("tz-deep-", async (dir) => {
    await fixtureDataset({ out: dir, tiles: 1, bands: 2, groups: ["greenwich"], defects: true });
    const r = await runCli("scan", [dir, "--deep", "--json", "--zones", "30"]);
    assertEquals(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    const bad = report.problems.filter((p: { kind: string }) => p.kind === "BadScales");
    assertEquals(bad.length, 1);
    assertEquals(bad[0].tile, "grid_-0.25_51.55");
    // The planted NaN block is counted as no data, not as a defect, and is no warning either.
    assertEquals(report.nanScales >= 64 * 64, true);
    assertEquals(report.warnings.length, 0);
    // Without --deep the values are not read, so the tile is not flagged.
    const shallow = JSON.parse((await runCli("scan", [dir, "--json", "--zones", "30"])).stdout);
    assertEquals(shallow.problems.some((p: { kind: string }) => p.kind === "BadScales"), false);
  });
});
