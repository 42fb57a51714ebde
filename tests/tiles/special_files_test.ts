/**
 * Tile files that are not regular files — a FIFO, a directory, a symlink to a character
 * device, a dangling symlink — and empty files: every reader refuses them promptly, naming the
 * file and what it is, instead of blocking on the FIFO or reading /dev/zero for ever.
 */
import { join } from "node:path";
import { withTmp as withTmpDir } from "../helpers/env.ts";
import { assertEquals, assertRejectsKind } from "../assert.ts";
import { openNpy, readNpyHeader } from "../../lib/tiles/npy.ts";
import { openScales } from "../../lib/tiles/scales.ts";
import { openLandmask } from "../../lib/tiles/landmask.ts";

const withTmp = (fn: (dir: string) => Promise<void>) => withTmpDir("special_files_test_", fn);

async function mkfifo(path: string): Promise<void> {
  const r = await new Deno.Command("mkfifo", { args: [path] }).output();
  if (!r.success) throw new Error(`mkfifo ${path} failed`);
}

/**
 * Awaits `run()` for at most `ms`. Should it block on the FIFO at `fifo`, a writer is opened
 * on it so the blocked open returns (and the test process can end), and the test fails.
 */
async function promptly<T>(run: () => Promise<T>, fifo: string | undefined, ms = 3000) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const blocked = Symbol("blocked");
  const p = run();
  p.catch(() => {});
  const first = await Promise.race([
    p.then(() => undefined, () => undefined),
    new Promise<typeof blocked>((r) => timer = setTimeout(() => r(blocked), ms)),
  ]);
  clearTimeout(timer);
  if (first === blocked) {
    if (fifo) (await Deno.open(fifo, { write: true })).close();
    await p.catch(() => {});
    throw new Error(`still blocked after ${ms} ms (opening a FIFO for reading waits for a writer)`);
  }
  return p;
}

type Opener = (path: string) => Promise<unknown>;

const NPY_OPENERS: [string, Opener, string][] = [
  ["openNpy", (p) => openNpy(p, { dtype: "int8", ndim: 3 }), "BadNpy"],
  ["openScales", (p) => openScales(p), "BadNpy"],
  ["readNpyHeader", (p) => readNpyHeader(p), "BadNpy"],
  ["openLandmask", (p) => openLandmask(p), "BadLandmask"],
];

for (const [name, open, kind] of NPY_OPENERS) {
  Deno.test(`${name}: a FIFO is refused at once, named as a FIFO`, async () => {
    await withTmp(async (dir) => {
      const fifo = join(dir, "grid_0.15_52.25_scales.npy");
      await mkfifo(fifo);
      const e = await assertRejectsKind(() => promptly(() => open(fifo), fifo), kind);
      assertEquals(e.message.includes(fifo), true, e.message);
      assertEquals(e.message.includes("FIFO"), true, e.message);
    });
  });

  Deno.test(`${name}: a symlink to /dev/zero is refused, named as a character device`, async () => {
    await withTmp(async (dir) => {
      const link = join(dir, "grid_0.15_52.25.npy");
      await Deno.symlink("/dev/zero", link);
      const e = await assertRejectsKind(() => promptly(() => open(link), undefined), kind);
      assertEquals(e.message.includes(link), true, e.message);
      assertEquals(e.message.includes("character device"), true, e.message);
    });
  });

  Deno.test(`${name}: a directory is refused, named as a directory`, async () => {
    await withTmp(async (dir) => {
      const sub = join(dir, "grid_0.15_52.25.npy");
      await Deno.mkdir(sub);
      const e = await assertRejectsKind(() => open(sub), kind);
      assertEquals(e.message.includes(sub), true, e.message);
      assertEquals(e.message.includes("directory"), true, e.message);
    });
  });

  Deno.test(`${name}: a dangling symlink is MissingFile and says so`, async () => {
    await withTmp(async (dir) => {
      const link = join(dir, "grid_0.15_52.25.npy");
      await Deno.symlink(join(dir, "nowhere.npy"), link);
      const e = await assertRejectsKind(() => open(link), "MissingFile");
      assertEquals(e.message.includes(link), true, e.message);
      assertEquals(e.message.includes("symlink"), true, e.message);
    });
  });
}

Deno.test("a zero-byte .npy is TruncatedNpy naming the file", async () => {
  await withTmp(async (dir) => {
    const path = join(dir, "grid_0.15_52.25.npy");
    await Deno.writeFile(path, new Uint8Array(0));
    for (const open of [(p: string) => openNpy(p), openScales, readNpyHeader]) {
      const e = await assertRejectsKind(() => open(path), "TruncatedNpy");
      assertEquals(e.message.includes(path) && e.message.includes("0 bytes"), true, e.message);
    }
  });
});
