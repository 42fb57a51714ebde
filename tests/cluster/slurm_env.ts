/**
 * A SLURM cluster for the real-engine tests: one that answers already (`.ci/run` starts one
 * with scripts/slurm.sh) is used as it is; otherwise `bash scripts/slurm.sh start` installs
 * and starts a one-node cluster, and this module stops it again when the test process ends —
 * only if it started it. If SLURM cannot be had, the reason is returned for the skip message.
 */
import { REPO } from "../helpers/cli.ts";

/** Whether SLURM answers, and why not. */
export interface SlurmEnv {
  ok: boolean;
  reason?: string;
}

async function sinfoAnswers(): Promise<boolean> {
  try {
    const out = await new Deno.Command("timeout", {
      args: ["10", "sinfo", "-h", "-o", "%T"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const state = new TextDecoder().decode(out.stdout).trim().split("\n")[0];
    return out.success && /^(idle|mixed|allocated|completing)/.test(state);
  } catch {
    return false;
  }
}

async function slurmScript(cmd: "start" | "stop"): Promise<{ ok: boolean; log: string }> {
  const out = await new Deno.Command("bash", {
    args: ["scripts/slurm.sh", cmd],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { ok: out.success, log: (dec.decode(out.stdout) + dec.decode(out.stderr)).trim() };
}

/** Makes sure SLURM answers (see the module comment). */
export async function ensureSlurm(): Promise<SlurmEnv> {
  if (await sinfoAnswers()) return { ok: true };
  if (Deno.uid?.() !== 0) {
    return { ok: false, reason: "SLURM is not running and starting it needs root" };
  }
  const started = await slurmScript("start");
  if (!started.ok || !await sinfoAnswers()) {
    return { ok: false, reason: `bash scripts/slurm.sh start failed: ${started.log}` };
  }
  // Started here: stopped again when this test process ends.
  globalThis.addEventListener("unload", () => {
    new Deno.Command("bash", { args: ["scripts/slurm.sh", "stop"], cwd: REPO }).outputSync();
  });
  return { ok: true };
}
