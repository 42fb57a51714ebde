/**
 * Build warnings about odd but usable tiles (all-NaN scales, a multi-band landmask): the
 * shard workers note what they see per shard (`_build/shards/R.C.tile_notes.json`, written
 * before the shard's marker, like the bad-scale counts), and this merges the notes of a
 * zone's shards into one warning per tile and kind, in registry order.
 */
import { tileName, tilePaths } from "../tiles/layout.ts";
import {
  allNaNScalesWarning,
  multiBandLandmaskWarning,
  type TileWarning,
} from "../tiles/tile_warning.ts";
import type { TileRef } from "../tiles/tile_ref.ts";
import type { FsStore } from "../zarr/fs_store.ts";
import type { TileNote } from "./assemble.ts";
import type { ShardPlan } from "../plan/shard_plan.ts";
import { tileNotesKey } from "../store/layout.ts";

export type { TileWarning };

/** "year/grid_…" — the key of a tile in the per-shard note files. */
export function tileNoteKey(t: TileRef): string {
  return `${t.year}/${tileName(t.lonI, t.latI)}`;
}

/**
 * The warnings of `jobs`' shards (the plan's shards, or a slice of them). A tile's scales are
 * all NaN when every one of its pieces in `jobs` said so (a tile spans up to four shards,
 * each of which sees only its piece).
 *
 * @example
 * const warnings = await collectTileWarnings(store, plan.shards, plan.tiles, base);
 */
export async function collectTileWarnings(
  store: FsStore,
  jobs: readonly ShardPlan[],
  tiles: readonly TileRef[],
  base: string,
): Promise<TileWarning[]> {
  const pieces = new Map<number, number>();
  for (const job of jobs) {
    for (const p of job.pieces) pieces.set(p.tile, (pieces.get(p.tile) ?? 0) + 1);
  }
  const index = new Map(tiles.map((t, i) => [tileNoteKey(t), i]));
  const allNaN = new Map<number, number>();
  const landmaskBands = new Map<number, number>();
  for (const job of jobs) {
    const bytes = await store.get(tileNotesKey(job.row, job.col));
    if (!bytes) continue;
    const notes = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, TileNote>;
    for (const [key, note] of Object.entries(notes)) {
      const i = index.get(key);
      if (i === undefined) continue; // a note from another tile list: the resume check refuses that
      if (note.allNaNScales) allNaN.set(i, (allNaN.get(i) ?? 0) + 1);
      if (note.landmaskBands) {
        landmaskBands.set(i, Math.max(landmaskBands.get(i) ?? 0, note.landmaskBands));
      }
    }
  }
  const out: TileWarning[] = [];
  for (const i of [...new Set([...allNaN.keys(), ...landmaskBands.keys()])].sort((a, b) => a - b)) {
    const paths = tilePaths(base, tiles[i]);
    if (allNaN.get(i) === pieces.get(i)) out.push(allNaNScalesWarning(tiles[i], paths.scales));
    const bands = landmaskBands.get(i);
    if (bands) out.push(multiBandLandmaskWarning(tiles[i], paths.landmask, bands));
  }
  return out;
}
