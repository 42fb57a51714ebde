/**
 * Opening a zone store's metadata from any {@link StoreReader}: the root group and the array
 * documents asked for — from the root's inline consolidated metadata, so one request opens a
 * store; an older store without it costs one more request per document — checked against
 * each other and parsed into one {@link ZoneMetadata}. The read API, the preview passes, the
 * manifest writer and the browser viewer all open stores with it. No I/O of its own,
 * browser-safe.
 */
import { TesseraError } from "../errors.ts";
import type { ArrayMetadata } from "../zarr/metadata.ts";
import {
  type ParseAttributesOptions,
  parseZoneAttributes,
  type ZoneAttributes,
} from "./attributes.ts";
import { type NodeDocument, readDocument, type StoreReader } from "./documents.ts";
import { documentKey } from "./layout.ts";

/** A store's metadata: its root attributes, parsed and as stored, and some array documents. */
export interface ZoneMetadata {
  /** The parsed, checked root attributes (defaults filled in). */
  zone: ZoneAttributes;
  /** The root attributes as stored. */
  attributes: Record<string, unknown>;
  /** Height and width of the grid (`embeddings`/`scales`, else `spatial:shape`). */
  height: number;
  width: number;
  /** Band count: `embeddings`' last axis, else `n_bands` (0 when neither is known). */
  bands: number;
  /** The documents of the arrays opened, by name. */
  arrays: Partial<Record<"embeddings" | "scales", ArrayMetadata>>;
  /**
   * Every node's document from the root's consolidated metadata (path → document), or
   * undefined when the store has none; {@link nodeDocument} reads from it.
   */
  consolidated?: Readonly<Record<string, NodeDocument>>;
}

/** Options of {@link openZoneMetadata}. */
export interface OpenMetadataOptions extends ParseAttributesOptions {
  /** The arrays whose documents are read (and required); default both. */
  arrays?: readonly ("embeddings" | "scales")[];
}

/**
 * Reads and checks a zone store's metadata: the root `zarr.json` (a Zarr v3 group whose
 * attributes {@link parseZoneAttributes} accepts) and the documents of `opts.arrays` (arrays,
 * `embeddings` 3-D and `scales` 2-D, agreeing with each other and with `spatial:shape`). One
 * request per document, all at once. Anything missing or inconsistent is a "BadStore" error
 * that names the store (`opts.where`) and what to do.
 *
 * @example
 * ```ts
 * const meta = await openZoneMetadata(new FsStorage("out/utm30_2024.zarr"), {
 *   where: "out/utm30_2024.zarr", name: "utm30_2024.zarr",
 * });
 * meta.zone.maxValidScale; meta.arrays.embeddings!.shape; // 1, [2280, 1476, 128]
 * ```
 */
export async function openZoneMetadata(
  source: StoreReader,
  opts: OpenMetadataOptions = {},
): Promise<ZoneMetadata> {
  const { where } = opts;
  const bad = (msg: string) => new TesseraError("BadStore", msg, where);
  const names = opts.arrays ?? ["embeddings", "scales"] as const;
  const root = await readDocument(source, documentKey(""), where);
  const consolidated = consolidatedDocuments(root);
  const docs = await Promise.all(
    names.map((p) => consolidated?.[p] ?? readDocument(source, documentKey(p), where)),
  );
  if (!root) {
    throw bad("no zarr.json here: not a Zarr store (expected a utm{ZZ}_{YYYY}.zarr directory)");
  }
  if (root.node_type !== "group" || root.zarr_format !== 3) {
    throw bad("zarr.json is not a Zarr v3 group");
  }
  const attributes = { ...(root.attributes ?? {}) };
  const zone = parseZoneAttributes(attributes, opts);
  const arrays: ZoneMetadata["arrays"] = {};
  names.forEach((name, i) => {
    const doc = docs[i];
    if (!doc || doc.node_type !== "array") {
      throw bad(`no "${name}" array: not a zone store (rebuild it with \`deno task build\`)`);
    }
    const rank = name === "embeddings" ? 3 : 2;
    const chunks = doc.chunk_grid?.configuration?.chunk_shape;
    if (
      !Array.isArray(doc.shape) || doc.shape.length !== rank ||
      !doc.shape.every((n) => Number.isInteger(n) && n >= 0) ||
      !Array.isArray(chunks) || chunks.length !== rank
    ) {
      throw bad(
        `${name}/zarr.json must describe a ${rank}-D array with a regular chunk grid, got shape ` +
          JSON.stringify(doc.shape ?? null),
      );
    }
    arrays[name] = doc as ArrayMetadata;
  });
  const [H, W] = arrays.embeddings?.shape ?? arrays.scales?.shape ?? zone.shape ?? [0, 0];
  const shapes = [
    ["spatial:shape", zone.shape],
    ["embeddings", arrays.embeddings?.shape.slice(0, 2)],
    ["scales", arrays.scales?.shape],
  ] as const;
  for (const [what, s] of shapes) {
    if (s && (s[0] !== H || s[1] !== W)) {
      throw bad(
        `shapes disagree: ${
          shapes.filter(([, v]) => v).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(", ")
        } (${what} differs)`,
      );
    }
  }
  return {
    zone,
    attributes,
    height: H,
    width: W,
    bands: arrays.embeddings?.shape[2] ?? zone.bands ?? 0,
    arrays,
    consolidated,
  };
}

/**
 * The node documents of a root document's inline consolidated metadata, or undefined when it
 * has none (or it is not an object of objects).
 *
 * @example
 * ```ts
 * consolidatedDocuments(root)?.["scales"]?.shape; // [2280, 1476]
 * ```
 */
export function consolidatedDocuments(
  root: NodeDocument | undefined,
): Record<string, NodeDocument> | undefined {
  const block = (root as { consolidated_metadata?: { metadata?: unknown } } | undefined)
    ?.consolidated_metadata?.metadata;
  if (!block || typeof block !== "object" || Array.isArray(block)) return undefined;
  const out: Record<string, NodeDocument> = {};
  for (const [k, v] of Object.entries(block)) {
    if (v && typeof v === "object" && !Array.isArray(v)) out[k] = v as NodeDocument;
  }
  return out;
}

/**
 * The document of the node at `path` of an opened store: from its consolidated metadata when
 * it lists the node (no request), else read from `source` (undefined when absent).
 *
 * @example
 * ```ts
 * const doc = await nodeDocument(meta, storage, "rgb_overviews/1");
 * ```
 */
export async function nodeDocument(
  meta: Pick<ZoneMetadata, "consolidated">,
  source: StoreReader,
  path: string,
  where?: string,
): Promise<NodeDocument | undefined> {
  return meta.consolidated?.[path] ?? await readDocument(source, documentKey(path), where);
}
