/**
 * One rule for "nothing to do", every task: a path that does not exist or is not the kind of
 * thing asked for is bad usage (exit 2, naming the path and what to give); an existing input
 * whose selection matches nothing exits 1, writes nothing, and names what is there.
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { type CliResult, runCli } from "../helpers/cli.ts";
import { withTmp } from "../helpers/env.ts";
import { exists, noStackTrace, printed, smallDataset } from "./helpers.ts";

/** Exit code, and every string the message must hold. */
function expect(r: CliResult, code: number, ...parts: string[]) {
  assertEquals(r.code, code, printed(r));
  assertEquals(noStackTrace(r), true, printed(r));
  for (const p of parts) assertEquals(r.stderr.includes(p), true, `lacks "${p}":\n${printed(r)}`);
}

Deno.test("the exit-code rule for empty selections and wrong paths", async (t) => {
  await withTmp("tz-cli-exit-", async (dir) => {
    const { base, zarr } = await smallDataset(dir, { stores: true });
    const empty = join(dir, "empty");
    await Deno.mkdir(empty);
    const missing = join(dir, "missing");
    const file = join(dir, "a_file");
    await Deno.writeTextFile(file, "x\n");
    const out = join(dir, "out");

    // An existing dataset, a selection that matches nothing: exit 1, what is there is named.
    await t.step("scan --zones 32: exit 1, names the zones with tiles", async () => {
      const r = await runCli("scan", [base, "--zones", "32"]);
      expect(r, 1, "zone(s) 32", "2024", "30, 31");
      assertEquals(r.stdout.includes("OK"), false, printed(r));
    });
    await t.step("scan --year 2023: exit 1, names the years with tiles", async () => {
      expect(await runCli("scan", [base, "--year", "2023"]), 1, "2023", "2024", "30, 31");
    });
    await t.step("scan --json with nothing selected prints no report", async () => {
      const r = await runCli("scan", [base, "--zones", "32", "--json"]);
      expect(r, 1, "zone(s) 32");
      assertEquals(r.stdout.trim(), "", printed(r));
    });
    await t.step("build --zones 32 / --year 2023: exit 1, nothing written", async () => {
      expect(
        await runCli("build", [base, "--zones", "32", "--output-dir", out]),
        1,
        "zone(s) 32",
        "30, 31",
      );
      expect(
        await runCli("build", [base, "--year", "2023", "--output-dir", out, "--dry-run"]),
        1,
        "2023",
        "2024",
      );
      assertEquals(await exists(out), false);
    });
    await t.step("stats/pca --zones 32: exit 1, names the stores there", async () => {
      expect(await runCli("stats", [zarr, "--zones", "32"]), 1, "utm30_2024.zarr", zarr);
      expect(await runCli("pca", [zarr, "--year", "2023"]), 1, "utm31_2024.zarr", zarr);
    });
    await t.step(
      "a folder without stores: stats, pca, manifest exit 1, write nothing",
      async () => {
        for (const task of ["stats", "pca", "manifest"]) {
          const r = await runCli(task, [empty]);
          expect(r, 1, empty, "no zone stores", "deno task build");
        }
        assertEquals([...Deno.readDirSync(empty)].length, 0, "something was written");
      },
    );

    // Paths that do not exist or are the wrong kind of thing: exit 2, naming the path.
    await t.step("a missing BASE, a file BASE and an empty BASE are all exit 2", async () => {
      for (const task of ["scan", "build"]) {
        expect(await runCli(task, [missing]), 2, missing);
        expect(await runCli(task, [file]), 2, file);
        expect(await runCli(task, [empty]), 2, empty, "global_0.1_degree_representation");
      }
      const store = join(zarr, "utm30_2024.zarr");
      expect(await runCli("verify", [store, empty]), 2, empty);
      expect(await runCli("verify", [store, missing]), 2, missing);
    });
    await t.step("--registry-dir that does not exist or holds no registry: exit 2", async () => {
      expect(await runCli("scan", [base, "--registry-dir", missing]), 2, missing);
      expect(await runCli("build", [base, "--registry-dir", empty, "--dry-run"]), 2, empty);
    });
    await t.step("a missing or non-store STORE/DIR is exit 2", async () => {
      for (const task of ["stats", "pca", "manifest"]) {
        expect(await runCli(task, [missing]), 2, missing);
        expect(await runCli(task, [file]), 2, file);
      }
      expect(await runCli("verify", [missing, base]), 2, missing);
      expect(await runCli("verify", [empty, base]), 2, empty);
      // manifest wants the folder of stores, not a store.
      const store = join(zarr, "utm30_2024.zarr");
      expect(await runCli("manifest", [store]), 2, store, zarr);
      assertEquals(await exists(join(store, "_stores.json")), false);
    });
    await t.step("the good cases still exit 0", async () => {
      expect(await runCli("scan", [base, "--zones", "30"]), 0);
      expect(await runCli("manifest", [zarr]), 0);
    });
  });
});
