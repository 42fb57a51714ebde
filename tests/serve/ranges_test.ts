/** Range header parsing (pure), against the shared table, and Content-Range formatting. */
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { contentRange, planRange } from "../../lib/serve/ranges.ts";
import { RANGE_CASES } from "./range_cases.ts";

Deno.test("planRange answers every case of the table", () => {
  const failures: string[] = [];
  for (const { header, size, want } of RANGE_CASES) {
    const got = planRange(header, size);
    const gotShort = got.kind === "partial"
      ? [got.start, got.end]
      : got.kind === "full"
      ? "full"
      : 416;
    if (JSON.stringify(gotShort) !== JSON.stringify(want)) {
      failures.push(
        `${JSON.stringify(header)} on ${size} B: want ${JSON.stringify(want)}, got ${
          JSON.stringify(gotShort)
        }`,
      );
    }
  }
  assertDeepEquals(failures, []);
});

Deno.test("contentRange formats partial and unsatisfiable answers", () => {
  assertEquals(contentRange({ kind: "partial", start: 0, end: 99 }, 1000), "bytes 0-99/1000");
  assertEquals(contentRange({ kind: "unsatisfiable" }, 1000), "bytes */1000");
  assertEquals(contentRange({ kind: "full" }, 1000), undefined);
});
