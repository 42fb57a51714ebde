/** `deno task cluster slurm|k8s [BASE]`: run a build as N scheduler tasks, then finalise (SPEC §11). */
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseIntFlag, parseTaskArgs, runTask } from "../lib/cli/args.ts";
import { DEFAULT_YEAR, parseSelection, SELECTION_FLAGS } from "../lib/cli/selection.ts";
import { LAYOUT_FLAGS, parseLayoutFlags } from "../lib/cli/layout_flags.ts";
import { checkOutputDir } from "../lib/cli/paths.ts";
import { defaultOutputDir, noTilesSelected, resolveBase } from "../lib/data_location.ts";
import { TesseraError } from "../lib/errors.ts";
import { planZones } from "../lib/plan/zone_plan.ts";
import { listTiles } from "../lib/tiles/tile_list.ts";
import { zoneBandCount } from "../lib/tiles/band_count.ts";
import { balance, sliceItems, workList } from "../lib/cluster/work_list.ts";
import { parseTasks } from "../lib/cluster/shard_flag.ts";
import {
  CLUSTER_SPOOL_MIB,
  type ClusterBuild,
  memoryNote,
  taskMemoryMiB,
} from "../lib/cluster/build_command.ts";
import { applyRemoteFlags, REMOTE_FLAGS } from "../lib/cli/remote_flags.ts";
import { isUrl } from "../lib/tiles/remote.ts";
import { clusterDir, k8sFiles, slurmFiles } from "../lib/cluster/files.ts";
import {
  jobStates,
  slurmBuildScript,
  slurmFinalizeScript,
  type SlurmJobState,
  submitSlurm,
  waitForJob,
} from "../lib/cluster/slurm.ts";
import { k8sBuildJob, k8sFinalizeJob, k8sRunCommands, toYaml } from "../lib/cluster/k8s.ts";
import { onInterrupt } from "../lib/cli/interrupt.ts";

const USAGE = `
deno task cluster slurm [BASE] [build options] --tasks N [slurm options]
deno task cluster k8s [BASE] [build options] --tasks N --image IMG --pvc NAME [k8s options]

Writes the scheduler files that build the stores of BASE as N parallel tasks — each task one
slice of the work list (build --shard), balanced by expected work across every selected zone —
and a finalise step (build --finalize) that runs once every slice succeeded. The files go to
OUTPUT_DIR/cluster/. Step by step: docs/cluster.md.

BASE may be an http(s):// URL serving the published tiles (with its registry): the tasks
then fetch their tiles themselves, no node needs a copy (give --output-dir; each task's spool
takes ${CLUSTER_SPOOL_MIB} MiB of shared memory, added to its memory, then its $TMPDIR).

Build options (passed to every task, as deno task build takes them):
  --zones LIST        UTM zones (default: every zone with tiles)
  --year YYYY         year (default 2024)
  --output-dir DIR    where stores go (default BASE/zarr); every node must see it
  --workers N         shard builders per task = CPUs per task (default 2)
  --compress MODE     embeddings codec: none (default) or zstd
  --bands N           embedding bands (default: each zone's most common count)
  --registry-dir DIR  where registry.parquet is
  --layout, --dataset, --landmask-version  the tile layout, as for deno task build
  --registry, --connections, --timeout, --retries, --check-hashes, --cache-dir
                      reading over HTTP, as for deno task build (a --cache-dir must be a
                      folder every node sees)
  --rgb, --pca        the finalise step also writes the RGB / PCA previews
  --tasks N           slices = array tasks / Indexed Job completions (required)
  --mem M             memory per task, e.g. 2G or 900M (default: computed from workers ×
                      one shard's buffers, stated in the files)

SLURM options:
  --partition P       #SBATCH --partition
  --time T            #SBATCH --time (e.g. 2:00:00)
  --submit            submit the array (sbatch --array=0-(N-1)) and the finalise job after it
                      (--dependency=afterok:<array job>); prints both job ids
  --indices LIST      with --submit: submit only these array indices (e.g. 1,4: slices that
                      failed) and a new finalise job after them
  --wait              with --submit: wait for the finalise job; exit with its status

Kubernetes options:
  --image IMG         container image holding the toolkit and deno (required)
  --pvc NAME          ReadWriteMany PersistentVolumeClaim with BASE and the output (required)
  --mount DIR         where the claim is mounted in the pods (default /data)
  --pod-base DIR      BASE as the pods see it (default: the mount)
  --pod-output-dir DIR  the output dir as the pods see it (default: the output dir's place
                      under BASE, mapped under --pod-base)
  --toolkit-dir DIR   the toolkit's folder in the image (default /app)
  --parallelism P     pods at once (default N)
  --namespace NS      metadata.namespace of both Jobs

  --json              print what was written (and submitted) as JSON
  -h, --help          this help

Exit code: 0 when the files were written (and submitted; with --wait: when the finalise job
succeeded), 1 when a submitted job failed or no tile matches, 2 on bad usage.
`;

