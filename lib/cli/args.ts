/**
 * Command-line parsing shared by every task: `node:util` parseArgs plus `--help`, typed
 * errors for bad flags, and the exit-code convention (0 ok, 1 something failed, 2 bad usage).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { TesseraError } from "../errors.ts";

/** Exit code for bad command-line usage. */
export const EXIT_USAGE = 2;
/** Exit code when the task ran but found or hit problems. */
export const EXIT_FAILED = 1;

type Options = NonNullable<ParseArgsConfig["options"]>;

/** A task's command-line definition: its flags and the help text printed by `--help`. */
export interface TaskSpec<O extends Options> {
  name: string;
  usage: string;
  options: O;
}

/**
 * Parses `args` for a task. Prints the usage and exits 0 on `--help`; prints a short error and
 * exits 2 on an unknown flag or a bad value.
 *
 * @example
 * const { values, positionals } = parseTaskArgs(Deno.args, {
 *   name: "scan", usage: "deno task scan [BASE] [--json]", options: { json: { type: "boolean" } },
 * });
 */
export function parseTaskArgs<O extends Options>(args: string[], spec: TaskSpec<O>) {
  const options = { ...spec.options, help: { type: "boolean", short: "h" } } as O & Options;
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    if ((parsed.values as Record<string, unknown>).help) {
      console.log(spec.usage.trim());
      Deno.exit(0);
    }
    return parsed;
  } catch (e) {
    console.error(`${spec.name}: ${(e as Error).message}\n\n${spec.usage.trim()}`);
    Deno.exit(EXIT_USAGE);
  }
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
  return parseIntList(value, flag, min, max)?.[0];
}

/**
 * Runs a task's main function: TesseraErrors become one readable line on stderr and exit
 * code 1 (2 for BadArgument); anything else is a bug and keeps its stack trace.
 */
export async function runTask(name: string, main: () => Promise<number>): Promise<never> {
  try {
    Deno.exit(await main());
  } catch (e) {
    if (e instanceof TesseraError) {
      console.error(`${name}: ${e.message}`);
      Deno.exit(e.kind === "BadArgument" ? EXIT_USAGE : EXIT_FAILED);
    }
    throw e;
  }
}
