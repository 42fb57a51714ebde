import { assertEquals } from "../assert.ts";
import { roundHalfEven } from "../../lib/grid/rounding.ts";

Deno.test("roundHalfEven matches Python's round, ties to even", () => {
  const cases: [number, number][] = [
    [0.5, 0],
    [1.5, 2],
    [2.5, 2],
    [3.5, 4],
    [-0.5, -0],
    [-1.5, -2],
    [-2.5, -2],
    [726.232, 726],
    [1138.795, 1139],
    [1107.001, 1107],
    [2.4999999, 2],
    [2.5000001, 3],
    [1e15 + 0.5, 1e15],
    [0, 0],
    [-7.2, -7],
  ];
  for (const [x, want] of cases) assertEquals(roundHalfEven(x), want, `round(${x})`);
});
