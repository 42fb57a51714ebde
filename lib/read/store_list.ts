/**
 * Which zone stores a directory or base URL holds: the names in `_stores.json` (SPEC §7)
 * when there is one, else, locally, the `utm{ZZ}_{YYYY}.zarr` directories; sorted by year,
 * then zone. An HTTP server without `_stores.json` cannot be listed.
 */
import { TesseraError } from "../errors.ts";
import type { FsStorage } from "./fs_storage.ts";
import { getJson, type Storage } from "./storage.ts";
import { STORE_NAME_PATTERN } from "../store/names.ts";

/** One store of a collection. */
export interface StoreEntry {
  name: string;
  zone: number;
  year: number;
}

/**
 * The zone stores under `storage` (at `location`, for messages); `fs` is the local storage
 * when there is one, to list directories without `_stores.json`.
 *
 * @example
 * ```ts
 * const { storage, location, fs } = openStorage("fixtures/sample/zarr");
 * await listZoneStores(storage, location, fs, { years: [2024] });
 * // [{ name: "utm30_2024.zarr", zone: 30, year: 2024 }, …]
 * ```
 */
export async function listZoneStores(
  storage: Storage,
  location: string,
  fs: FsStorage | undefined,
  opts: { years?: number[]; signal?: AbortSignal } = {},
): Promise<StoreEntry[]> {
  const listed = await getJson(storage, "_stores.json", opts.signal);
  let names: string[];
  if (listed !== undefined) {
    if (!Array.isArray(listed) || !listed.every((n) => typeof n === "string")) {
      throw new TesseraError("BadStore", "_stores.json must be a JSON array of names", location);
    }
    names = listed;
  } else if (fs) {
    names = await fs.listDirectories();
  } else {
    throw new TesseraError(
      "BadStore",
      "no _stores.json here, and an HTTP server cannot be listed: run `deno task manifest` " +
        "on the directory, or open one store with openZoneStore",
      location,
    );
  }
  const entries: StoreEntry[] = [];
  for (const name of names) {
    const m = STORE_NAME_PATTERN.exec(name);
    if (!m) continue;
    const entry = { name, zone: Number(m[1]), year: Number(m[2]) };
    if (!opts.years || opts.years.includes(entry.year)) entries.push(entry);
  }
  return entries.sort((a, b) => a.year - b.year || a.zone - b.zone);
}
