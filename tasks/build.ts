/** `deno task build [BASE]`: one sharded Zarr v3 store per UTM zone and year (SPEC §4). */
import { parseIntFlag, parseIntList, parseTaskArgs, runTask } from "../lib/cli/args.ts";
import { progress } from "../lib/cli/progress.ts";
import { defaultOutputDir, resolveBase } from "../lib/data_location.ts";
import { TesseraError } from "../lib/errors.ts";
import { buildZone, type ZoneBuildResult } from "../lib/build/build_zone.ts";
import { planZones, storeName } from "../lib/build/zone_plan.ts";
import { planShards } from "../lib/build/shard_plan.ts";
import { summarisePlan } from "../lib/scan/scan.ts";
import { listTiles } from "../lib/tiles/tile_list.ts";
import { formatZoneTable } from "../lib/scan/format.ts";
import { type PreviewResult, writePreviews } from "../lib/preview/preview_pass.ts";
import { describePreviews } from "../lib/preview/report.ts";

const USAGE = `
deno task build [BASE] [options]

Builds utm{ZZ}_{YYYY}.zarr stores (Zarr v3, sharded) from the tiles under BASE.
BASE defaults to $TESSERA_DATA, else to the bundled sample dataset (made on first use).

Options:
  --zones LIST        UTM zones to build, e.g. 30,31 (default: every zone with tiles)
  --year YYYY         year to build (default 2024)
  --output-dir DIR    where stores go (default BASE/zarr)
  --workers N         parallel shard builders (default 2; memory ≈ N × 140 MB)
  --dry-run           print the zone table and grid sizes, write nothing
  --resume            continue an interrupted build: redo only shards not finished
  --compress MODE     embeddings codec: none (default) or zstd
  --registry-dir DIR  where registry.parquet is (default: BASE, its parent or grandparent)
  --shard K/N         build only every N-th shard from K (scale-out; no finalisation)
  --rgb               then write the RGB preview of each finished store (as deno task stats)
  --pca               then write the PCA preview of each finished store (as deno task pca)
  --json              print the result as JSON
  -h, --help          this help

Tiles with defect scale values (inf, FLT_MAX, ≤ 0, absurd) are used, those pixels stored as no
data, and listed as warnings (attribute bad_scale_pixels).
Exit code: 0 when every tile was used, 1 when any tile or shard failed, 2 on bad usage.
`;

