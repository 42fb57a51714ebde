/**
 * The format's byte-for-byte guard: builds a fixed sample (4 zones, 8 bands, with the defect
 * tiles, RGB and PCA previews, manifests) through the real tasks and lists the SHA-256 of
 * every file of every store. `tests/format_stability_test.ts` compares that list with the
 * committed `tests/data/store_checksums.json`, so a refactoring cannot change a byte of a
 * store unnoticed; a deliberate format change rewrites the list (with a decision note):
 *
 *   deno run -A tools/store_checksums.ts --write     # rewrite tests/data/store_checksums.json
 *   deno run -A tools/store_checksums.ts             # print the list
 */
import { join, relative } from "node:path";
import { generateFixtures } from "../lib/sample_data/generate.ts";

const REPO = new URL("..", import.meta.url).pathname;
/** Where the committed list lives. */
export const GOLDEN = join(REPO, "tests/data/store_checksums.json");

/** SHA-256 of a file; in JSON files the temporary dataset path reads as "BASE". */
async function sha256(path: string, base: string): Promise<string> {
  let bytes = await Deno.readFile(path);
  if (path.endsWith(".json")) {
    bytes = new TextEncoder().encode(new TextDecoder().decode(bytes).replaceAll(base, "BASE"));
  }
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function listFiles(root: string, dir = root, out: string[] = []): Promise<string[]> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) await listFiles(root, p, out);
    else out.push(relative(root, p));
  }
  return out;
}

async function run(task: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO, "tasks", `${task}.ts`), ...args],
    cwd: REPO,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  // The defect tiles make the build exit 1 by design; anything else is a broken run.
  if (out.code !== 0 && !(task === "build" && out.code === 1)) {
    throw new Error(`${task} exited ${out.code}:\n${new TextDecoder().decode(out.stderr)}`);
  }
}

/**
 * Builds the fixed sample in a temporary directory and returns `{ "store/key": sha256 }`,
 * sorted by key. The temporary directory is removed.
 */
export async function sampleStoreChecksums(): Promise<Record<string, string>> {
  const base = await Deno.makeTempDir({ prefix: "tz-golden-" });
  try {
    await generateFixtures({ out: base, tiles: 2, bands: 8, defects: true });
    const zarr = join(base, "zarr");
    await run("build", [base, "--workers", "2", "--rgb", "--pca"]);
    await run("build", [
      base,
      "--zones",
      "37",
      "--compress",
      "zstd",
      "--output-dir",
      join(base, "zstd"),
    ]);
    await run("manifest", [zarr]);
    const sums: Record<string, string> = {};
    for (const [label, dir] of [["", zarr], ["zstd/", join(base, "zstd")]]) {
      for (const f of (await listFiles(dir)).sort()) {
        sums[label + f] = await sha256(join(dir, f), base);
      }
    }
    return Object.fromEntries(Object.entries(sums).sort(([a], [b]) => a < b ? -1 : 1));
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

if (import.meta.main) {
  const sums = await sampleStoreChecksums();
  const text = JSON.stringify(sums, null, 1) + "\n";
  if (Deno.args.includes("--write")) {
    await Deno.writeTextFile(GOLDEN, text);
    console.error(`wrote ${Object.keys(sums).length} checksums to ${GOLDEN}`);
  } else {
    console.log(text);
  }
}
