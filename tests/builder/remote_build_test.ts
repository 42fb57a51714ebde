/**
 * Building from tiles over HTTP (lib/tiles/remote.ts) against a real nginx on loopback serving
 * a sample dataset: the stores are byte-identical to the ones built from the same files on
 * disk; without a registry the build stops (exit 2); through our fault-injecting proxy
 * (tests/helpers/fault_proxy.ts) 503s with Retry-After, resets, truncated bodies and stalls
 * are recovered from with identical stores, while a tile that cannot be had or whose bytes do
 * not match the registry's hash fails by name, its neighbours still written (exit 1); a
 * killed remote build resumes to identical stores, and so do --shard slices + --finalize.
 */
import { join } from "node:path";
import { ok as assert } from "node:assert";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { REPO, runCli } from "../helpers/cli.ts";
import { withTmp } from "../helpers/env.ts";
import { startFaultProxy } from "../helpers/fault_proxy.ts";
import { nginxUnavailable, withNginx } from "../helpers/nginx.ts";
import { diffTrees } from "../helpers/store_files.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";

const NO_NGINX = await nginxUnavailable();
if (NO_NGINX) console.warn(`remote build tests skipped: ${NO_NGINX}`);

const TILE = "grid_-0.05_51.45"; // a zone-30 tile of the greenwich group
const TILE_DIR = `global_0.1_degree_representation/2024/${TILE}`;

/** Differences other than the per-shard failure records (whose messages name the cause). */
async function pixelDiffs(a: string, b: string): Promise<string[]> {
  return (await diffTrees(a, b)).filter((d) => !/\/_build\/shards\/[^/]+\.failures\.json$/.test(d));
}

function build(base: string, out: string, ...more: string[]) {
  return buildIn({}, base, out, ...more);
}

function buildIn(env: Record<string, string>, base: string, out: string, ...more: string[]) {
  return runCli("build", [
    base,
    "--zones",
    "30,31",
    "--year",
    "2024",
    "--output-dir",
    out,
    ...more,
  ], env);
}

