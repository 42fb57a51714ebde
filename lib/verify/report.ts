/**
 * What `verify` finds, as plain values: per-shard results that workers send back, the merged
 * report of a whole store, and its text and JSON renderings (what to do about it is
 * advice.ts). Pure: no I/O.
 */
import type { TileFailure } from "../tiles/open_tile.ts";
import type { ShardDerived } from "./shard_derived.ts";
import type { StrayObject } from "./store_objects.ts";

/**
 * What a store pixel should be, by how many source tiles compete for it:
 * `exact` one valid tile; `overlap` several valid tiles, decided by the compositing rule;
 * `masked` only water or invalid pixels (NaN scale, zero embeddings); `empty` no usable tile
 * (fill values).
 */
export type PixelCoverage = "exact" | "overlap" | "masked" | "empty";

/**
 * @deprecated Renamed {@link PixelCoverage}: "pixel state" is what a read finds
 * (lib/store/pixel_state.ts), this is what verify expects from the source tiles.
 */
export type PixelState = PixelCoverage;

/** Pixel counts by expected state, plus the pixels that did not match or could not be read. */
export interface PixelCounts {
  exact: number;
  /** Valid pixels with several valid candidates (SPEC §3.4 rules 2 and 3). */
  overlapResolved: number;
  /** Of `overlapResolved`: decided by the 0.1° cell containing the pixel centre (rule 2). */
  overlapByCell: number;
  /** Of `overlapResolved`: decided by registry order (rule 3). */
  overlapByOrder: number;
  masked: number;
  empty: number;
  /** Pixels whose scale or any band differs from the expectation (counted in no state). */
  mismatched: number;
  /** Pixels of shards that could not be read from the store. */
  unverified: number;
}

/** One wrong value in `embeddings` or `scales`. NaN stands for "no data". */
export interface PixelMismatch {
  array: "embeddings" | "scales";
  /** Zone-grid pixel. */
  row: number;
  col: number;
  /** First differing band (embeddings), null for scales. */
  band: number | null;
  expected: number;
  got: number;
  /** The tile that owns the pixel, or null when none does (masked by no tile, or empty). */
  tile: string | null;
  /** What the pixel should have been. */
  state: PixelCoverage;
}

/** A shard that is damaged or unreadable (bad index CRC, undecodable chunk, …). */
export interface ShardProblem {
  row: number;
  col: number;
  array: string;
  kind: string;
  message: string;
}

/** A metadata, attribute or coordinate value that differs from what the plan implies. */
export interface ValueMismatch {
  /** e.g. `attribute transform`, `easting[12]`, `array scales shape`. */
  what: string;
  expected: unknown;
  got: unknown;
}

/** A source tile that failed validation and so cannot own any pixel. */
export type { TileFailure };

/** The verification of one shard. */
export interface ShardReport {
  row: number;
  col: number;
  counts: PixelCounts;
  /** The first few mismatches, row-major within the shard. */
  mismatches: PixelMismatch[];
  problems: ShardProblem[];
  failures: TileFailure[];
  /**
   * The shard's statistics partial and defect-scale counts re-derived from its expected
   * pixels; absent when it has none (no tile, no shard), null when they could not be derived
   * (the store shard or a source tile could not be read). Taken off the report, in shard
   * order, as soon as it arrives.
   */
  derived?: ShardDerived | null;
}

export type { StrayObject };

/** The verification of one whole store. */
export interface VerifyReport {
  store: string;
  path: string;
  base: string;
  zone: number;
  year: number;
  bands: number;
  tiles: number;
  shards: number;
  seconds: number;
  counts: PixelCounts;
  /** The first few pixel mismatches in shard order. */
  mismatches: PixelMismatch[];
  shardProblems: ShardProblem[];
  /** Attributes, array metadata and coordinate values that are wrong. */
  metadata: ValueMismatch[];
  /** Coordinate values that are wrong (only the first few are in `metadata`). */
  coordinateMismatches: number;
  /**
   * Values the builder (and the preview passes) derive from the pixels that differ from what
   * verify re-derives from the tiles: `bad_scale_pixels`, the `stats_*` attributes, the
   * `stats/` arrays (bit for bit), and the preview attributes that follow from them.
   */
  derived: ValueMismatch[];
  /** False when `derived` could not be checked (pixels not compared, or unreadable shards). */
  derivedChecked: boolean;
  /** Objects in the store the builder would not have written (the first few). */
  strays: StrayObject[];
  /** How many stray objects there are in all. */
  strayCount: number;
  /** The command that rebuilds what differs: `deno task build … --repair`. */
  repairCommand: string;
  /** What to do about what was found, one step a line (empty when nothing is wrong). */
  advice: string[];
  /** Tiles excluded as candidates because they failed validation. */
  failedTiles: TileFailure[];
  /** True when the pixels were compared at all (false when the store's grid is not the plan's). */
  pixelsChecked: boolean;
  /** True when nothing at all differs. */
  ok: boolean;
}

