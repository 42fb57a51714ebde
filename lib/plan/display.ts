/**
 * Rich display of zone plans in Jupyter (the Deno kernel renders any value that has a
 * `Symbol.for("Jupyter.display")` method). Plans themselves stay plain data — they are
 * posted to workers and compared in tests — so display is a thin wrapper around a plan:
 * `displayZonePlan(plan)` as the last expression of a cell shows a summary, a sketch of the
 * tiles on the zone grid with its shard lines, and the tile table. Outside a kernel the
 * wrapper is an ordinary object whose `toString()` is a one-line summary.
 */
import { geoboxBounds, pixelCorner, pixelSizeM } from "../grid/geobox.ts";
import { tileName } from "../tiles/layout.ts";
import { SHARD_PX, shardGridShape } from "./shard_plan.ts";
import { storeName, type ZonePlan } from "./zone_plan.ts";

/** The key the Deno Jupyter kernel looks for; `Symbol.for`, so no import is needed to match. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display");

/** A MIME bundle, e.g. `{"text/html": "<b>…</b>", "text/plain": "…"}`. */
export type MimeBundle = Record<string, string>;

/** Tiles drawn one by one in the sketch; bigger plans are drawn as their shards instead. */
const SKETCH_MAX_TILES = 2000;
/** Tile rows listed in the table; the rest are counted. */
const TABLE_MAX_ROWS = 50;
/** Longest side of the sketch, CSS pixels. */
const SKETCH_PX = 260;

/** A zone plan that displays itself in Jupyter. `plan` is the unchanged plan. */
export class ZonePlanView {
  readonly plan: ZonePlan;

  constructor(plan: ZonePlan) {
    this.plan = plan;
  }

  /** One line: store, zone, year, CRS, grid size, tiles and shards. */
  toString(): string {
    return zonePlanText(this.plan);
  }

  /** The HTML fragment Jupyter shows. */
  html(): string {
    return zonePlanHtml(this.plan);
  }

  [JUPYTER_DISPLAY](): MimeBundle {
    return { "text/plain": this.toString(), "text/html": this.html() };
  }
}

/** Several zone plans as one table (one row per store), each expandable to its own view. */
export class ZonePlansView {
  readonly plans: readonly ZonePlan[];

  constructor(plans: readonly ZonePlan[]) {
    this.plans = plans;
  }

  toString(): string {
    return this.plans.map(zonePlanText).join("\n");
  }

  html(): string {
    const head = ["store", "year", "zone", "CRS", "tiles", "per EPSG", "grid px", "km", "shards"];
    const rows = this.plans.map((p) => {
      const { width, height } = p.geobox;
      const epsgs = [...p.tilesPerEpsg].sort((a, b) => a[0] - b[0]).map(([e, n]) => `${e}: ${n}`);
      return [
        storeName(p.zone, p.year),
        String(p.year),
        String(p.zone),
        `EPSG:${p.epsg}`,
        String(p.tiles.length),
        epsgs.join(", "),
        `${width} × ${height}`,
        `${km(width, pixelSizeM(p.geobox))} × ${km(height, pixelSizeM(p.geobox))}`,
        String(p.shards.length),
      ];
    });
    const details = this.plans.map((p) =>
      el("details", {}, [el("summary", {}, esc(storeName(p.zone, p.year))), ...planBody(p)])
    );
    return view([table(head, rows), ...details]);
  }

  [JUPYTER_DISPLAY](): MimeBundle {
    return { "text/plain": this.toString(), "text/html": this.html() };
  }
}

/**
 * Wraps a plan so that it displays richly in Jupyter.
 *
 * @example
 * ```ts
 * const [plan] = planZones(tiles);
 * displayZonePlan(plan); // last expression of a notebook cell: summary, sketch, tile table
 * ```
 */
export function displayZonePlan(plan: ZonePlan): ZonePlanView {
  return new ZonePlanView(plan);
}

/**
 * Wraps a list of plans (as `planZones` returns) for display: one summary row per store.
 *
 * @example
 * ```ts
 * displayZonePlans(planZones(tiles));
 * ```
 */
export function displayZonePlans(plans: readonly ZonePlan[]): ZonePlansView {
  return new ZonePlansView(plans);
}

/**
 * A one-line description of a plan.
 *
 * @example
 * zonePlanText(plan); // "utm30_2024.zarr: zone 30, 2024, EPSG:32630, 1476 × 2280 px, 4 tiles, 6 shards"
 */
