/**
 * Stores are byte-identical to the committed checksums (tools/store_checksums.ts): every
 * file of a fixed sample build — core arrays, defect handling, statistics, previews,
 * pyramids, manifests, a zstd build — so no refactoring changes a byte unnoticed. A
 * deliberate format change rewrites the list with `deno run -A tools/store_checksums.ts
 * --write` and says why in docs/decisions/.
 */
import { assertEquals } from "./assert.ts";
import { GOLDEN, sampleStoreChecksums } from "../tools/store_checksums.ts";

Deno.test("every file of the sample stores has its committed SHA-256", async () => {
  const want: Record<string, string> = JSON.parse(await Deno.readTextFile(GOLDEN));
  const got = await sampleStoreChecksums();
  const diffs: string[] = [];
  for (const [k, v] of Object.entries(want)) {
    if (!(k in got)) diffs.push(`missing: ${k}`);
    else if (got[k] !== v) diffs.push(`differs: ${k}`);
  }
  for (const k of Object.keys(got)) if (!(k in want)) diffs.push(`new: ${k}`);
  assertEquals(
    diffs.join("\n"),
    "",
    "store bytes changed; if deliberate, run deno run -A tools/store_checksums.ts --write",
  );
});
