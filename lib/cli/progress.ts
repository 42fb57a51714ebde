/**
 * Progress of long work, on stderr so `--json` output on stdout stays clean: a bar when stderr
 * is a terminal; otherwise (CI logs, pipes, `deno task demo > log`) a plain line such as
 * `utm30: 12/40 shards (30%), 3.1 s` at most every 5 s (`$TZ_PROGRESS_INTERVAL_MS`; 0 prints
 * every step), and a last one when the work ends if any was printed. Silent when `quiet`.
 * With `bytes` (a counter, e.g. the bytes fetched over HTTP) both also show the amount and the
 * rate, `… 3.1 s, 412.0 MiB fetched at 131.2 MiB/s`, refreshed while no step ends.
 */
import cliProgress from "../deps/cli_progress.ts";
import process from "node:process";

/** A progress reporter; `tick` advances, `stop` finishes the line. */
export interface Progress {
  tick(n?: number): void;
  stop(): void;
}

/** Options of {@link progress}. */
export interface ProgressOptions {
  quiet?: boolean;
  /** What is counted, for the plain lines ("shards", "tiles"); default "steps". */
  unit?: string;
  /** A byte counter to report with its rate (it only grows); e.g. bytes fetched. */
  bytes?: () => number;
  /** What the bytes are, after the amount ("fetched"). */
  bytesLabel?: string;
}

/**
 * `MiB {label} at MiB/s` of a byte counter that went from `b0` to `b1` in `seconds`.
 *
 * @example
 * byteRate(0, 3 * 2 ** 20, 2, "fetched"); // "3.0 MiB fetched at 1.5 MiB/s"
 */
export function byteRate(b0: number, b1: number, seconds: number, label: string): string {
  const mib = (b1 - b0) / 2 ** 20;
  const rate = seconds > 0 ? mib / seconds : 0;
  return `${mib.toFixed(1)} MiB ${label} at ${rate.toFixed(1)} MiB/s`;
}

/** Milliseconds between plain progress lines. */
const DEFAULT_INTERVAL_MS = 5000;

function plainIntervalMs(): number {
  const v = Deno.env.get("TZ_PROGRESS_INTERVAL_MS");
  const n = v === undefined || v.trim() === "" ? NaN : Number(v);
  return Number.isFinite(n) && n >= 0 ? n : DEFAULT_INTERVAL_MS;
}

/**
 * Starts reporting progress of `total` steps labelled `label`.
 *
 * @example
 * const p = progress("scan", tiles.length, { unit: "tiles" });
 * for (const t of tiles) { check(t); p.tick(); }
 * p.stop();
 */
export function progress(label: string, total: number, opts: ProgressOptions = {}): Progress {
  if (opts.quiet || total <= 0) return { tick() {}, stop() {} };
  const rate = opts.bytes && byteCounter(opts.bytes, opts.bytesLabel ?? "fetched");
  if (!Deno.stderr.isTerminal()) return plainProgress(label, total, opts.unit ?? "steps", rate);
  const bar = new cliProgress.SingleBar({
    format:
      `${
        label.padEnd(10)
      } [{bar}] {percentage}% | {value}/{total} | {duration_formatted} | eta {eta_formatted}` +
      (rate ? " | {rate}" : ""),
    stream: process.stderr,
    hideCursor: true,
    etaBuffer: 50,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0, { rate: rate?.() ?? "" });
  const timer = rate ? setInterval(() => bar.update({ rate: rate() }), 500) : undefined;
  if (timer !== undefined) Deno.unrefTimer(timer);
  return {
    tick: (n = 1) => bar.increment(n, rate ? { rate: rate() } : undefined),
    stop: () => {
      clearInterval(timer);
      bar.stop();
    },
  };
}

/** A function describing the bytes counted since now and their rate. */
function byteCounter(bytes: () => number, label: string): () => string {
  const b0 = bytes(), t0 = performance.now();
  return () => byteRate(b0, bytes(), (performance.now() - t0) / 1000, label);
}

/** Plain lines for logs: no cursor movement, no colours, one line per report. */
function plainProgress(
  label: string,
  total: number,
  unit: string,
  rate?: () => string,
): Progress {
  const intervalMs = plainIntervalMs();
  const t0 = performance.now();
  let done = 0, lastAt = t0, printed = -1, stopped = false;
  const print = (now: number) => {
    const pct = Math.floor((100 * done) / total);
    const s = ((now - t0) / 1000).toFixed(1);
    console.error(
      `${label}: ${done}/${total} ${unit} (${pct}%), ${s} s${rate ? `, ${rate()}` : ""}`,
    );
    printed = done;
    lastAt = now;
  };
  // A long transfer before the first step ends still reports, at the same interval.
  const timer = rate && intervalMs > 0
    ? setInterval(() => {
      if (!stopped && performance.now() - lastAt >= intervalMs) print(performance.now());
    }, intervalMs)
    : undefined;
  if (timer !== undefined) Deno.unrefTimer(timer);
  return {
    tick(n = 1) {
      if (stopped) return;
      done = Math.min(total, done + n);
      const now = performance.now();
      if (now - lastAt >= intervalMs) print(now);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      // The end is worth a line only in a log that already shows the work going on.
      if (printed >= 0 && printed !== done) print(performance.now());
    },
  };
}
