/**
 * The transfer side of remote builds (lib/remote/), against a real nginx on loopback through
 * our fault-injecting proxy: a body cut mid-way is resumed by a Range request from exactly the
 * byte reached (checked at the proxy) and each file is fetched once; `--cache-dir` keeps the
 * fetched files so a repeated build sends no tile request at all, and a cached file whose
 * bytes changed is detected by its hash and fetched again; the temp spool on disk (shared
 * memory off) gives the same stores, leaves nothing in $TMPDIR and reports MiB/s — every store
 * identical to the local build's.
 */
import { basename, dirname, join } from "node:path";
import { ok as assert } from "node:assert";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { runCli } from "../helpers/cli.ts";
import { withTmp } from "../helpers/env.ts";
import { startFaultProxy } from "../helpers/fault_proxy.ts";
import { nginxUnavailable, withNginx } from "../helpers/nginx.ts";
import { diffTrees } from "../helpers/store_files.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { mirrorPath } from "../../lib/remote/cache_paths.ts";

const NO_NGINX = await nginxUnavailable();
if (NO_NGINX) console.warn(`remote transfer tests skipped: ${NO_NGINX}`);

const REPO = new URL("../../", import.meta.url).pathname;
const TILE = "grid_-0.05_51.45";
const TILE_NPY = `global_0.1_degree_representation/2024/${TILE}/${TILE}.npy`;
const isTileFile = (p: string) => /\.(npy|tiff)$/.test(p);

function build(base: string, out: string, more: string[] = [], env: Record<string, string> = {}) {
  return runCli("build", [
    base,
    "--zones",
    "30,31",
    "--year",
    "2024",
    "--output-dir",
    out,
    "--json",
    ...more,
  ], env);
}

/** `tz-spool-*` entries in the temp dir (the spool must leave none behind). */
function spoolLeftovers(tmpdir: string): string[] {
  return [...Deno.readDirSync(tmpdir)].map((e) => e.name).filter((n) => n.startsWith("tz-spool-"));
}

