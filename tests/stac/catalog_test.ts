/**
 * The STAC catalog of the sample's stores, written by the real CLI and served by the real
 * server: every document passes the STAC 1.1 / projection v2 checks, every tile centre of a
 * store is inside its Item's footprint, the `proj:` fields are the store's own, every link and
 * asset href resolves (relative: to a file on disk; absolute: to the same target under the
 * base URL), thumbnails are PNGs of the size their asset says, reruns rewrite nothing, and
 * `serve` answers the same documents at /stac/.
 */
import { join } from "node:path";
import { pathToFileURL as toFileUrl } from "node:url";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { runCli } from "../helpers/cli.ts";
import { withTmp } from "../helpers/env.ts";
import { SAMPLE_STORES, sampleStores } from "../helpers/sample.ts";
import { withServer } from "../serve/http.ts";
import { checkCollection, checkItem, PROJ_V2 } from "./stac_checks.ts";
import { readFixtureManifest } from "../../lib/sample_data/generate.ts";
import { readGroupAttributes } from "../../lib/store/documents.ts";
import { FsStore } from "../../lib/zarr/fs_store.ts";
import { documentBytes, stacCatalog } from "../../lib/stac/catalog.ts";
import { storeName } from "../../lib/store/names.ts";

const storesDir = await sampleStores();
const sampleBase = join(storesDir, "..");

type Json = Record<string, unknown> & { links: { rel: string; href: string }[] };

/** A folder of stores: hard links to the sample's store files, so the catalog goes beside them. */
async function linkStores(dir: string): Promise<void> {
  const walk = async (from: string, to: string) => {
    await Deno.mkdir(to, { recursive: true });
    for await (const e of Deno.readDir(from)) {
      if (e.isDirectory) await walk(join(from, e.name), join(to, e.name));
      else if (e.isFile) await Deno.link(join(from, e.name), join(to, e.name));
    }
  };
  for (const s of SAMPLE_STORES) await walk(join(storesDir, s), join(dir, s));
}

async function readJson(path: string): Promise<Json> {
  return JSON.parse(await Deno.readTextFile(path));
}

/** Ray casting, one exterior ring per polygon. */
function inside(geometry: { type: string; coordinates: unknown }, p: [number, number]): boolean {
  const polys = (geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates) as [
    number,
    number,
  ][][][];
  return polys.some(([ring]) => {
    let hit = false;
    for (let i = 0, j = ring.length - 2; i < ring.length - 1; j = i++) {
      const [xi, yi] = ring[i], [xj, yj] = ring[j];
      if ((yi > p[1]) !== (yj > p[1]) && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) {
        hit = !hit;
      }
    }
    return hit;
  });
}

/** Width and height from a PNG's IHDR. */
function pngSize(bytes: Uint8Array): [number, number] {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!sig.every((b, i) => bytes[i] === b)) throw new Error("not a PNG");
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  return [dv.getUint32(16), dv.getUint32(20)];
}

/** Every href of a document with what it names: links and assets. */
function hrefs(doc: Json): { what: string; href: string }[] {
  const out = doc.links.map((l) => ({ what: `link ${l.rel}`, href: l.href }));
  for (const [k, a] of Object.entries((doc.assets ?? {}) as Record<string, { href: string }>)) {
    out.push({ what: `asset ${k}`, href: a.href });
  }
  return out;
}

