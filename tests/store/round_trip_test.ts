/**
 * lib/store on the sample's real built (and previewed) stores: parsing their documents and
 * encoding the parsed description again gives the stored bytes exactly — the group document,
 * every core array document, the statistics group and its attributes — so what the store
 * format writes and what it parses are one description.
 */
import { join } from "node:path";
import { assertDeepEquals, assertEquals } from "../assert.ts";
import { SAMPLE_STORES, sampleStores } from "../helpers/sample.ts";
import { geoboxFromTransform } from "../../lib/grid/geobox.ts";
import {
  arrayInfo,
  embeddingsCompression,
  statsArrays,
  storeArrays,
} from "../../lib/store/arrays.ts";
import {
  attributesAddedLater,
  storeAttributes,
  type StoreInfo,
  zoneGroupAttributes,
} from "../../lib/store/attributes.ts";
import { CORE_ARRAYS, documentKey, STATS_ARRAYS, STATS_GROUP } from "../../lib/store/layout.ts";
import { multiscalesLayout } from "../../lib/store/previews.ts";
import {
  compareConsolidated,
  consolidatedBlock,
  withConsolidated,
} from "../../lib/zarr/consolidated.ts";
import { nodeDocuments } from "../../lib/zarr/fs_store.ts";
import { openZoneMetadata } from "../../lib/store/open.ts";
import {
  parsePcaAttributes,
  parsePreviewSource,
  pcaAttributes,
  rgbAttributes,
} from "../../lib/store/previews.ts";
import { readStatsGroup, statsAttributes } from "../../lib/store/stats_codec.ts";
import { FsStorage } from "../../lib/read/fs_storage.ts";
import { groupMetadata, jsonText } from "../../lib/zarr/metadata.ts";

const dir = await sampleStores();

/** The description a store's parsed metadata gives back. */
function infoOf(meta: Awaited<ReturnType<typeof openZoneMetadata>>): StoreInfo {
  const z = meta.zone;
  return {
    zone: z.zone,
    year: z.year,
    epsg: z.epsg,
    geobox: geoboxFromTransform(meta.width, meta.height, z.transform, z.epsg),
    nTiles: z.nTiles!,
    bands: meta.bands,
    datasetVersion: z.datasetVersion,
    maxValidScale: z.maxValidScale,
    compress: z.embeddingsCompression!,
  };
}

const text = (path: string) => Deno.readTextFile(path);

for (const name of SAMPLE_STORES) {
  Deno.test(`${name}: parse → encode gives the stored documents byte for byte`, async () => {
    const path = join(dir, name);
    const storage = new FsStorage(path);
    const meta = await openZoneMetadata(storage, { where: path, name });
    const z = meta.zone, attrs = meta.attributes;
    const info = infoOf(meta);

    // The store's own attributes, in their order (the convention registry also lists
    // multiscales once a preview is recorded, so it is compared whole below).
    const own = storeAttributes(info);
    const keys = Object.keys(own).filter((k) => k !== "zarr_conventions");
    assertEquals(
      jsonText(keys.map((k) => own[k])),
      jsonText(keys.map((k) => attrs[k])),
    );

    // Statistics: the `stats` group read back gives its attributes again.
    const stored = await readStatsGroup(storage, meta.bands, path);
    assertEquals(stored !== undefined && z.statistics !== null, true, "statistics present");
    const k = stored!.sample.length / meta.bands;
    const statistics = statsAttributes({
      bands: meta.bands,
      count: z.statistics!.count,
      sum: stored!.sum,
      sumProducts: new Float64Array(0),
      priorities: new Float64Array(k),
      vectors: stored!.sample,
    });
    assertEquals(z.statistics!.sampleSize, k);

    // The whole group document: own, statistics, build state, then the previews' attributes.
    const outcome = {
      statistics,
      failedTiles: z.build.failedTiles,
      badScalePixels: z.build.badScalePixels,
    };
    const group = zoneGroupAttributes(info, outcome, attributesAddedLater(attrs, info));
    const root = JSON.parse(await text(join(path, "zarr.json")));
    const docs = await nodeDocuments(path);
    assertEquals(
      jsonText(withConsolidated(groupMetadata(group), consolidatedBlock(docs))),
      await text(join(path, "zarr.json")),
    );
    // The consolidated block is every node's own document, nothing else.
    assertDeepEquals(compareConsolidated(root.consolidated_metadata, docs), []);
    assertEquals(docs.size >= CORE_ARRAYS.length + STATS_ARRAYS.length + 1, true);
    assertEquals(z.build.complete, true);

    // Core and statistics array documents.
    const arrays = storeArrays(info);
    for (const a of CORE_ARRAYS) {
      assertEquals(jsonText(arrays[a]), await text(join(path, documentKey(a))), a);
    }
    const stats = statsArrays(meta.bands, k);
    for (const a of STATS_ARRAYS) {
      const key = documentKey(`${STATS_GROUP}/${a}`);
      assertEquals(jsonText(stats[a]), await text(join(path, key)), a);
    }
    assertEquals(embeddingsCompression(arrays.embeddings), info.compress);
    const emb = arrayInfo("embeddings", meta.arrays.embeddings!);
    assertDeepEquals(emb.innerChunkShape, [32, 32, meta.bands]);
    assertDeepEquals(emb.chunkShape, [1024, 1024, meta.bands]);

    // Preview attributes parse back to what encodes them again.
    const p = z.previews;
    assertEquals(p.rgb && p.pcaRgb, true, "the sample stores are previewed");
    const rgb = rgbAttributes(
      { bands: p.rgbBands!, stretch: p.rgbStretch! },
      parsePreviewSource(attrs, "rgb"),
    );
    for (const [key, v] of Object.entries(rgb)) assertEquals(jsonText(v), jsonText(attrs[key]));
    const pca = pcaAttributes(parsePcaAttributes(attrs)!, parsePreviewSource(attrs, "pca_rgb"));
    for (const [key, v] of Object.entries(pca)) assertEquals(jsonText(v), jsonText(attrs[key]));
    assertEquals(
      jsonText({ layout: multiscalesLayout(p.multiscales!), ...p.multiscales }),
      jsonText(attrs.multiscales),
    );
  });
}
