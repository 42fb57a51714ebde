/** Plain-text tables for the console (scan and build --dry-run), like the upstream dry run. */
import type { ZoneSummary } from "./scan.ts";

/** The zone / EPSG / tiles / grid-size table. `shards` (optional) adds a shard count column. */
export function formatZoneTable(zones: readonly ZoneSummary[], shards?: readonly number[]): string {
  const head = [
    "year",
    "zone",
    "EPSG (tiles)",
    "tiles",
    "grid px",
    "grid km",
    ...(shards ? ["shards"] : []),
    "store",
  ];
  const rows = zones.map((z, i) => [
    String(z.year),
    String(z.zone),
    Object.entries(z.tilesPerEpsg).map(([e, n]) => `${e}:${n}`).join(" "),
    String(z.tiles),
    `${z.widthPx}×${z.heightPx}`,
    `${z.widthKm.toFixed(1)}×${z.heightKm.toFixed(1)}`,
    ...(shards ? [String(shards[i])] : []),
    z.store,
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => "  " + r.map((s, c) => s.padEnd(widths[c])).join("  ").trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
