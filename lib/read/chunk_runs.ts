/**
 * Coalescing inner-chunk reads: chunks close together in a shard are fetched with one range
 * request (a gap costs less than a round trip), up to a size limit. Pure.
 */

/** One stored inner chunk to fetch. */
export interface ChunkRequest {
  /** Inner chunk index in C order within the shard. */
  chunk: number;
  offset: number;
  nbytes: number;
}

/**
 * Groups chunk requests into byte runs: sorted by offset, merged while the gap to the next
 * chunk is ≤ `maxGapBytes` and the run stays ≤ `maxRequestBytes`. Pure.
 *
 * @example
 * ```ts
 * planRuns([{ chunk: 0, offset: 0, nbytes: 10 }, { chunk: 1, offset: 10, nbytes: 10 }], 0, 1e6);
 * // [{ start: 0, end: 20, items: [both] }]
 * ```
 */
export function planRuns<T extends ChunkRequest>(
  requests: readonly T[],
  maxGapBytes: number,
  maxRequestBytes: number,
): { start: number; end: number; items: T[] }[] {
  const sorted = [...requests].sort((a, b) => a.offset - b.offset);
  const runs: { start: number; end: number; items: T[] }[] = [];
  for (const r of sorted) {
    const last = runs.at(-1);
    const end = r.offset + r.nbytes;
    if (
      last && r.offset - last.end <= maxGapBytes && r.offset >= last.end &&
      end - last.start <= maxRequestBytes
    ) {
      last.end = end;
      last.items.push(r);
    } else {
      runs.push({ start: r.offset, end, items: [r] });
    }
  }
  return runs;
}
