/**
 * Command-line parsing shared by every task: `node:util` parseArgs plus `--help`, typed
 * errors for bad flags and arguments (with a "did you mean" for a mistyped flag), and the
 * exit-code convention:
 *
 * - 0: all good;
 * - 1: something failed or was found wrong, or the selection matched nothing in an existing
 *   input ({@link NothingSelected}: nothing is written, the message names what is there);
 * - 2: bad usage: an unknown flag, a bad value, too many or too few arguments, or a path that
 *   does not exist or is not the kind of thing asked for (the message names it and what to give).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { TesseraError } from "../errors.ts";

/** Exit code for bad command-line usage. */
export const EXIT_USAGE = 2;
/** Exit code when the task ran but found or hit problems, or had nothing to work on. */
export const EXIT_FAILED = 1;

type Options = NonNullable<ParseArgsConfig["options"]>;

/** A task's command-line definition: its flags, its positional arguments and its help text. */
export interface TaskSpec<O extends Options> {
  name: string;
  usage: string;
  options: O;
  /**
   * The positional arguments, as the usage names them: `"STORE"` is required, `"[BASE]"`
   * optional, and a last `"[STORE...]"` (or `"STORE..."`) takes any number. Anything beyond
   * is rejected, naming the first extra argument. Every task sets it; left out, any number
   * is accepted (as for scripts that predate it).
   */
  positionals?: readonly string[];
}

/**
 * The input exists but the selection matches nothing (no tiles for those zones or that year,
 * no stores in a folder): exit 1, nothing written. The message says what is there.
 */
export class NothingSelected extends Error {
  readonly kind = "NothingSelected";
  constructor(message: string) {
    super(message);
    this.name = "NothingSelected";
  }
}

/**
 * Parses `args` for a task. Prints the usage and exits 0 on `--help`; prints a short error and
 * exits 2 on an unknown flag (suggesting the closest known one), a bad value, or a wrong number
 * of positional arguments.
 *
 * @example
 * const { values, positionals } = parseTaskArgs(Deno.args, {
 *   name: "scan", usage: "deno task scan [BASE] [--json]", options: { json: { type: "boolean" } },
 *   positionals: ["[BASE]"],
 * });
 */
export function parseTaskArgs<O extends Options>(args: string[], spec: TaskSpec<O>) {
  const options = { ...spec.options, help: { type: "boolean", short: "h" } } as O & Options;
  const fail = (message: string): never => {
    console.error(`${spec.name}: ${message}\n\n${spec.usage.trim()}`);
    Deno.exit(EXIT_USAGE);
  };
  const parsed = (() => {
    try {
      return parseArgs({ args, options, allowPositionals: true, strict: true });
    } catch (e) {
      return fail(describeParseError(e as Error & { code?: string }, Object.keys(options)));
    }
  })();
  if ((parsed.values as Record<string, unknown>).help) {
    console.log(spec.usage.trim());
    Deno.exit(0);
  }
  const problem = spec.positionals && positionalProblem(parsed.positionals, spec.positionals);
  if (problem) fail(problem);
  return parsed;
}

/** parseArgs' message, with a suggestion for an unknown option. */
function describeParseError(e: Error & { code?: string }, flags: string[]): string {
  const unknown = e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
    ? /Unknown option '(-{1,2})([^'=]+)/.exec(e.message)
    : null;
  if (!unknown) return e.message;
  const [, dashes, name] = unknown;
  const hint = dashes === "--" ? suggestFlag(name, flags) : undefined;
  return `unknown option ${dashes}${name}` + (hint ? `; did you mean --${hint}?` : "") +
    ` (see --help)`;
}

/** Why `given` does not fit the `expected` positional arguments, or undefined when it does. */
function positionalProblem(given: string[], expected: readonly string[]): string | undefined {
  const variadic = expected.at(-1)?.replace(/[[\]]/g, "").endsWith("...") ?? false;
  const required = expected.filter((p) => !p.startsWith("["));
  if (given.length < required.length) {
    return `missing ${required.slice(given.length).join(" ")} (usage: ${expected.join(" ")})`;
  }
  if (!variadic && given.length > expected.length) {
    const takes = expected.length === 0 ? "no arguments" : expected.join(" ");
    return `unexpected argument "${given[expected.length]}": this task takes ${takes}` +
      " (flags start with --; see --help)";
  }
  return undefined;
}

/**
 * The known flag closest to a mistyped one, or undefined when none is close: a flag the typo
 * is a prefix of (or that is a prefix of the typo), else the one at the smallest edit distance
 * (insertions, deletions, substitutions, swaps of neighbours), at most 1 for names of up to four
 * letters and 2 beyond.
 *
 * @example
 * suggestFlag("zone", ["zones", "year"]); // "zones"
 */
export function suggestFlag(typo: string, flags: readonly string[]): string | undefined {
  const t = typo.toLowerCase();
  if (t.length >= 3) {
    const prefixed = flags.filter((f) => f.startsWith(t) || t.startsWith(f));
    if (prefixed.length === 1) return prefixed[0];
  }
  const limit = t.length <= 4 ? 1 : 2;
  let best: string | undefined, bestD = Infinity;
  for (const f of flags) {
    const d = editDistance(t, f);
    if (d <= limit && d < bestD) [best, bestD] = [f, d];
  }
  return best;
}

/** Optimal-string-alignment distance (Levenshtein plus swaps of neighbouring letters). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => {
    const row = new Array<number>(b.length + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * Parses a comma-separated list of integers ("30,31") within [min, max]; throws BadArgument
 * naming the flag.
 */
export function parseIntList(
  value: string | undefined,
  flag: string,
  min: number,
  max: number,
): number[] | undefined {
  if (value === undefined) return undefined;
  const out = value.split(",").filter((s) => s.trim() !== "").map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new TesseraError(
        "BadArgument",
        `--${flag}: "${s}" is not an integer in ${min}..${max}`,
      );
    }
    return n;
  });
  if (out.length === 0) throw new TesseraError("BadArgument", `--${flag}: empty list`);
  return out;
}

/** Parses one integer flag within [min, max]. */
export function parseIntFlag(
  value: string | undefined,
  flag: string,
  min: number,
  max: number,
): number | undefined {
  const list = parseIntList(value, flag, min, max);
  if (list && list.length > 1) {
    throw new TesseraError("BadArgument", `--${flag} takes one integer, got "${value}"`);
  }
  return list?.[0];
}

/**
 * Runs a task's main function: TesseraErrors become one readable line on stderr and exit
 * code 1 (2 for BadArgument), as does NothingSelected (exit 1); anything else is a bug and keeps
 * its stack trace.
 */
export async function runTask(name: string, main: () => Promise<number>): Promise<never> {
  try {
    Deno.exit(await main());
  } catch (e) {
    if (e instanceof TesseraError || e instanceof NothingSelected) {
      console.error(`${name}: ${e.message}`);
      // StoreExists: the command needs a flag (--resume, --repair, --overwrite) to go on.
      const usage = e instanceof TesseraError &&
        (e.kind === "BadArgument" || e.kind === "StoreExists");
      Deno.exit(usage ? EXIT_USAGE : EXIT_FAILED);
    }
    throw e;
  }
}
