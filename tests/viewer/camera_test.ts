/** viewer/src/camera.ts: fitting a box into the viewport as map.fitBounds does. */
import { assertClose, assertEquals } from "../assert.ts";
import { cameraBounds, fitCamera } from "../../viewer/src/camera.ts";

const PAD = { top: 30, bottom: 30, left: 30, right: 340 };

Deno.test("fitCamera: the box fills the padded area on one axis and fits on the other", () => {
  for (
    const box of [
      [-0.2, 51.4, 0.2, 51.6],
      [36.7, -0.1, 36.9, 0.1],
      [25.0, 70.0, 25.1, 70.1],
      [-180, -60, 180, 80],
    ] as [number, number, number, number][]
  ) {
    const cam = fitCamera(box, 1280, 800, PAD, 22);
    const [w, s, e, n] = cameraBounds(cam, 1280, 800);
    const pxPerLon = 1280 / (e - w);
    const left = (box[0] - w) * pxPerLon, right = (e - box[2]) * pxPerLon;
    assertEquals(left >= PAD.left - 1e-6 && right >= PAD.right - 1e-6, true, `${box}`);
    assertEquals(s <= box[1] && n >= box[3], true, `${box}: ${[s, n]}`);
    const tightX = Math.abs(left - PAD.left) < 1e-6 && Math.abs(right - PAD.right) < 1e-6;
    const mercY = (lat: number) => Math.log(Math.tan(Math.PI / 4 + lat * Math.PI / 360));
    const pxPerMerc = 800 / (mercY(n) - mercY(s));
    const top = (mercY(n) - mercY(box[3])) * pxPerMerc;
    const bottom = (mercY(box[1]) - mercY(s)) * pxPerMerc;
    const tightY = Math.abs(top - PAD.top) < 1e-6 && Math.abs(bottom - PAD.bottom) < 1e-6;
    assertEquals(tightX || tightY, true, `${box}: tight on one axis`);
  }
});

Deno.test("fitCamera caps the zoom", () => {
  const cam = fitCamera([0, 0, 1e-9, 1e-9], 1280, 800, PAD, 19);
  assertClose(cam.zoom, 19, 1e-12);
});