/** A zeroed {@link PixelCounts}. */
export function emptyCounts(): PixelCounts {
  return {
    exact: 0,
    overlapResolved: 0,
    overlapByCell: 0,
    overlapByOrder: 0,
    masked: 0,
    empty: 0,
    mismatched: 0,
    unverified: 0,
  };
}

/** Adds `b` into `a`. */
export function addCounts(a: PixelCounts, b: PixelCounts): PixelCounts {
  for (const k of Object.keys(a) as (keyof PixelCounts)[]) a[k] += b[k];
  return a;
}

/**
 * Merges shard reports (in shard order, so the result does not depend on scheduling): summed
 * counts, the first `maxListed` mismatches, every problem and each failed tile once.
 *
 * @example
 * const merged = mergeShardReports(reports, 10);
 * merged.counts.mismatched; // 0 for a correct store
 */
export function mergeShardReports(reports: readonly ShardReport[], maxListed: number) {
  const counts = emptyCounts();
  const mismatches: PixelMismatch[] = [];
  const problems: ShardProblem[] = [];
  const failures = new Map<string, TileFailure>();
  for (const r of reports) {
    addCounts(counts, r.counts);
    for (const m of r.mismatches) if (mismatches.length < maxListed) mismatches.push(m);
    problems.push(...r.problems);
    for (const f of r.failures) if (!failures.has(f.tile)) failures.set(f.tile, f);
  }
  const failedTiles = [...failures.values()].sort((a, b) => a.tile.localeCompare(b.tile));
  return { counts, mismatches, problems, failedTiles };
}

/**
 * The report as JSON text. NaN and ±Infinity, which JSON cannot carry, are written as the
 * strings "NaN", "Infinity" and "-Infinity".
 */
export function reportJson(report: VerifyReport): string {
  return JSON.stringify(report, (_k, v) => {
    if (typeof v === "number" && !Number.isFinite(v)) return String(v);
    return v;
  }, 2);
}

/**
 * A human-readable summary: the counts table, then whatever is wrong.
 *
 * @example
 * console.log(formatReport(await verifyStore(path, { base })));
 */
