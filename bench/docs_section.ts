/**
 * Benchmarks write their results into docs/benchmarks.md, each owning one `## name` section:
 * the file is re-read right before writing and only that section is replaced (or appended), so
 * benchmarks run at different times never clobber each other.
 */
import { fileURLToPath } from "node:url";

/** The benchmark results document. */
export const BENCHMARKS_DOC = fileURLToPath(new URL("../docs/benchmarks.md", import.meta.url));

/** `doc` with its `## name` section (up to the next `## ` heading) replaced or appended. */
export function replaceSection(doc: string, name: string, section: string): string {
  const lines = doc.split("\n");
  const start = lines.findIndex((l) => l.trim() === `## ${name}`);
  if (start < 0) return doc.trimEnd() + "\n\n" + section;
  let end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
  if (end < 0) end = lines.length;
  const before = lines.slice(0, start).join("\n").trimEnd();
  const after = lines.slice(end).join("\n").trim();
  return before + "\n\n" + section + (after ? "\n" + after + "\n" : "");
}

/** Replaces the `## name` section of docs/benchmarks.md with `section` (which starts with it). */
export async function writeBenchSection(name: string, section: string): Promise<void> {
  const current = await Deno.readTextFile(BENCHMARKS_DOC).catch(() => "# Benchmarks\n");
  await Deno.writeTextFile(BENCHMARKS_DOC, replaceSection(current, name, section));
  console.error(`wrote the ## ${name} section of ${BENCHMARKS_DOC}`);
}

/**
 * The usual section layout: heading, the exact command, what was measured and when, the
 * table, then notes.
 */
export function benchSection(
  name: string,
  command: string,
  context: string,
  table: string,
  notes: string,
): string {
  const when = new Date().toISOString().slice(0, 10);
  return [
    `## ${name}`,
    "",
    "```sh",
    command,
    "```",
    "",
    `${context} Measured ${when}, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}.`,
    "",
    table,
    "",
    notes.trim(),
  ].join("\n").trim() + "\n";
}
