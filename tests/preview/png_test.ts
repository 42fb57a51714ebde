/** The PNG encoder against an independent decoder (tests/preview/reference.py). */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { encodePng } from "../../lib/preview/png.ts";
import { numpy } from "./helpers.ts";

Deno.test("encodePng round-trips through a plain PNG decoder, every filter type used", async () => {
  const w = 61, h = 47;
  const rgba = new Uint8Array(w * h * 4);
  let x = 9;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const p = (r * w + c) * 4;
      // Bands of flat colour, gradients and noise, and transparent holes, so that the rows
      // choose different filters.
      const kind = Math.floor(r / 8) % 4;
      x = (x * 48271) % 2147483647;
      const v = kind === 0
        ? 90
        : kind === 1
        ? (c * 4) & 255
        : kind === 2
        ? (r * 5 + c) & 255
        : x & 255;
      rgba.set([v, 255 - v, (v * 7) & 255, (r + c) % 11 === 0 ? 0 : 255], p);
    }
  }
  const dir = await Deno.makeTempDir({ prefix: "tz-png-" });
  await Deno.writeFile(join(dir, "a.png"), encodePng(rgba, w, h));
  const size = await numpy<{ width: number; height: number }>("png", {
    file: join(dir, "a.png"),
    out: join(dir, "a.raw"),
  });
  assertEquals(`${size.width}×${size.height}`, `${w}×${h}`);
  const back = await Deno.readFile(join(dir, "a.raw"));
  assertEquals(back.join(","), rgba.join(","));
  await Deno.remove(dir, { recursive: true });
});