Deno.test({
  name: "remote transfer: resume from the byte reached, cache reuse, corrupt cache, disk spool",
  ignore: NO_NGINX !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    await withTmp("tz-transfer-", async (tmp) => {
      const data = join(tmp, "data");
      await fixtureDataset({ out: data, tiles: 2, bands: 8, groups: ["greenwich"] });
      const local = join(tmp, "local");
      const r0 = await build(data, local);
      assertEquals(r0.code, 0, r0.stderr);

      const skipped = await withNginx(data, async (nginx) => {
        await t.step("a body cut mid-way resumes from the byte reached", async () => {
          // The tile's whole-file GET (no Range) is cut at half its length, once.
          const proxy = startFaultProxy(
            nginx.url,
            (path, _n, range) =>
              path.endsWith(`${TILE}.npy`) && range === undefined ? "truncate" : undefined,
          );
          try {
            const out = join(tmp, "resumed");
            const r = await build(proxy.url, out);
            assertEquals(r.code, 0, r.stderr + r.stdout);
            assertDeepEquals(await diffTrees(local, out), []);
            const hits = proxy.hits.filter((h) => h.path === `/${TILE_NPY}`);
            const cut = hits.find((h) => h.fault === "truncate");
            assert(cut?.cutAt && cut.cutAt > 0, JSON.stringify(hits));
            const after = hits[hits.indexOf(cut) + 1];
            assertEquals(after?.range, `bytes=${cut.cutAt}-`, JSON.stringify(hits));
            // Bytes of the file sent once in all (plus the band vote's header read).
            const size = (await Deno.stat(join(data, TILE_NPY))).size;
            const sent = hits.filter((h) => h.range !== "bytes=0-4095")
              .reduce((a, h) => a + (h.bytes ?? 0), 0);
            assertEquals(sent, size, JSON.stringify(hits));
            const transfer = JSON.parse(r.stdout).transfer;
            assert(transfer.resumed >= 1, JSON.stringify(transfer));
          } finally {
            await proxy.stop();
          }
        });

        const cache = join(tmp, "cache");
        await t.step("--cache-dir: a repeated build fetches no tile file again", async () => {
          const proxy = startFaultProxy(nginx.url, () => undefined);
          try {
            const first = await build(proxy.url, join(tmp, "cached1"), ["--cache-dir", cache]);
            assertEquals(first.code, 0, first.stderr + first.stdout);
            assertDeepEquals(await diffTrees(local, join(tmp, "cached1")), []);
            const fetched = proxy.hits.filter((h) => isTileFile(h.path)).length;
            assert(fetched > 0, "the first build fetched nothing");
            proxy.hits.length = 0;
            const again = await build(proxy.url, join(tmp, "cached2"), ["--cache-dir", cache]);
            assertEquals(again.code, 0, again.stderr + again.stdout);
            assertDeepEquals(await diffTrees(local, join(tmp, "cached2")), []);
            assertDeepEquals(proxy.hits.filter((h) => isTileFile(h.path)), []);
            const transfer = JSON.parse(again.stdout).transfer;
            assertEquals(transfer.bytesFetched, 0, JSON.stringify(transfer));
            assert(transfer.cacheHits > 0, JSON.stringify(transfer));
          } finally {
            await proxy.stop();
          }
        });

        await t.step("a corrupt cache file is detected and fetched again", async () => {
          const proxy = startFaultProxy(nginx.url, () => undefined);
          try {
            const copy = mirrorPath(cache, `${proxy.url}${TILE_NPY}`);
            // The cache is per server: fill this proxy's copy first, then damage it.
            const fill = await build(proxy.url, join(tmp, "fill"), ["--cache-dir", cache]);
            assertEquals(fill.code, 0, fill.stderr + fill.stdout);
            const bytes = await Deno.readFile(copy);
            bytes[bytes.length - 5] ^= 0x40;
            await Deno.writeFile(copy, bytes);
            proxy.hits.length = 0;
            const r = await build(proxy.url, join(tmp, "recovered"), ["--cache-dir", cache]);
            assertEquals(r.code, 0, r.stderr + r.stdout);
            assertDeepEquals(await diffTrees(local, join(tmp, "recovered")), []);
            const tileHits = proxy.hits.filter((h) => isTileFile(h.path));
            assertDeepEquals(tileHits.map((h) => h.path), [`/${TILE_NPY}`]);
            const transfer = JSON.parse(r.stdout).transfer;
            assertEquals(transfer.cacheRejected, 1, JSON.stringify(transfer));
            // The cache holds the good bytes again.
            assertEquals(
              (await Deno.readFile(copy)).length === bytes.length &&
                (await Deno.readFile(copy))[bytes.length - 5] !== bytes[bytes.length - 5],
              true,
            );
          } finally {
            await proxy.stop();
          }
        });

        await t.step("a killed build's partial download is continued, not restarted", async () => {
          // The tile's first GET sends half its body, then stalls: the build is killed while
          // it waits, with a partial download in the cache. The next build (same server, so
          // the same cache folder) takes it over and asks only for the rest.
          let stalled = 0;
          const proxy = startFaultProxy(
            nginx.url,
            (path, _n, range) => {
              if (!path.endsWith(`${TILE}.npy`) || range !== undefined) return undefined;
              return stalled++ === 0 ? "stall" : undefined;
            },
            60_000,
          );
          const partCache = join(tmp, "part-cache");
          const copy = mirrorPath(partCache, `${proxy.url}${TILE_NPY}`);
          const parts = () =>
            Array.from(Deno.readDirSync(dirname(copy)))
              .filter((e) => e.name.startsWith(`${basename(copy)}.part-`))
              .map((e) => Deno.statSync(join(dirname(copy), e.name)).size);
          try {
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
                join(tmp, "partial"),
                "--cache-dir",
                partCache,
              ],
              cwd: REPO,
              stdout: "null",
              stderr: "null",
            }).spawn();
            // Written in 1 MiB pieces: wait for the stalled half to be on disk.
            const half = (await Deno.stat(join(data, TILE_NPY))).size >> 1;
            let held = 0;
            for (let i = 0; i < 1500 && held < half - (1 << 20); i++) {
              await new Promise((r) => setTimeout(r, 20));
              held = (() => {
                try {
                  return Math.max(0, ...parts());
                } catch {
                  return 0;
                }
              })();
            }
            child.kill("SIGKILL");
            await child.status;
            assert(held > 0, "no partial download to take over");
            const r = await build(proxy.url, join(tmp, "continued"), ["--cache-dir", partCache]);
            assertEquals(r.code, 0, r.stderr + r.stdout);
            assertDeepEquals(await diffTrees(local, join(tmp, "continued")), []);
            const hits = proxy.hits.filter((h) =>
              h.path === `/${TILE_NPY}` && h.range !== "bytes=0-4095"
            );
            assertDeepEquals(hits.map((h) => h.range), [undefined, `bytes=${held}-`]);
            // Other files may have been mid-way too when the build was killed: taken over alike.
            const taken = JSON.parse(r.stdout).transfer.partialsTaken;
            assert(taken >= 1, `partialsTaken ${taken}`);
            const left: string[] = [];
            const list = (d: string) => {
              for (const e of Deno.readDirSync(d)) {
                if (e.isDirectory) list(join(d, e.name));
                else if (e.name.includes(".part-")) left.push(join(d, e.name));
              }
            };
            list(partCache);
            assertDeepEquals(left, []);
            assert(await Deno.stat(`${copy}.sha256`).then(() => true), "not cached");
          } finally {
            await proxy.stop();
          }
        });

        await t.step("the temp spool on disk: identical stores, nothing left behind", async () => {
          const spoolTmp = join(tmp, "tmpdir");
          await Deno.mkdir(spoolTmp);
          const out = join(tmp, "disk-spool");
          // Without --json: the plain progress lines carry the MiB fetched and the rate.
          const r = await runCli(
            "build",
            [nginx.url, "--zones", "30,31", "--year", "2024", "--output-dir", out],
            { TZ_SPOOL_MEMORY_MB: "0", TMPDIR: spoolTmp, TZ_PROGRESS_INTERVAL_MS: "0" },
          );
          assertEquals(r.code, 0, r.stderr + r.stdout);
          assertDeepEquals(await diffTrees(local, out), []);
          assertDeepEquals(spoolLeftovers(spoolTmp), []);
          assert(
            /^utm30: \d+\/\d+ shards \(\d+%\), [\d.]+ s, [\d.]+ MiB fetched at [\d.]+ MiB\/s$/m
              .test(r.stderr),
            r.stderr,
          );
          assert(
            /Tiles: \d+ tile\(s\): fetched [\d.]+ MiB in \d+ request/.test(r.stdout),
            r.stdout,
          );
        });
      });
      if (skipped) console.warn(`remote transfer tests skipped: ${skipped}`);
    });
  },
});

