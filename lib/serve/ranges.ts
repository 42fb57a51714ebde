/**
 * HTTP `Range` header parsing (RFC 9110 §14), pure. Zarr readers need it: a sharded read is a
 * suffix request for the shard index, then one ranged request per inner chunk. Only a single
 * byte range is honoured; anything else (other units, several ranges, bad syntax) is ignored,
 * so the whole file is sent with 200, as RFC 9110 allows.
 */

/** What to send for a request's `Range` header, given the file size. */
export type RangePlan =
  /** Send the whole file (no header, or one the server may ignore). */
  | { kind: "full" }
  /** Send bytes `start..end` inclusive with 206 and `Content-Range: bytes start-end/size`. */
  | { kind: "partial"; start: number; end: number }
  /** Send 416 with `Content-Range: bytes *\/size`. */
  | { kind: "unsatisfiable" };

const SPEC = /^(\d*)-(\d*)$/;

/**
 * Plans the response to a `Range` header for a file of `size` bytes.
 *
 * - `bytes=a-b` → a..min(b, size−1); `bytes=a-` → a..size−1; `bytes=-n` → the last n bytes
 *   (all of them when n ≥ size).
 * - `a ≥ size`, or `bytes=-0` → unsatisfiable.
 * - `b < a`, several ranges, a unit other than `bytes`, or garbage → full.
 *
 * @example
 * ```ts
 * planRange("bytes=0-99", 1000);  // { kind: "partial", start: 0, end: 99 }
 * planRange("bytes=-16", 1000);   // { kind: "partial", start: 984, end: 999 }
 * planRange("bytes=2000-", 1000); // { kind: "unsatisfiable" }
 * planRange("bytes=0-1,5-6", 9);  // { kind: "full" }
 * ```
 */
export function planRange(header: string | null | undefined, size: number): RangePlan {
  if (header == null) return { kind: "full" };
  const eq = header.indexOf("=");
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== "bytes") return { kind: "full" };
  const set = header.slice(eq + 1);
  if (set.includes(",")) return { kind: "full" };
  const m = SPEC.exec(set.trim());
  if (!m || (m[1] === "" && m[2] === "")) return { kind: "full" };
  if (m[1] === "") {
    // Suffix range: the last n bytes. Satisfiable only when n > 0; an empty file has no
    // bytes to range over, so it is sent whole (empty).
    const n = Number(m[2]);
    if (n === 0) return { kind: "unsatisfiable" };
    if (size === 0) return { kind: "full" };
    return { kind: "partial", start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === "" ? Infinity : Number(m[2]);
  if (last < start) return { kind: "full" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "partial", start, end: Math.min(last, size - 1) };
}

/**
 * The `Content-Range` value for a plan: `bytes a-b/size` or, for a 416, `bytes *\/size`.
 *
 * @example
 * ```ts
 * contentRange({ kind: "partial", start: 0, end: 99 }, 1000); // "bytes 0-99/1000"
 * ```
 */
export function contentRange(plan: RangePlan, size: number): string | undefined {
  if (plan.kind === "partial") return `bytes ${plan.start}-${plan.end}/${size}`;
  if (plan.kind === "unsatisfiable") return `bytes */${size}`;
  return undefined;
}
