/**
 * Which 0.1° cell contains a zone-grid pixel centre: the tie-break of the compositing rule
 * (SPEC §3.4). The answer must be the one the exact inverse projection gives, so every
 * worker and `verify` agree to the bit; it is computed with the cheaper series inverse and
 * recomputed exactly only when the pixel centre lies within MARGIN_DEG of a cell edge.
 */
import { type GeoBox, pixelCentre } from "../grid/geobox.ts";
import { utmInverse, utmInverseSeries } from "../grid/utm.ts";

/**
 * How close (in degrees) to a cell edge the series answer is not trusted: utmInverseSeries
 * differs from utmInverse by < 1e-13° anywhere in a zone, so 1e-9° (~0.1 mm) leaves a
 * 10 000× safety factor while sending about one pixel in ten million to the exact path.
 */
const MARGIN_DEG = 1e-9;

/** UTM false easting: the central meridian's easting. */
const CENTRAL_EASTING = 500000;

/**
 * Cell index (floor of degrees × 10) of the pixel centre at (row, col) of a zone grid, packed
 * as `lonCell * 4096 + (latCell + 2048)`; compare with {@link tileCellKey}.
 *
 * @example
 * pixelCellKey(zoneBox, 31, 0, 45) === tileCellKey(15, 5225); // true: that tile owns it
 */
export function pixelCellKey(zoneBox: GeoBox, zone: number, row: number, col: number): number {
  return cellAt(zoneBox, zone, row, col, false);
}

/**
 * The key of pixel (row, col), or NEAR_EDGE when `marked` and its centre lies within
 * MARGIN_DEG of a cell edge (the exact key is then computed by {@link pixelCellKey}).
 */
function cellAt(zoneBox: GeoBox, zone: number, row: number, col: number, marked: boolean): number {
  const [e, n] = pixelCentre(zoneBox, row, col);
  // Canonical (possibly negative) northings invert directly: latitudes come out negative.
  let [lon, lat] = utmInverseSeries(e, n, zone, false);
  if (nearEdge(lon) || nearEdge(lat)) {
    if (marked) return NEAR_EDGE;
    [lon, lat] = utmInverse(e, n, zone, false);
  }
  return Math.floor(lon * 10) * 4096 + (Math.floor(lat * 10) + 2048);
}

/** Not a cell key (keys are at most 1800 × 4096 + 4096 in magnitude). */
const NEAR_EDGE = -0x7fffffff;

function nearEdge(deg: number): boolean {
  const x = deg * 10;
  return Math.abs(x - Math.round(x)) < MARGIN_DEG * 10;
}

/**
 * Writes {@link pixelCellKey} of pixels (row, c0..c1-1) of a zone grid to `out[at..]`, the
 * same keys computed at a fraction of the cost: along a row of a north-up grid, longitude
 * rises strictly with the column and latitude is monotonic on each side of the central
 * meridian, so a run whose two end pixels lie in one cell — each by more than MARGIN_DEG,
 * beyond the series' error — lies in it throughout. Runs whose ends differ are halved until
 * they agree; a pixel near an edge gets the exact key of pixelCellKey.
 *
 * @example
 * fillCellKeys(zoneBox, 31, 100, 0, 40, keys, 0); // keys[i] === pixelCellKey(zoneBox, 31, 100, i)
 */
export function fillCellKeys(
  zoneBox: GeoBox,
  zone: number,
  row: number,
  c0: number,
  c1: number,
  out: Int32Array,
  at: number,
): void {
  const [a, b, c] = zoneBox.transform;
  if (!(a > 0 && b === 0)) {
    // Not north-up: no monotonic rows to rely on.
    for (let x = c0; x < c1; x++) out[at + x - c0] = pixelCellKey(zoneBox, zone, row, x);
    return;
  }
  // The first column whose centre lies east of the central meridian splits the row.
  const split = Math.min(c1, Math.max(c0, Math.ceil((CENTRAL_EASTING - c) / a - 0.5)));
  const base = at - c0; // out[base + x] is column x
  for (const [x0, x1] of [[c0, split], [split, c1]]) {
    if (x1 <= x0) continue;
    const k0 = cellAt(zoneBox, zone, row, x0, true);
    const k1 = x1 - 1 === x0 ? k0 : cellAt(zoneBox, zone, row, x1 - 1, true);
    fillRun(zoneBox, zone, row, out, base, x0, x1, k0, k1);
  }
}

/**
 * fillCellKeys's bisection of columns x0..x1-1, whose end keys are k0 and k1 (NEAR_EDGE when
 * not trusted). A module-level function, not a closure, so its optimised code is kept.
 */
function fillRun(
  zoneBox: GeoBox,
  zone: number,
  row: number,
  out: Int32Array,
  base: number,
  x0: number,
  x1: number,
  k0: number,
  k1: number,
): void {
  if (k0 === k1 && k0 !== NEAR_EDGE) {
    out.fill(k0, base + x0, base + x1);
    return;
  }
  if (x1 - x0 <= 2) {
    out[base + x0] = k0 === NEAR_EDGE ? pixelCellKey(zoneBox, zone, row, x0) : k0;
    if (x1 - x0 === 2) {
      out[base + x1 - 1] = k1 === NEAR_EDGE ? pixelCellKey(zoneBox, zone, row, x1 - 1) : k1;
    }
    return;
  }
  const m = (x0 + x1) >> 1;
  const left = m - 1 === x0 ? k0 : cellAt(zoneBox, zone, row, m - 1, true);
  fillRun(zoneBox, zone, row, out, base, x0, m, k0, left);
  fillRun(zoneBox, zone, row, out, base, m, x1, cellAt(zoneBox, zone, row, m, true), k1);
}

/** The cell key of the tile centred at (lonI, latI) hundredths; see {@link pixelCellKey}. */
export function tileCellKey(lonI: number, latI: number): number {
  return ((lonI - 5) / 10) * 4096 + ((latI - 5) / 10 + 2048);
}
