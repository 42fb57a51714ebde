/**
 * The band count of a zone store, decided from the zone as a whole: the count most of its
 * tiles' embeddings headers give (a tie goes to the larger count), or the count the user
 * asked for. A tile that disagrees then fails by name (ShapeMismatch) and its neighbours are
 * kept — taking the count from whichever tile is read first let one odd tile fail all the
 * others. Only `.npy` headers are read, a few hundred bytes per tile.
 */
import { TesseraError } from "../errors.ts";
import { tilePaths } from "./layout.ts";
import { readNpyHeader } from "./npy.ts";
import type { TileRef } from "./tile_ref.ts";

/** The published band count: used when no tile of a zone has a readable embeddings header. */
export const DEFAULT_BANDS = 128;

/**
 * The most common value of `counts` (one per tile); a tie goes to the larger count, since a
 * tile with bands missing is a likelier defect than one with bands added. Undefined when
 * `counts` is empty. Pure.
 *
 * @example
 * majorityBandCount([128, 128, 64]); // 128
 * majorityBandCount([8, 16]); // 16 (tie)
 */
export function majorityBandCount(counts: Iterable<number>): number | undefined {
  const votes = new Map<number, number>();
  for (const c of counts) votes.set(c, (votes.get(c) ?? 0) + 1);
  let best: number | undefined, bestVotes = 0;
  for (const [c, n] of votes) {
    if (n > bestVotes || (n === bestVotes && c > best!)) [best, bestVotes] = [c, n];
  }
  return best;
}

/** Options of {@link zoneBandCount}. */
export interface ZoneBandOptions {
  /** Use this count (`build --bands N`) instead of the vote; no tile is read. */
  bands?: number;
  /** Headers read at once (default 16). */
  concurrency?: number;
  signal?: AbortSignal;
}

/** Largest band count accepted from the user (the generator's limit too). */
const MAX_BANDS = 1024;

/**
 * The band count of the store for `plan`'s tiles: `opts.bands` when given, else the
 * {@link majorityBandCount} of the third axis of every int8 3-D embeddings header that reads
 * (truncated files count: their header still says what they hold; broken headers do not
 * vote). When none reads, every tile fails on its own error anyway and the count is
 * {@link DEFAULT_BANDS}. `build` and `verify` both call this, so they agree.
 *
 * @example
 * const bands = await zoneBandCount(base, plan); // e.g. 128
 * const forced = await zoneBandCount(base, plan, { bands: 64 }); // 64, nothing read
 */
export async function zoneBandCount(
  base: string,
  plan: { readonly zone: number; readonly year: number; readonly tiles: readonly TileRef[] },
  opts: ZoneBandOptions = {},
): Promise<number> {
  if (opts.bands !== undefined) {
    if (!Number.isInteger(opts.bands) || opts.bands < 1 || opts.bands > MAX_BANDS) {
      throw new TesseraError(
        "BadArgument",
        `the band count must be an integer 1..${MAX_BANDS}, got ${opts.bands}; fix --bands`,
      );
    }
    return opts.bands;
  }
  const counts: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < plan.tiles.length) {
      opts.signal?.throwIfAborted();
      const tile = plan.tiles[next++];
      try {
        const h = await readNpyHeader(tilePaths(base, tile).embeddings);
        if (h.dtype === "int8" && h.shape.length === 3) counts.push(h.shape[2]);
      } catch { /* a broken tile does not vote; it fails by name when it is opened */ }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 16 }, worker));
  return majorityBandCount(counts) ?? DEFAULT_BANDS;
}
