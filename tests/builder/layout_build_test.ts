/**
 * The same tiles in both layouts (seed: global_0.1_degree_representation/ + registry.parquet;
 * public: npy/{dataset}/ + manifest.parquet, landmasks/{version}/ + landmasks.parquet), written
 * by `deno task fixtures` with the same options: the input files are byte-identical, and so is
 * every file of the stores built from them — from disk and over HTTP from a real nginx
 * (tests/helpers/nginx.ts), the public layout's dataset found by which manifest answers, with a
 * `~` in the dataset's URL segment. Also: scan and verify on the public layout, and the task
 * errors (exit 2) for a layout that is not there, an ambiguous dataset, nothing answering.
 */
import { join } from "node:path";
import { ok as assert } from "node:assert";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { runCli } from "../helpers/cli.ts";
import { withTmp } from "../helpers/env.ts";
import { nginxUnavailable, withNginx } from "../helpers/nginx.ts";
import { diffTrees } from "../helpers/store_files.ts";

const NO_NGINX = await nginxUnavailable();
if (NO_NGINX) console.warn(`layout tests over HTTP skipped: ${NO_NGINX}`);

const SAMPLE = ["--tiles", "1", "--bands", "8", "--groups", "greenwich"];
const TILES = ["grid_-0.05_51.45", "grid_0.05_51.45"]; // zones 30 and 31

async function fixtures(out: string, ...more: string[]): Promise<void> {
  const r = await runCli("fixtures", [out, ...SAMPLE, ...more]);
  assertEquals(r.code, 0, r.stderr);
}

function build(base: string, out: string, ...more: string[]) {
  return runCli("build", [
    base,
    "--zones",
    "30,31",
    "--year",
    "2024",
    "--output-dir",
    out,
    "--workers",
    "1",
    ...more,
  ]);
}

