/**
 * Tiny HTML for rich display in Jupyter (Deno kernel): objects that define
 * `[Symbol.for("Jupyter.display")]()` render as a small table there and stay plain objects
 * everywhere else.
 */

/**
 * Escapes text for HTML.
 *
 * @example
 * ```ts
 * escapeHtml("a<b"); // "a&lt;b"
 * ```
 */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A table with a caption, a header row (none when empty) and body rows; cells are escaped.
 *
 * @example
 * ```ts
 * htmlTable("utm30_2024.zarr", ["zone", "year"], [[30, 2024]]);
 * ```
 */
export function htmlTable(caption: string, header: unknown[], rows: unknown[][]): string {
  const cells = (r: unknown[], tag: string) =>
    `<tr>${
      r.map((c) => `<${tag} style="text-align:left">${escapeHtml(c)}</${tag}>`).join("")
    }</tr>`;
  return `<table><caption style="text-align:left"><b>${escapeHtml(caption)}</b></caption>` +
    (header.length ? `<thead>${cells(header, "th")}</thead>` : "") +
    `<tbody>${rows.map((r) => cells(r, "td")).join("")}` +
    `</tbody></table>`;
}
