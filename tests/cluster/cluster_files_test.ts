/**
 * The scheduler files `deno task cluster` writes, without a scheduler: the SLURM scripts
 * (valid bash, the directives and memory they state, the slice command), the Kubernetes
 * Indexed Job and finalise Job (parsed back from the YAML and validated against the
 * Kubernetes API schemas by kubernetes-models; no cluster runs them here), the pods'
 * commands run as the pods would (JOB_COMPLETION_INDEX = 0..N-1, then the finalise) giving
 * stores byte-identical to a one-machine build, `deno task status` on a build in progress,
 * and usage errors.
 */
import { join } from "node:path";
// Test-only dependencies (a YAML reader, the Kubernetes API schemas), pinned in deno.json.
import YAML from "yaml";
import { Job } from "kubernetes-models/batch/v1/Job";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { runCli } from "../helpers/cli.ts";
import { withTmp } from "../helpers/env.ts";
import { diffTrees } from "../helpers/store_files.ts";
import { printed } from "../cli/helpers.ts";
import { toYaml } from "../../lib/cluster/k8s.ts";
import { withNginx } from "../helpers/nginx.ts";

const STORES = ["utm30_2024.zarr", "utm31_2024.zarr"];

Deno.test("cluster files: SLURM scripts, Kubernetes Jobs, status", async (t) => {
  await withTmp("tz-cluster-files-", async (dir) => {
    const base = join(dir, "ds");
    await fixtureDataset({ out: base, tiles: 2, bands: 8, groups: ["greenwich"] });

    await t.step("slurm: a job-array script and a finalise script", async () => {
      const out = join(dir, "slurm");
      const r = await runCli("cluster", [
        "slurm",
        base,
        "--output-dir",
        out,
        "--tasks",
        "3",
        "--workers",
        "1",
        "--partition",
        "main",
        "--time",
        "0:30:00",
        "--rgb",
        "--json",
      ]);
      assertEquals(r.code, 0, printed(r));
      const report = JSON.parse(r.stdout);
      assertEquals(report.shards, 12);
      assertEquals(report.slices.map((s: { shards: number }) => s.shards).join(","), "4,4,4");
      const build = await Deno.readTextFile(report.files.build);
      const fin = await Deno.readTextFile(report.files.finalize);
      for (
        const line of [
          "#SBATCH --array=0-2",
          "#SBATCH --cpus-per-task=1",
          "#SBATCH --mem=256M",
          "#SBATCH --partition=main",
          "#SBATCH --time=0:30:00",
          "# memory per task: 1 worker(s) × 34 MiB (one 1024 × 1024 shard of 8 bands each)",
          "--shard slurm --tasks 3",
        ]
      ) assertEquals(build.includes(line), true, `${line}\n${build}`);
      assertEquals(build.includes("--rgb"), false, "previews belong to the finalise step");
      assertEquals(fin.includes("--finalize --tasks 3 --rgb"), true, fin);
      assertEquals(fin.includes("#SBATCH --array"), false, fin);
      for (const f of [report.files.build, report.files.finalize]) {
        const syntax = await new Deno.Command("bash", { args: ["-n", f], stderr: "piped" })
          .output();
        assertEquals(syntax.success, true, new TextDecoder().decode(syntax.stderr));
        assertEquals(((await Deno.stat(f)).mode! & 0o111) !== 0, true, `${f} is not executable`);
      }
      // --mem given: stated next to the computed figure.
      const r2 = await runCli("cluster", [
        "slurm",
        base,
        "--output-dir",
        out,
        "--tasks",
        "2",
        "--mem",
        "2G",
      ]);
      assertEquals(r2.code, 0, printed(r2));
      const b2 = await Deno.readTextFile(join(out, "cluster/slurm-build-2024.sbatch"));
      assertEquals(b2.includes("#SBATCH --mem=2G"), true, b2);
      assertEquals(b2.includes("# memory given: 2G (computed:"), true, b2);
    });

    await t.step("k8s: an Indexed Job and a finalise Job that validate", async () => {
      const out = join(base, "zarr-k8s");
      const r = await runCli("cluster", [
        "k8s",
        base,
        "--output-dir",
        out,
        "--tasks",
        "3",
        "--parallelism",
        "2",
        "--image",
        "registry.example/tessera-zones:0.1",
        "--pvc",
        "tessera-data",
        "--json",
      ]);
      assertEquals(r.code, 0, printed(r));
      const report = JSON.parse(r.stdout);
      const [buildText, finText] = await Promise.all(
        [report.files.build, report.files.finalize].map((f: string) => Deno.readTextFile(f)),
      );
      const build = YAML.parse(buildText);
      const fin = YAML.parse(finText);
      // The Kubernetes API schema (types, required fields) of batch/v1 Job.
      new Job(build).validate();
      new Job(fin).validate();
      // Our YAML reads back as what was written.
      assertDeepEquals(YAML.parse(toYaml(build)), build);
      assertEquals(build.apiVersion, "batch/v1");
      assertEquals(build.spec.completionMode, "Indexed");
      assertEquals(build.spec.completions, 3);
      assertEquals(build.spec.parallelism, 2);
      const pod = build.spec.template.spec;
      assertEquals(pod.restartPolicy, "Never");
      assertEquals(pod.volumes[0].persistentVolumeClaim.claimName, "tessera-data");
      assertEquals(pod.containers[0].volumeMounts[0].mountPath, "/data");
      assertEquals(pod.containers[0].image, "registry.example/tessera-zones:0.1");
      const cmd: string[] = pod.containers[0].command;
      assertEquals(cmd.slice(0, 4).join(" "), "deno run -A tasks/build.ts");
      assertEquals(
        cmd.join(" ").endsWith("--output-dir /data/zarr-k8s --workers 2 --shard k8s --tasks 3"),
        true,
        cmd.join(" "),
      );
      assertEquals(pod.containers[0].resources.limits.memory, "320Mi");
      assertEquals(fin.spec.completionMode, undefined);
      assertEquals(fin.spec.completions, 1);
      const finCmd: string[] = fin.spec.template.spec.containers[0].command;
      assertEquals(finCmd.includes("--finalize"), true);
      assertEquals(buildText.includes("ReadWriteMany"), true);
      assertEquals(buildText.includes("kubectl wait --for=condition=complete"), true);

      // What the pods run, run here: the claim's root is BASE.
      const asHere = (c: string[]) => c.slice(4).map((a) => a.replace(/^\/data/, base));
      const ref = join(dir, "ref");
      const plain = await runCli("build", [base, "--output-dir", ref, "--workers", "1"]);
      assertEquals(plain.code, 0, printed(plain));
      const pods = await Promise.all(
        [0, 1, 2].map((k) =>
          runPod(asHere(cmd).concat(["--workers", "1"]), { JOB_COMPLETION_INDEX: String(k) })
        ),
      );
      for (const p of pods) assertEquals(p.code, 0, printed(p));
      const f = await runPod(asHere(finCmd), {});
      assertEquals(f.code, 0, printed(f));
      for (const s of STORES) assertDeepEquals(await diffTrees(join(ref, s), join(out, s)), []);
    });

    await t.step(
      "k8s with BASE a URL: pods fetch from it, the claim holds the output",
      async () => {
        const skipped = await withNginx(base, async (nginx) => {
          const args = [
            "k8s",
            nginx.url,
            ...["--output-dir", join(dir, "zarr-k8s-url"), "--tasks", "2"],
            ...["--image", "tz:1", "--pvc", "out", "--retries", "2"],
          ];
          const refused = await runCli("cluster", args);
          assertEquals(refused.code, 2, printed(refused));
          assertEquals(/give --pod-output-dir/.test(refused.stderr), true, refused.stderr);
          const r = await runCli("cluster", [...args, "--pod-output-dir", "/data/zarr", "--json"]);
          assertEquals(r.code, 0, printed(r));
          const job = YAML.parse(await Deno.readTextFile(JSON.parse(r.stdout).files.build));
          new Job(job).validate();
          const c = job.spec.template.spec.containers[0];
          assertEquals(c.command[4], nginx.url);
          assertEquals(c.command.join(" ").includes("--output-dir /data/zarr"), true);
          assertEquals(c.command.join(" ").includes("--retries 2"), true);
          assertDeepEquals(c.env, [{ name: "TZ_SPOOL_MEMORY_MB", value: "1024" }]);
          assertEquals(Number(c.resources.limits.memory.replace("Mi", "")) > 1024, true);
        });
        if (skipped) console.warn(`k8s URL step skipped: ${skipped}`);
      },
    );

    await t.step("status: shards done per store, slices behind", async () => {
      const out = join(dir, "status");
      const s0 = await runCli("build", [
        base,
        "--output-dir",
        out,
        "--shard",
        "0/3",
        "--workers",
        "1",
      ]);
      assertEquals(s0.code, 0, printed(s0));
      const r = await runCli("status", [out, "--json"]);
      assertEquals(r.code, 0, printed(r));
      const st = JSON.parse(r.stdout);
      assertEquals(st.stores.length, 2);
      for (const s of st.stores) {
        assertEquals(s.state, "building");
        assertEquals(s.shardsTotal, 6);
        assertEquals(s.slices, 3);
      }
      assertEquals(
        st.stores.reduce((a: number, s: { shardsDone: number }) => a + s.shardsDone, 0),
        4,
      );
      assertEquals(st.behind.map((b: { slice: number }) => b.slice).sort().join(","), "1,2");
      const text = await runCli("status", [out]);
      assertEquals(text.code, 0, printed(text));
      assertEquals(/Slices behind: /.test(text.stdout), true, text.stdout);
      const none = await runCli("status", [join(dir, "nothing-here")]);
      assertEquals(none.code, 2, printed(none));
    });

    await t.step("usage errors name the flag and the fix (exit 2)", async () => {
      const cases: [string[], RegExp][] = [
        [["slurm", base], /--tasks N is required/],
        [["pbs", base, "--tasks", "2"], /must be slurm or k8s/],
        [["k8s", base, "--tasks", "2"], /needs --image IMG .* and --pvc NAME/],
        [["slurm", base, "--tasks", "2", "--wait"], /--wait goes with --submit/],
        [["slurm", base, "--tasks", "2", "--image", "x"], /--image is a k8s option/],
        [["slurm", base, "--tasks", "2", "--mem", "lots"], /--mem must be a size/],
        [["slurm", base, "--tasks", "2", "--submit", "--indices", "5"], /--indices must list/],
        [
          ["k8s", base, "--tasks", "2", "--image", "i", "--pvc", "p", "--output-dir", dir],
          /not under BASE.*--pod-output-dir/,
        ],
      ];
      for (const [args, message] of cases) {
        const r = await runCli("cluster", args);
        assertEquals(r.code, 2, `${args.join(" ")}: ${printed(r)}`);
        assertEquals(message.test(r.stderr), true, `${args.join(" ")}: ${r.stderr}`);
      }
      const help = await runCli("cluster", ["--help"]);
      assertEquals(help.code, 0);
      assertEquals(help.stdout.startsWith("deno task cluster slurm"), true);
    });
  });
});

/** Runs `tasks/build.ts` with a pod's arguments and environment. */
function runPod(args: string[], env: Record<string, string>) {
  return runCli("build", args, env);
}
