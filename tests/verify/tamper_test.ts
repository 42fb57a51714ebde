/**
 * `verify` re-derives what the builder derives from the pixels: each tampering a store's
 * build-time attributes, its `stats/` arrays or its object tree could suffer — an emptied
 * `bad_scale_pixels`, a wrong `stats_count`, a wrong `stats_band_p2`, a flipped byte in
 * `stats/sum`, a stray shard outside the grid — makes it fail naming the problem, while the
 * untampered store (failed tiles, bad scales and RGB/PCA previews included) still passes.
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { decodeChunk, encodeChunk } from "../../lib/zarr/codecs.ts";
import { formatReport, reportJson, type VerifyReport } from "../../lib/verify/report.ts";
import { verifyStore } from "../../lib/verify/verify_store.ts";
import { runCli } from "../helpers/cli.ts";
import { withTmp } from "../helpers/env.ts";
import { diffTrees } from "../helpers/store_files.ts";

const BANDS = 8;
const NAME = "utm30_2024.zarr";

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(join(from, e.name), join(to, e.name));
    else await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
}

interface Verified {
  code: number;
  report: VerifyReport;
  text: string;
}

Deno.test("verify re-derives build-time statistics and attributes and finds stray objects", async (t) => {
  await withTmp("tz-verify-tamper-", async (base) => {
    // Zone 30 of the smallest Greenwich group with the defect row: several shards, tiles
    // that fail, a tile with defect scale values, and both previews.
    await fixtureDataset({
      out: base,
      tiles: 1,
      bands: BANDS,
      groups: ["greenwich"],
      defects: true,
    });
    const built = await runCli("build", [base, "--zones", "30", "--rgb", "--pca", "--json"]);
    const original = join(base, "zarr", NAME);
    const group = JSON.parse(await Deno.readTextFile(join(original, "zarr.json")));
    assertEquals(group.attributes.build_complete, true, built.stderr);
    assertEquals(group.attributes.has_rgb_preview, true, built.stderr);
    assertEquals(group.attributes.has_pca_preview, true, built.stderr);
    assertEquals(group.attributes.failed_tiles.length > 0, true);
    assertEquals(Object.keys(group.attributes.bad_scale_pixels).length > 0, true);

    let copies = 0;
    /** A fresh copy of the built store (same name: verify reads zone and year from it). */
    const copy = async () => {
      const outDir = join(base, `copy${copies++}`);
      await copyTree(original, join(outDir, NAME));
      return { store: join(outDir, NAME), outDir };
    };
    /**
     * Verifies `store`: in-process (the verifier the task runs, with its report and text), or
     * with `cli` through `deno task verify` twice (--json and text), whose exit codes, JSON and
     * text the in-process steps stand for.
     */
    const verify = async (store: string, cli = false): Promise<Verified> => {
      if (!cli) {
        const r = await verifyStore(store, { base, workers: 1 });
        return { code: r.ok ? 0 : 1, report: JSON.parse(reportJson(r)), text: formatReport(r) };
      }
      const json = await runCli("verify", [store, base, "--json"]);
      let report: VerifyReport;
      try {
        report = JSON.parse(json.stdout);
      } catch {
        throw new Error(
          `verify printed no JSON (exit ${json.code}):\n${json.stdout}\n${json.stderr}`,
        );
      }
      const text = await runCli("verify", [store, base]);
      assertEquals(text.code, json.code, text.stdout);
      return { code: json.code, report, text: text.stdout };
    };
    const editAttributes = async (store: string, edit: (a: Record<string, unknown>) => void) => {
      const doc = JSON.parse(await Deno.readTextFile(join(store, "zarr.json")));
      edit(doc.attributes);
      await Deno.writeTextFile(join(store, "zarr.json"), JSON.stringify(doc, null, 2));
    };
    /** Asserts a failed verify whose report and text name `what`. */
    const failsNaming = (v: Verified, what: string) => {
      assertEquals(v.code, 1, v.text);
      assertEquals(v.report.ok, false);
      const listed = (v.report.derived ?? []).map((m) => m.what);
      assertEquals(listed.some((w) => w.startsWith(what)), true, JSON.stringify(listed));
      assertEquals(v.text.includes(what), true, v.text);
      // Nothing else is wrong: the pixels still equal their tiles.
      assertEquals(v.report.counts.mismatched, 0);
      assertEquals(v.report.shardProblems.length, 0);
    };

    await t.step("the untampered store passes (failed tiles, bad scales, previews)", async () => {
      const v = await verify(original, true);
      assertEquals(v.code, 0, v.text);
      assertEquals(v.report.ok, true);
      assertEquals(v.report.derivedChecked, true);
      assertEquals(JSON.stringify(v.report.derived), "[]");
      assertEquals(v.report.strayCount, 0);
      assertEquals(v.report.shards > 1, true, `only ${v.report.shards} shard(s)`);
      // In-process (one verifier) derives the same statistics as the worker pool.
      const inProcess = await verifyStore(original, { base, workers: 1 });
      assertEquals(inProcess.ok, true, JSON.stringify(inProcess.derived));
    });

    await t.step("an emptied bad_scale_pixels is found, with the recomputed counts", async () => {
      const { store } = await copy();
      await editAttributes(store, (a) => a.bad_scale_pixels = {});
      const v = await verify(store);
      failsNaming(v, "attribute bad_scale_pixels");
      const m = v.report.derived.find((m) => m.what === "attribute bad_scale_pixels")!;
      assertEquals(JSON.stringify(m.expected), JSON.stringify(group.attributes.bad_scale_pixels));
      assertEquals(JSON.stringify(m.got), "{}");
    });

    await t.step("stats_count 1 is found", async () => {
      const { store } = await copy();
      await editAttributes(store, (a) => a.stats_count = 1);
      const v = await verify(store, true);
      failsNaming(v, "attribute stats_count");
      const m = v.report.derived.find((m) => m.what === "attribute stats_count")!;
      assertEquals(m.expected, group.attributes.stats_count);
      assertEquals(m.got, 1);
      assertEquals(
        v.text.includes(`expected ${group.attributes.stats_count}, got 1`),
        true,
        v.text,
      );
    });

    await t.step("stats_band_p2 99 is found", async () => {
      const { store } = await copy();
      await editAttributes(store, (a) => a.stats_band_p2 = 99);
      failsNaming(await verify(store), "attribute stats_band_p2");
      // One element off is found as well.
      await editAttributes(store, (a) => {
        a.stats_band_p2 = [...group.attributes.stats_band_p2];
        (a.stats_band_p2 as number[])[3] = 99;
      });
      failsNaming(await verify(store), "attribute stats_band_p2");
    });

    await t.step("a flipped byte in stats/sum is found", async () => {
      const { store } = await copy();
      const key = join(store, "stats", "sum", "c", "0");
      const bytes = await Deno.readFile(key);
      bytes[Math.floor(bytes.length / 2)] ^= 0x10;
      await Deno.writeFile(key, bytes);
      failsNaming(await verify(store), "stats/sum");

      // A value changed in the decoded data is listed with both values.
      const codec = { compress: "zstd" as const, level: 3 };
      const raw = decodeChunk(await Deno.readFile(join(original, "stats", "sum", "c", "0")), codec)
        .slice();
      const sum = new Float64Array(raw.buffer);
      const expected = sum[5];
      new Uint8Array(raw.buffer)[5 * 8] ^= 0x01; // lowest mantissa bit of element 5
      const got = sum[5];
      await Deno.writeFile(key, encodeChunk(raw, codec));
      const v = await verify(store);
      failsNaming(v, "stats/sum");
      const m = v.report.derived.find((m) => m.what === "stats/sum[5]");
      assertEquals(JSON.stringify(m), JSON.stringify({ what: "stats/sum[5]", expected, got }));
    });

    await t.step("a tampered stats/sample and sum_products are found", async () => {
      const { store } = await copy();
      const codec = { compress: "zstd" as const, level: 3 };
      for (const name of ["sample", "sum_products"]) {
        const key = join(store, "stats", name, "c", "0", "0");
        const raw = decodeChunk(await Deno.readFile(key), codec).slice();
        raw[raw.length - 1] ^= 0x01;
        await Deno.writeFile(key, encodeChunk(raw, codec));
      }
      const v = await verify(store);
      failsNaming(v, "stats/sample");
      failsNaming(v, "stats/sum_products");
    });

    await t.step(
      "preview attributes that do not follow from the statistics are found",
      async () => {
        const { store } = await copy();
        await editAttributes(store, (a) => {
          (a.rgb_stretch as { min: number[] }).min[1] += 0.5;
          (a.pca_mean as number[])[0] *= 2;
        });
        const v = await verify(store);
        failsNaming(v, "attribute rgb_stretch");
        failsNaming(v, "attribute pca_mean");
        assertEquals(v.report.derived.length, 2, JSON.stringify(v.report.derived));
        assertEquals(v.text.includes(`deno task stats ${store} --bands 0,1,2`), true, v.text);
        assertEquals(v.text.includes(`deno task pca ${store}`), true, v.text);
        assertEquals(v.text.includes("--repair"), false, v.text);
      },
    );

    await t.step(
      "preview parameters are re-derived from the source each names; given ones are taken",
      async () => {
        // The build chose them from its pre-pass over the input tiles.
        assertEquals(group.attributes.pca_source?.from, "input");
        assertEquals(group.attributes.rgb_source?.from, "input");
        // Claimed to come from the store's statistics, the in-build basis does not follow.
        const wrong = await copy();
        await editAttributes(wrong.store, (a) => a.pca_source = { from: "statistics" });
        failsNaming(await verify(wrong.store), "attribute pca_components");
        // A basis the user gave (--pca-basis FILE) is not re-derived, even when it differs.
        const given = await copy();
        await editAttributes(given.store, (a) => {
          a.pca_source = { from: "given" };
          (a.pca_mean as number[])[0] *= 2;
        });
        assertEquals((await verify(given.store)).code, 0);
        // An unreadable source is named.
        const bad = await copy();
        await editAttributes(bad.store, (a) => a.rgb_source = { from: "somewhere" });
        failsNaming(await verify(bad.store), "attribute rgb_source");
      },
    );

    await t.step("stray shards outside the grid and unknown files are found", async () => {
      const { store } = await copy();
      const someShard = async (array: string) => {
        for await (const r of Deno.readDir(join(store, array, "c"))) {
          for await (const c of Deno.readDir(join(store, array, "c", r.name))) {
            return join(store, array, "c", r.name, c.name);
          }
        }
        throw new Error(`no ${array} shard`);
      };
      await Deno.mkdir(join(store, "embeddings", "c", "7", "7"), { recursive: true });
      await Deno.copyFile(
        join(await someShard("embeddings"), "0"),
        join(store, "embeddings", "c", "7", "7", "0"),
      );
      await Deno.mkdir(join(store, "scales", "c", "9"), { recursive: true });
      await Deno.copyFile(await someShard("scales"), join(store, "scales", "c", "9", "9"));
      await Deno.writeTextFile(join(store, "scales", "notes.txt"), "hello");
      const v = await verify(store);
      assertEquals(v.code, 1, v.text);
      assertEquals(v.report.ok, false);
      const keys = v.report.strays.map((s) => s.key).sort();
      assertEquals(
        JSON.stringify(keys),
        JSON.stringify(["embeddings/c/7/7/0", "scales/c/9/9", "scales/notes.txt"]),
      );
      assertEquals(v.report.strayCount, 3);
      for (const k of keys) assertEquals(v.text.includes(k), true, v.text);
      assertEquals(v.report.counts.mismatched, 0);
    });

    await t.step(
      "a grid that differs from the plan: no pixels compared, no false strays",
      async () => {
        const { store, outDir } = await copy();
        const doc = JSON.parse(await Deno.readTextFile(join(store, "scales", "zarr.json")));
        doc.shape[0] += 1;
        await Deno.writeTextFile(join(store, "scales", "zarr.json"), JSON.stringify(doc));
        const v = await verify(store);
        assertEquals(v.code, 1, v.text);
        assertEquals(v.report.pixelsChecked, false);
        assertEquals(v.report.derivedChecked, false);
        // Tiles failed, so the build kept `_build`: not a stray even when unknown which failed.
        assertEquals(v.report.strayCount, 0, JSON.stringify(v.report.strays));
        const rebuild =
          `deno task build ${base} --zones 30 --year 2024 --output-dir ${outDir} --overwrite`;
        assertEquals(v.text.includes(`${rebuild}\n`), true, v.text);
      },
    );

    await t.step("the advice names the repair command for this store", async () => {
      const { store, outDir } = await copy();
      const command =
        `deno task build ${base} --zones 30 --year 2024 --output-dir ${outDir} --repair`;
      // A shard whose index CRC is broken…
      const shard = join(store, "scales", "c", "0", "0");
      const bytes = await Deno.readFile(shard);
      bytes[bytes.length - 2] ^= 0xff;
      await Deno.writeFile(shard, bytes);
      let v = await verify(store);
      assertEquals(v.code, 1);
      assertEquals(v.report.shardProblems.length, 1, JSON.stringify(v.report.shardProblems));
      assertEquals(v.text.includes(command), true, v.text);
      assertEquals(v.text.includes("delete it and rebuild"), false, v.text);
      assertEquals(JSON.stringify(v.report).includes("delete it and rebuild"), false);
      // …and statistics that differ are both fixed by a repair.
      await Deno.writeFile(shard, await Deno.readFile(join(original, "scales", "c", "0", "0")));
      await editAttributes(store, (a) => a.stats_count = 1);
      v = await verify(store);
      assertEquals(v.code, 1);
      assertEquals(v.text.includes(command), true, v.text);
      // Following the advice works: the store is byte-identical again and verifies.
      bytes[bytes.length - 2] ^= 0xff;
      await Deno.writeFile(shard, new Uint8Array(bytes.subarray(0, 5000)));
      const repaired = await runCli("build", command.split(" ").slice(3));
      assertEquals(repaired.code, 1, repaired.stderr); // the defect tiles still fail, by name
      assertEquals((await diffTrees(original, store)).join("\n"), "");
      assertEquals((await verify(store)).code, 0);
    });
  });
});