Deno.test({
  name: "remote build: nginx-served tiles give the local stores; faults recover or fail by name",
  ignore: NO_NGINX !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    await withTmp("tz-remote-", async (tmp) => {
      const data = join(tmp, "data");
      await fixtureDataset({ out: data, tiles: 2, bands: 8, groups: ["greenwich"] });
      const local = join(tmp, "local");
      const r0 = await build(data, local);
      assertEquals(r0.code, 0, r0.stderr);
      // The reference for "that tile fails, its neighbours are written": the tile's .npy gone.
      const without = join(tmp, "without");
      await Deno.mkdir(join(tmp, "data-without"));
      await new Deno.Command("cp", { args: ["-a", `${data}/.`, join(tmp, "data-without")] })
        .output();
      await Deno.remove(join(tmp, "data-without", TILE_DIR, `${TILE}.npy`));
      const r1 = await build(join(tmp, "data-without"), without);
      assertEquals(r1.code, 1, r1.stderr);

      const skipped = await withNginx(data, async (nginx) => {
        await t.step("stores built over HTTP are byte-identical to local ones", async () => {
          const out = join(tmp, "remote");
          const r = await build(nginx.url, out);
          assertEquals(r.code, 0, r.stderr + r.stdout);
          assert(r.stdout.includes("registry http://127.0.0.1:"), r.stdout);
          assertDeepEquals(await diffTrees(local, out), []);
        });

        await t.step("--shard slices and --finalize over HTTP: identical stores", async () => {
          const out = join(tmp, "sliced");
          for (const k of ["0/2", "1/2"]) {
            const r = await build(nginx.url, out, "--shard", k);
            assertEquals(r.code, 0, r.stderr + r.stdout);
          }
          const r = await build(nginx.url, out, "--finalize", "--tasks", "2");
          assertEquals(r.code, 0, r.stderr + r.stdout);
          assertDeepEquals(await diffTrees(local, out), []);
        });

        await t.step("scan reads a URL too", async () => {
          const r = await runCli("scan", [nginx.url, "--year", "2024"]);
          assertEquals(r.code, 0, r.stderr + r.stdout);
          assert(r.stdout.includes("32630"), r.stdout);
        });

        await t.step("without a registry over HTTP: says so, exit 2", async () => {
          const r = await build(`${nginx.url}global_0.1_degree_tiff_all/`, join(tmp, "none"));
          assertEquals(r.code, 2, r.stderr);
          assert(/registry/.test(r.stderr) && /walking/.test(r.stderr), r.stderr);
          const r2 = await build(
            nginx.url,
            join(tmp, "none"),
            "--registry",
            `${nginx.url}x.parquet`,
          );
          assertEquals(r2.code, 2, r2.stderr);
          assert(r2.stderr.includes("x.parquet"), r2.stderr);
          const r3 = await runCli("build", [nginx.url, "--zones", "30"]);
          assertEquals(r3.code, 2, r3.stderr);
          assert(r3.stderr.includes("--output-dir"), r3.stderr);
        });

        await t.step(
          "503 + Retry-After, resets, truncated bodies, stalls: identical stores",
          async () => {
            const proxy = startFaultProxy(nginx.url, (path, n) => {
              if (path.endsWith(`${TILE}.npy`)) {
                return n === 1 ? "503" : n === 3 ? "truncate" : undefined;
              }
              if (path.endsWith("_scales.npy")) return n === 1 ? "stall" : undefined;
              if (path.endsWith(".tiff")) {
                return n === 1 ? "reset" : n === 2 ? "truncate" : undefined;
              }
              if (path.endsWith(".npy")) return n === 2 ? "503" : undefined;
              return undefined;
            });
            try {
              const out = join(tmp, "faulty");
              const r = await build(proxy.url, out, "--timeout", "1", "--connections", "4");
              assertEquals(r.code, 0, r.stderr + r.stdout);
              assertDeepEquals(await diffTrees(local, out), []);
              const faults = new Set(proxy.hits.map((h) => h.fault).filter(Boolean));
              assertDeepEquals([...faults].sort(), ["503", "reset", "stall", "truncate"]);
              // Retry-After: 1 was honoured: the retry came at least a second after the 503.
              const tileHits = proxy.hits.filter((h) => h.path.endsWith(`${TILE}.npy`));
              assert(tileHits[1].atMs - tileHits[0].atMs >= 950, JSON.stringify(tileHits));
            } finally {
              await proxy.stop();
            }
          },
        );

        await t.step("a remote build killed mid-way and resumed: identical stores", async () => {
          // Its own temp dir: the killed build's spool must be gone once the next one ran.
          const tmpdir = join(tmp, "tmpdir-killed");
          await Deno.mkdir(tmpdir);
          const proxy = startFaultProxy(
            nginx.url,
            (path) => path.endsWith(".npy") ? "slow" : undefined,
          );
          try {
            const out = join(tmp, "killed");
            const child = new Deno.Command(Deno.execPath(), {
              args: [
                "run",
                "-A",
                "tasks/build.ts",
                proxy.url,
                "--zones",
                "30,31",
                "--year",
                "2024",
                "--output-dir",
                out,
                "--workers",
                "1",
              ],
              cwd: REPO,
              env: { TMPDIR: tmpdir },
              stdout: "null",
              stderr: "null",
            }).spawn();
            const shards = join(out, "utm30_2024.zarr/_build/shards");
            let done = 0;
            for (let i = 0; i < 600 && done < 2; i++) {
              await new Promise((r) => setTimeout(r, 20));
              done = await Array.fromAsync(Deno.readDir(shards)).then(
                (es) => es.filter((e) => e.name.endsWith(".stats")).length,
                () => 0,
              );
            }
            child.kill("SIGKILL");
            const status = await child.status;
            assert(done >= 2 && !status.success, `killed after ${done} shards, ${status.code}`);
            const r = await buildIn({ TMPDIR: tmpdir }, nginx.url, out, "--resume");
            assertEquals(r.code, 0, r.stderr + r.stdout);
            assert(/already done/.test(r.stdout), r.stdout);
            assertDeepEquals(await diffTrees(local, out), []);
            assertDeepEquals([...Deno.readDirSync(tmpdir)].map((e) => e.name), []);
          } finally {
            await proxy.stop();
          }
        });

        await t.step("a tile that cannot be had fails by name with URL and status", async () => {
          const proxy = startFaultProxy(
            nginx.url,
            (path) => path.endsWith(`${TILE}.npy`) ? "503" : undefined,
          );
          try {
            const out = join(tmp, "unavailable");
            const r = await build(proxy.url, out, "--retries", "1");
            assertEquals(r.code, 1, r.stderr + r.stdout);
            const all = r.stdout + r.stderr;
            assert(all.includes(TILE) && all.includes("RemoteFetch") && all.includes("503"), all);
            assert(all.includes(`${proxy.url}${TILE_DIR}/${TILE}.npy`), all);
            assertDeepEquals(await pixelDiffs(without, out), []);
          } finally {
            await proxy.stop();
          }
        });

        await t.step(
          "bytes that do not match the registry's hash: the tile fails by name",
          async () => {
            const proxy = startFaultProxy(
              nginx.url,
              (path) => path.endsWith(`${TILE}.npy`) ? "flip" : undefined,
            );
            try {
              const out = join(tmp, "flipped");
              const r = await build(proxy.url, out);
              assertEquals(r.code, 1, r.stderr + r.stdout);
              const all = r.stdout + r.stderr;
              assert(all.includes(TILE) && all.includes("HashMismatch"), all);
              assertDeepEquals(await pixelDiffs(without, out), []);
            } finally {
              await proxy.stop();
            }
          },
        );
      });
      if (skipped) console.warn(`remote build tests skipped: ${skipped}`);
    });
  },
});

Deno.test("--check-hashes on local input: a tile with a flipped byte fails by name", async () => {
  await withTmp("tz-hashes-", async (tmp) => {
    const data = join(tmp, "data");
    await fixtureDataset({ out: data, tiles: 1, bands: 8, groups: ["greenwich"] });
    const list = [...Deno.readDirSync(join(data, "global_0.1_degree_representation/2024"))];
    const name = list.map((e) => e.name).sort()[0];
    const npy = join(data, "global_0.1_degree_representation/2024", name, `${name}_scales.npy`);
    const bytes = await Deno.readFile(npy);
    bytes[bytes.length - 3] ^= 0x10;
    await Deno.writeFile(npy, bytes);
    const plain = await runCli("build", [data, "--output-dir", join(tmp, "a"), "--year", "2024"]);
    assertEquals(plain.code, 0, plain.stderr + plain.stdout);
    const r = await runCli("build", [
      data,
      "--output-dir",
      join(tmp, "b"),
      "--year",
      "2024",
      "--check-hashes",
    ]);
    assertEquals(r.code, 1, r.stderr + r.stdout);
    const all = r.stdout + r.stderr;
    assert(all.includes(name) && all.includes("HashMismatch") && all.includes("scales"), all);
  });
});