Deno.test({
  name: "layouts: the same tiles in the seed and public layouts give byte-identical stores",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    await withTmp("tz-layout-", async (tmp) => {
      const seed = join(tmp, "seed");
      const pub = join(tmp, "pub");
      await fixtures(seed);
      // Two datasets in one repository copy: v1 and one whose name has a ~.
      await fixtures(pub, "--layout", "public");
      await fixtures(pub, "--layout", "public", "--dataset", "v2-2B-L~beta1");

      await t.step("the generator writes the same tile bytes in both layouts", async () => {
        for (const name of TILES) {
          for (
            const [a, b] of [
              [
                `global_0.1_degree_representation/2024/${name}/${name}.npy`,
                `npy/v1/2024/${name}/${name}.npy`,
              ],
              [
                `global_0.1_degree_representation/2024/${name}/${name}_scales.npy`,
                `npy/v2-2B-L~beta1/2024/${name}/${name}_scales.npy`,
              ],
              [`global_0.1_degree_tiff_all/${name}.tiff`, `landmasks/v2/${name}.tiff`],
            ]
          ) {
            assertDeepEquals(await Deno.readFile(join(pub, b)), await Deno.readFile(join(seed, a)));
          }
        }
        for (const f of ["npy/v1/manifest.parquet", "landmasks/v1/landmasks.parquet"]) {
          assert((await Deno.stat(join(pub, f))).isFile, f);
        }
        assertEquals(await Deno.stat(join(pub, "registry.parquet")).catch(() => null), null);
      });

      const local = join(tmp, "out-seed");
      const r0 = await build(seed, local);
      assertEquals(r0.code, 0, r0.stderr + r0.stdout);
      assert(r0.stdout.includes("registry.parquet"), r0.stdout);

      await t.step("from disk: public layout stores equal the seed layout's", async () => {
        const out = join(tmp, "out-pub");
        const r = await build(pub, out, "--dataset", "v1");
        assertEquals(r.code, 0, r.stderr + r.stdout);
        assert(r.stdout.includes(join(pub, "npy/v1/manifest.parquet")), r.stdout);
        assertDeepEquals(await diffTrees(local, out), []);
        // Without the manifest the folders are walked: still the same stores.
        const walked = join(tmp, "out-walk");
        await Deno.rename(join(pub, "npy/v1/manifest.parquet"), join(tmp, "manifest.parquet"));
        try {
          const r2 = await build(pub, walked, "--dataset", "v1");
          assertEquals(r2.code, 0, r2.stderr + r2.stdout);
          assert(r2.stdout.includes("directory walk"), r2.stdout);
          assertDeepEquals(await diffTrees(local, walked), []);
        } finally {
          await Deno.rename(join(tmp, "manifest.parquet"), join(pub, "npy/v1/manifest.parquet"));
        }
      });

      await t.step("scan and verify read the public layout", async () => {
        const r = await runCli("scan", [pub, "--dataset", "v2-2B-L~beta1", "--json"]);
        assertEquals(r.code, 0, r.stderr + r.stdout);
        assert(r.stdout.includes("32630") && r.stdout.includes("32631"), r.stdout);
        const v = await runCli("verify", [join(local, "utm30_2024.zarr"), pub, "--dataset", "v1"]);
        assertEquals(v.code, 0, v.stderr + v.stdout);
      });

      await t.step("task errors name what was looked for and the flag (exit 2)", async () => {
        const cases: [string[], RegExp][] = [
          [[pub], /several datasets in npy\/ \(v1, v2-2B-L~beta1\).*--dataset NAME/],
          [[pub, "--dataset", "v1.1-cam"], /no dataset v1\.1-cam .*present: v1, v2-2B-L~beta1/],
          [[pub, "--layout", "seed"], /--layout seed, but BASE .*--layout public/],
          [[seed, "--layout", "public"], /no npy\/ folder in BASE .*--layout seed/],
          [[pub, "--layout", "sideways"], /--layout must be seed or public/],
          [[pub, "--dataset", "v1", "--check-hashes"], /--check-hashes: the public layout/],
        ];
        for (const [args, message] of cases) {
          const r = await build(args[0], join(tmp, "none"), ...args.slice(1));
          assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
          assert(message.test(r.stderr), `${args.join(" ")}: ${r.stderr}`);
        }
        const f = await runCli("fixtures", [join(tmp, "x"), "--dataset", "v1"]);
        assertEquals(f.code, 2, f.stderr);
      });

      await t.step({
        name: "over HTTP from nginx: the dataset found by its manifest; identical stores",
        ignore: NO_NGINX !== undefined,
        fn: async () => {
          await withNginx(pub, async (nginx) => {
            // No flags: the default dataset (v1) is the one whose manifest answers.
            const out = join(tmp, "out-http");
            const r = await build(nginx.url, out);
            assertEquals(r.code, 0, r.stderr + r.stdout);
            assert(r.stdout.includes(`${nginx.url}npy/v1/manifest.parquet`), r.stdout);
            assertDeepEquals(await diffTrees(local, out), []);
            // A ~ in the dataset's path segment; landmasks v2 from the dataset's version.
            const tilde = join(tmp, "out-http-tilde");
            const r2 = await build(nginx.url, tilde, "--dataset", "v2-2B-L~beta1");
            assertEquals(r2.code, 0, r2.stderr + r2.stdout);
            assert(r2.stdout.includes("npy/v2-2B-L~beta1/manifest.parquet"), r2.stdout);
            assertDeepEquals(await diffTrees(local, tilde), []);
            // A manifest URL given with --registry names its dataset.
            const given = join(tmp, "out-http-given");
            const r5 = await build(
              nginx.url,
              given,
              "--registry",
              `${nginx.url}npy/v2-2B-L~beta1/manifest.parquet`,
            );
            assertEquals(r5.code, 0, r5.stderr + r5.stdout);
            assert(r5.stdout.includes("dataset v2-2B-L~beta1"), r5.stdout);
            assertDeepEquals(await diffTrees(local, given), []);
            // Named failures: a dataset the server does not have; a landmask list it lacks.
            const r3 = await build(nginx.url, join(tmp, "none"), "--dataset", "v1.1-cam");
            assertEquals(r3.code, 2, r3.stderr);
            assert(
              r3.stderr.includes(`no npy/v1.1-cam/manifest.parquet at ${nginx.url}`),
              r3.stderr,
            );
            const r4 = await build(
              nginx.url,
              join(tmp, "none"),
              "--dataset",
              "v1",
              "--landmask-version",
              "v9",
            );
            // An explicit landmask version is trusted: its TIFFs are missing, so tiles fail.
            assertEquals(r4.code, 1, r4.stderr + r4.stdout);
            assert(
              /landmasks\/v9\/grid_-0\.05_51\.45\.tiff/.test(r4.stdout + r4.stderr),
              r4.stdout,
            );
          });
        },
      });
    });
  },
});

Deno.test({
  name: "layouts over HTTP: nothing answering names both index URLs (exit 2)",
  ignore: NO_NGINX !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await withTmp("tz-layout-", async (tmp) => {
      await Deno.mkdir(join(tmp, "empty"));
      await withNginx(join(tmp, "empty"), async (nginx) => {
        const r = await build(nginx.url, join(tmp, "none"));
        assertEquals(r.code, 2, r.stderr);
        assert(
          r.stderr.includes(`${nginx.url}registry.parquet (seed layout)`) &&
            r.stderr.includes(`${nginx.url}npy/v1/manifest.parquet (public layout`) &&
            r.stderr.includes("--dataset"),
          r.stderr,
        );
      });
    });
  },
});
