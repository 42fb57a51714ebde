/**
 * The derived half of `verify`: merges the per-shard values the verifiers re-derived from the
 * expected pixels (shard_derived.ts) in shard order, exactly as the builder's `finalise` does,
 * and compares the result with what the store claims — the build-time attributes
 * (`bad_scale_pixels`, `stats_*`), the `stats/` arrays bit for bit, and the preview
 * attributes that are pure functions of those statistics (`rgb_stretch`, `pca_*`,
 * `multiscales`), without re-deriving any preview pixel.
 */
import * as zarr from "../deps/zarrita.ts";
import { mergeStats } from "../store/statistics.ts";
import { readDocument } from "../store/documents.ts";
import {
  type Multiscales,
  multiscalesLayout,
  parsePreviewAttributes,
  parsePreviewSource,
  PREVIEW_ATTRIBUTES,
} from "../store/previews.ts";
import {
  emptyStats,
  fullSumProducts,
  statsAttributes,
  type StatsPartial,
} from "../store/stats_codec.ts";
import { FsStore } from "../zarr/fs_store.ts";
import { previewArrayMetadata, type PreviewName, pyramidLevels } from "../preview/overviews.ts";
import { pcaBasis, type PcaInput } from "../preview/pca.ts";
import { pcaAttributes } from "../preview/pca_pass.ts";
import { chooseRgb } from "../preview/rgb_pass.ts";
import { fsReadable } from "../zarr/fs_store.ts";
import type { ValueMismatch } from "./report.ts";
import type { ShardDerived } from "./shard_derived.ts";
import type { NodeDocument } from "../store/documents.ts";

/** The store-wide values re-derived from every shard. */
export interface Derivation {
  stats: StatsPartial;
  /** Tile name → defect-scale pixels, summed over shards. */
  badScales: Map<string, number>;
  /** Shards whose values could not be derived (unreadable store or source): 0 when complete. */
  missing: number;
}

/**
 * Merges shard values in shard order whatever order they arrive in, holding only those that
 * arrived early: memory is the out-of-order window, not the zone.
 */
export class DerivedMerger {
  readonly #pending = new Map<number, ShardDerived | null | undefined>();
  #next = 0;
  #stats: StatsPartial;
  readonly #badScales = new Map<string, number>();
  #missing = 0;

  constructor(bands: number) {
    this.#stats = emptyStats(bands);
  }

  /**
   * Adds shard `index`'s values: undefined when the shard contributes nothing (no tile, no
   * shard), null when they could not be derived.
   */
  add(index: number, derived: ShardDerived | null | undefined): void {
    this.#pending.set(index, derived);
    while (this.#pending.has(this.#next)) {
      const d = this.#pending.get(this.#next);
      this.#pending.delete(this.#next++);
      if (d === null) this.#missing++;
      else if (d) {
        this.#stats = mergeStats(this.#stats, d.stats);
        for (const [tile, n] of Object.entries(d.badScales)) {
          this.#badScales.set(tile, (this.#badScales.get(tile) ?? 0) + n);
        }
      }
    }
  }

