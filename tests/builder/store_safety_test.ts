/**
 * What a build may do to stores that exist: a second build is refused before it touches any
 * store, a finished store (and its previews) is never replaced without --overwrite, --repair
 * rewrites exactly the shard files that differ, and every write is durable in the right order
 * (data flushed, renamed, directory flushed — all before the shard's completion marker).
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { listTiles } from "../../lib/tiles/tile_list.ts";
import { planZones } from "../../lib/plan/zone_plan.ts";
import { withBands } from "../../lib/plan/build_plan.ts";
import { ShardWriter, shardWriterInit } from "../../lib/builder/shard_writer.ts";
import { markerKey } from "../../lib/store/layout.ts";
import { storeInfo } from "../../lib/builder/store_info.ts";
import { runCli, spawnCli } from "../helpers/cli.ts";
import { diffTrees } from "../helpers/store_files.ts";

const base = await Deno.makeTempDir({ prefix: "tz-safety-" });
await fixtureDataset({ out: base, tiles: 2, bands: 8, groups: ["greenwich"] });
const reference = join(base, "reference");
{
  const r = await runCli("build", [base, "--output-dir", reference, "--rgb", "--pca"]);
  if (r.code !== 0) throw new Error(r.stderr);
}
globalThis.addEventListener("unload", () => Deno.removeSync(base, { recursive: true }));

const isComplete = async (store: string) => {
  try {
    const doc = JSON.parse(await Deno.readTextFile(join(store, "zarr.json")));
    return doc.attributes.build_complete === true &&
      !(await Deno.stat(join(store, "_build")).then(() => true, () => false));
  } catch {
    return false;
  }
};

Deno.test("a second build of zones 30,31 is refused before it touches the first's stores", async () => {
  const out = join(base, "two-builds");
  const first = spawnCli("build", [
    base,
    "--zones",
    "30,31",
    "--workers",
    "1",
    "--output-dir",
    out,
  ]);
  const utm30 = join(out, "utm30_2024.zarr");
  // Pause the first build once utm30 is finished and it works on utm31 (or has ended).
  const t0 = Date.now();
  while (!(await isComplete(utm30)) && Date.now() - t0 < 60_000) {
    await new Promise((r) => setTimeout(r, 2));
  }
  Deno.kill(first.pid, "SIGSTOP");
  try {
    // A rebuilt store has the same bytes: tell "untouched" by inode and modification time.
    const before = await fileIdentities(utm30);
    const second = await runCli("build", [base, "--zones", "30,31", "--output-dir", out]);
    assertEquals(second.code, 1, second.stderr);
    assertEquals(second.stderr.includes(`${utm30}: another build`), true, second.stderr);
    assertEquals(await fileIdentities(utm30), before);
  } finally {
    Deno.kill(first.pid, "SIGCONT");
  }
  const st = await first.status;
  assertEquals(
    st.code,
    0,
    new TextDecoder().decode(await new Response(first.stderr).arrayBuffer()),
  );
  for (const s of ["utm30_2024.zarr", "utm31_2024.zarr"]) {
    // The reference has previews; compare the core arrays only.
    const diffs = (await diffTrees(join(reference, s), join(out, s))).filter((d) =>
      !/rgb|zarr\.json$/.test(d)
    );
    assertEquals(diffs.join("\n"), "", s);
  }
});

Deno.test("a finished store with previews is not replaced without --overwrite", async () => {
  const out = join(base, "rebuild");
  await Deno.mkdir(out, { recursive: true });
  await copyTree(join(reference, "utm30_2024.zarr"), join(out, "utm30_2024.zarr"));
  const again = await runCli("build", [base, "--zones", "30", "--output-dir", out]);
  assertEquals(again.code, 2, again.stderr);
  for (const flag of ["--resume", "--overwrite", "--repair", "rgb", "pca_rgb"]) {
    assertEquals(again.stderr.includes(flag), true, `${flag} not named in: ${again.stderr}`);
  }
  assertEquals(
    (await diffTrees(join(reference, "utm30_2024.zarr"), join(out, "utm30_2024.zarr")))
      .join("\n"),
    "",
  );
  // --resume keeps it as it is; --overwrite replaces it, previews included.
  const resumed = await runCli("build", [base, "--zones", "30", "--output-dir", out, "--resume"]);
  assertEquals(resumed.code, 0, resumed.stderr);
  assertEquals(
    (await diffTrees(join(reference, "utm30_2024.zarr"), join(out, "utm30_2024.zarr")))
      .join("\n"),
    "",
  );
  const over = await runCli("build", [base, "--zones", "30", "--output-dir", out, "--overwrite"]);
  assertEquals(over.code, 0, over.stderr);
  const attrs = JSON.parse(await Deno.readTextFile(join(out, "utm30_2024.zarr", "zarr.json")))
    .attributes;
  assertEquals(attrs.build_complete, true);
  assertEquals(attrs.has_rgb_preview, undefined);
  assertEquals(await Deno.stat(join(out, "utm30_2024.zarr", "rgb")).then(() => 1, () => 0), 0);
  // Flags that contradict each other are a usage error.
  const both = await runCli("build", [base, "--zones", "30", "--resume", "--overwrite"]);
  assertEquals(both.code, 2, both.stderr);
});

Deno.test("an unfinished store is not restarted without --resume or --overwrite", async () => {
  const out = join(base, "unfinished");
  const store = join(out, "utm31_2024.zarr");
  await Deno.mkdir(out, { recursive: true });
  await copyTree(join(reference, "utm31_2024.zarr"), store);
  // Make it look interrupted: group document not complete, one marker present.
  const doc = JSON.parse(await Deno.readTextFile(join(store, "zarr.json")));
  doc.attributes.build_complete = false;
  await Deno.writeTextFile(join(store, "zarr.json"), JSON.stringify(doc));
  await Deno.mkdir(join(store, "_build/shards"), { recursive: true });
  const r = await runCli("build", [base, "--zones", "31", "--output-dir", out]);
  assertEquals(r.code, 2, r.stderr);
  assertEquals(/unfinished.*--resume.*--overwrite/.test(r.stderr), true, r.stderr);
  assertEquals(await Deno.stat(join(store, "embeddings")).then(() => 1, () => 0), 1);
});

Deno.test("--repair rewrites a deleted, a truncated and a corrupt shard: byte-identical again", async () => {
  const out = join(base, "repair");
  const store = join(out, "utm31_2024.zarr");
  await Deno.mkdir(out, { recursive: true });
  await copyTree(join(reference, "utm31_2024.zarr"), store);
  const shards = (await Array.fromAsync(walk(join(store, "embeddings/c"))))
    .concat(await Array.fromAsync(walk(join(store, "scales/c")))).sort();
  assertEquals(shards.length >= 3, true, shards.join());
  await Deno.remove(shards[0]);
  await Deno.truncate(shards[1], 1000);
  {
    using f = await Deno.open(shards[2], { read: true, write: true });
    await f.seek(5000, Deno.SeekMode.Start);
    const b = new Uint8Array(1);
    await f.read(b);
    await f.seek(5000, Deno.SeekMode.Start);
    await f.write(new Uint8Array([b[0] ^ 0x55]));
  }
  // A resume trusts a finished store; a repair re-derives every shard.
  const resumed = await runCli("build", [base, "--zones", "31", "--output-dir", out, "--resume"]);
  assertEquals(resumed.code, 0, resumed.stderr);
  assertEquals((await diffTrees(join(reference, "utm31_2024.zarr"), store)).length, 3);
  const r = await runCli("build", [
    base,
    "--zones",
    "31",
    "--output-dir",
    out,
    "--repair",
    "--json",
  ]);
  assertEquals(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout).results[0];
  assertEquals(res.shardsRepaired >= 2, true, JSON.stringify(res)); // 3 files, 2 or 3 shards
  assertEquals((await diffTrees(join(reference, "utm31_2024.zarr"), store)).join("\n"), "");
  // A sound store: nothing rewritten, nothing changed (previews included).
  const again = await runCli("build", [
    base,
    "--zones",
    "31",
    "--output-dir",
    out,
    "--repair",
    "--json",
  ]);
  assertEquals(JSON.parse(again.stdout).results[0].shardsRepaired, 0);
  assertEquals((await diffTrees(join(reference, "utm31_2024.zarr"), store)).join("\n"), "");
  // Nothing to repair.
  const none = await runCli("build", [
    base,
    "--zones",
    "31",
    "--output-dir",
    join(base, "nope"),
    "--repair",
  ]);
  assertEquals(none.code, 2, none.stderr);
  assertEquals(none.stderr.includes("nothing to repair"), true, none.stderr);
});

/**
 * Runs `fn` with flushing on (`deno task test` runs the suite with TZ_FSYNC=0, as
 * `--no-fsync`; these tests are the ones about flushing), restoring the setting after.
 */
