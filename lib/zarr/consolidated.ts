/**
 * Inline consolidated metadata (Zarr v3, as zarr-python writes it): the root `zarr.json` of a
 * hierarchy carries `consolidated_metadata: {kind: "inline", must_understand: false, metadata}`
 * where `metadata` maps the path of every other node ("embeddings", "stats/sum") to that
 * node's own `zarr.json` document, keys sorted by depth then name (zarr-python ≥ 3.1.1). A
 * reader then opens the whole hierarchy with one request. Pure: building, attaching and
 * comparing the block; the directory walk that collects the documents is fs_store.ts's.
 */

/** The `consolidated_metadata` member of a root group document. */
export interface ConsolidatedMetadata {
  kind: "inline";
  must_understand: false;
  metadata: Record<string, Record<string, unknown>>;
}

/**
 * Node paths in zarr-python's order: fewer `/`-separated segments first, then by name.
 *
 * @example
 * ```ts
 * sortNodePaths(["stats/sum", "scales", "stats"]); // ["scales", "stats", "stats/sum"]
 * ```
 */
export function sortNodePaths(paths: Iterable<string>): string[] {
  const depth = (p: string) => p.split("/").length;
  return [...paths].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The consolidated block of the node documents `docs` (path → document, root excluded).
 *
 * @example
 * ```ts
 * consolidatedBlock(new Map([["scales", scalesDoc]])).metadata.scales === scalesDoc; // true
 * ```
 */
export function consolidatedBlock(
  docs: ReadonlyMap<string, Record<string, unknown>>,
): ConsolidatedMetadata {
  const metadata: Record<string, Record<string, unknown>> = {};
  for (const p of sortNodePaths(docs.keys())) metadata[p] = docs.get(p)!;
  return { kind: "inline", must_understand: false, metadata };
}

/**
 * A root group document with `block` as its consolidated metadata, keys in zarr-python's
 * order (`attributes`, `zarr_format`, `consolidated_metadata`, `node_type`); any other keys
 * the document has are kept after them.
 *
 * @example
 * ```ts
 * withConsolidated(groupMetadata(attrs), consolidatedBlock(docs));
 * ```
 */
export function withConsolidated(
  root: object,
  block: ConsolidatedMetadata,
): Record<string, unknown> {
  const { attributes, zarr_format, node_type, consolidated_metadata: _, ...rest } = root as Record<
    string,
    unknown
  >;
  return { attributes, zarr_format, consolidated_metadata: block, node_type, ...rest };
}

/**
 * True when `doc` is a Zarr v3 group document (the only kind that can carry the block).
 *
 * @example
 * ```ts
 * isGroupDocument({ zarr_format: 3, node_type: "group", attributes: {} }); // true
 * ```
 */
export function isGroupDocument(doc: unknown): doc is Record<string, unknown> {
  return !!doc && typeof doc === "object" && !Array.isArray(doc) &&
    (doc as Record<string, unknown>).zarr_format === 3 &&
    (doc as Record<string, unknown>).node_type === "group";
}

/** One way a consolidated block differs from the node documents. */
export interface ConsolidationMismatch {
  path: string;
  problem: "missing from the block" | "not a node any more" | "differs from its zarr.json";
}

/**
 * How the consolidated `block` differs from the node documents `docs` (path → document):
 * nodes it lacks, nodes it lists that do not exist, and entries whose JSON differs.
 *
 * @example
 * ```ts
 * compareConsolidated(root.consolidated_metadata, docs); // [] when current
 * ```
 */
export function compareConsolidated(
  block: ConsolidatedMetadata,
  docs: ReadonlyMap<string, Record<string, unknown>>,
): ConsolidationMismatch[] {
  const out: ConsolidationMismatch[] = [];
  const listed = block.metadata ?? {};
  for (const p of sortNodePaths(docs.keys())) {
    if (!(p in listed)) out.push({ path: p, problem: "missing from the block" });
    else if (JSON.stringify(listed[p]) !== JSON.stringify(docs.get(p))) {
      out.push({ path: p, problem: "differs from its zarr.json" });
    }
  }
  for (const p of sortNodePaths(Object.keys(listed))) {
    if (!docs.has(p)) out.push({ path: p, problem: "not a node any more" });
  }
  return out;
}
