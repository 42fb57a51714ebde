/** Tiny assertion helpers for the tests (no JSR: Deno's std/assert is not reachable here). */
import { deepStrictEqual, strictEqual } from "node:assert";

export { deepStrictEqual as assertDeepEquals };

/** Strict equality with a message; treats -0 and 0 as equal. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (typeof actual === "number" && typeof expected === "number" && actual === expected) return;
  strictEqual(actual, expected, msg);
}

/** |actual − expected| ≤ tol. */
export function assertClose(actual: number, expected: number, tol: number, msg?: string): void {
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`${msg ?? ""} expected ${expected} ± ${tol}, got ${actual}`);
  }
}

/** Asserts `fn` throws (or rejects) an error whose `kind` (or name) is `kind`. */
export async function assertRejectsKind(
  fn: () => unknown,
  kind: string,
): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    const k = (e as { kind?: string }).kind ?? (e as Error).name;
    if (k !== kind) {
      throw new Error(`expected error kind ${kind}, got ${k}: ${(e as Error).message}`);
    }
    return e as Error;
  }
  throw new Error(`expected error kind ${kind}, but nothing was thrown`);
}