async function withFsync<T>(fn: () => Promise<T>): Promise<T> {
  const before = Deno.env.get("TZ_FSYNC");
  Deno.env.set("TZ_FSYNC", "1");
  try {
    return await fn();
  } finally {
    if (before === undefined) Deno.env.delete("TZ_FSYNC");
    else Deno.env.set("TZ_FSYNC", before);
  }
}

Deno.test("shard writes are durable before their marker: flush, rename, flush the directory", async () => {
  const plan = withBands(
    planZones((await listTiles(base, { year: 2024, zones: [31] })).tiles)[0],
    8,
  );
  const info = storeInfo(plan, { maxValidScale: 1 });
  const root = join(base, "durable");
  const job = plan.shards[0];
  const events: string[] = [];
  const rel = (p: string) => p.startsWith(root) ? p.slice(root.length + 1) || "." : p;
  const paths = new WeakMap<Deno.FsFile, string>();
  const orig = {
    open: Deno.open,
    rename: Deno.rename,
    syncData: Deno.FsFile.prototype.syncDataSync,
    sync: Deno.FsFile.prototype.sync,
  };
  Deno.open = async (path, opts) => {
    const f = await orig.open(path, opts);
    paths.set(f, String(path));
    return f;
  };
  Deno.rename = async (a, b) => {
    await orig.rename(a, b);
    events.push(`rename ${rel(String(b))}`);
  };
  Deno.FsFile.prototype.syncDataSync = function () {
    events.push(`fdatasync ${rel(paths.get(this) ?? "?").replace(/\.tmp-[0-9a-f]+$/, "")}`);
    return orig.syncData.call(this);
  };
  Deno.FsFile.prototype.sync = function () {
    events.push(`fsync ${rel(paths.get(this) ?? "?")}`);
    return orig.sync.call(this);
  };
  try {
    await withFsync(() => new ShardWriter(shardWriterInit(plan, info, base, root)).write(job));
  } finally {
    Object.assign(Deno, { open: orig.open, rename: orig.rename });
    Deno.FsFile.prototype.syncDataSync = orig.syncData;
    Deno.FsFile.prototype.sync = orig.sync;
  }
  const marker = markerKey(job.row, job.col);
  const at = (e: string) => {
    const i = events.indexOf(e);
    assertEquals(i >= 0, true, `missing "${e}" in:\n${events.join("\n")}`);
    return i;
  };
  const markerRename = at(`rename ${marker}`);
  for (const key of [`embeddings/c/${job.row}/${job.col}/0`, `scales/c/${job.row}/${job.col}`]) {
    const dir = key.slice(0, key.lastIndexOf("/"));
    const flushed = at(`fdatasync ${key}`), renamed = at(`rename ${key}`);
    const dirFlushed = events.indexOf(`fsync ${dir}`, renamed);
    assertEquals(
      flushed < renamed && renamed < dirFlushed && dirFlushed < markerRename,
      true,
      events.join("\n"),
    );
  }
  // The marker itself is flushed before its rename and its directory after it.
  assertEquals(at(`fdatasync ${marker}`) < markerRename, true);
  assertEquals(
    events.indexOf("fsync _build/shards", markerRename) > markerRename,
    true,
    events.join("\n"),
  );
});

