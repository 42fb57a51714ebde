/**
 * Rounding as the upstream Python did it. Python's `round` is ties-to-even ("banker's
 * rounding"); JavaScript's `Math.round` rounds ties up. Tile sizes and offsets must use the
 * Python rule or exact .5 cases land one pixel off.
 */

/**
 * Rounds to the nearest integer, ties to even (Python's `round`).
 *
 * @example
 * roundHalfEven(2.5); // 2
 * roundHalfEven(3.5); // 4
 * roundHalfEven(-2.5); // -2
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round sends every tie up; undo that when it landed on an odd integer.
  if (r - x === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}
