/** lib/grid/pixel_rect.ts: world boxes onto pixel rectangles, and rectangle intersection. */
import { assertEquals } from "../assert.ts";
import { geobox } from "../../lib/grid/geobox.ts";
import {
  boundsToPixelRect,
  intersectPixelRect,
  type PixelRect,
} from "../../lib/grid/pixel_rect.ts";

const GB = geobox(1454, 2278, 301370, 5798370, 32631);
const E0 = 301370, N0 = 5798370;

const show = (r: PixelRect | null) => r ? `${r.r0}..${r.r1} × ${r.c0}..${r.c1}` : "null";

Deno.test("boundsToPixelRect: outward rounding, inset, padding, off-grid", () => {
  const cases: [bounds: [number, number, number, number], inset: number, want: string][] = [
    // Exactly on pixel edges: the pixels inside, no more.
    [[E0, N0 - 100, E0 + 30, N0], 0, "0..10 × 0..3"],
    // Edges a hair past a pixel edge pull in the next pixel, unless the inset absorbs them.
    [[E0 - 1e-9, N0 - 100 - 1e-9, E0 + 30 + 1e-9, N0 + 1e-9], 0, "-1..11 × -1..4"],
    [[E0 - 1e-9, N0 - 100 - 1e-9, E0 + 30 + 1e-9, N0 + 1e-9], 1e-6, "0..10 × 0..3"],
    // Inside one pixel; padded by one pixel each side.
    [[E0 + 1, N0 - 2, E0 + 2, N0 - 1], 0, "0..1 × 0..1"],
    [[E0 + 1, N0 - 2, E0 + 2, N0 - 1], -1, "-1..2 × -1..2"],
    // A degenerate box on a pixel edge is empty.
    [[E0 + 20, N0 - 20, E0 + 20, N0 - 20], 0, "2..2 × 2..2"],
    // Wholly off the grid (north-west): negative indices, not clamped.
    [[E0 - 55, N0 + 10, E0 - 25, N0 + 45], 0, "-5..-1 × -6..-2"],
  ];
  for (const [bounds, inset, want] of cases) {
    assertEquals(show(boundsToPixelRect(GB, bounds, inset)), want, `${bounds} inset ${inset}`);
  }
  // An edge on the grid origin gives row 0, not -0.
  assertEquals(Object.is(boundsToPixelRect(GB, [E0, N0 - 5, E0 + 5, N0]).r0, 0), true);
});

Deno.test("boundsToPixelRect agrees with the hand-written north-up window formula", () => {
  // The formula lib/read/region.ts used before it went through the GeoBox.
  const px = 10, eps = 1e-6;
  for (let k = 0; k < 5000; k++) {
    const minE = E0 + (k * 37.1 % 3000) - 500, maxE = minE + (k * 13.7 % 900);
    const maxN = N0 - (k * 29.3 % 3000) + 500, minN = maxN - (k * 17.9 % 900);
    const r = boundsToPixelRect(GB, [minE, minN, maxE, maxN], eps);
    const want = [
      Math.floor((N0 - maxN) / px + eps),
      Math.ceil((N0 - minN) / px - eps),
      Math.floor((minE - E0) / px + eps),
      Math.ceil((maxE - E0) / px - eps),
    ];
    assertEquals([r.r0, r.r1, r.c0, r.c1].join(), want.join(), `box ${k}`);
  }
});

Deno.test("intersectPixelRect", () => {
  const a = { r0: 0, r1: 10, c0: 0, c1: 10 };
  const cases: [PixelRect, string][] = [
    [{ r0: 5, r1: 20, c0: -5, c1: 3 }, "5..10 × 0..3"],
    [{ r0: 0, r1: 10, c0: 0, c1: 10 }, "0..10 × 0..10"],
    [{ r0: 10, r1: 20, c0: 0, c1: 10 }, "null"], // touching is not overlapping
    [{ r0: -3, r1: -1, c0: 2, c1: 4 }, "null"],
  ];
  for (const [b, want] of cases) {
    assertEquals(show(intersectPixelRect(a, b)), want);
    assertEquals(show(intersectPixelRect(b, a)), want);
  }
});
