// The verify store reader: whole objects, ranges and suffixes, missing keys, bad ranges.
import { join } from "node:path";
import { assertEquals, assertRejectsKind } from "../assert.ts";
import { fileReadable } from "../../lib/verify/file_readable.ts";
import { withTmp } from "../helpers/env.ts";

Deno.test("fileReadable serves objects and byte ranges like an HTTP store", async () => {
  await withTmp("tz-readable-", async (dir) => {
    await Deno.mkdir(join(dir, "a", "c"), { recursive: true });
    await Deno.writeFile(join(dir, "a", "c", "0"), Uint8Array.from({ length: 10 }, (_, i) => i));
    const store = fileReadable(dir);
    try {
      const all = await store.get("/a/c/0");
      assertEquals(JSON.stringify([...all!]), "[0,1,2,3,4,5,6,7,8,9]");
      assertEquals(
        JSON.stringify([...(await store.getRange!("/a/c/0", { offset: 3, length: 4 }))!]),
        "[3,4,5,6]",
      );
      assertEquals(
        JSON.stringify([...(await store.getRange!("/a/c/0", { suffixLength: 3 }))!]),
        "[7,8,9]",
      );
      // Past the end: the bytes that exist (a decoder then reports the short chunk).
      assertEquals((await store.getRange!("/a/c/0", { offset: 8, length: 100 }))!.length, 2);
      assertEquals(await store.get("/a/c/1"), undefined);
      assertEquals(await store.getRange!("/missing/x", { suffixLength: 4 }), undefined);
      await assertRejectsKind(
        () => store.getRange!("/a/c/0", { offset: 2 ** 64, length: 1 }),
        "Error",
      );
    } finally {
      store.close();
    }
  });
});
