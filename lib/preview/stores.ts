/**
 * Which stores a preview task works on: store paths, or folders of `utm{ZZ}_{YYYY}.zarr`
 * stores, filtered by zone and year. A folder contributes only names of that form (never, say,
 * a global mosaic that happens to end in `.zarr`).
 */
import { basename, join } from "node:path";
import { TesseraError } from "../errors.ts";
import { isStoreName, parseStoreName } from "../store/names.ts";

/**
 * Resolves STORE arguments to store paths, sorted and without duplicates. An argument holding
 * a `zarr.json` is a store; any other directory is searched (one level) for zone stores. With
 * `zones`/`year`, stores whose name says otherwise are dropped (an explicitly named store whose
 * name does not parse is kept). Nothing found is a BadArgument error.
 *
 * @example
 * ```ts
 * await findStores(["fixtures/sample/zarr"], { zones: [30] }); // [".../utm30_2024.zarr"]
 * ```
 */
export async function findStores(
  args: readonly string[],
  filter: { zones?: readonly number[]; year?: number } = {},
): Promise<string[]> {
  const keep = (path: string, explicit: boolean) => {
    const p = parseStoreName(basename(path));
    if (!p) return explicit;
    return (!filter.zones || filter.zones.includes(p.zone)) &&
      (filter.year === undefined || filter.year === p.year);
  };
  const found = new Set<string>();
  for (const arg of args) {
    const stat = await Deno.stat(arg).catch(() => undefined);
    if (!stat?.isDirectory) {
      throw new TesseraError("BadArgument", `${arg} is not a store or a folder of stores`);
    }
    if (await Deno.stat(join(arg, "zarr.json")).then(() => true, () => false)) {
      if (keep(arg, true)) found.add(arg);
      continue;
    }
    for await (const e of Deno.readDir(arg)) {
      if (e.isDirectory && isStoreName(e.name) && keep(e.name, false)) {
        found.add(join(arg, e.name));
      }
    }
  }
  if (found.size === 0) {
    const what = [
      filter.zones ? `zone(s) ${filter.zones.join(",")}` : "",
      filter.year !== undefined ? `year ${filter.year}` : "",
    ].filter(Boolean).join(", ");
    throw new TesseraError(
      "BadArgument",
      `no zone stores${what ? ` for ${what}` : ""} in ${
        args.join(", ")
      }; build some with \`deno task build\``,
    );
  }
  return [...found].sort();
}
