/**
 * `deno task demo`: the main job end to end on the bundled sample data — make the sample
 * dataset if needed, scan it, build every zone store — using the same tasks a user runs.
 */
import { parseTaskArgs, runTask } from "../lib/cli/args.ts";
import {
  defaultOutputDir,
  ensureSample,
  SAMPLE_DIR,
  sampleLocation,
  withSampleLock,
} from "../lib/data_location.ts";

const USAGE = `
deno task demo [--workers N]

Generates the sample dataset (${SAMPLE_DIR}, first run only: 16 tiles × 128 bands in zones
30, 31, 35 and 37, about 2 GB), scans it, and builds one Zarr store per zone, with RGB and PCA
previews, into ${defaultOutputDir(SAMPLE_DIR)}. Then "deno task serve" shows them.
`;

await runTask("demo", async () => {
  const { values } = parseTaskArgs(Deno.args, {
    name: "demo",
    usage: USAGE,
    options: { workers: { type: "string" } },
    positionals: [],
  });
  const sample = sampleLocation().dir;
  // Held throughout, so a notebook or test making the sample stores meanwhile waits for these.
  return await withSampleLock(() => demo(sample, values.workers ?? "2"));
});

async function demo(sample: string, workers: string): Promise<number> {
  await ensureSample();
  const run = async (title: string, args: string[]) => {
    console.log(`\n== ${title}: deno task ${args.join(" ")}\n`);
    const [task, ...rest] = args;
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(`./${task}.ts`, import.meta.url).pathname, ...rest],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    return code;
  };
  const scan = await run("Scan the sample dataset", ["scan", sample]);
  const build = await run("Build every zone store", [
    "build",
    sample,
    "--workers",
    workers,
    "--resume", // a second demo continues or keeps the stores instead of refusing
    "--rgb",
    "--pca",
  ]);
  console.log(
    `\nDone. Stores are in ${defaultOutputDir(sample)}; view them with \`deno task serve\`, ` +
      "or open one with zarrita or xarray.",
  );
  return scan || build;
}
