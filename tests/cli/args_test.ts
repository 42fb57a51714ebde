/**
 * Command-line usage errors, through the real tasks: output paths that are files, unknown flags
 * (with a suggestion), and extra positional arguments — each a one-line message and exit 2.
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { runCli } from "../helpers/cli.ts";
import { withTmp } from "../helpers/env.ts";
import { suggestFlag } from "../../lib/cli/args.ts";
import { exists, noStackTrace, printed, runCliWithin, smallDataset } from "./helpers.ts";

Deno.test("an output path that is a file is a usage error (exit 2), not a crash", async (t) => {
  await withTmp("tz-cli-out-", async (dir) => {
    const { base, zarr } = await smallDataset(dir, { stores: true });
    const file = join(dir, "a_file");
    await Deno.writeTextFile(file, "not a directory\n");
    const cases: [string, string[]][] = [
      ["build", [base, "--zones", "30", "--output-dir", file]],
      ["build", [base, "--zones", "30", "--output-dir", join(file, "sub")]],
      ["stats", [zarr, "--png", file]],
      ["pca", [zarr, "--png", join(file, "png")]],
      ["fixtures", [file, "--tiles", "1", "--bands", "2", "--groups", "greenwich"]],
      ["fixtures", [join(file, "ds"), "--tiles", "1", "--bands", "2", "--groups", "greenwich"]],
      ["manifest", [file]],
      ["serve", [file, "--no-open", "--port", "0"]],
    ];
    for (const [task, args] of cases) {
      await t.step(`${task} ${args.join(" ")}`, async () => {
        const r = await runCli(task, args);
        assertEquals(r.code, 2, printed(r));
        assertEquals(noStackTrace(r), true, printed(r));
        assertEquals(r.stderr.includes(file), true, printed(r));
        assertEquals(/director|folder/.test(r.stderr), true, printed(r));
      });
    }
    await t.step("nothing was written before the check", async () => {
      const attrs = JSON.parse(await Deno.readTextFile(join(zarr, "utm30_2024.zarr", "zarr.json")))
        .attributes;
      assertEquals(attrs.has_rgb_preview ?? false, false);
      assertEquals(attrs.has_pca_preview ?? false, false);
      assertEquals(await Deno.readTextFile(file), "not a directory\n");
    });
  });
});

Deno.test("suggestFlag: a typo or a prefix finds the flag, nonsense finds nothing", () => {
  const flags = ["zones", "year", "output-dir", "workers", "dry-run", "json", "help"];
  assertEquals(suggestFlag("zone", flags), "zones");
  assertEquals(suggestFlag("zonse", flags), "zones");
  assertEquals(suggestFlag("years", flags), "year");
  assertEquals(suggestFlag("output", flags), "output-dir");
  assertEquals(suggestFlag("outputdir", flags), "output-dir");
  assertEquals(suggestFlag("worker", flags), "workers");
  assertEquals(suggestFlag("dryrun", flags), "dry-run");
  assertEquals(suggestFlag("bogus", flags), undefined);
  assertEquals(suggestFlag("no-such-flag", flags), undefined);
  assertEquals(suggestFlag("x", flags), undefined);
});

Deno.test("an unknown flag exits 2 with a suggestion when one is close", async (t) => {
  const cases: [string, string[], string | undefined][] = [
    ["build", ["--zone", "30", "--dry-run"], "--zones"],
    ["scan", ["--years", "2024"], "--year"],
    ["fixtures", ["--year", "2024"], "--years"],
    ["verify", ["x.zarr", "--worker", "2"], "--workers"],
    ["serve", ["--no-opne"], "--no-open"],
    ["build", ["--bogus"], undefined],
  ];
  for (const [task, args, hint] of cases) {
    await t.step(`${task} ${args.join(" ")}`, async () => {
      const r = await runCli(task, args);
      assertEquals(r.code, 2, printed(r));
      assertEquals(r.stderr.includes(args.find((a) => a.startsWith("--"))!), true, printed(r));
      if (hint) assertEquals(r.stderr.includes(`did you mean ${hint}?`), true, printed(r));
      else assertEquals(r.stderr.includes("did you mean"), false, printed(r));
    });
  }
});

Deno.test("extra positional arguments exit 2 naming the first extra one", async (t) => {
  await withTmp("tz-cli-pos-", async (dir) => {
    const { base } = await smallDataset(dir);
    const out = join(dir, "out");
    const cases: [string, string[]][] = [
      ["build", [base, "extra", "--dry-run", "--output-dir", out]],
      ["scan", [base, "extra"]],
      ["fixtures", [join(dir, "f"), "extra", "--tiles", "1", "--bands", "2"]],
      ["manifest", [dir, "extra"]],
      ["serve", [dir, "extra", "--no-open", "--port", "0"]],
      ["verify", [join(dir, "utm30_2024.zarr"), base, "extra"]],
      ["demo", ["extra"]],
      ["check", ["extra"]],
    ];
    for (const [task, args] of cases) {
      await t.step(`${task} ${args.join(" ")}`, async () => {
        const r = await runCliWithin(task, args, 30_000);
        assertEquals(r.code, 2, printed(r));
        assertEquals(r.stderr.includes('"extra"'), true, printed(r));
        assertEquals(noStackTrace(r), true, printed(r));
      });
    }
    assertEquals(await exists(out), false, "build wrote before rejecting its arguments");
    assertEquals(await exists(join(dir, "f")), false, "fixtures wrote before rejecting");
  });
});

Deno.test("a missing required argument names it (verify STORE)", async () => {
  const r = await runCli("verify", []);
  assertEquals(r.code, 2, printed(r));
  assertEquals(r.stderr.includes("STORE"), true, printed(r));
});
