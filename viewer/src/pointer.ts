/// <reference no-default-lib="true" />
/// <reference lib="esnext" />
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The pointer on the map: a click inspects the pixel under it (inspector.ts reads it, the
 * panel shows it, the map outlines it; a newer click supersedes a slower older one), and the
 * cursor readout shows lon/lat and UTM easting/northing in the zone under the cursor (a shown
 * store's zone when there is one).
 */
import { utmZone } from "../../lib/grid/zone.ts";
import type { Viewer } from "./app.ts";
import { lonLatToUtm } from "./geometry.ts";
import { pickPixel, readPixel, showReading } from "./inspector.ts";
import { setInspectedPixel } from "./overlays.ts";

const $ = (id: string) => document.getElementById(id)!;

/** Clicks open the pixel inspector; its close button clears it. */
export function bindInspector(viewer: Viewer): void {
  const inspector = $("inspector");
  let inspectSeq = 0;
  viewer.map.on("click", async (ev) => {
    const seq = ++inspectSeq;
    performance.mark(`tz-inspect-start-${seq}`);
    const hit = pickPixel(viewer.stores, [ev.lngLat.lng, ev.lngLat.lat]);
    inspector.dataset.busy = "1";
    try {
      const reading = hit ? await readPixel(hit.store, hit.row, hit.col) : null;
      performance.mark(`tz-inspect-read-${seq}`);
      if (seq === inspectSeq) {
        await showReading(inspector, reading);
        performance.mark(`tz-inspect-done-${seq}`);
        // The outline last: redrawing the map is the slow part without a GPU.
        setInspectedPixel(viewer.map, hit?.store ?? null, hit?.row, hit?.col);
      }
    } catch (e) {
      if (seq === inspectSeq) {
        inspector.hidden = false;
        inspector.querySelector(".body")!.textContent = `Read failed: ${(e as Error).message}`;
      }
    } finally {
      if (seq === inspectSeq) delete inspector.dataset.busy;
    }
  });
  $("inspector-close").addEventListener("click", () => {
    inspector.hidden = true;
    setInspectedPixel(viewer.map, null);
  });
}

/** The coordinates under the cursor, in `#coords`. */
export function bindCursorReadout(viewer: Viewer): void {
  viewer.map.on("mousemove", (ev) => {
    const { lng, lat } = ev.lngLat;
    const zone = viewer.stores.find((s) => s.zone === utmZone(lng))?.zone ?? utmZone(lng);
    const [e, n] = lonLatToUtm(zone, lng, lat);
    $("coords").textContent = `${Math.abs(lat).toFixed(5)}°${lat >= 0 ? "N" : "S"}, ` +
      `${Math.abs(lng).toFixed(5)}°${lng >= 0 ? "E" : "W"} | ${e.toFixed(0)} E ${
        n.toFixed(0)
      } N (zone ${zone})`;
  });
}
