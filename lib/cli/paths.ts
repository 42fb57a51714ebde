/**
 * Checks of the paths a task is given, made before any work so that the exit-code rule of
 * args.ts holds: a path that does not exist or is the wrong kind of thing (a file where a
 * folder is wanted, a store where a folder of stores is) is bad usage, naming the path and what
 * to give; an existing folder with no zone store in the selection is {@link NothingSelected},
 * naming what is there.
 */
import { basename, dirname, join, resolve } from "node:path";
import { TesseraError } from "../errors.ts";
import { findStores } from "../preview/stores.ts";
import { isStoreName } from "../store/names.ts";
import { NothingSelected } from "./args.ts";

/**
 * Throws BadArgument unless `path` is a directory or can be made one: the nearest existing
 * ancestor must be a directory. `what` names it in the message (`--output-dir`, `OUT`).
 *
 * @example
 * await checkOutputDir(values["output-dir"], "--output-dir");
 */
export async function checkOutputDir(path: string, what: string): Promise<void> {
  const target = resolve(path);
  for (let p = target;; p = dirname(p)) {
    const stat = await Deno.stat(p).catch(() => undefined);
    if (stat?.isDirectory) return;
    if (stat) {
      throw new TesseraError(
        "BadArgument",
        p === target
          ? `${what} "${path}" is a file, not a directory: give a directory (made if missing)`
          : `${what} "${path}" cannot be made: "${p}" is a file, not a directory; give a ` +
            "directory path (made if missing)",
      );
    }
    if (dirname(p) === p) return;
  }
}

/**
 * Throws BadArgument unless `path` is an existing directory; `what` names it and `give` says
 * what to pass instead.
 */
export async function requireDirectory(path: string, what: string, give: string): Promise<void> {
  const stat = await Deno.stat(path).catch(() => undefined);
  if (stat?.isDirectory) return;
  throw new TesseraError(
    "BadArgument",
    `${what} "${path}" is not a directory (${
      stat ? "it is a file" : "it does not exist"
    }): ${give}`,
  );
}

/** True when `dir` is itself a Zarr store or group (it holds a `zarr.json`). */
export function isStore(dir: string): Promise<boolean> {
  return Deno.stat(join(dir, "zarr.json")).then((s) => s.isFile, () => false);
}

/** Names of the `utm{ZZ}_{YYYY}.zarr` directories directly in `dir`, sorted. */
export async function zoneStoresIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory && isStoreName(e.name)) names.push(e.name);
  }
  return names.sort();
}

/** "it is empty" or "it holds a, b, c, … (N entries)": for messages about a folder. */
async function describeFolder(dir: string): Promise<string> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.isDirectory ? `${e.name}/` : e.name);
  names.sort();
  if (names.length === 0) return "it is empty";
  const shown = names.slice(0, 5).join(", ");
  return `it holds ${shown}${names.length > 5 ? `, … (${names.length} entries)` : ""}`;
}

/**
 * The folder of zone stores a task such as `manifest` works on: it must exist and be a folder
 * of stores, not a store (BadArgument), and hold at least one (else NothingSelected, naming what
 * it holds). Returns the store names.
 *
 * @example
 * const names = await requireStoreFolder(positionals[0] ?? await defaultStoreDir());
 */
export async function requireStoreFolder(dir: string): Promise<string[]> {
  const give = "give the folder that holds the utm{ZZ}_{YYYY}.zarr stores";
  await requireDirectory(dir, "DIR", give);
  if (await isStore(dir)) {
    throw new TesseraError(
      "BadArgument",
      `DIR "${dir}" is a store, not a folder of stores: ${give} ("${dirname(resolve(dir))}")`,
    );
  }
  const names = await zoneStoresIn(dir);
  if (names.length === 0) {
    throw new NothingSelected(
      `no zone stores (utm{ZZ}_{YYYY}.zarr) in ${dir}: ${await describeFolder(dir)}; ` +
        `build some with \`deno task build BASE --output-dir ${dir}\``,
    );
  }
  return names;
}

/**
 * Resolves STORE arguments (stores, or folders of stores) to store paths like
 * {@link findStores}, under the exit-code rule: an argument that does not exist or is a file is
 * BadArgument; when the zone/year filter (or an empty folder) leaves nothing, NothingSelected
 * names the stores that are there.
 *
 * @example
 * const stores = await selectStores(["out/zarr"], { zones: [30] });
 */
export async function selectStores(
  args: readonly string[],
  filter: { zones?: readonly number[]; year?: number } = {},
): Promise<string[]> {
  const there: string[] = [];
  for (const arg of args) {
    await requireDirectory(arg, "STORE", "give a utm{ZZ}_{YYYY}.zarr store or a folder of them");
    if (await isStore(arg)) there.push(basename(resolve(arg)));
    else there.push(...await zoneStoresIn(arg));
  }
  if (there.length === 0) {
    const folders = await Promise.all(args.map(async (a) => `${a} (${await describeFolder(a)})`));
    throw new NothingSelected(
      `no zone stores (utm{ZZ}_{YYYY}.zarr) in ${folders.join(", ")}; ` +
        `build some with \`deno task build BASE --output-dir DIR\``,
    );
  }
  const wanted = [
    filter.zones ? `zone(s) ${filter.zones.join(",")}` : "",
    filter.year !== undefined ? `year ${filter.year}` : "",
  ].filter(Boolean).join(", ");
  try {
    return await findStores(args, filter);
  } catch (e) {
    // Every argument is a folder (checked above), so findStores only fails for finding none.
    if (!(e instanceof TesseraError && e.kind === "BadArgument")) throw e;
    throw new NothingSelected(
      `no zone stores for ${wanted || "that selection"} in ${args.join(", ")}; there: ` +
        `${[...new Set(there)].sort().join(", ")} — choose from those with --zones and --year`,
    );
  }
}