await runTask("build", async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    name: "build",
    usage: USAGE,
    options: {
      zones: { type: "string" },
      year: { type: "string" },
      "output-dir": { type: "string" },
      workers: { type: "string" },
      "dry-run": { type: "boolean" },
      resume: { type: "boolean" },
      compress: { type: "string" },
      "registry-dir": { type: "string" },
      shard: { type: "string" },
      rgb: { type: "boolean" },
      pca: { type: "boolean" },
      json: { type: "boolean" },
    },
  });
  const quiet = values.json;
  const zones = parseIntList(values.zones, "zones", 1, 60);
  const year = parseIntFlag(values.year, "year", 1900, 2200) ?? 2024;
  const workers = parseIntFlag(values.workers, "workers", 1, 64) ?? 2;
  const compress = values.compress ?? "none";
  if (compress !== "none" && compress !== "zstd") {
    throw new TesseraError("BadArgument", `--compress must be none or zstd, got "${compress}"`);
  }
  let slice: { k: number; n: number } | undefined;
  if (values.shard) {
    const m = /^(\d+)\/(\d+)$/.exec(values.shard);
    if (!m || +m[1] >= +m[2]) {
      throw new TesseraError(
        "BadArgument",
        `--shard must be K/N with 0 ≤ K < N, got "${values.shard}"`,
      );
    }
    slice = { k: +m[1], n: +m[2] };
  }
  const base = await resolveBase(positionals[0], { quiet });
  const outputDir = values["output-dir"] ?? defaultOutputDir(base);
  const list = await listTiles(base, { year, zones, registryDir: values["registry-dir"] });
  if (list.tiles.length === 0) {
    throw new TesseraError(
      "BadArgument",
      `no tiles for year ${year}${zones ? ` in zone(s) ${zones.join(",")}` : ""} under ${base}`,
    );
  }
  const plans = planZones(list.tiles);
  if (!quiet) {
    console.log(
      `Data: ${base} (${
        list.source === "registry" ? `registry ${list.registryPath}` : "directory walk"
      })`,
    );
    console.log(
      `  ${list.tiles.length} tiles for ${year} in ${plans.length} zone(s)` +
        (list.zoneFilteredOut ? ` (skipped ${list.zoneFilteredOut} in other zones)` : ""),
    );
    console.log(formatZoneTable(plans.map(summarisePlan), plans.map((p) => planShards(p).length)));
  }
  if (values["dry-run"]) {
    if (quiet) {
      console.log(
        JSON.stringify({ base, year, outputDir, zones: plans.map(summarisePlan) }, null, 2),
      );
    }
    return 0;
  }
  const results: ZoneBuildResult[] = [];
  const previews: PreviewResult[] = [];
  const previewErrors: { store: string; message: string }[] = [];
  for (const plan of plans) {
    let bar: ReturnType<typeof progress> | undefined;
    const r = await buildZone(plan, {
      base,
      outputDir,
      workers,
      resume: values.resume,
      compress,
      slice,
      onPlanned: (todo, total) => {
        if (!quiet && todo < total) {
          console.log(
            `  ${storeName(plan.zone, plan.year)}: ${total - todo} of ${total} shards already done`,
          );
        }
        bar = progress(`utm${plan.zone}`, todo, { quiet });
      },
      onShard: () => bar?.tick(),
    });
    bar?.stop();
    results.push(r);
    if (!quiet) {
      const state = r.complete
        ? "complete"
        : r.shardErrors.length
        ? "INCOMPLETE (resume with --resume)"
        : "partial (--shard)";
      console.log(
        `  ${r.store}: ${r.shardsBuilt} shards built, ${r.shardsReused} reused, ` +
          `${(r.bytesWritten / 2 ** 20).toFixed(1)} MiB in ${r.seconds.toFixed(1)} s — ${state}`,
      );
    }
    if ((values.rgb || values.pca) && r.complete) {
      const request = { rgb: values.rgb ? {} : undefined, pca: values.pca };
      try {
        const p = await writePreviews(r.path, request, {
          workers,
          progress: (l, n) => progress(l, n, { quiet }),
        });
        previews.push(p);
        if (!quiet) describePreviews(p).forEach((line) => console.log(line));
      } catch (e) {
        if (!(e instanceof TesseraError)) throw e;
        previewErrors.push({ store: r.store, message: e.message });
        if (!quiet) console.log(`  ${r.store}: previews FAILED: ${e.message}`);
      }
    } else if ((values.rgb || values.pca) && !quiet) {
      console.log(`  ${r.store}: no previews (the store is not complete)`);
    }
  }
  const failures = results.flatMap((r) => r.failures.map((f) => ({ store: r.store, ...f })));
  const shardErrors = results.flatMap((r) => r.shardErrors.map((e) => ({ store: r.store, ...e })));
  if (quiet) {
    console.log(
      JSON.stringify({ base, year, outputDir, results, previews, previewErrors }, null, 2),
    );
  } else {
    if (failures.length) {
      console.log(
        `\n${failures.length} tile problem(s); their pixels are left to neighbouring tiles or fill:`,
      );
      for (const f of failures) console.log(`  ${f.store} ${f.tile}: [${f.kind}] ${f.message}`);
    }
    for (const e of shardErrors) {
      console.log(`  ${e.store} shard ${e.row},${e.col} failed: ${e.message.split("\n")[0]}`);
    }
    const warnings = results.flatMap((r) => r.badScales.map((w) => ({ store: r.store, ...w })));
    if (warnings.length) {
      console.log(
        `\n${warnings.length} tile(s) with bad scale values (used, bad pixels as no data):`,
      );
      for (const w of warnings) {
        console.log(`  ${w.store} ${w.tile}: [${w.kind}] ${w.path}: ${w.message}`);
      }
    }
    console.log(`\nStores in ${outputDir}`);
  }
  return failures.length || shardErrors.length || previewErrors.length ? 1 : 0;
});
