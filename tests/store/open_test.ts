/**
 * lib/store/open.ts and documents.ts on real files: a copy of a sample store opens, and each
 * way of breaking its documents is a "BadStore" error naming the store; the statistics codec
 * writes and reads a `stats` group in a temp store; the pure modules stay browser-safe (no
 * Deno or node: APIs anywhere in their module graph).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assertDeepEquals, assertEquals, assertRejectsKind } from "../assert.ts";
import { sampleStores } from "../helpers/sample.ts";
import {
  readDocument,
  readGroupAttributes,
  updateRootAttributes,
} from "../../lib/store/documents.ts";
import { openZoneMetadata } from "../../lib/store/open.ts";
import {
  decodeStats,
  emptyStats,
  encodeStats,
  readStatsGroup,
  writeStatsGroup,
} from "../../lib/store/stats_codec.ts";
import { FsStorage } from "../../lib/read/fs_storage.ts";
import { FsStore } from "../../lib/zarr/fs_store.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const dir = await sampleStores();

/** A copy of the sample's zone 35 documents (no shards) in a fresh temp dir. */
async function docsCopy(tmp: string): Promise<string> {
  const src = join(dir, "utm35_2024.zarr"), dst = join(tmp, "utm35_2024.zarr");
  for (const key of ["zarr.json", "embeddings/zarr.json", "scales/zarr.json"]) {
    await Deno.mkdir(join(dst, key, ".."), { recursive: true });
    await Deno.copyFile(join(src, key), join(dst, key));
  }
  return dst;
}

/**
 * Rewrites the document at `key`: through FsStore when `consolidated` (so the root's
 * consolidated metadata carries the edit, as any writer of ours would leave it), else on the
 * file alone.
 */
async function edit(
  path: string,
  key: string,
  f: (doc: Record<string, unknown>) => unknown,
  consolidated: boolean,
) {
  const doc = JSON.parse(await Deno.readTextFile(join(path, key)));
  const text = JSON.stringify(f(doc) ?? doc);
  if (consolidated) await new FsStore(path).set(key, new TextEncoder().encode(text));
  else await Deno.writeTextFile(join(path, key), text);
}

/** Strips the root's consolidated metadata: a store as versions before it wrote them. */
async function unconsolidated(path: string): Promise<void> {
  const doc = JSON.parse(await Deno.readTextFile(join(path, "zarr.json")));
  delete doc.consolidated_metadata;
  await Deno.writeTextFile(join(path, "zarr.json"), JSON.stringify(doc));
}

