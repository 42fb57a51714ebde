/** The shared selection flags parse alike in every task. */
import { assertDeepEquals, assertEquals, assertRejectsKind } from "../assert.ts";
import { DEFAULT_WORKERS, parseSelection } from "../../lib/cli/selection.ts";

Deno.test("parseSelection: zones, one year or several, workers, json", async () => {
  const s = parseSelection({ zones: "30,31", year: "2024", workers: "3", json: true });
  assertDeepEquals(s, { zones: [30, 31], years: [2024], workers: 3, json: true });
  assertDeepEquals(parseSelection({}), {
    zones: undefined,
    years: undefined,
    workers: DEFAULT_WORKERS,
    json: false,
  });
  assertDeepEquals(parseSelection({ year: "2023,2024" }, { manyYears: true }).years, [2023, 2024]);
  // One-year tasks refuse a list; bounds are checked and name the flag.
  await assertRejectsKind(
    () => Promise.resolve().then(() => parseSelection({ year: "2023,2024" })),
    "BadArgument",
  );
  await assertRejectsKind(
    () => Promise.resolve().then(() => parseSelection({ zones: "61" })),
    "BadArgument",
  );
  await assertRejectsKind(
    () => Promise.resolve().then(() => parseSelection({ workers: "0" })),
    "BadArgument",
  );
  assertEquals(parseSelection({ workers: "64" }).workers, 64);
});