const TOOLKIT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

await runTask("cluster", async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    name: "cluster",
    usage: USAGE,
    options: {
      ...SELECTION_FLAGS,
      "output-dir": { type: "string" },
      compress: { type: "string" },
      bands: { type: "string" },
      "registry-dir": { type: "string" },
      ...LAYOUT_FLAGS,
      ...REMOTE_FLAGS,
      rgb: { type: "boolean" },
      pca: { type: "boolean" },
      tasks: { type: "string" },
      mem: { type: "string" },
      partition: { type: "string" },
      time: { type: "string" },
      submit: { type: "boolean" },
      indices: { type: "string" },
      wait: { type: "boolean" },
      image: { type: "string" },
      pvc: { type: "string" },
      mount: { type: "string" },
      "pod-base": { type: "string" },
      "pod-output-dir": { type: "string" },
      "toolkit-dir": { type: "string" },
      parallelism: { type: "string" },
      namespace: { type: "string" },
    },
    positionals: ["SCHEDULER", "[BASE]"],
  });
  const bad = (m: string) => new TesseraError("BadArgument", m);
  const scheduler = positionals[0];
  if (scheduler !== "slurm" && scheduler !== "k8s") {
    throw bad(`the scheduler must be slurm or k8s, got "${scheduler}" (see --help)`);
  }
  const tasks = parseTasks(values.tasks);
  if (tasks === undefined) throw bad("--tasks N is required: the number of slices");
  const { zones, years, workers, json } = parseSelection(values);
  const year = years?.[0] ?? DEFAULT_YEAR;
  const bandsFlag = parseIntFlag(values.bands, "bands", 1, 1024);
  const compress = values.compress ?? "none";
  if (compress !== "none" && compress !== "zstd") {
    throw bad(`--compress must be none or zstd, got "${compress}"`);
  }
  if (values.mem !== undefined && !/^\d+[KMGT]?$/.test(values.mem)) {
    throw bad(`--mem must be a size such as 900M or 2G, got "${values.mem}"`);
  }
  const slurmOnly = ["partition", "time", "submit", "indices", "wait"] as const;
  const k8sOnly = [
    "image",
    "pvc",
    "mount",
    "pod-base",
    "pod-output-dir",
    "toolkit-dir",
    "parallelism",
    "namespace",
  ] as const;
  for (const k of scheduler === "slurm" ? k8sOnly : slurmOnly) {
    if (values[k] !== undefined) {
      throw bad(`--${k} is a ${scheduler === "slurm" ? "k8s" : "slurm"} option`);
    }
  }
  if (values.wait && !values.submit) throw bad("--wait goes with --submit");
  if (values.indices !== undefined) {
    if (!values.submit) throw bad("--indices goes with --submit");
    const ks = values.indices.split(",").map(Number);
    if (!ks.every((k) => Number.isInteger(k) && k >= 0 && k < tasks) || !ks.length) {
      throw bad(`--indices must list array indices in 0..${tasks - 1}, got "${values.indices}"`);
    }
  }
  if (scheduler === "k8s" && (!values.image || !values.pvc)) {
    throw bad(
      "cluster k8s needs --image IMG (the toolkit's image) and --pvc NAME (the " +
        "ReadWriteMany claim holding BASE and the output)",
    );
  }
  const parallelism = parseIntFlag(values.parallelism, "parallelism", 1, 100_000);

  // Checked here, and set for this process's own reads (tile list, band vote).
  const registry = applyRemoteFlags(values);
  const registryDirFlag = values["registry-dir"] && resolve(values["registry-dir"]);
  const registryDir = registry ?? registryDirFlag;
  const layout = parseLayoutFlags(values);
  const given = await resolveBase(positionals[1], { quiet: json, registryDir, layout });
  const remote = isUrl(given);
  const base = remote ? given : resolve(given);
  const outputDir = resolve(values["output-dir"] ?? defaultOutputDir(base));
  await checkOutputDir(outputDir, values["output-dir"] ? "--output-dir" : "the output directory");
  const list = await listTiles(base, { year, zones, registryDir });
  if (list.tiles.length === 0) {
    throw await noTilesSelected(base, { years: [year], zones, registryDir });
  }
  const plans = planZones(list.tiles);
  const work = workList(plans, tasks);
  const shards = work.items.length;
  let bands = bandsFlag ?? 0;
  if (bandsFlag === undefined) {
    for (const p of plans) bands = Math.max(bands, await zoneBandCount(base, p));
  }
  const spoolMiB = remote ? CLUSTER_SPOOL_MIB : 0;
  const mib = taskMemoryMiB(workers, bands) + spoolMiB;
  const mem = values.mem ?? `${mib}M`;
  const memNote = memoryNote(workers, bands, mib, values.mem, spoolMiB);
  const memMiB = values.mem ? toMiB(values.mem) : mib;

  const build: ClusterBuild = {
    base,
    outputDir,
    year,
    zones,
    workers,
    compress,
    bands: bandsFlag,
    registryDir: registryDirFlag,
    tasks,
    rgb: values.rgb,
    pca: values.pca,
    layout,
    remote: {
      registry: registry && (isUrl(registry) ? registry : resolve(registry)),
      connections: values.connections,
      timeout: values.timeout,
      retries: values.retries,
      checkHashes: values["check-hashes"],
      cacheDir: values["cache-dir"] && resolve(values["cache-dir"]),
    },
    env: remote ? { TZ_SPOOL_MEMORY_MB: String(CLUSTER_SPOOL_MIB) } : undefined,
  };
  const summary = {
    scheduler,
    base,
    outputDir,
    year,
    tasks,
    shards,
    stores: plans.length,
    balance: balance(work),
    slices: Array.from({ length: tasks }, (_, k) => ({
      slice: k,
      shards: [...sliceItems(work, k).values()].reduce((a, l) => a + l.length, 0),
      expectedWork: work.load[k],
    })),
    memory: mem,
  };
  await Deno.mkdir(clusterDir(outputDir), { recursive: true });
  const say = (line: string) => json || console.log(line);
  say(
    `${shards} shards of ${plans.length} store(s) in ${tasks} slices: ` +
      `${Math.floor(shards / tasks)}–${Math.ceil(shards / tasks)} shards per slice ` +
      `by count, slowest slice ${(summary.balance * 100 - 100).toFixed(1)} % above the mean ` +
      "by expected work",
  );
  if (tasks > shards) {
    say(`  note: ${tasks - shards} slice(s) have no shard (more tasks than shards)`);
  }
  say(`  ${memNote}`);

  if (scheduler === "slurm") {
    const files = slurmFiles(outputDir, year);
    await Deno.mkdir(files.logs, { recursive: true });
    const opts = {
      deno: Deno.execPath(),
      toolkit: TOOLKIT,
      logs: files.logs,
      mem,
      memNote,
      partition: values.partition,
      time: values.time,
      buildScript: files.build,
      finalizeScript: files.finalize,
    };
    await Deno.writeTextFile(files.build, slurmBuildScript(build, opts), { mode: 0o755 });
    await Deno.writeTextFile(files.finalize, slurmFinalizeScript(build, opts), { mode: 0o755 });
    say(`Wrote ${files.build}\n  and ${files.finalize}`);
    if (!values.submit) {
      say(
        `Submit with: deno task cluster slurm … --submit, or by hand:\n` +
          `  jid=$(sbatch --parsable --array=0-${tasks - 1} ${files.build})\n` +
          `  sbatch --dependency=afterok:$jid --kill-on-invalid-dep=yes ${files.finalize}`,
      );
      if (json) console.log(JSON.stringify({ ...summary, files }, null, 2));
      return 0;
    }
    const sub = await submitSlurm(files.build, files.finalize, tasks, values.indices);
    say(`Submitted array job ${sub.arrayJob} (indices ${sub.indices})`);
    say(`Submitted finalise job ${sub.finalizeJob} (after every array task succeeds)`);
    say(`Progress: deno task status ${outputDir}; logs in ${files.logs}`);
    if (!values.wait) {
      if (json) console.log(JSON.stringify({ ...summary, files, submitted: sub }, null, 2));
      return 0;
    }
    const stop = onInterrupt("cluster");
    let end: SlurmJobState;
    try {
      end = await waitForJob(sub.finalizeJob, { signal: stop.signal });
    } catch (e) {
      if (!stop.received) throw e;
      console.error(
        `cluster: stopped waiting (${stop.received}); jobs ${sub.arrayJob} and ` +
          `${sub.finalizeJob} keep running (squeue; scancel to stop them)`,
      );
      return 1;
    } finally {
      stop.dispose();
    }
    const ok = end.state === "COMPLETED" && (end.exitCode ?? 0) === 0;
    const failedSlices: { slice: string; state: string }[] = [];
    if (!ok) {
      // A task cancelled while pending may have no record left: not completed all the same.
      const states = new Map(
        (await jobStates(sub.arrayJob)).map((t) => [t.arrayTaskId, t.state] as const),
      );
      for (const k of expandIndices(sub.indices)) {
        const state = states.get(String(k)) ?? "CANCELLED";
        if (state !== "COMPLETED") failedSlices.push({ slice: String(k), state });
      }
    }
    if (json) {
      console.log(
        JSON.stringify({ ...summary, files, submitted: sub, finalize: end, failedSlices }, null, 2),
      );
    }
    if (ok) {
      say(`Finalise job ${sub.finalizeJob} completed: the stores are in ${outputDir}`);
      return 0;
    }
    const again = failedSlices.map((f) => f.slice).join(",");
    console.error(
      `cluster: finalise job ${sub.finalizeJob} ended ${end.state}` +
        `${end.reason && end.reason !== "None" ? ` (${end.reason})` : ""}` +
        (failedSlices.length
          ? `; array tasks that did not complete: ${
            failedSlices.map((f) => `${f.slice} (${f.state})`).join(", ")
          }. Run them again with: deno task cluster slurm … --submit --indices ${again}` +
            ` (or sbatch --array=${again} ${files.build}, then the finalise script)`
          : `; see ${files.logs}/finalize-${sub.finalizeJob}.out`),
    );
    return end.exitCode && end.exitCode > 0 ? end.exitCode : 1;
  }

  // Kubernetes: paths as the pods see them.
  const mountPath = values.mount ?? "/data";
  const podBase = values["pod-base"] ?? mountPath;
  const onPod = (hostPath: string, flag: string, podFlag: string) => {
    const rel = relative(base, hostPath);
    if (rel.startsWith("..") || resolve(base, rel) !== hostPath) {
      throw bad(
        `${flag} ${hostPath} is not under BASE (${base}): give ${podFlag} (its path in the pods)`,
      );
    }
    return rel ? `${podBase.replace(/\/$/, "")}/${rel}` : podBase;
  };
  if (remote && values["cache-dir"]) {
    throw bad("--cache-dir with k8s and a URL BASE: pods see only the claim; leave it out");
  }
  if (remote && !values["pod-output-dir"]) {
    throw bad(`BASE is a URL: give --pod-output-dir (the output dir as the pods see it)`);
  }
  const podBuild: ClusterBuild = remote ? { ...build, outputDir: values["pod-output-dir"]! } : {
    ...build,
    base: podBase,
    outputDir: values["pod-output-dir"] ?? onPod(outputDir, "--output-dir", "--pod-output-dir"),
    registryDir: registryDirFlag && onPod(registryDirFlag, "--registry-dir", "--pod-base"),
  };
  const k8s = {
    image: values.image!,
    pvc: values.pvc!,
    mountPath,
    toolkit: values["toolkit-dir"] ?? "/app",
    parallelism,
    memoryMiB: memMiB,
    namespace: values.namespace,
  };
  const files = k8sFiles(outputDir, year);
  const run = k8sRunCommands(build, files.build, files.finalize, values.namespace);
  const comments = (what: string) => [
    `tessera-zones: ${what}; written by deno task cluster k8s.`,
    `The claim ${k8s.pvc} must be ReadWriteMany (every pod mounts it at ${mountPath}).`,
    "Run, in order:",
    ...run.map((c) => `  ${c}`),
    memNote,
  ];
  await Deno.writeTextFile(
    files.build,
    toYaml(
      k8sBuildJob(podBuild, k8s),
      comments(`build ${year} as an Indexed Job of ${tasks} slices`),
    ),
  );
  await Deno.writeTextFile(
    files.finalize,
    toYaml(k8sFinalizeJob(podBuild, k8s), comments(`finalise the ${tasks}-slice build of ${year}`)),
  );
  if (json) console.log(JSON.stringify({ ...summary, files, run }, null, 2));
  say(
    `Wrote ${files.build}\n  and ${files.finalize}\nRun, in order:\n${
      run.map((c) => `  ${c}`).join("\n")
    }`,
  );
  return 0;
});

/** "0-2" or "1,4" (an sbatch --array list) as the indices it names. */
function expandIndices(list: string): number[] {
  return list.split(",").flatMap((part) => {
    const [a, b] = part.split("-").map(Number);
    return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

function toMiB(size: string): number {
  const m = /^(\d+)([KMGT]?)$/.exec(size)!;
  const scale = { "": 1, K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 }[m[2]]!;
  return Math.ceil(Number(m[1]) * scale);
}