Deno.test({
  name: "remote transfer: shared buffers reused from tile to tile give identical stores",
  ignore: NO_NGINX !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await withTmp("tz-transfer-", async (tmp) => {
      // 3 × 3 tiles: with no look-ahead and one worker, each shard's tiles are fetched when
      // it is asked for, after tiles only earlier shards read were released, so later files
      // land in buffers that earlier tiles' bytes filled. Stale bytes would change the store.
      const data = join(tmp, "data");
      await fixtureDataset({ out: data, tiles: 3, bands: 8, groups: ["greenwich"] });
      const one = (base: string, out: string) =>
        runCli("build", [
          base,
          ...["--zones", "30", "--year", "2024", "--workers", "1", "--output-dir", out, "--json"],
        ], { TZ_SPOOL_AHEAD_MB: "0" });
      const local = join(tmp, "local");
      const r0 = await one(data, local);
      assertEquals(r0.code, 0, r0.stderr);
      const skipped = await withNginx(data, async (nginx) => {
        const out = join(tmp, "reused");
        const r = await one(nginx.url, out);
        assertEquals(r.code, 0, r.stderr);
        const { buffersReused, tiles } = JSON.parse(r.stdout).transfer;
        assertEquals(tiles, 9);
        assert(buffersReused > 0, `no buffer reused: ${r.stdout}`);
        assertDeepEquals(await diffTrees(local, out), []);
      });
      if (skipped) console.warn(`remote transfer tests skipped: ${skipped}`);
    });
  },
});
