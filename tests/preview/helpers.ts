/**
 * Shared pieces of the preview tests: a small built dataset (real fixtures, real `build` CLI),
 * zarrita reads of whole arrays, NumPy as an independent reference (tests/preview/reference.py
 * run by /usr/bin/python3), and plain reference implementations of the preview formulas.
 */
import * as zarr from "zarrita";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FixtureOptions } from "../../lib/sample_data/generate.ts";
import { fixtureDataset } from "../helpers/fixtures.ts";
import { fsReadable } from "../../lib/zarr/fs_store.ts";
import { runCli } from "../helpers/cli.ts";

const REFERENCE_PY = fileURLToPath(new URL("./reference.py", import.meta.url));

/** Generates fixtures into a temp dir and builds them with the real CLI; returns the zarr dir. */
export async function builtDataset(
  prefix: string,
  fixture: Omit<FixtureOptions, "out">,
  buildArgs: string[] = [],
): Promise<
  { base: string; zarr: string; build: { code: number; stderr: string; stdout: string } }
> {
  const base = await Deno.makeTempDir({ prefix });
  // Hundreds of MB per run: removed when the test module ends.
  globalThis.addEventListener("unload", () => Deno.removeSync(base, { recursive: true }));
  await fixtureDataset({ out: base, ...fixture });
  const build = await runCli("build", [base, "--workers", "2", ...buildArgs]);
  return { base, zarr: join(base, "zarr"), build };
}

/** Opens a store's root group with zarrita. */
export async function openGroup(store: string) {
  const root = zarr.root(fsReadable(store));
  return { root, group: await zarr.open.v3(root, { kind: "group" }) };
}

/** Reads a whole array of a store with zarrita. */
export async function readArray(store: string, path: string) {
  const root = zarr.root(fsReadable(store));
  const arr = await zarr.open.v3(root.resolve(path), { kind: "array" });
  const chunk = await zarr.get(arr, null);
  return { arr, data: chunk.data, shape: chunk.shape };
}

/** Root attributes straight from the store's zarr.json. */
export async function rootAttrs(store: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(join(store, "zarr.json"))).attributes;
}

/** Runs a NumPy reference command (see reference.py). */
export async function numpy<T>(command: string, args: unknown): Promise<T> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [REFERENCE_PY, command, JSON.stringify(args)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (!out.success) throw new Error(`reference.py ${command} failed:\n${dec.decode(out.stderr)}`);
  return JSON.parse(dec.decode(out.stdout));
}

/** Writes a typed array as a raw little-endian file. */
export async function writeRaw(file: string, data: ArrayBufferView): Promise<void> {
  await Deno.writeFile(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/**
 * The alpha-aware 2 × 2 mean written out the plain way: for each output pixel, average the RGB of
 * the (up to four) source pixels with alpha > 0, rounding half up.
 */
export function referenceReduce(src: Uint8Array, h: number, w: number): Uint8Array {
  const oh = Math.ceil(h / 2), ow = Math.ceil(w / 2);
  const out = new Uint8Array(oh * ow * 4);
  for (let r = 0; r < oh; r++) {
    for (let c = 0; c < ow; c++) {
      const px: number[][] = [];
      for (
        const [y, x] of [[2 * r, 2 * c], [2 * r, 2 * c + 1], [2 * r + 1, 2 * c], [
          2 * r + 1,
          2 * c + 1,
        ]]
      ) {
        if (y < h && x < w && src[(y * w + x) * 4 + 3] > 0) {
          px.push(Array.from(src.subarray((y * w + x) * 4, (y * w + x) * 4 + 3)));
        }
      }
      if (px.length === 0) continue;
      for (let k = 0; k < 3; k++) {
        const mean = px.reduce((s, p) => s + p[k], 0) / px.length;
        out[(r * ow + c) * 4 + k] = Math.floor(mean + 0.5);
      }
      out[(r * ow + c) * 4 + 3] = 255;
    }
  }
  return out;
}
