/**
 * Builds stopped by SIGKILL, SIGTERM and SIGINT at each of eight observed build states and
 * resumed at once give stores byte-identical to an uninterrupted build. A killed build's lock
 * never blocks the resume, even while the killed process is still a zombie.
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { REPO, runCli } from "../helpers/cli.ts";
import { diffTrees } from "../helpers/store_files.ts";

// One round per observed state (0 = metadata only, then 1..7 finished shards) and signal.
const ROUNDS = 8;
const base = await Deno.makeTempDir({ prefix: "tz-kill-" });
// Zone 31 of 3 × 3 tiles: 12 shards, about a second to build with one worker.
await fixtureDataset({ out: base, tiles: 3, bands: 8, groups: ["greenwich"] });
const reference = join(base, "reference");
const refBuild = await runCli("build", [base, "--zones", "31", "--output-dir", reference]);
if (refBuild.code !== 0) throw new Error(refBuild.stderr);
const STORE = "utm31_2024.zarr";

globalThis.addEventListener("unload", () => Deno.removeSync(base, { recursive: true }));

async function markers(store: string): Promise<number> {
  try {
    let n = 0;
    for await (const e of Deno.readDir(join(store, "_build/shards"))) {
      if (e.name.endsWith(".stats")) n++;
    }
    return n;
  } catch {
    return 0;
  }
}

/**
 * Starts a build of zone 31 into `out` under a parent shell that never reaps it (`exec sleep`),
 * as a killed build's parent may be gone or busy: once killed, the build stays a zombie.
 */
function startBuild(out: string) {
  const shell = new Deno.Command("bash", {
    args: [
      "-c",
      `"$0" run -A tasks/build.ts "$1" --zones 31 --workers 1 --output-dir "$2" ` +
      `>/dev/null 2>"$2.stderr" & echo $!; exec sleep 600`,
      Deno.execPath(),
      base,
      out,
    ],
    cwd: REPO,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  return shell;
}

async function readPid(shell: Deno.ChildProcess): Promise<number> {
  const reader = shell.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  shell.stdout.cancel().catch(() => {});
  return Number(text.trim());
}

function procState(pid: number): string | undefined {
  try {
    return /^State:\s+(\S)/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`))?.[1];
  } catch {
    return undefined;
  }
}

/** Waits until the store exists and has at least `after` finished shards; false if it ended. */
async function waitFor(store: string, pid: number, after: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < 60_000) {
    const state = procState(pid);
    if (state === undefined || state === "Z") return false;
    const started = await Deno.stat(join(store, "zarr.json")).then(() => true, () => false);
    if (started && (await markers(store)) >= after) return true;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error("the build never reached the kill point");
}

for (const sig of ["SIGKILL", "SIGTERM", "SIGINT"] as const) {
  Deno.test(`${sig} at observed build states, resumed at once, ${ROUNDS}× byte-identical`, async () => {
    let mid = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const out = join(base, `out-${sig}-${round}`);
      const store = join(out, STORE);
      await Deno.mkdir(out, { recursive: true });
      const shell = startBuild(out);
      try {
        const pid = await readPid(shell);
        const after = round % 8; // 0 = metadata only, then 1..7 finished shards
        if (!(await waitFor(store, pid, after))) continue;
        Deno.kill(pid, sig);
        // Wait for the build to end (a zombie, since its parent never reaps it).
        for (let i = 0; i < 6000 && procState(pid) !== "Z"; i++) {
          await new Promise((r) => setTimeout(r, 5));
        }
        assertEquals(procState(pid), "Z", `round ${round}: pid ${pid} did not stop`);
        mid++;
        const stderr = await Deno.readTextFile(`${out}.stderr`);
        let resumeArgs = [base, "--zones", "31", "--workers", "2", "--output-dir", out, "--resume"];
        if (sig !== "SIGKILL") {
          // A graceful stop says what was done and the exact command that continues.
          const line = stderr.split("\n").find((l) => l.startsWith("build: interrupted by"));
          assertEquals(
            line !== undefined,
            true,
            `round ${round}: no interrupt line in:\n${stderr}`,
          );
          assertEquals(line!.includes(`${sig}: ${STORE}`), true, line);
          const cmd = /Continue with: deno task build (.*)$/.exec(line!)?.[1];
          assertEquals(cmd !== undefined, true, line);
          resumeArgs = cmd!.split(" ");
          assertEquals(resumeArgs.at(-1), "--resume");
          const lockLeft = await Deno.stat(`${store}.lock`).then(() => true, () => false);
          assertEquals(lockLeft, false, `round ${round}: ${sig} left the lock`);
        }
        const resumed = await runCli("build", resumeArgs);
        assertEquals(resumed.code, 0, `round ${round} (after ${after}): ${resumed.stderr}`);
        assertEquals(
          (await diffTrees(join(reference, STORE), store)).join("\n"),
          "",
          `round ${round}`,
        );
      } finally {
        shell.kill("SIGKILL");
        await shell.status;
        await Deno.remove(out, { recursive: true }).catch(() => {});
        await Deno.remove(`${out}.stderr`).catch(() => {});
      }
    }
    assertEquals(mid >= ROUNDS - 2, true, `only ${mid} of ${ROUNDS} stops landed mid-build`);
  });
}
