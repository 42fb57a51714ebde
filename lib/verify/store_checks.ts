/**
 * The non-pixel half of `verify`: the group attributes and array documents a plan implies,
 * the coordinate arrays, and each shard's index (CRC32C and bounds — zarrita reads shards
 * without checking the CRC, so a damaged index would otherwise pass unnoticed).
 */
import * as zarr from "../deps/zarrita.ts";
import type { BuildPlan } from "../plan/build_plan.ts";
import { utmWkt } from "../grid/crs.ts";
import { geoboxBounds, pixelSizeM } from "../grid/geobox.ts";
import { storeEpsg } from "../grid/zone.ts";
import { coordinateArrays } from "../zarr/coords.ts";
import { compareConsolidated, type ConsolidatedMetadata } from "../zarr/consolidated.ts";
import { fsReadable, type FsStore, nodeDocuments } from "../zarr/fs_store.ts";
import { FsStorage } from "../read/fs_storage.ts";
import { readShardIndex, ShardIndexError } from "../read/shard_index.ts";
import { STORE_FORMAT } from "../store/attributes.ts";
import { type NodeDocument, readDocument } from "../store/documents.ts";
import type { ValueMismatch } from "./report.ts";

/**
 * The group attributes a build of `plan` must have written (SPEC §4.4), with its band count
 * and `maxValidScale` as the builder would use them. `failed_tiles` and statistics are
 * checked elsewhere; informational attributes (dataset version, builder) are not checked.
 *
 * @example
 * expectedAttributes(withBands(plan, 128), 1).transform; // [10, 0, originE, 0, -10, originN]
 */
export function expectedAttributes(
  plan: BuildPlan,
  maxValidScale: number,
): Record<string, unknown> {
  const { width: W, height: H, transform } = plan.geobox;
  const epsg = storeEpsg(plan.zone);
  const t = [...transform];
  return {
    utm_zone: plan.zone,
    year: plan.year,
    crs_epsg: epsg,
    "proj:code": `EPSG:${epsg}`,
    crs_wkt: utmWkt(plan.zone),
    transform: t,
    pixel_size_m: pixelSizeM(plan.geobox),
    n_tiles: plan.tiles.length,
    n_bands: plan.bands,
    max_valid_scale: maxValidScale,
    tessera_zones_format: STORE_FORMAT,
    "spatial:dimensions": ["northing", "easting"],
    "spatial:transform": t,
    "spatial:shape": [H, W],
    "spatial:bbox": geoboxBounds(plan.geobox),
    "spatial:registration": "pixel",
    build_complete: true,
  };
}

/** Every key of `expected` whose value differs from `attrs` (compared as JSON). */
export function compareAttributes(
  attrs: Record<string, unknown>,
  expected: Record<string, unknown>,
): ValueMismatch[] {
  const out: ValueMismatch[] = [];
  for (const [k, want] of Object.entries(expected)) {
    if (JSON.stringify(attrs[k]) !== JSON.stringify(want)) {
      out.push({ what: `attribute ${k}`, expected: want, got: attrs[k] ?? null });
    }
  }
  return out;
}

/** The array documents verify depends on, and what they must say. */
export function expectedArrays(plan: BuildPlan) {
  const { width: W, height: H } = plan.geobox;
  const { bands } = plan;
  return {
    embeddings: {
      shape: [H, W, bands],
      data_type: "int8",
      dimension_names: ["northing", "easting", "band"],
      fill_value: 0,
    },
    scales: {
      shape: [H, W],
      data_type: "float32",
      dimension_names: ["northing", "easting"],
      fill_value: "NaN",
    },
    northing: { shape: [H], data_type: "float64", dimension_names: ["northing"] },
    easting: { shape: [W], data_type: "float64", dimension_names: ["easting"] },
    band: { shape: [bands], data_type: "int32", dimension_names: ["band"] },
    spatial_ref: { shape: [], data_type: "int32", dimension_names: [] },
  } as Record<string, Record<string, unknown>>;
}