export function zonePlanText(plan: ZonePlan): string {
  const { width, height } = plan.geobox;
  return `${storeName(plan.zone, plan.year)}: zone ${plan.zone}, ${plan.year}, ` +
    `EPSG:${plan.epsg}, ${width} × ${height} px, ${plan.tiles.length} tiles, ` +
    `${plan.shards.length} shards`;
}

/**
 * The HTML view of a plan: summary, sketch (tiles on the zone grid, shard lines) and tiles.
 *
 * @example
 * Deno.jupyter.html`${zonePlanHtml(plan)}`;
 */
export function zonePlanHtml(plan: ZonePlan): string {
  return view(planBody(plan));
}

function planBody(plan: ZonePlan): string[] {
  const { width, height } = plan.geobox;
  const [minE, minN, maxE, maxN] = geoboxBounds(plan.geobox);
  const [x0, y0] = pixelCorner(plan.geobox, 0, 0);
  const px = pixelSizeM(plan.geobox);
  const shards = plan.shards.length;
  const [shardRows, shardCols] = shardGridShape(height, width);
  const epsgs = [...plan.tilesPerEpsg].sort((a, b) => a[0] - b[0])
    .map(([e, n]) => `EPSG:${e} × ${n}`).join(", ");
  const facts: [string, string][] = [
    [
      "grid",
      `${width} × ${height} px (${km(width, px)} × ${km(height, px)} km), ${px} m pixels`,
    ],
    ["origin (E, N)", `${fmt(x0)}, ${fmt(y0)} (outer corner of pixel 0, 0)`],
    ["bbox (E, N)", `${fmt(minE)} … ${fmt(maxE)}, ${fmt(minN)} … ${fmt(maxN)}`],
    ["tiles", `${plan.tiles.length} (${epsgs})`],
    [
      "shards",
      `${shards} of ${shardRows} × ${shardCols} (${SHARD_PX} px); ` +
      `${shardRows * shardCols - shards} empty, not written`,
    ],
  ];
  const title = el(
    "div",
    { class: "tz-title" },
    esc(
      `${storeName(plan.zone, plan.year)} — UTM zone ${plan.zone}, ${plan.year}, EPSG:${plan.epsg}`,
    ),
  );
  const factTable = el(
    "table",
    {},
    facts.map(([k, v]) => el("tr", {}, el("th", {}, esc(k)) + td(v))).join(""),
  );
  const note = el(
    "div",
    { class: "tz-note" },
    "Tiles on the zone grid: blue north (326zz), orange south (327zz, at canonical northings); " +
      `dashed: ${SHARD_PX}-px shards. Hover a tile for its name.`,
  );
  const row = el("div", { class: "tz-row" }, [factTable, el("div", {}, [sketch(plan), note])]);
  return [title, row, tileTable(plan)];
}

/** SVG of the zone grid: tile rectangles (or planned shards for huge plans) and shard lines. */
function sketch(plan: ZonePlan): string {
  const { width, height } = plan.geobox;
  const s = SKETCH_PX / Math.max(width, height);
  const w = r(Math.max(1, width * s)), h = r(Math.max(1, height * s));
  const rect = (r0: number, c0: number, rows: number, cols: number) => ({
    x: r(c0 * s),
    y: r(r0 * s),
    width: r(cols * s),
    height: r(rows * s),
  });
  const parts: string[] = [];
  if (plan.tiles.length <= SKETCH_MAX_TILES) {
    for (const p of plan.placements) {
      const t = plan.tiles[p.index], epsg = plan.grids[p.index].epsg;
      // Southern tiles (327zz, placed at canonical northings) in orange.
      const south = epsg !== plan.epsg;
      const label = `${p.index}: ${tileName(t.lonI, t.latI)} (EPSG:${epsg})`;
      parts.push(el("rect", {
        ...rect(p.rowOffsetPx, p.colOffsetPx, p.height, p.width),
        fill: south ? "#e08a3c" : "#4c78a8",
        "fill-opacity": 0.35,
        stroke: south ? "#a0521a" : "#2a4d74",
        "stroke-width": 0.6,
      }, el("title", {}, esc(label))));
    }
  } else {
    for (const shard of plan.shards) {
      const { r0, r1, c0, c1 } = shard.rect;
      const label = `shard ${shard.row}.${shard.col}: ${shard.pieces.length} tiles`;
      parts.push(el("rect", {
        ...rect(r0, c0, r1 - r0, c1 - c0),
        fill: "#4c78a8",
        "fill-opacity": 0.5,
      }, el("title", {}, esc(label))));
    }
  }
  const lines: string[] = [];
  const [rows, cols] = shardGridShape(height, width);
  // Shard lines only while they stay readable.
  if (rows * cols <= 400) {
    for (let c = 1; c < cols; c++) {
      const x = r(c * SHARD_PX * s);
      lines.push(el("line", { x1: x, y1: 0, x2: x, y2: h }));
    }
    for (let k = 1; k < rows; k++) {
      const y = r(k * SHARD_PX * s);
      lines.push(el("line", { x1: 0, y1: y, x2: w, y2: y }));
    }
  }
  const frame = el("rect", { x: 0, y: 0, width: w, height: h, fill: "none", stroke: "#444" });
  const grid = el("g", { stroke: "#888", "stroke-width": 0.7, "stroke-dasharray": "3 2" }, lines);
  return el("svg", {
    xmlns: "http://www.w3.org/2000/svg",
    width: w + 2,
    height: h + 2,
    viewBox: `-1 -1 ${w + 2} ${h + 2}`,
    role: "img",
    "aria-label": "tiles on the zone grid",
  }, [frame, ...parts, grid]);
}