for (const consolidated of [true, false]) {
  const mode = consolidated ? "consolidated metadata" : "per-node documents";
  Deno.test(`openZoneMetadata (${mode}): a real store opens; broken documents are named errors`, async () => {
    const tmp = await Deno.makeTempDir({ prefix: "tz-store-open-" });
    const copy = async (dst: string) => {
      const p = await docsCopy(dst);
      if (consolidated) await new FsStore(p).consolidate();
      else await unconsolidated(p);
      return p;
    };
    try {
      const path = await copy(tmp);
      // One request opens a consolidated store; three an older one.
      let gets = 0;
      const storage = new FsStorage(path);
      const counting = { get: (k: string) => (gets++, storage.get(k)) };
      const meta = await openZoneMetadata(counting, { where: path });
      assertEquals(gets, consolidated ? 1 : 3);
      assertEquals(meta.zone.zone, 35);
      assertEquals(meta.bands, meta.arrays.embeddings!.shape[2]);
      assertDeepEquals([meta.height, meta.width], meta.arrays.scales!.shape);
      // Only the arrays asked for are read (and required).
      await new FsStore(path).deleteTree("embeddings");
      const scalesOnly = await openZoneMetadata(new FsStore(path), { arrays: ["scales"] });
      assertEquals(scalesOnly.arrays.embeddings, undefined);

      const ed = (p: string, key: string, f: (d: Record<string, unknown>) => unknown) =>
        edit(p, key, f, consolidated);
      const cases: [string, (p: string) => Promise<void>, string][] = [
        ["no root document", (p) => Deno.remove(join(p, "zarr.json")), "no zarr.json"],
        [
          "root not JSON",
          (p) => Deno.writeTextFile(join(p, "zarr.json"), "{not json"),
          "valid JSON",
        ],
        [
          "root an array",
          (p) => ed(p, "zarr.json", (d) => ({ ...d, node_type: "array" })),
          "not a Zarr v3 group",
        ],
        ["no scales", (p) => new FsStore(p).deleteTree("scales"), `"scales"`],
        [
          "scales 3-D",
          (p) => ed(p, "scales/zarr.json", (d) => ({ ...d, shape: [1, 2, 3] })),
          "2-D array",
        ],
        [
          "shapes disagree",
          (p) => ed(p, "scales/zarr.json", (d) => ({ ...d, shape: [1, 2] })),
          "shapes disagree",
        ],
        [
          "no utm_zone",
          (p) => ed(p, "zarr.json", (d) => ({ ...d, attributes: { year: 2024 } })),
          "utm_zone",
        ],
      ];
      for (const [what, breakIt, word] of cases) {
        const p = await copy(join(tmp, what.replaceAll(" ", "_")));
        await breakIt(p);
        const e = await assertRejectsKind(
          () => openZoneMetadata(new FsStorage(p), { where: p, arrays: ["scales"] }),
          "BadStore",
        );
        assertEquals(
          e.message.includes(word) && e.message.includes(p),
          true,
          `${what}: ${e.message}`,
        );
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  });
}

Deno.test("documents: root attributes are re-read and rewritten whole", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "tz-store-docs-" });
  try {
    const path = await docsCopy(tmp);
    const store = new FsStore(path);
    const before = (await readGroupAttributes(store))!;
    const after = await updateRootAttributes(store, (a) => ({ ...a, note: "x" }));
    assertDeepEquals(after, { ...before, note: "x" });
    assertDeepEquals(await readGroupAttributes(store), after);
    assertEquals(await readDocument(store, "nothing/zarr.json"), undefined);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("stats codec: marker bytes and the stats group round-trip", async () => {
  const st = emptyStats(3);
  st.count = 2;
  st.sum.set([1, 2, 3]);
  st.sumProducts.set([1, 2, 3, 4, 5, 6]); // upper triangle of a 3 × 3
  st.priorities = Float64Array.of(0.1, 0.7);
  st.vectors = Float32Array.of(0.5, -0.25, 1, 2, 3, 4);
  assertDeepEquals(decodeStats(encodeStats(st)), st);
  const tmp = await Deno.makeTempDir({ prefix: "tz-store-stats-" });
  try {
    const store = new FsStore(tmp);
    const attrs = await writeStatsGroup(store, st);
    assertDeepEquals(
      [attrs.stats_count, attrs.stats_sample_size, attrs.stats_lattice_px],
      [2, 2, 16],
    );
    const back = await readStatsGroup(store, 3, tmp);
    assertDeepEquals(back!.sum, st.sum);
    assertDeepEquals(back!.sumProducts, Float64Array.of(1, 2, 3, 2, 4, 5, 3, 5, 6));
    assertDeepEquals(back!.sample, st.vectors);
    await assertRejectsKind(() => readStatsGroup(store, 4, tmp), "BadStore");
    await Deno.remove(join(tmp, "stats/sample"), { recursive: true });
    assertEquals(await readStatsGroup(store, 3, tmp), undefined);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("the pure lib/store modules use no Deno or node: APIs in their whole module graph", async () => {
  const pure = ["mod"];
  const files = new Set<string>();
  for (const f of pure) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", `lib/store/${f}.ts`],
      cwd: REPO,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.success, true, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: { specifier: string }[];
    };
    for (const m of info.modules) files.add(m.specifier);
  }
  assertEquals([...files].some((f) => f.endsWith("lib/store/open.ts")), true);
  for (const f of files) {
    assertEquals(f.startsWith("file:"), true, `${f} is not a local module`);
    const code = await Deno.readTextFile(fileURLToPath(f));
    assertEquals(/\bDeno\./.test(code), false, `${f} uses Deno APIs`);
    assertEquals(/from\s*["'](node:|npm:|jsr:)/.test(code), false, `${f} imports a package`);
  }
});
