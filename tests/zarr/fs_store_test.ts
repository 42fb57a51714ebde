// FsStore on a real temp directory: atomic writes, ranges, listing, key validation, and the
// zarrita read adapter.

import assert from "node:assert/strict";
import { isTesseraError } from "../../lib/errors.ts";
import { fsReadable, FsStore } from "../../lib/zarr/fs_store.ts";

const bytes = (...xs: number[]) => Uint8Array.from(xs);

async function withStore(f: (store: FsStore, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tz-fs-store-test-" });
  try {
    await f(new FsStore(dir), dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function allFiles(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${dir}/${rel}`)) {
    const k = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await allFiles(dir, k));
    else out.push(k);
  }
  return out.sort();
}

Deno.test("fs store: set/get/has/delete, nested keys, no temporaries left", async () => {
  await withStore(async (store, dir) => {
    await store.set("zarr.json", bytes(1));
    await store.set("embeddings/c/0/1/0", bytes(1, 2, 3, 4, 5));
    await store.set("embeddings/c/0/1/0", bytes(6, 7, 8, 9, 10)); // overwrite
    assert.deepEqual(await store.get("embeddings/c/0/1/0"), bytes(6, 7, 8, 9, 10));
    assert.equal(await store.get("embeddings/c/9/9/0"), undefined);
    assert.equal(await store.get("zarr.json/x"), undefined); // through a file
    assert.equal(await store.has("zarr.json"), true);
    assert.equal(await store.has("embeddings/c"), false); // a directory is not an object
    assert.deepEqual(await allFiles(dir), ["embeddings/c/0/1/0", "zarr.json"]);
    assert.equal(await store.delete("zarr.json"), true);
    assert.equal(await store.delete("zarr.json"), false);
    assert.equal(await store.has("zarr.json"), false);
  });
});

Deno.test("fs store: byte ranges", async () => {
  await withStore(async (store) => {
    await store.set("a", bytes(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
    assert.deepEqual(await store.get("a", { offset: 2, length: 3 }), bytes(2, 3, 4));
    assert.deepEqual(await store.get("a", { suffixLength: 4 }), bytes(6, 7, 8, 9));
    assert.deepEqual(
      await store.get("a", { suffixLength: 40 }),
      bytes(0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    );
    assert.deepEqual(await store.get("a", { offset: 8, length: 10 }), bytes(8, 9));
    assert.deepEqual(await store.get("a", { offset: 20, length: 1 }), bytes());
    assert.equal(await store.get("missing", { suffixLength: 4 }), undefined);
    await assert.rejects(
      () => store.get("a", { offset: -1, length: 2 }),
      (e) => isTesseraError(e, "BadArgument"),
    );
  });
});

Deno.test("fs store: list by prefix skips temporaries; sweepTemps removes them", async () => {
  await withStore(async (store, dir) => {
    for (
      const k of ["scales/c/0/0", "scales/c/1/0", "scales/zarr.json", "scalesx/c/0", "zarr.json"]
    ) {
      await store.set(k, bytes(1));
    }
    // What a writer killed between write and rename leaves behind.
    await Deno.writeFile(`${dir}/scales/c/1/0.tmp-0123456789ab`, bytes(1, 2));
    assert.deepEqual(await store.list("scales/c/"), ["scales/c/0/0", "scales/c/1/0"]);
    assert.deepEqual(await store.list("scales"), [
      "scales/c/0/0",
      "scales/c/1/0",
      "scales/zarr.json",
      "scalesx/c/0",
    ]);
    assert.equal((await store.list()).length, 5);
    assert.deepEqual(await store.list("nothing/here/"), []);
    assert.equal(await store.sweepTemps(), 1);
    assert.equal(await store.sweepTemps(), 0);
    assert.deepEqual(await store.get("scales/c/1/0"), bytes(1));
  });
});

Deno.test("fs store: keys that could escape the root are BadArgument", async () => {
  await withStore(async (store) => {
    for (
      const key of ["", "/etc/passwd", "../x", "a/../../x", "a\\b", "a//b", "./a", "a/", "a/."]
    ) {
      await assert.rejects(
        () => store.set(key, bytes(1)),
        (e) => isTesseraError(e, "BadArgument"),
        key,
      );
      await assert.rejects(() => store.get(key), (e) => isTesseraError(e, "BadArgument"), key);
    }
    await assert.rejects(() => store.list("../"), (e) => isTesseraError(e, "BadArgument"));
  });
});

Deno.test("fs store: zarrita adapter uses absolute keys and ranges", async () => {
  await withStore(async (store, dir) => {
    await store.set("g/zarr.json", bytes(1, 2, 3));
    const r = fsReadable(dir);
    assert.deepEqual(await r.get("/g/zarr.json"), bytes(1, 2, 3));
    assert.deepEqual(await r.getRange!("/g/zarr.json", { suffixLength: 1 }), bytes(3));
    assert.equal(await r.get("/g/none"), undefined);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(() => r.get("/g/zarr.json", { signal: ac.signal }));
  });
});