  /** The merged values once every shard `0..shards-1` has been added. */
  finish(shards: number): Derivation {
    if (this.#next !== shards || this.#pending.size) {
      throw new Error(`derived values of ${shards - this.#next} shard(s) never arrived`);
    }
    return { stats: this.#stats, badScales: this.#badScales, missing: this.#missing };
  }
}

/**
 * The group attributes the builder derives from the pixels, as its `finalise` writes them:
 * the statistics' attributes (lib/store/stats_codec.ts `statsAttributes`) and
 * `bad_scale_pixels` in tile-name order.
 */
export function derivedAttributes(d: Derivation): Record<string, unknown> {
  return {
    ...statsAttributes(d.stats),
    bad_scale_pixels: Object.fromEntries(
      [...d.badScales].sort((a, b) => a[0].localeCompare(b[0])),
    ),
  };
}

/** The store's geometry as the plan gives it (for the preview pyramid). */
export interface Geometry {
  height: number;
  width: number;
  transform: number[];
}

/**
 * Every derived attribute and `stats/` value of the store that differs from `d`, listing at
 * most `maxListed` wrong elements per array.
 *
 * @example
 * const wrong = await checkDerived(store, attrs, merger.finish(n), geometry, 10);
 */
export async function checkDerived(
  storePath: string,
  attrs: Record<string, unknown>,
  d: Derivation,
  geometry: Geometry,
  maxListed: number,
  inputSample?: InputSampler,
): Promise<ValueMismatch[]> {
  const out: ValueMismatch[] = [];
  for (const [k, want] of Object.entries(derivedAttributes(d))) {
    const got = attrs[k];
    const same = k === "bad_scale_pixels"
      ? JSON.stringify(sortedKeys(got)) === JSON.stringify(sortedKeys(want))
      : JSON.stringify(got) === JSON.stringify(want);
    if (!same) out.push({ what: `attribute ${k}`, expected: want, got: got ?? null });
  }
  out.push(...await checkStatsArrays(storePath, d.stats, maxListed));
  const input: PcaInput = {
    bands: d.stats.bands,
    count: d.stats.count,
    sum: d.stats.sum,
    sumProducts: fullSumProducts(d.stats),
    sample: d.stats.vectors,
  };
  out.push(...await checkPreviews(storePath, attrs, input, geometry, inputSample));
  return out;
}

/**
 * The statistics the build's pre-pass over the input tiles gives, every `rowStepPx`-th zone
 * row (lib/preview/input_sample.ts): what a preview with `source: {from: "input"}` was chosen
 * from.
 */
export type InputSampler = (rowStepPx: number) => Promise<PcaInput>;

/** The `stats/` group and arrays: documents as the builder writes them, values bit for bit. */
async function checkStatsArrays(
  storePath: string,
  st: StatsPartial,
  maxListed: number,
): Promise<ValueMismatch[]> {
  const out: ValueMismatch[] = [];
  const B = st.bands, n = st.priorities.length;
  const root = zarr.root(fsReadable(storePath));
  const group = await readJson(storePath, "stats/zarr.json");
  if (group?.node_type !== "group") {
    out.push({
      what: "group stats",
      expected: "a group",
      got: group ? group.node_type ?? null : "missing",
    });
  }
  const arrays: [string, number[], "float64" | "float32", string[], Float64Array | Float32Array][] =
    [
      ["sum", [B], "float64", ["band"], st.sum],
      ["sum_products", [B, B], "float64", ["band", "band2"], fullSumProducts(st)],
      ["sample", [n, B], "float32", ["sample", "band"], st.vectors],
    ];
  for (const [name, shape, dataType, dims, want] of arrays) {
    const key = `stats/${name}`;
    const doc = await readJson(storePath, `${key}/zarr.json`);
    if (doc?.node_type !== "array") {
      out.push({
        what: `array ${key}`,
        expected: "an array",
        got: doc ? doc.node_type ?? null : "missing",
      });
      continue;
    }
    const docWant: Record<string, unknown> = {
      shape,
      data_type: dataType,
      dimension_names: dims,
      fill_value: 0,
      chunk_shape: shape.map((s) => Math.max(1, s)),
    };
    let docOk = true;
    for (const [k, v] of Object.entries(docWant)) {
      const got = k === "chunk_shape"
        ? doc.chunk_grid?.configuration?.chunk_shape
        : (doc as Record<string, unknown>)[k];
      if (JSON.stringify(got) !== JSON.stringify(v)) {
        out.push({ what: `array ${key} ${k}`, expected: v, got: got ?? null });
        docOk = false;
      }
    }
    if (!docOk || want.length === 0) continue;
    let got: ArrayLike<number>;
    try {
      const arr = await zarr.open.v3(root.resolve(key), { kind: "array" });
      got = (await zarr.get(arr, null)).data as ArrayLike<number>;
    } catch (e) {
      out.push({
        what: `${key} values`,
        expected: `${want.length} readable values`,
        got: `unreadable: ${(e as Error).message}`,
      });
      continue;
    }
    if (got.constructor !== want.constructor || got.length !== want.length) {
      out.push({
        what: `${key} values`,
        expected: `${want.length} ${dataType} values`,
        got: `${got.length} ${got.constructor.name} values`,
      });
      continue;
    }
    const bad = differingElements(want, got as Float64Array | Float32Array);
    if (bad.length === 0) continue;
    out.push({
      what: `${key} values`,
      expected: `${want.length} values as re-derived from the tiles`,
      got: `${bad.length} differ`,
    });
    for (const i of bad.slice(0, maxListed)) {
      const at = shape.length === 1 ? `${i}` : `${Math.floor(i / shape[1])},${i % shape[1]}`;
      out.push({ what: `${key}[${at}]`, expected: want[i], got: got[i] });
    }
  }
  return out;
}

/**
 * Preview attributes that follow from the statistics and the grid alone: each finished
 * preview's `multiscales` entry and level documents, `rgb_stretch` for its `rgb_bands`, and
 * every `pca_*` attribute; no attribute of a preview whose done flag is not set.
 */
async function checkPreviews(
  storePath: string,
  attrs: Record<string, unknown>,
  stats: PcaInput,
  g: Geometry,
  inputSample?: InputSampler,
): Promise<ValueMismatch[]> {
  const out: ValueMismatch[] = [];
  // Each preview's parameters are re-derived from what they were chosen from: the store's
  // statistics, or the build's pre-pass over the input; given ones are taken as they are.
  const sampled = new Map<number, Promise<PcaInput>>();
  const sourceOf = async (name: PreviewName): Promise<PcaInput | "given" | undefined> => {
    const src = parsePreviewSource(attrs, name);
    const key = name === "rgb" ? "rgb_source" : "pca_source";
    if (!src) {
      out.push({
        what: `attribute ${key}`,
        expected: '{"from": "statistics" | "input" (with row_step_px) | "given"}',
        got: attrs[key] ?? null,
      });
      return undefined;
    }
    if (src.from === "given") return "given";
    if (src.from === "statistics") return stats;
    if (!inputSample) return undefined;
    let p = sampled.get(src.row_step_px);
    if (!p) sampled.set(src.row_step_px, p = inputSample(src.row_step_px));
    return await p;
  };
  const done = parsePreviewAttributes(attrs);
  const rgbDone = done.rgb, pcaDone = done.pcaRgb;
  const expected: Record<string, unknown> = {};
  const absent: string[] = [];
  const levels: Partial<Record<PreviewName, ReturnType<typeof pyramidLevels>>> = {};
  if (rgbDone) {
    levels.rgb = pyramidLevels("rgb", g.height, g.width, g.transform);
    const bands = attrs.rgb_bands;
    const input = await sourceOf("rgb");
    if (
      !Array.isArray(bands) || bands.length !== 3 ||
      !bands.every((b) => Number.isInteger(b) && b >= 0 && b < stats.bands)
    ) {
      out.push({
        what: "attribute rgb_bands",
        expected: `three band indices in 0..${stats.bands - 1}`,
        got: bands ?? null,
      });
    } else if (input && input !== "given") {
      const stretch = chooseRgb(input, bands).stretch;
      expected.rgb_stretch = { min: stretch.min, max: stretch.max };
    }
  } else absent.push(...PREVIEW_ATTRIBUTES.rgb.slice(0, -1));
  if (pcaDone) {
    levels.pca_rgb = pyramidLevels("pca_rgb", g.height, g.width, g.transform);
    const input = await sourceOf("pca_rgb");
    try {
      if (input && input !== "given") {
        const { pca_source: _s, ...derived } = pcaAttributes(pcaBasis(input));
        Object.assign(expected, derived);
      }
    } catch (e) {
      out.push({
        what: "attribute pca_components",
        expected: `a basis (cannot compute one: ${(e as Error).message})`,
        got: attrs.pca_components ?? null,
      });
    }
  } else {
    absent.push(...PREVIEW_ATTRIBUTES.pca_rgb.slice(0, -1));
  }
  // The levels, with the multiscales convention's layout of them first (lib/store encodes it).
  const ms = Object.keys(levels).length
    ? { layout: multiscalesLayout(levels as Multiscales), ...levels }
    : undefined;
  if (JSON.stringify(attrs.multiscales) !== JSON.stringify(ms)) {
    out.push({
      what: "attribute multiscales",
      expected: ms ?? null,
      got: attrs.multiscales ?? null,
    });
  }
  for (const [k, want] of Object.entries(expected)) {
    if (JSON.stringify(attrs[k]) !== JSON.stringify(want)) {
      out.push({ what: `attribute ${k}`, expected: want, got: attrs[k] ?? null });
    }
  }
  for (const k of absent) {
    if (k in attrs) {
      out.push({
        what: `attribute ${k}`,
        expected: "absent (its preview's done flag is not set)",
        got: attrs[k],
      });
    }
  }
  for (const list of Object.values(levels)) {
    for (const l of list!) {
      const want = previewArrayMetadata(l.shape[0], l.shape[1], l.level);
      const doc = await readJson(storePath, `${l.path}/zarr.json`);
      if (JSON.stringify(doc) !== JSON.stringify(want)) {
        out.push({
          what: `array ${l.path}`,
          expected: `the preview level document (shape ${JSON.stringify(want.shape)})`,
          got: doc ? `a different document (shape ${JSON.stringify(doc.shape)})` : "missing",
        });
      }
    }
  }
  return out;
}

/** Indices where `a` and `b` differ bit for bit (so −0 ≠ 0 and NaN payloads count). */
function differingElements(a: Float64Array | Float32Array, b: Float64Array | Float32Array) {
  const words = a.BYTES_PER_ELEMENT / 4;
  const wa = new Uint32Array(a.buffer, a.byteOffset, a.length * words);
  const wb = new Uint32Array(b.slice().buffer, 0, b.length * words);
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) {
    for (let w = 0; w < words; w++) {
      if (wa[i * words + w] !== wb[i * words + w]) {
        out.push(i);
        break;
      }
    }
  }
  return out;
}

function sortedKeys(v: unknown): unknown {
  if (!v || typeof v !== "object" || Array.isArray(v)) return v;
  return Object.fromEntries(Object.entries(v).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

async function readJson(storePath: string, key: string): Promise<NodeDocument | undefined> {
  return await readDocument(new FsStore(storePath), key).catch(() => undefined);
}
