/**
 * Stray objects: everything in a store's directory tree that the builder and the preview
 * passes would not have written — chunk keys outside an array's chunk grid (`embeddings/c/7/7/0`
 * in a 3 × 3 grid), names that are not chunk keys, unknown files and directories, interrupted
 * writes' temporaries, build state left behind. Readers never look at them, so they hide
 * silently (and a grid that shrank can leave whole shards of old data). The walk lists one
 * directory at a time, so memory does not grow with the store.
 */
import { join } from "node:path";

/** An object the store should not hold, and why. */
export interface StrayObject {
  /** Store key (path relative to the store root); a directory ends in `/`. */
  key: string;
  reason: string;
}

/** What a store may hold. */
export interface ObjectLayout {
  /** Group paths ("" is the root); each may hold `zarr.json` and its known children. */
  groups: ReadonlySet<string>;
  /** Array path → chunks per axis; each may hold `zarr.json` and `c/{i}/…` inside the grid. */
  arrays: ReadonlyMap<string, readonly number[]>;
  /** Other files allowed at the root (none today: every non-Zarr file lives beside the store). */
  rootFiles: ReadonlySet<string>;
  /** Root files reported with a specific reason (an older version's manifest), by name. */
  rootFileReasons?: ReadonlyMap<string, string>;
  /**
   * Shard grid (rows, cols) of the `_build/shards/` markers a build with failed tiles keeps;
   * undefined when the store must have no `_build` (the builder removes it when no tile failed).
   */
  buildShards?: readonly [number, number];
}

/** Chunks per axis of an array of `shape` chunked by `chunk`. */
export function chunkGrid(shape: readonly number[], chunk: readonly number[]): number[] {
  return shape.map((s, i) => Math.ceil(s / Math.max(1, chunk[i] ?? s)));
}

const INDEX = /^(0|[1-9][0-9]*)$/;
const TEMP = /\.tmp-[^/]*$/;
/** A shard's build state: `{row}.{col}.stats` (its marker), `.failures.json`, `.bad_scales.json`, … */
const MARKER = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.[a-z_]+(\.json)?$/;
/** A shard's pyramid share of an in-build preview: `{row}.{col}`. */
const PART = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/;

/**
 * Walks the store at `root` and returns the stray objects (the first `maxListed`) and how many
 * there are in all.
 *
 * @example
 * const { count, listed } = await findStrayObjects(store, layout, 10);
 */
export async function findStrayObjects(
  root: string,
  layout: ObjectLayout,
  maxListed: number,
): Promise<{ count: number; listed: StrayObject[] }> {
  const listed: StrayObject[] = [];
  let count = 0;
  const stray = (key: string, reason: string) => {
    count++;
    if (listed.length < maxListed) listed.push({ key, reason });
  };
  /** Reports every file under `key` (or the empty directory itself) with `reason`. */
  const strayTree = async (key: string, reason: string) => {
    let any = false;
    for (const e of await entries(join(root, key))) {
      any = true;
      const k = `${key}/${e.name}`;
      if (e.isDirectory) await strayTree(k, reason);
      else stray(k, reason);
    }
    if (!any) stray(`${key}/`, reason);
  };
  const fileOrTree = async (key: string, e: Deno.DirEntry, reason: string) => {
    if (e.isDirectory) await strayTree(key, reason);
    else stray(key, e.isSymlink ? `${reason} (a symbolic link)` : reason);
  };

  const chunks = async (key: string, grid: readonly number[], depth: number) => {
    for (const e of await entries(join(root, key))) {
      const k = `${key}/${e.name}`;
      const leaf = depth === grid.length - 1;
      if (TEMP.test(e.name)) {
        await fileOrTree(k, e, "temporary file of an interrupted write");
      } else if (!INDEX.test(e.name)) {
        await fileOrTree(k, e, "not a chunk key");
      } else if (Number(e.name) >= grid[depth]) {
        await fileOrTree(k, e, `outside the ${grid.join(" × ")} chunk grid`);
      } else if (leaf !== e.isFile) {
        await fileOrTree(k, e, leaf ? "a directory where a chunk should be" : "not a chunk key");
      } else if (!leaf) {
        await chunks(k, grid, depth + 1);
      }
    }
  };

  const node = async (key: string) => {
    const grid = layout.arrays.get(key);
    for (const e of await entries(join(root, key))) {
      const k = key ? `${key}/${e.name}` : e.name;
      if (e.name === "zarr.json" && e.isFile) continue;
      if (TEMP.test(e.name)) {
        await fileOrTree(k, e, "temporary file of an interrupted write");
      } else if (grid) {
        if (e.name === "c" && e.isDirectory && grid.length > 0) await chunks(k, grid, 0);
        else await fileOrTree(k, e, "not part of the array");
      } else if (e.isDirectory && (layout.groups.has(k) || layout.arrays.has(k))) {
        await node(k);
      } else if (key === "" && e.isFile && layout.rootFiles.has(e.name)) {
        continue;
      } else if (key === "" && e.isFile && layout.rootFileReasons?.has(e.name)) {
        stray(k, layout.rootFileReasons.get(e.name)!);
      } else if (key === "" && e.name === "_build" && e.isDirectory) {
        await buildState(k);
      } else {
        await fileOrTree(k, e, e.isDirectory ? "unknown directory" : "unknown file");
      }
    }
  };

  const buildState = async (key: string) => {
    const grid = layout.buildShards;
    if (!grid) {
      await strayTree(key, "build state left behind (the builder removes it when no tile failed)");
      return;
    }
    for (const e of await entries(join(root, key))) {
      const k = `${key}/${e.name}`;
      // The parameters of in-build previews and each shard's share of their pyramid
      // (lib/preview/in_build.ts, pyramid_parts.ts), kept for a later --resume.
      if (e.name === "previews.json" && e.isFile) continue;
      if (e.name === "previews" && e.isDirectory) {
        await previewParts(k, grid);
        continue;
      }
      if (e.name !== "shards" || !e.isDirectory) {
        await fileOrTree(k, e, "unknown build state");
        continue;
      }
      for (const m of await entries(join(root, k))) {
        const mk = `${k}/${m.name}`;
        const match = MARKER.exec(m.name);
        if (!match || !m.isFile) await fileOrTree(mk, m, "unknown build state");
        else if (Number(match[1]) >= grid[0] || Number(match[2]) >= grid[1]) {
          stray(mk, `build state of a shard outside the ${grid[0]} × ${grid[1]} shard grid`);
        }
      }
    }
  };

  const previewParts = async (key: string, grid: readonly number[]) => {
    for (const e of await entries(join(root, key))) {
      const k = `${key}/${e.name}`;
      if (!e.isDirectory || (e.name !== "rgb" && e.name !== "pca_rgb")) {
        await fileOrTree(k, e, "unknown build state");
        continue;
      }
      for (const m of await entries(join(root, k))) {
        const mk = `${k}/${m.name}`;
        const match = PART.exec(m.name);
        if (!match || !m.isFile) await fileOrTree(mk, m, "unknown build state");
        else if (Number(match[1]) >= grid[0] || Number(match[2]) >= grid[1]) {
          stray(mk, `pyramid share of a shard outside the ${grid[0]} × ${grid[1]} shard grid`);
        }
      }
    }
  };

  await node("");
  return { count, listed };
}

/** A directory's entries sorted by name (so the listing is the same on every file system). */
async function entries(dir: string): Promise<Deno.DirEntry[]> {
  const out: Deno.DirEntry[] = [];
  try {
    for await (const e of Deno.readDir(dir)) out.push(e);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return out;
    throw e;
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