/**
 * Reads the array documents and lists what differs from {@link expectedArrays}; returns the
 * documents too (absent ones as undefined).
 */
export async function checkArrayDocs(
  store: FsStore,
  plan: BuildPlan,
): Promise<{ docs: Record<string, NodeDocument | undefined>; mismatches: ValueMismatch[] }> {
  const docs: Record<string, NodeDocument | undefined> = {};
  const mismatches: ValueMismatch[] = [];
  for (const [name, want] of Object.entries(expectedArrays(plan))) {
    const doc = docs[name] = await readDocument(store, `${name}/zarr.json`, store.root);
    if (!doc || doc.node_type !== "array") {
      mismatches.push({
        what: `array ${name}`,
        expected: "an array",
        got: doc ? doc.node_type ?? null : "missing",
      });
      docs[name] = undefined;
      continue;
    }
    for (const [k, v] of Object.entries(want)) {
      const got = (doc as Record<string, unknown>)[k];
      if (JSON.stringify(got) !== JSON.stringify(v)) {
        mismatches.push({ what: `array ${name} ${k}`, expected: v, got: got ?? null });
      }
    }
  }
  return { docs, mismatches };
}

/**
 * The georeferencing a geo stack reads, re-derived from the plan: the CF grid mapping on
 * `spatial_ref` (GDAL's `GeoTransform` in GDAL order, the WKT), `grid_mapping` and
 * `coordinates` on the grid arrays, and the proj: and spatial: registrations.
 */
export function checkGeoreference(
  attrs: Record<string, unknown>,
  docs: Record<string, NodeDocument | undefined>,
  plan: BuildPlan,
): ValueMismatch[] {
  const out: ValueMismatch[] = [];
  const [a, b, c, d, e, f] = plan.geobox.transform;
  const want = (what: string, got: unknown, expected: unknown) => {
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      out.push({ what, expected, got: got ?? null });
    }
  };
  const ref = docs.spatial_ref?.attributes ?? {};
  want("spatial_ref GeoTransform", ref.GeoTransform, [c, a, b, f, d, e].join(" "));
  want("spatial_ref crs_wkt", ref.crs_wkt, utmWkt(plan.zone));
  want("spatial_ref spatial_ref", ref.spatial_ref, utmWkt(plan.zone));
  want("spatial_ref grid_mapping_name", ref.grid_mapping_name, "transverse_mercator");
  for (const name of ["embeddings", "scales"]) {
    const at = docs[name]?.attributes ?? {};
    want(`array ${name} grid_mapping`, at.grid_mapping, "spatial_ref");
    want(`array ${name} coordinates`, at.coordinates, "spatial_ref");
  }
  const uuids = Array.isArray(attrs.zarr_conventions)
    ? attrs.zarr_conventions.map((x) => (x as { uuid?: string })?.uuid)
    : [];
  for (
    const [name, uuid] of [
      ["proj:", "f17cb550-5864-4468-aeb7-f3180cfb622f"],
      ["spatial:", "689b58e2-cf7b-45e0-9fff-9cfc0883d6b4"],
    ]
  ) {
    if (!uuids.includes(uuid)) {
      out.push({ what: "attribute zarr_conventions", expected: `${name} registered`, got: uuids });
    }
  }
  return out;
}

/**
 * Compares the root's inline consolidated metadata with the node documents on disk (found
 * the way zarr-python finds them): every node listed, with the same document, and nothing
 * listed that is not a node.
 */
export async function checkConsolidated(
  storePath: string,
  root: NodeDocument,
  maxListed: number,
): Promise<ValueMismatch[]> {
  const block = (root as { consolidated_metadata?: ConsolidatedMetadata }).consolidated_metadata;
  if (!block || typeof block.metadata !== "object" || block.metadata === null) {
    return [{
      what: "consolidated metadata",
      expected: "inline consolidated_metadata in zarr.json",
      got: null,
    }];
  }
  const docs = await nodeDocuments(storePath);
  return compareConsolidated(block, docs).slice(0, maxListed).map((m) => ({
    what: `consolidated metadata of ${m.path}`,
    expected: m.problem === "not a node any more" ? "no such node" : "its zarr.json",
    got: m.problem,
  }));
}