Deno.test("stac: the sample's catalog passes the STAC 1.1 and projection checks, links resolve", async () => {
  await withTmp("tz-stac-", async (tmp) => {
    const dir = join(tmp, "zarr");
    await linkStores(dir);
    const r = await runCli("stac", [dir, "--license", "CC-BY-4.0", "--json"]);
    assertEquals(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assertEquals(report.problems.length, 0);
    const out = join(dir, "stac");
    const collection = await readJson(join(out, "collection.json"));
    assertEquals(checkCollection(collection).join("; "), "");
    assertEquals(collection.license, "CC-BY-4.0");
    const itemLinks = collection.links.filter((l) => l.rel === "item");
    assertEquals(itemLinks.length, SAMPLE_STORES.length);
    // A self-contained catalog: relative hrefs, no self links.
    assertEquals(collection.links.some((l) => l.rel === "self"), false);

    const fixture = (await readFixtureManifest(sampleBase))!;
    for (const store of SAMPLE_STORES) {
      const id = store.replace(/\.zarr$/, "");
      const itemFile = join(out, id, `${id}.json`);
      const item = await readJson(itemFile);
      assertEquals(checkItem(item).join("; "), "", id);
      assertEquals(item.collection, collection.id);
      assertDeepEquals(item.stac_extensions, [PROJ_V2]);
      // Each link and asset resolves to a file or store on disk, and points where it says.
      const base = toFileUrl(itemFile);
      for (const { what, href } of hrefs(item)) {
        if (/^[a-z]+:/.test(href)) throw new Error(`${id} ${what}: not relative: ${href}`);
        const target = new URL(href, base);
        await Deno.stat(target).catch(() => {
          throw new Error(`${id} ${what}: ${href} does not resolve (${target.pathname})`);
        });
      }
      for (const rel of ["root", "parent", "collection"]) {
        const l = item.links.find((l) => l.rel === rel)!;
        assertEquals(new URL(l.href, base).href, toFileUrl(join(out, "collection.json")).href);
      }
      const data = (item.assets as Record<string, Record<string, unknown>>).data;
      assertEquals(data.type, "application/vnd+zarr");
      assertDeepEquals(data.roles, ["data"]);
      assertEquals(new URL(data.href as string, base).href, toFileUrl(join(dir, store)).href);
      assertDeepEquals(
        itemLinks.some((l) =>
          new URL(l.href, toFileUrl(join(out, "collection.json"))).href === base.href
        ),
        true,
      );
      // proj: fields are the store's own grid.
      const attrs = (await readGroupAttributes(new FsStore(join(dir, store))))!;
      const props = item.properties as Record<string, unknown>;
      assertEquals(props["proj:code"], attrs["proj:code"]);
      assertDeepEquals(props["proj:transform"], attrs.transform);
      assertDeepEquals(props["proj:shape"], attrs["spatial:shape"]);
      assertDeepEquals(props["proj:bbox"], attrs["spatial:bbox"]);
      assertEquals(props.start_datetime, `${attrs.year}-01-01T00:00:00Z`);
      assertEquals(props.end_datetime, `${attrs.year}-12-31T23:59:59Z`);
      // Every tile centre of the store lies inside the footprint.
      const tiles = fixture.tiles.filter((t) => storeName(t.zone, t.year) === store);
      if (tiles.length === 0) throw new Error(`${store}: no tiles in the fixture manifest`);
      for (const t of tiles) {
        const p: [number, number] = [t.lonI / 100, t.latI / 100];
        if (!inside(item.geometry as never, p)) throw new Error(`${id}: tile ${t.name} outside`);
      }
      // Thumbnails: PNGs of the shape their asset declares, in the store's CRS.
      for (const key of ["rgb_thumbnail", "pca_thumbnail"]) {
        const a = (item.assets as Record<string, Record<string, unknown>>)[key];
        assertEquals(a.type, "image/png");
        const [w, h] = pngSize(await Deno.readFile(new URL(a.href as string, base)));
        assertDeepEquals(a["proj:shape"], [h, w]);
        assertEquals(Math.max(w, h) <= 512, true);
        assertEquals(a["proj:code"], attrs["proj:code"]);
      }
    }
    // Nothing changed: a rerun rewrites nothing; a store gone takes its item folder with it.
    const again = JSON.parse(
      (await runCli("stac", [dir, "--license", "CC-BY-4.0", "--json"])).stdout,
    );
    assertEquals(again.written.length, 0);
    await Deno.remove(join(dir, SAMPLE_STORES[0]), { recursive: true });
    const third = JSON.parse((await runCli("stac", [dir, "--json"])).stdout);
    assertDeepEquals(third.removed, [`${SAMPLE_STORES[0].replace(/\.zarr$/, "")}/`]);
    assertEquals(third.items.length, SAMPLE_STORES.length - 1);
  });
});

Deno.test("stac --href-base: every href absolute, self links, same targets as the relative catalog", async () => {
  await withTmp("tz-stac-abs-", async (tmp) => {
    // DIR = data/zarr published at …/tessera/zarr/; the catalogs go beside it, in data/.
    const dir = join(tmp, "data", "zarr");
    await linkStores(dir);
    const base = "https://data.example.org/tessera/zarr/";
    const absOut = join(tmp, "data", "stac"), relOut = join(tmp, "data", "stac-rel");
    const climbs = await runCli("stac", [dir, "--out", absOut, "--href-base", "https://h.org/"]);
    assertEquals(climbs.code, 2, "a catalog above the URL's root is refused");
    assertEquals(climbs.stderr.includes("climbs above the root"), true, climbs.stderr);
    const bad = await runCli("stac", [dir, "--out", absOut, "--href-base", "not a url"]);
    assertEquals(bad.code, 2);
    const ok = await runCli("stac", [dir, "--out", absOut, "--href-base", base.slice(0, -1)]);
    assertEquals(ok.code, 0, ok.stderr);
    assertEquals((await runCli("stac", [dir, "--out", relOut])).code, 0);
    const catalogUrl = "https://data.example.org/tessera/stac/";
    const paths = [
      "collection.json",
      ...SAMPLE_STORES.map((s) => {
        const id = s.replace(/\.zarr$/, "");
        return `${id}/${id}.json`;
      }),
    ];
    for (const path of paths) {
      const a = await readJson(join(absOut, path));
      const rdoc = await readJson(join(relOut, path));
      const problems = path === "collection.json" ? checkCollection(a) : checkItem(a);
      assertEquals(problems.join("; "), "", path);
      const self = a.links.filter((l) => l.rel === "self");
      assertEquals(self.length, 1, `${path}: one self link`);
      assertEquals(self[0].href, catalogUrl + path);
      // Relative hrefs resolved against the document's URL give the absolute ones.
      const absHrefs = hrefs(a).filter((h) => h.what !== "link self");
      assertDeepEquals(
        hrefs(rdoc).map((h) => new URL(h.href, self[0].href).href),
        absHrefs.map((h) => h.href),
      );
      for (const h of absHrefs) {
        if (!h.href.startsWith("https://data.example.org/tessera/")) {
          throw new Error(`${path} ${h.what}: ${h.href}`);
        }
      }
      const data = (a.assets as Record<string, { href: string }> | undefined)?.data;
      if (data) assertEquals(data.href, base + path.split("/")[0] + ".zarr");
    }
  });
});

Deno.test("serve: /stac/ answers the live catalog beside _stores.json", async () => {
  await withServer({ root: storesDir }, async (url) => {
    const redirect = await fetch(`${url}stac/`, { redirect: "manual" });
    await redirect.body?.cancel();
    assertEquals(redirect.status, 302);
    assertEquals(redirect.headers.get("location"), "/stac/collection.json");
    const res = await fetch(`${url}stac/collection.json`);
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("access-control-allow-origin"), "*");
    const body = new Uint8Array(await res.arrayBuffer());
    const cat = await stacCatalog(storesDir);
    assertDeepEquals(body, documentBytes(cat.collection));
    const collection = JSON.parse(new TextDecoder().decode(body)) as Json;
    assertEquals(checkCollection(collection).join("; "), "");
    // Follow the links over HTTP: items, then their thumbnails.
    for (const l of collection.links.filter((l) => l.rel === "item")) {
      const itemUrl = new URL(l.href, res.url);
      const ir = await fetch(itemUrl);
      assertEquals(ir.headers.get("content-type"), "application/geo+json");
      const item = await ir.json() as Json;
      assertEquals(checkItem(item).join("; "), "");
      const thumb = (item.assets as Record<string, { href: string }>).rgb_thumbnail;
      const tr = await fetch(new URL(thumb.href, itemUrl));
      assertEquals(tr.headers.get("content-type"), "image/png");
      const png = new Uint8Array(await tr.arrayBuffer());
      pngSize(png);
      const etag = tr.headers.get("etag")!;
      const again = await fetch(new URL(thumb.href, itemUrl), {
        headers: { "if-none-match": etag },
      });
      await again.body?.cancel();
      assertEquals(again.status, 304);
      const data = (item.assets as Record<string, { href: string }>).data;
      const zarr = await fetch(new URL(`${data.href}/zarr.json`, itemUrl));
      assertEquals(zarr.status, 200, "the data asset's href reaches the store");
      await zarr.body?.cancel();
    }
    const missing = await fetch(`${url}stac/nothing.json`);
    assertEquals(missing.status, 404);
    await missing.body?.cancel();
  });
});
