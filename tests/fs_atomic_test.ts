/**
 * Atomic files written piece by piece (lib/fs_atomic.ts AtomicFile, as a shard is appended to
 * while it is assembled): the target appears only on commit, with exactly the bytes written —
 * background flushes along the way change nothing — and an abort leaves neither the target
 * nor a temporary file behind, with fsync on and off.
 */
import { join } from "node:path";
import { assertDeepEquals, assertEquals } from "./assert.ts";
import { AtomicFile, TEMP_SUFFIX, writePartsAtomic } from "../lib/fs_atomic.ts";
import { withTmp } from "./helpers/env.ts";

async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

for (const fsync of ["1", "0"]) {
  Deno.test(`AtomicFile commit and abort (TZ_FSYNC=${fsync})`, () =>
    withTmp("tz-atomic-", async (dir) => {
      const before = Deno.env.get("TZ_FSYNC");
      Deno.env.set("TZ_FSYNC", fsync);
      try {
        const path = join(dir, "sub", "shard");
        const f = await AtomicFile.open(path);
        const parts = [new Uint8Array(5 << 20).fill(1), new Uint8Array(3).fill(2)];
        f.write(parts[0]);
        f.flushSoFar(); // in the background, while more is written
        f.flushSoFar(); // a second one while the first runs: ignored
        f.write(parts[1]);
        assertEquals(await Deno.stat(path).then(() => true, () => false), false, "not yet");
        assertEquals(f.bytesWritten, parts[0].length + 3);
        assertEquals(await f.commit(), parts[0].length + 3);
        const got = await Deno.readFile(path);
        assertEquals(got.length, parts[0].length + 3);
        assertEquals(got.subarray(0, 5 << 20).every((v) => v === 1), true);
        assertEquals([...got.subarray(5 << 20)].join(), "2,2,2");
        assertDeepEquals(await names(join(dir, "sub")), ["shard"], "no temporary file left");

        const g = await AtomicFile.open(join(dir, "sub", "other"));
        g.write(parts[0]);
        g.flushSoFar();
        await g.abort();
        assertDeepEquals(await names(join(dir, "sub")), ["shard"], "an abort leaves nothing");

        // writePartsAtomic: a failing part iterator leaves no file either.
        const failing = function* () {
          yield parts[1];
          throw new Error("assembly failed");
        };
        let message = "";
        await writePartsAtomic(join(dir, "sub", "third"), failing()).catch((e) =>
          message = e.message
        );
        assertEquals(message, "assembly failed");
        const left = await names(join(dir, "sub"));
        assertDeepEquals(left.filter((n) => TEMP_SUFFIX.test(n)), []);
        assertDeepEquals(left, ["shard"]);
      } finally {
        if (before === undefined) Deno.env.delete("TZ_FSYNC");
        else Deno.env.set("TZ_FSYNC", before);
      }
    }));
}
