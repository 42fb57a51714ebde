import { assertDeepEquals, assertEquals } from "../assert.ts";
import {
  type ClusterBuild,
  finaliseArgs,
  sliceArgs,
  taskMemoryMiB,
} from "../../lib/cluster/build_command.ts";

const BUILD: ClusterBuild = {
  base: "/data",
  outputDir: "/data/zarr",
  year: 2024,
  zones: [30, 31],
  workers: 2,
  compress: "none",
  tasks: 3,
};

Deno.test("slice and finalise arguments carry the selection, the slice and the previews", () => {
  assertDeepEquals(sliceArgs(BUILD, "slurm"), [
    "/data",
    "--year",
    "2024",
    "--zones",
    "30,31",
    "--output-dir",
    "/data/zarr",
    "--workers",
    "2",
    "--shard",
    "slurm",
    "--tasks",
    "3",
  ]);
  const fin = finaliseArgs({ ...BUILD, rgb: true, compress: "zstd", bands: 64 });
  assertDeepEquals(fin.slice(9), [
    "--compress",
    "zstd",
    "--bands",
    "64",
    "--finalize",
    "--tasks",
    "3",
    "--rgb",
  ]);
  assertEquals(fin.includes("--pca"), false);
});

Deno.test("every task gets the tile layout the user chose (no re-detection on the nodes)", () => {
  const b = {
    ...BUILD,
    layout: { layout: "public", dataset: "v2-2B-L~beta1", landmaskVersion: "v2" },
  };
  for (const args of [sliceArgs(b, "k8s"), finaliseArgs(b)]) {
    const at = (flag: string) => args[args.indexOf(flag) + 1];
    assertEquals(at("--layout"), "public");
    assertEquals(at("--dataset"), "v2-2B-L~beta1");
    assertEquals(at("--landmask-version"), "v2");
  }
  assertEquals(sliceArgs(BUILD, "slurm").includes("--layout"), false);
});

Deno.test("task memory grows with workers and bands, in 64 MiB steps", () => {
  assertEquals(taskMemoryMiB(2, 128), 768);
  assertEquals(taskMemoryMiB(1, 128) < taskMemoryMiB(2, 128), true);
  assertEquals(taskMemoryMiB(4, 8) % 64, 0);
});
