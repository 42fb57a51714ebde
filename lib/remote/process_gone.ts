/** Whether a process has ended, for clearing up what killed builds left behind. */

/**
 * True when process `pid` is gone, false while it runs, undefined where /proc cannot tell
 * (then nothing of another process should be touched).
 *
 * @example
 * if (await processGone(1234) === true) await Deno.remove(leftover);
 */
export async function processGone(pid: number): Promise<boolean | undefined> {
  const exists = (p: string) => Deno.stat(p).then(() => true, () => false);
  if (!(await exists("/proc/self"))) return undefined;
  return !(await exists(`/proc/${pid}`));
}
