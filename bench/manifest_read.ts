/**
 * Benchmark: reading the public layout's manifest.parquet (upstream's columns, with its path
 * strings and the version/variant columns decoded to keep the dataset's rows) against reading
 * a registry.parquet of the same tiles (the baseline, measured in the same run). Each read
 * runs in its own child process; CPU seconds (user + system) and peak RSS are reported, as
 * wall time is noisy on a shared machine.
 *
 *   deno run -A bench/manifest_read.ts [--rows 1000000]
 */
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { cpuUsage } from "node:process";
import { join } from "node:path";
import { readManifest } from "../lib/tiles/manifest.ts";
import { writeManifest } from "../lib/tiles/manifest_write.ts";
import { readRegistry } from "../lib/tiles/registry.ts";
import { writeRegistry } from "../lib/tiles/registry_write.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: { rows: { type: "string", default: "1000000" }, child: { type: "string" } },
});

if (args.child) {
  const [kind, path] = args.child.split("=");
  const reg = kind === "manifest" ? await readManifest(path, "v1.1-cam") : await readRegistry(path);
  const cpu = cpuUsage();
  const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  console.log(
    JSON.stringify({ rows: reg.n, cpuS: (cpu.user + cpu.system) / 1e6, rssMB: Number(hwm) / 1024 }),
  );
  Deno.exit(0);
}

const n = Number(args.rows);
const dir = await Deno.makeTempDir({ prefix: "tz-bench-manifest-" });
try {
  const rows = Array.from({ length: n }, (_, i) => ({
    year: 2024,
    lonI: -17995 + 10 * (i % 3600),
    latI: -8995 + 10 * Math.floor(i / 3600),
    gridSize: 155_000_000,
    scalesSize: 4_800_000,
    fileSize: 155_000_000,
    hash: "ab".repeat(32),
    scalesHash: "cd".repeat(32),
    mtimeS: 1_700_000_000,
  }));
  await writeManifest(join(dir, "manifest.parquet"), "v1.1-cam", rows);
  await writeRegistry(join(dir, "registry.parquet"), rows);
  const run = async (kind: string) => {
    const file = join(dir, `${kind}.parquet`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(import.meta.url).pathname, "--child", `${kind}=${file}`],
      stdout: "piped",
    }).output();
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    return { ...r, fileMB: (await Deno.stat(file)).size / 2 ** 20 };
  };
  const base = await run("registry");
  const man = await run("manifest");
  for (const [name, r] of [["registry.parquet", base], ["manifest.parquet", man]] as const) {
    console.log(
      `${name}: ${r.rows} rows, ${r.fileMB.toFixed(1)} MB, ${r.cpuS.toFixed(2)} CPU-s, ` +
        `${r.rssMB.toFixed(0)} MB peak RSS`,
    );
  }
  console.log(
    `manifest ÷ registry: ${(man.cpuS / base.cpuS).toFixed(2)}× CPU, ` +
      `${(man.rssMB / base.rssMB).toFixed(2)}× RSS`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
