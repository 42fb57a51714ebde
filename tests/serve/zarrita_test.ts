/**
 * A real sharded store read over HTTP with zarrita's FetchStore equals the same store read
 * from disk — the read path upstream's server broke (no Range support, SPEC ref. §9.2.2).
 */
import * as zarr from "zarrita";
import { join } from "node:path";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { fsReadable } from "../../lib/zarr/fs_store.ts";
import { writeManifests } from "../../lib/manifest/manifest.ts";
import { sameBytes, withServer } from "./http.ts";
import { buildTinyStores } from "./tiny_store.ts";

const { base, out } = await buildTinyStores("tz-serve-zarrita-");
await writeManifests(out);
globalThis.addEventListener("unload", () => Deno.removeSync(base, { recursive: true }));

type Readable = zarr.AsyncReadable;

/** Attributes and shapes as JSON, and every array's bytes (NaN-safe comparison). */
async function readAll(store: Readable): Promise<{ meta: string; data: Map<string, Uint8Array> }> {
  const root = zarr.root(store);
  const group = await zarr.open.v3(root, { kind: "group" });
  const shapes: Record<string, number[]> = {};
  const data = new Map<string, Uint8Array>();
  const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  for (const name of ["embeddings", "scales", "northing", "easting", "band"]) {
    const arr = await zarr.open.v3(root.resolve(name), { kind: "array" });
    shapes[name] = arr.shape;
    data.set(name, bytes((await zarr.get(arr, null)).data as ArrayBufferView));
  }
  // A window across the shard boundary at row 1024.
  const emb = await zarr.open.v3(root.resolve("embeddings"), { kind: "array" });
  const window = [zarr.slice(1000, Math.min(emb.shape[0], 1100)), zarr.slice(0, 40), null];
  data.set("window", bytes((await zarr.get(emb, window)).data as ArrayBufferView));
  return { meta: JSON.stringify({ attrs: group.attrs, shapes }), data };
}

for (const useSuffixRequest of [false, true]) {
  Deno.test(`zarrita FetchStore over HTTP equals the disk (useSuffixRequest: ${useSuffixRequest})`, async () => {
    await withServer({ root: out, viewerDir: join(base, "no-viewer") }, async (url) => {
      const stores = await (await fetch(`${url}_stores.json`)).json();
      assertDeepEquals(stores, ["utm30_2024.zarr", "utm31_2024.zarr"]);
      for (const name of stores as string[]) {
        const statuses: number[] = [];
        const http = new zarr.FetchStore(`${url}${name}`, {
          useSuffixRequest,
          fetch: async (req: Request) => {
            const r = await fetch(req);
            statuses.push(r.status);
            return r;
          },
        });
        const [viaHttp, fromDisk] = await Promise.all([
          readAll(http),
          readAll(fsReadable(join(out, name))),
        ]);
        assertEquals(viaHttp.meta, fromDisk.meta, name);
        assertDeepEquals([...viaHttp.data.keys()], [...fromDisk.data.keys()]);
        for (const [key, bytes] of fromDisk.data) {
          assertEquals(bytes.length > 0, true, `${name}/${key} is empty`);
          assertEquals(sameBytes(viaHttp.data.get(key)!, bytes), true, `${name}/${key} differs`);
        }
        // The stores are not empty: some scales are valid.
        const scales = fromDisk.data.get("scales")!;
        const f32 = new Float32Array(scales.buffer, scales.byteOffset, scales.length / 4);
        assertEquals(f32.some((v) => v > 0), true, `${name}: no valid pixel`);
        // Sharded reads really went through byte ranges, not whole-file answers.
        assertEquals(statuses.filter((s) => s === 206).length > 0, true, `${name}: no 206`);
        assertEquals(
          statuses.every((s) => s === 200 || s === 206 || s === 404),
          true,
          `${statuses}`,
        );
        const manifest = await (await fetch(`${url}${name}.manifest.json`)).json();
        assertDeepEquals(
          manifest,
          JSON.parse(await Deno.readTextFile(join(out, `${name}.manifest.json`))),
        );
      }
    });
  });
}