Deno.test("--no-fsync (TZ_FSYNC=0) writes the same shard without flushing anything", async () => {
  const plan = withBands(
    planZones((await listTiles(base, { year: 2024, zones: [31] })).tiles)[0],
    8,
  );
  const info = storeInfo(plan, { maxValidScale: 1 });
  const [flushed, plain] = [join(base, "flushed"), join(base, "plain")];
  const job = plan.shards[0];
  await withFsync(() => new ShardWriter(shardWriterInit(plan, info, base, flushed)).write(job));
  let syncs = 0;
  const orig = { syncData: Deno.FsFile.prototype.syncDataSync, sync: Deno.FsFile.prototype.sync };
  Deno.FsFile.prototype.syncDataSync = function () {
    syncs++;
    return orig.syncData.call(this);
  };
  Deno.FsFile.prototype.sync = function () {
    syncs++;
    return orig.sync.call(this);
  };
  const before = Deno.env.get("TZ_FSYNC");
  Deno.env.set("TZ_FSYNC", "0");
  try {
    await new ShardWriter(shardWriterInit(plan, info, base, plain)).write(job);
  } finally {
    if (before === undefined) Deno.env.delete("TZ_FSYNC");
    else Deno.env.set("TZ_FSYNC", before);
    Deno.FsFile.prototype.syncDataSync = orig.syncData;
    Deno.FsFile.prototype.sync = orig.sync;
  }
  assertEquals(syncs, 0);
  assertEquals((await diffTrees(flushed, plain)).join("\n"), "");
});

/** Every file under `dir` with its inode and modification time, one line each, sorted. */
async function fileIdentities(dir: string): Promise<string> {
  const lines: string[] = [];
  for await (const p of walk(dir)) {
    const st = await Deno.stat(p);
    lines.push(`${p.slice(dir.length)} ${st.ino} ${st.mtime?.getTime()}`);
  }
  return lines.sort().join("\n");
}

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) yield* walk(p);
    else yield p;
  }
}

async function copyTree(from: string, to: string) {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    const a = join(from, e.name), b = join(to, e.name);
    if (e.isDirectory) await copyTree(a, b);
    else await Deno.copyFile(a, b);
  }
}
