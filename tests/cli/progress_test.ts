/**
 * Progress when stderr is not a terminal (CI logs, `deno task demo > log`): plain lines such as
 * `utm30: 1/2 shards (50%), 0.1 s` at most every TZ_PROGRESS_INTERVAL_MS (default 5 s) instead
 * of bars, for builds, fixtures and the sample generated on first use; none with --json.
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { runCli } from "../helpers/cli.ts";
import { withTmp } from "../helpers/env.ts";
import { printed, smallDataset } from "./helpers.ts";
import { byteRate } from "../../lib/cli/progress.ts";

/** Every tick prints: the test does not depend on how fast the machine is. */
const EVERY_TICK = { TZ_PROGRESS_INTERVAL_MS: "0" };
const line = (label: string, unit: string) =>
  new RegExp(`^${label}: \\d+/\\d+ ${unit} \\(\\d+%\\), \\d+\\.\\d s$`, "m");

Deno.test("piped output gets plain progress lines, not bars", async (t) => {
  await withTmp("tz-cli-progress-", async (dir) => {
    await t.step("fixtures: one line per tile, ending at 100%", async () => {
      const out = join(dir, "f");
      const r = await runCli(
        "fixtures",
        [out, "--tiles", "1", "--bands", "2", "--groups", "greenwich"],
        EVERY_TICK,
      );
      assertEquals(r.code, 0, printed(r));
      assertEquals(line("fixtures", "tiles").test(r.stderr), true, printed(r));
      assertEquals(r.stderr.includes("fixtures: 1/2 tiles (50%)"), true, printed(r));
      assertEquals(r.stderr.includes("fixtures: 2/2 tiles (100%)"), true, printed(r));
      assertEquals(r.stderr.includes("\x1b") || r.stderr.includes("\r"), false, printed(r));
    });

    const { base } = await smallDataset(dir);
    await t.step("build: shard lines per zone", async () => {
      const r = await runCli(
        "build",
        [base, "--output-dir", join(dir, "zarr"), "--workers", "1"],
        EVERY_TICK,
      );
      assertEquals(r.code, 0, printed(r));
      assertEquals(line("utm30", "shards").test(r.stderr), true, printed(r));
      assertEquals(line("utm31", "shards").test(r.stderr), true, printed(r));
    });

    await t.step("scan: tile lines", async () => {
      const r = await runCli("scan", [base], EVERY_TICK);
      assertEquals(r.code, 0, printed(r));
      assertEquals(line("scan", "tiles").test(r.stderr), true, printed(r));
    });

    await t.step(
      "--json stays quiet; short work at the default interval prints no lines",
      async () => {
        const quiet = await runCli("scan", [base, "--json"], EVERY_TICK);
        assertEquals(quiet.code, 0, printed(quiet));
        assertEquals(quiet.stderr.trim(), "", printed(quiet));
        const short = await runCli("scan", [base], { TZ_PROGRESS_INTERVAL_MS: "" });
        assertEquals(line("scan", "tiles").test(short.stderr), false, printed(short));
      },
    );

    await t.step("the sample made on first use reports its progress too", async () => {
      const sample = join(dir, "sample");
      const r = await runCli("scan", [], {
        ...EVERY_TICK,
        TESSERA_DATA: "",
        TZ_SAMPLE: JSON.stringify({ dir: sample, tiles: 1, bands: 2, groups: ["greenwich"] }),
      });
      assertEquals(r.code, 0, printed(r));
      assertEquals(
        r.stderr.includes(`generating the sample dataset in ${sample}`),
        true,
        printed(r),
      );
      assertEquals(r.stderr.includes("fixtures: 2/2 tiles (100%)"), true, printed(r));
      assertEquals(r.stdout.includes(`Data: ${sample}`), true, printed(r));
    });
  });
});

Deno.test("byteRate: the amount since the start and its rate, in MiB", () => {
  assertEquals(byteRate(0, 3 * 2 ** 20, 2, "fetched"), "3.0 MiB fetched at 1.5 MiB/s");
  assertEquals(byteRate(2 ** 20, 2 ** 20, 0, "fetched"), "0.0 MiB fetched at 0.0 MiB/s");
});
