/**
 * Progress bars for long work, on stderr so `--json` output on stdout stays clean. Silent
 * when stderr is not a terminal (CI logs, pipes) unless forced, and when `quiet` is set.
 */
import cliProgress from "cli-progress";
import process from "node:process";

/** A progress reporter; `tick` advances, `stop` finishes the line. */
export interface Progress {
  tick(n?: number): void;
  stop(): void;
}

/**
 * Starts a progress bar of `total` steps labelled `label`.
 *
 * @example
 * const p = progress("scan", tiles.length);
 * for (const t of tiles) { check(t); p.tick(); }
 * p.stop();
 */
export function progress(label: string, total: number, opts: { quiet?: boolean } = {}): Progress {
  const enabled = !opts.quiet && Deno.stderr.isTerminal() && total > 0;
  if (!enabled) return { tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar({
    format: `${
      label.padEnd(10)
    } [{bar}] {percentage}% | {value}/{total} | {duration_formatted} | eta {eta_formatted}`,
    stream: process.stderr,
    hideCursor: true,
    etaBuffer: 50,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return {
    tick: (n = 1) => bar.increment(n),
    stop: () => bar.stop(),
  };
}
