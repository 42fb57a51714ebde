/**
 * Display helpers for the QA notebooks on the Deno Jupyter kernel: Observable Plot rendered
 * headless (linkedom provides the DOM Plot needs), HTML tables, PNG images from RGBA pixels,
 * and a side-by-side layout. Every helper returns a plain object with a
 * `Symbol.for("Jupyter.display")` method, so it shows richly as a cell's last expression and
 * stays an ordinary value outside a kernel (`Deno.jupyter` exists only inside one).
 *
 * The notebooks end their cells with `await show(…)` rather than a bare last expression: the
 * Deno kernel (2.9) often publishes a cell's `execute_result` *after* its "idle" status, and
 * `jupyter nbconvert --execute` (nbclient) stops listening at "idle", so results went missing
 * from executed notebooks at random (3 of 5 cells in one run). `show` sends
 * `display_data` while the cell still runs, then lets the kernel's output queue drain: even an
 * awaited `Deno.jupyter.broadcast` was overtaken by "idle" in 2 of 60 trials, and none of 90
 * with a pause (longer for megabytes of inline images).
 */
// Inline specifiers until deno.json maps "@observablehq/plot" and "linkedom" (then import bare).
// deno-lint-ignore no-import-prefix
import * as Plot from "npm:@observablehq/plot@0.6.17";
// deno-lint-ignore no-import-prefix
import { parseHTML } from "npm:linkedom@0.18.12";
import { encodePng } from "../lib/preview/png.ts";

const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

/** A MIME bundle as Jupyter takes it (`image/png` is base64). */
export type MimeBundle = Record<string, string>;

/** Anything the kernel can display. */
export interface Displayable {
  [JUPYTER_DISPLAY](): MimeBundle | Promise<MimeBundle>;
}

/** Wraps a MIME bundle so that it displays. */
export function displayable(bundle: MimeBundle): Displayable {
  return { [JUPYTER_DISPLAY]: () => bundle };
}

/** A fresh headless document for Plot (one per figure, so figures never share nodes). */
function headlessDocument(): Plot.PlotOptions["document"] {
  // linkedom types its result as a browser Window, whose types Deno does not load.
  const window = parseHTML("<!doctype html><html><head></head><body></body></html>") as unknown;
  return (window as { document: Plot.PlotOptions["document"] }).document;
}

/**
 * Renders an Observable Plot figure without a browser.
 *
 * @example
 * ```ts
 * plot({ marks: [Plot.dot(rows, { x: "e", y: "n" })] }); // last expression of a cell
 * ```
 */
export function plot(options: Plot.PlotOptions): Displayable & { html: string } {
  // Plot puts a title in an <h2>, which notebook stylesheets blow up into a section heading
  // (with an anchor link in JupyterLab); a plain caption keeps figures compact.
  const { title, ...rest } = options;
  const figure = Plot.plot({ ...rest, document: headlessDocument() });
  const inner = (figure as unknown as { outerHTML: string }).outerHTML;
  const caption = typeof title === "string"
    ? `<div style="font:600 13px system-ui,sans-serif;margin:0 0 4px">${esc(title)}</div>`
    : "";
  const html = caption ? `<div>${caption}${inner}</div>` : inner;
  const bundle: MimeBundle = {
    "text/html": html,
    "text/plain": `[Plot figure${title ? `: ${title}` : ""}]`,
  };
  return { html, [JUPYTER_DISPLAY]: () => bundle };
}

/** Options for {@link table}. */
export interface TableOptions {
  /** Columns to show, in order (default: the keys of the first row). */
  columns?: string[];
  /** Rows shown at most (default 50); the rest are counted. */
  max?: number;
  /** Caption above the table. */
  caption?: string;
  /** Decimal places for non-integer numbers (default 3). */
  digits?: number;
}

/**
 * An HTML table of records.
 *
 * @example
 * ```ts
 * table([{ tile: "grid_0.15_52.25", dE: 0.0001 }], { caption: "offsets" });
 * ```
 */
export function table(
  rows: readonly object[],
  opts: TableOptions = {},
): Displayable & { html: string } {
  const recs = rows as readonly Record<string, unknown>[];
  const columns = opts.columns ?? Object.keys(recs[0] ?? {});
  const max = opts.max ?? 50;
  const digits = opts.digits ?? 3;
  const cell = (v: unknown) => {
    if (typeof v === "number" && !Number.isInteger(v)) return v.toFixed(digits);
    if (Array.isArray(v)) return v.join(", ");
    return v === undefined || v === null ? "" : String(v);
  };
  const th = columns.map((c) => `<th style="${CELL}">${esc(c)}</th>`).join("");
  const body = recs.slice(0, max).map((r) =>
    `<tr>${columns.map((c) => `<td style="${CELL}">${esc(cell(r[c]))}</td>`).join("")}</tr>`
  ).join("");
  const more = rows.length > max ? `<div>… ${rows.length - max} more rows</div>` : "";
  const caption = opts.caption ? `<div style="font-weight:600">${esc(opts.caption)}</div>` : "";
  const empty = rows.length === 0 ? "<div><i>(none)</i></div>" : "";
  const html = `<div style="${BOX}">${caption}${empty}` +
    (rows.length
      ? `<table style="border-collapse:collapse;font-size:inherit"><thead><tr>${th}` +
        `</tr></thead><tbody>${body}</tbody></table>`
      : "") +
    `${more}</div>`;
  const text = [
    columns.join("\t"),
    ...recs.slice(0, max).map((r) => columns.map((c) => cell(r[c])).join("\t")),
  ]
    .join("\n");
  return { html, [JUPYTER_DISPLAY]: () => ({ "text/html": html, "text/plain": text }) };
}

