/**
 * {@link Storage} over a local directory: the same key rules and range semantics as the
 * writer's FsStore (lib/zarr/fs_store.ts), plus abort checks, and a listing of a directory's
 * entries for collections without `_stores.json`.
 */
import { join } from "node:path";
import { FsStore } from "../zarr/fs_store.ts";
import type { ByteRange, Storage } from "./storage.ts";

/**
 * Reads objects and byte ranges from files under `root`. Missing files read as undefined; a
 * key that would leave `root` is a "BadArgument" error.
 *
 * @example
 * ```ts
 * const storage = new FsStorage("zarr/utm30_2024.zarr");
 * const meta = await storage.get("zarr.json");
 * const tail = await storage.get("scales/c/0/0", { suffixLength: 260 });
 * ```
 */
export class FsStorage implements Storage {
  readonly root: string;
  readonly #store: FsStore;

  constructor(root: string) {
    this.root = root;
    this.#store = new FsStore(root);
  }

  async get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    signal?.throwIfAborted();
    const bytes = await this.#store.get(key, range);
    signal?.throwIfAborted();
    return bytes;
  }

  /**
   * Names of the directories (or symlinks to directories) directly under `root` (or under
   * `root/sub`), sorted; empty when the directory does not exist.
   *
   * @example
   * ```ts
   * await new FsStorage("zarr").listDirectories(); // ["utm30_2024.zarr", "utm31_2024.zarr"]
   * ```
   */
  async listDirectories(sub = ""): Promise<string[]> {
    const names: string[] = [];
    try {
      const dir = join(this.root, sub);
      for await (const e of Deno.readDir(dir)) {
        // A symlinked store counts when it points at a directory.
        const isDir = e.isDirectory ||
          (e.isSymlink && (await Deno.stat(join(dir, e.name)).catch(() => null))?.isDirectory);
        if (isDir) names.push(e.name);
      }
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw e;
    }
    return names.sort();
  }
}
