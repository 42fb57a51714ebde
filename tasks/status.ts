/** `deno task status OUTPUT_DIR`: how far a (sliced) build of the stores in OUTPUT_DIR got. */
import { parseTaskArgs, runTask } from "../lib/cli/args.ts";
import { requireStoreFolder } from "../lib/cli/paths.ts";
import { buildStatus } from "../lib/cluster/status.ts";

const USAGE = `
deno task status OUTPUT_DIR [--json]

For every utm{ZZ}_{YYYY}.zarr store in OUTPUT_DIR: shards built of the planned total, tiles
that failed so far, and — for a build run as slices (build --shard, deno task cluster) —
each slice's progress, whether it is running now (its lock is held), and which slices are
behind. Reads only the stores' files: safe while the array runs, from any node.

Options:
  --json      print the status as JSON
  -h, --help  this help

Exit code: 0 when the status was read, 1 when OUTPUT_DIR holds no store, 2 on bad usage
(OUTPUT_DIR missing or a file).
`;

await runTask("status", async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    name: "status",
    usage: USAGE,
    options: { json: { type: "boolean" } },
    positionals: ["OUTPUT_DIR"],
  });
  const dir = positionals[0];
  const names = await requireStoreFolder(dir);
  const status = await buildStatus(dir, names);
  if (values.json) {
    console.log(JSON.stringify({ dir, ...status }, null, 2));
    return 0;
  }
  for (const s of status.stores) {
    const total = s.shardsTotal === undefined ? "?" : String(s.shardsTotal);
    const what = {
      complete: "complete",
      ready: "every shard built; waiting for build --finalize",
      building: `building (${s.slices} slices)`,
      unknown: "unfinished (not a sliced build: its shard total is not recorded)",
    }[s.state];
    const shards = s.state === "complete" ? "" : `${s.shardsDone}/${total} shards, `;
    console.log(`${s.store}: ${shards}${what}`);
    if (s.failedTiles.length) {
      console.log(`  failed tiles (${s.failedTiles.length}): ${s.failedTiles.join(", ")}`);
    }
    for (const p of s.perSlice) {
      if (p.done < p.total || p.running) {
        console.log(
          `  slice ${p.slice}: ${p.done}/${p.total} shards${p.running ? ", running" : ""}`,
        );
      }
    }
  }
  if (status.behind.length) {
    const idle = status.behind.filter((b) => !b.running).map((b) => b.slice);
    console.log(
      `Slices behind: ${
        status.behind.map((b) => `${b.slice} (${b.done}/${b.total}${b.running ? ", running" : ""})`)
          .join(", ")
      }`,
    );
    if (idle.length) {
      console.log(
        `Not running: ${idle.join(",")} — if their tasks ended, run them again ` +
          `(sbatch --array=${idle.join(",")} OUTPUT_DIR/cluster/slurm-build-YYYY.sbatch, ` +
          "or build … --shard K/N)",
      );
    }
  }
  return 0;
});