/**
 * A PNG image of `width × height` RGBA pixels (row-major, 4 bytes per pixel).
 *
 * @example
 * ```ts
 * image(rgba, 256, 256, { scale: 2, caption: "PCA preview" });
 * ```
 */
export function image(
  rgba: Uint8Array,
  width: number,
  height: number,
  opts: { scale?: number; caption?: string } = {},
): Displayable & { png: Uint8Array; html: string } {
  const png = encodePng(rgba, width, height);
  const b64 = base64(png);
  const w = Math.round(width * (opts.scale ?? 1));
  // `image-rendering: pixelated` keeps pixels sharp when scaled up.
  const img = `<img width="${w}" style="image-rendering:pixelated" ` +
    `src="data:image/png;base64,${b64}" alt="${esc(opts.caption ?? "image")}"/>`;
  const html = `<figure style="margin:0;${BOX}">${img}` +
    (opts.caption ? `<figcaption>${esc(opts.caption)}</figcaption>` : "") + `</figure>`;
  return {
    png,
    html,
    [JUPYTER_DISPLAY]: () => ({ "text/html": html, "text/plain": `[PNG ${width}×${height}]` }),
  };
}

/**
 * Lays displayables out side by side (wrapping when narrow).
 *
 * @example
 * ```ts
 * row(plot(a), plot(b));
 * ```
 */
export function row(...items: unknown[]): Displayable {
  const layout = async () => {
    const cells = await Promise.all(
      items.map(async (it) =>
        `<div style="flex:0 1 auto;min-width:0">${asHtml(await bundleOf(it))}</div>`
      ),
    );
    return `<div style="display:flex;gap:16px;flex-wrap:wrap;align-items:flex-start">` +
      `${cells.join("")}</div>`;
  };
  return { [JUPYTER_DISPLAY]: async () => ({ "text/html": await layout() }) };
}

/**
 * Displays items now, while the cell runs (see the module comment for why). Outside a kernel it
 * prints their plain-text form.
 *
 * @example
 * ```ts
 * await show(table(rows), plot(options));
 * ```
 */
export async function show(...items: unknown[]): Promise<void> {
  const jupyter = (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
  let chars = 0;
  for (const item of items) {
    const data = await bundleOf(item);
    chars += Object.values(data).reduce((n, v) => n + v.length, 0);
    if (jupyter) await jupyter.broadcast("display_data", { data, metadata: {}, transient: {} });
    else console.log(data["text/plain"] ?? data["text/markdown"] ?? "[display]");
  }
  const settleMs = OUTPUT_SETTLE_MS + OUTPUT_SETTLE_MS_PER_MB * chars / 1e6;
  if (jupyter) await new Promise((resolve) => setTimeout(resolve, settleMs));
}

/**
 * Pause after displaying so the kernel publishes the output before the cell's "idle"; big
 * outputs (inline PNGs) take longer to go out.
 */
const OUTPUT_SETTLE_MS = 25;
const OUTPUT_SETTLE_MS_PER_MB = 50;

/** The part of `Deno.jupyter` used here (the namespace only exists inside the kernel). */
interface JupyterApi {
  broadcast(type: string, content: Record<string, unknown>): Promise<void>;
}

/** Markdown, e.g. a computed conclusion. */
export function markdown(text: string): Displayable {
  return displayable({ "text/markdown": text, "text/plain": text });
}

/**
 * The MIME bundle of anything: its own `Symbol.for("Jupyter.display")` method when it has one
 * (the library's zone plans and store handles do, each module with its own symbol constant, so
 * this goes by the runtime key rather than a type), else its text.
 */
async function bundleOf(item: unknown): Promise<MimeBundle> {
  const method = (item as Record<symbol, unknown> | null)?.[JUPYTER_DISPLAY];
  if (typeof method === "function") return await method.call(item);
  return { "text/plain": typeof item === "string" ? item : Deno.inspect(item) };
}

function asHtml(b: MimeBundle): string {
  if (b["text/html"]) return b["text/html"];
  if (b["image/svg+xml"]) return b["image/svg+xml"];
  if (b["image/png"]) return `<img src="data:image/png;base64,${b["image/png"]}"/>`;
  return `<pre>${esc(b["text/plain"] ?? "")}</pre>`;
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

const BOX = "font-family:system-ui,sans-serif;font-size:12px";
const CELL = "text-align:left;padding:1px 10px 1px 0;white-space:nowrap;" +
  "font-variant-numeric:tabular-nums";

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
