/**
 * The flags several tasks share — which zones and years (`--zones`, `--year`), how many
 * workers (`--workers`), machine-readable output (`--json`) — declared and parsed once, so
 * every task spells, bounds and defaults them alike.
 */
import { parseIntFlag, parseIntList } from "./args.ts";

/** parseArgs declarations of the shared flags; spread the ones a task takes into its options. */
export const SELECTION_FLAGS = {
  zones: { type: "string" },
  year: { type: "string" },
  workers: { type: "string" },
  json: { type: "boolean" },
} as const;

/** The year a build takes when none is given. */
export const DEFAULT_YEAR = 2024;
/** Workers when none are given: one per core of the machines this runs on. */
export const DEFAULT_WORKERS = 2;

/** What the shared flags ask for. */
export interface Selection {
  /** `--zones 30,31`; undefined = every zone. */
  zones?: number[];
  /** `--year 2024` (or `--year 2023,2024` where a task takes several); undefined = not given. */
  years?: number[];
  workers: number;
  json: boolean;
}

/**
 * Parses the shared flags from parseArgs `values`. Throws BadArgument naming the flag.
 * `manyYears` lets `--year` take a list (scan); otherwise it takes one year.
 *
 * @example
 * const { values } = parseTaskArgs(Deno.args, { …, options: { ...SELECTION_FLAGS } });
 * const { zones, years, workers } = parseSelection(values);
 */
export function parseSelection(
  values: { zones?: string; year?: string; workers?: string; json?: boolean },
  opts: { manyYears?: boolean } = {},
): Selection {
  const year = opts.manyYears
    ? parseIntList(values.year, "year", 1900, 2200)
    : parseIntFlag(values.year, "year", 1900, 2200);
  return {
    zones: parseIntList(values.zones, "zones", 1, 60),
    years: year === undefined ? undefined : Array.isArray(year) ? year : [year],
    workers: parseIntFlag(values.workers, "workers", 1, 64) ?? DEFAULT_WORKERS,
    json: values.json === true,
  };
}

/** Help lines of the shared flags, aligned for a task's usage text (column 22). */
export const SELECTION_HELP = {
  zones: "  --zones LIST        only these UTM zones, e.g. 30,31 (default: every zone)",
  year: "  --year YYYY         only this year",
  workers:
    `  --workers N         parallel workers (default ${DEFAULT_WORKERS}; memory ≈ N × 150 MB)`,
  json: "  --json              print the result as JSON (nothing else on stdout)",
} as const;
