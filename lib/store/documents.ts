/**
 * Reading and writing a store's `zarr.json` documents through the narrowest storage there is:
 * `get(key)` to read (a local directory, an HTTP server, `fetch` in the browser — lib/read's
 * Storage and lib/zarr's FsStore both fit) and `set(key, bytes)` to write. No I/O of its own,
 * browser-safe.
 */
import { TesseraError } from "../errors.ts";
import { type ArrayMetadata, groupMetadata, jsonBytes } from "../zarr/metadata.ts";
import { documentKey } from "./layout.ts";

/** Where a store's objects are read from: bytes, or undefined when the key does not exist. */
export interface StoreReader {
  get(key: string): Promise<Uint8Array | undefined>;
}

/** Where a store's objects are written to (atomically, by the implementation). */
export interface StoreWriter {
  set(key: string, bytes: Uint8Array): Promise<void>;
}

/**
 * A `zarr.json` as stored, before any check: every field may be missing or wrong, so readers
 * that judge a document (verify) look at it field by field.
 */
export type NodeDocument = Partial<Omit<ArrayMetadata, "node_type" | "zarr_format">> & {
  node_type?: string;
  zarr_format?: number;
};

/**
 * Reads and parses the JSON object at `key`: undefined when it does not exist; anything that
 * is not a JSON object is a "BadStore" error naming the key (and `where`).
 *
 * @example
 * ```ts
 * const doc = await readDocument(new FsStore("out/utm30_2024.zarr"), "scales/zarr.json");
 * doc?.shape; // [2280, 1476]
 * ```
 */
export async function readDocument(
  source: StoreReader,
  key: string,
  where?: string,
): Promise<NodeDocument | undefined> {
  const bytes = await source.get(key);
  if (bytes === undefined) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new TesseraError(
      "BadStore",
      `${key} is not valid JSON (${(e as Error).message}); rebuild the store`,
      where,
      { cause: e },
    );
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    throw new TesseraError("BadStore", `${key} is not a JSON object; rebuild the store`, where);
  }
  return doc as NodeDocument;
}

/**
 * The attributes of the group at `path` (default the root): undefined when it has no
 * `zarr.json`; a document that is not a Zarr v3 group is a "BadStore" error.
 *
 * @example
 * ```ts
 * const attrs = await readGroupAttributes(storage);
 * ```
 */
export async function readGroupAttributes(
  source: StoreReader,
  where?: string,
  path = "",
): Promise<Record<string, unknown> | undefined> {
  const doc = await readDocument(source, documentKey(path), where);
  if (!doc) return undefined;
  if (doc.node_type !== "group" || doc.zarr_format !== 3) {
    throw new TesseraError(
      "BadStore",
      `${documentKey(path)} is not a Zarr v3 group`,
      where,
    );
  }
  const attrs = doc.attributes;
  return attrs && typeof attrs === "object" && !Array.isArray(attrs) ? { ...attrs } : {};
}

/**
 * Writes the group document of `path` (default the root) with `attributes`, in zarr-python's
 * JSON form.
 *
 * @example
 * ```ts
 * await writeGroup(store, { description: "…" }, "stats");
 * ```
 */
export async function writeGroup(
  sink: StoreWriter,
  attributes: Record<string, unknown>,
  path = "",
): Promise<void> {
  await sink.set(documentKey(path), jsonBytes(groupMetadata(attributes)));
}

/**
 * Rewrites the root group document with `update(attributes)`. The document is re-read first,
 * so attributes written meanwhile by anyone else are kept; returns what was written.
 *
 * @example
 * ```ts
 * await updateRootAttributes(store, (a) => ({ ...a, has_rgb_preview: true }));
 * ```
 */
export async function updateRootAttributes(
  store: StoreReader & StoreWriter,
  update: (attrs: Record<string, unknown>) => Record<string, unknown>,
  where?: string,
): Promise<Record<string, unknown>> {
  const attrs = await readGroupAttributes(store, where);
  if (!attrs) throw new TesseraError("BadStore", "no root zarr.json", where);
  const next = update(attrs);
  await writeGroup(store, next);
  return next;
}