/**
 * Compares the coordinate arrays with the plan: pixel centres `originE + (i + 0.5)·px`,
 * `originN − (j + 0.5)·px`, and bands 0..B−1, bit for bit. Lists the first `maxListed`
 * wrong values and counts them all.
 */
export async function checkCoordinates(
  storePath: string,
  plan: BuildPlan,
  maxListed: number,
): Promise<{ mismatches: ValueMismatch[]; count: number }> {
  const { easting, northing } = coordinateArrays(plan.geobox);
  const root = zarr.root(fsReadable(storePath));
  const want: [string, number, (i: number) => number][] = [
    ["easting", easting.length, (i) => easting[i]],
    ["northing", northing.length, (j) => northing[j]],
    ["band", plan.bands, (b) => b],
  ];
  const mismatches: ValueMismatch[] = [];
  let count = 0;
  for (const [name, n, value] of want) {
    let data: ArrayLike<number>;
    try {
      const arr = await zarr.open.v3(root.resolve(name), { kind: "array" });
      data = (await zarr.get(arr, null)).data as ArrayLike<number>;
    } catch (e) {
      mismatches.push({
        what: `${name} values`,
        expected: `${n} readable values`,
        got: `unreadable: ${(e as Error).message}`,
      });
      count++;
      continue;
    }
    if (data.length !== n) {
      mismatches.push({ what: `${name} length`, expected: n, got: data.length });
      count++;
      continue;
    }
    for (let i = 0; i < n; i++) {
      const x = value(i);
      if (data[i] !== x) {
        count++;
        if (mismatches.length < maxListed) {
          mismatches.push({ what: `${name}[${i}]`, expected: x, got: data[i] });
        }
      }
    }
  }
  return { mismatches, count };
}

/**
 * How many inner chunks a shard of this array holds, when its index is the standard one this
 * toolkit writes (at the end, `bytes` little endian + `crc32c`); undefined otherwise (the
 * index is then not checked).
 */
export function shardIndexChunks(doc: NodeDocument): number | undefined {
  const codec = doc.codecs?.length === 1 ? doc.codecs[0] : undefined;
  if (codec?.name !== "sharding_indexed") return undefined;
  const cfg = codec.configuration as {
    chunk_shape?: number[];
    index_codecs?: unknown;
    index_location?: string;
  };
  const outer = doc.chunk_grid?.configuration?.chunk_shape;
  const indexCodecs = JSON.stringify(cfg.index_codecs);
  const standard = JSON.stringify([{ name: "bytes", configuration: { endian: "little" } }, {
    name: "crc32c",
  }]);
  if (
    !outer || !cfg.chunk_shape || indexCodecs !== standard ||
    (cfg.index_location ?? "end") !== "end"
  ) {
    return undefined;
  }
  return outer.reduce((n, d, k) => n * Math.ceil(d / cfg.chunk_shape![k]), 1);
}

/**
 * Checks one shard object's index with the read API's reader (lib/read/shard_index.ts over
 * FsStorage): present, at least index-sized, CRC32C correct, every location inside the
 * payload. Nothing is cached: each shard is checked as it is on disk now. Returns whether the
 * object exists and what is wrong, if anything.
 */
export async function checkShardIndex(
  storeRoot: string,
  key: string,
  nChunks: number,
): Promise<{ present: boolean; problem?: string }> {
  try {
    const index = await readShardIndex(new FsStorage(storeRoot), key, nChunks, {
      checkPayload: true,
    });
    return { present: index !== null };
  } catch (e) {
    if (!(e instanceof ShardIndexError)) {
      return { present: true, problem: `cannot be read (${(e as Error).message})` };
    }
    // The codec's generic advice gives way to the exact command (report.ts adviceFor).
    const problem = e.problem.replace(/; rebuild it with `deno task build … --repair`.*$/, "");
    return { present: true, problem };
  }
}