export function formatReport(r: VerifyReport): string {
  const c = r.counts;
  const n = (x: number) => x.toLocaleString("en-US");
  const lines = [
    `${r.store}: zone ${r.zone}, ${r.year}, ${r.tiles} tiles, ${r.bands} bands, ` +
    `${r.shards} shards checked in ${r.seconds.toFixed(1)} s`,
    `  exact             ${n(c.exact).padStart(14)}   valid, one source tile`,
    `  overlap-resolved  ${n(c.overlapResolved).padStart(14)}   valid, several tiles ` +
    `(${n(c.overlapByCell)} by 0.1° cell, ${n(c.overlapByOrder)} by registry order)`,
    `  masked            ${n(c.masked).padStart(14)}   water/invalid: NaN scale, zero embeddings`,
    `  empty             ${n(c.empty).padStart(14)}   no usable tile: fill`,
    `  mismatched        ${n(c.mismatched).padStart(14)}`,
  ];
  if (c.unverified) {
    lines.push(`  unverified        ${n(c.unverified).padStart(14)}   unreadable shards`);
  }
  if (r.failedTiles.length) {
    lines.push(
      `\n${r.failedTiles.length} source tile(s) failed validation and were not candidates:`,
    );
    for (const f of r.failedTiles) lines.push(`  ${f.tile}: [${f.kind}] ${firstLine(f.message)}`);
  }
  if (!r.pixelsChecked) {
    lines.push("\nPixels were NOT compared: the store's grid differs from the plan.");
  }
  if (r.metadata.length) {
    lines.push(
      `\n${r.metadata.length} metadata/coordinate problem(s)` +
        (r.coordinateMismatches
          ? ` (${n(r.coordinateMismatches)} coordinate values wrong in all)`
          : "") +
        ":",
    );
    for (const m of r.metadata) lines.push(`  ${describeMismatch(m)}`);
  }
  if (r.derived.length) {
    lines.push(
      `\n${r.derived.length} build-time statistic/attribute problem(s) (re-derived from the tiles):`,
    );
    for (const m of r.derived) lines.push(`  ${describeMismatch(m)}`);
  }
  if (r.pixelsChecked && !r.derivedChecked) {
    const unfinished = r.metadata.some((m) => m.what === "attribute build_complete");
    lines.push(
      "\nBuild-time statistics, bad_scale_pixels and preview attributes were NOT checked: " +
        (unfinished ? "the build has not finished." : "some shards could not be compared."),
    );
  }
  if (r.strayCount) {
    lines.push(`\n${r.strayCount} stray object(s) in the store (the builder never writes them):`);
    for (const o of r.strays) lines.push(`  ${o.key}: ${o.reason}`);
    if (r.strayCount > r.strays.length) {
      lines.push(`  … and ${n(r.strayCount - r.strays.length)} more`);
    }
  }
  if (r.shardProblems.length) {
    lines.push(`\n${r.shardProblems.length} damaged shard(s):`);
    for (const p of r.shardProblems) {
      lines.push(`  ${p.array} shard ${p.row},${p.col}: [${p.kind}] ${firstLine(p.message)}`);
    }
  }
  if (r.mismatches.length) {
    lines.push(`\nFirst ${r.mismatches.length} pixel mismatch(es):`);
    for (const m of r.mismatches) {
      const at = m.band === null ? "" : ` band ${m.band}`;
      lines.push(
        `  ${m.array} row ${m.row} col ${m.col}${at}: expected ${m.expected}, got ${m.got} ` +
          `(${m.state}${m.tile ? `, tile ${m.tile}` : ""})`,
      );
    }
  }
  if (r.advice.length) {
    lines.push("\nWhat to do:");
    for (const a of r.advice) lines.push(`  - ${a}`);
  }
  lines.push(
    r.ok
      ? "\nOK: the store equals its source tiles."
      : "\nFAILED: the store differs from its source tiles.",
  );
  return lines.join("\n");
}

/**
 * One mismatch as a line: both values, or — when both are arrays or objects too long to show
 * whole — where they first differ (`stats_band_p2[3]: expected 1.5, got 99`).
 */
function describeMismatch(m: ValueMismatch): string {
  const whole = `${m.what}: expected ${short(m.expected)}, got ${short(m.got)}`;
  const long = JSON.stringify(m.expected ?? null).length > 120 ||
    JSON.stringify(m.got ?? null).length > 120;
  const d = long ? firstDifference(m.expected, m.got, "") : undefined;
  if (!d) return whole;
  return `${m.what}${d.path}: expected ${short(d.expected)}, got ${short(d.got)} ` +
    `(first difference)`;
}

function firstDifference(
  a: unknown,
  b: unknown,
  path: string,
): { path: string; expected: unknown; got: unknown } | undefined {
  const nested = (v: unknown) => v !== null && typeof v === "object";
  if (!nested(a) || !nested(b) || Array.isArray(a) !== Array.isArray(b)) {
    return JSON.stringify(a) === JSON.stringify(b) ? undefined : { path, expected: a, got: b };
  }
  const ra = a as Record<string, unknown>, rb = b as Record<string, unknown>;
  const keys = Array.isArray(a)
    ? Array.from(
      { length: Math.max((a as unknown[]).length, (b as unknown[]).length) },
      (_, i) => String(i),
    )
    : [...new Set([...Object.keys(ra), ...Object.keys(rb)])];
  for (const k of keys) {
    const sub = Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`;
    const d = firstDifference(ra[k], rb[k], sub);
    if (d) return d;
  }
  return undefined;
}

function firstLine(s: string): string {
  return s.split("\n")[0];
}

function short(v: unknown): string {
  const s = typeof v === "number" ? String(v) : JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
