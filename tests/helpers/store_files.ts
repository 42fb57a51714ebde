/** Reads every file of a directory tree into a map (relative path → bytes), for byte-identity tests. */
import { join, relative } from "node:path";

export async function readTree(root: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const p = join(dir, e.name);
      if (e.isDirectory) await walk(p);
      else out.set(relative(root, p), await Deno.readFile(p));
    }
  };
  await walk(root);
  return out;
}

/** Lists the differences between two trees (missing files, differing bytes); empty when identical. */
export async function diffTrees(a: string, b: string): Promise<string[]> {
  const [ta, tb] = [await readTree(a), await readTree(b)];
  const diffs: string[] = [];
  for (const [k, v] of ta) {
    const w = tb.get(k);
    if (!w) diffs.push(`only in ${a}: ${k}`);
    else if (v.length !== w.length || v.some((x, i) => x !== w[i])) diffs.push(`differs: ${k}`);
  }
  for (const k of tb.keys()) if (!ta.has(k)) diffs.push(`only in ${b}: ${k}`);
  return diffs;
}