function tileTable(plan: ZonePlan): string {
  const head = ["#", "tile", "EPSG", "W × H px", "row, col offset px", "origin E, N (native)"];
  const rows = plan.placements.slice(0, TABLE_MAX_ROWS).map((p) => {
    const t = plan.tiles[p.index];
    const g = plan.grids[p.index];
    return [
      String(p.index),
      tileName(t.lonI, t.latI),
      String(g.epsg),
      `${p.width} × ${p.height}`,
      `${p.rowOffsetPx}, ${p.colOffsetPx}`,
      pixelCorner(g.geobox, 0, 0).map((v) => v.toFixed(4)).join(", "),
    ];
  });
  const more = plan.tiles.length - rows.length;
  const tail = more > 0 ? el("div", {}, `… and ${more} more tiles`) : "";
  const summary = el("summary", {}, `${plan.tiles.length} tiles (registry order)`);
  return el("details", {}, [summary, table(head, rows), tail]);
}

/** Styles scoped to the `tz-view` class, emitted once per displayed value. */
const STYLE = ".tz-view{font-family:system-ui,sans-serif;font-size:12px;line-height:1.4}" +
  ".tz-view table{border-collapse:collapse;margin:4px 0;font-size:inherit}" +
  ".tz-view th,.tz-view td{text-align:left;padding:1px 10px 1px 0;white-space:nowrap}" +
  ".tz-view td{font-variant-numeric:tabular-nums}" +
  ".tz-view .tz-title{font-weight:600;margin-bottom:4px}" +
  ".tz-view .tz-row{display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap}" +
  ".tz-view .tz-note{color:#666;max-width:280px}";

function view(body: readonly string[]): string {
  return el("div", { class: "tz-view" }, [el("style", {}, STYLE), ...body]);
}

/** An element; `body` is already HTML (escape text with `esc`). */
function el(
  name: string,
  attrs: Record<string, string | number>,
  body: string | readonly string[] = "",
): string {
  const a = Object.entries(attrs).map(([k, v]) => ` ${k}="${esc(String(v))}"`).join("");
  return `<${name}${a}>${typeof body === "string" ? body : body.join("")}</${name}>`;
}

function td(text: string): string {
  return el("td", {}, esc(text));
}

function table(head: readonly string[], rows: readonly string[][]): string {
  const th = head.map((h) => el("th", {}, esc(h))).join("");
  const body = rows.map((row) => el("tr", {}, row.map(td))).join("");
  return el("table", {}, el("thead", {}, el("tr", {}, th)) + el("tbody", {}, body));
}

function km(pixels: number, pixelM: number): string {
  return (pixels * pixelM / 1000).toFixed(1);
}

function fmt(m: number): string {
  return Number.isInteger(m) ? String(m) : m.toFixed(3);
}

/** Rounds to 0.1 (SVG coordinates). */
function r(x: number): number {
  return Math.round(x * 10) / 10;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
