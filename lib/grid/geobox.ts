/**
 * GeoBox: the one immutable value that carries a raster's pixel↔world mapping (after
 * odc-geo). Shape + north-up affine transform + CRS. Stages pass GeoBoxes, not loose origins.
 *
 * Transforms are in affine (rasterio) order `[a, b, c, d, e, f]`: x = a·col + b·row + c,
 * y = d·col + e·row + f, where (col, row) are pixel *edge* coordinates; the centre of pixel
 * (row, col) is at (col + 0.5, row + 0.5).
 *
 * Pure and dependency-free apart from the error type: the browser viewer bundles it.
 */
import { TesseraError } from "../errors.ts";

/** Affine transform in rasterio order (a, b, c, d, e, f). */
export type Affine = readonly [number, number, number, number, number, number];

/** A raster grid: `height` rows × `width` columns, a transform and an EPSG code. */
export interface GeoBox {
  readonly width: number;
  readonly height: number;
  readonly transform: Affine;
  readonly epsg: number;
}

/**
 * A north-up GeoBox with square pixels and its upper-left *outer corner* at (originX, originY).
 *
 * @example
 * const gb = geobox(726, 1139, 301822.8626, 5798366.7276, 32631);
 */
export function geobox(
  width: number,
  height: number,
  originX: number,
  originY: number,
  epsg: number,
  pixelSizeM = 10,
): GeoBox {
  return {
    width,
    height,
    transform: [pixelSizeM, 0, originX, 0, -pixelSizeM, originY],
    epsg,
  };
}

/**
 * World coordinates of the centre of pixel (row, col). The float operations (`a·(col + ½) +
 * b·(row + ½) + c`) are part of the contract: the stores' coordinate arrays and verify's
 * expected values are computed through here and must match upstream NumPy to the bit.
 *
 * @example
 * pixelCentre(geobox(1454, 2278, 301370, 5798370, 32631), 0, 0); // [301375, 5798365]
 */
export function pixelCentre(gb: GeoBox, row: number, col: number): [number, number] {
  const [a, b, c, d, e, f] = gb.transform;
  return [a * (col + 0.5) + b * (row + 0.5) + c, d * (col + 0.5) + e * (row + 0.5) + f];
}

/**
 * World coordinates of the upper-left outer corner (pixel edge) of pixel (row, col);
 * fractional positions give the points in between (`pixelCorner(gb, 0.5, 0.5)` is the centre
 * of pixel 0, 0) and (height, width) is the lower-right corner of the grid.
 *
 * @example
 * pixelCorner(geobox(1454, 2278, 301370, 5798370, 32631), 2, 3); // [301400, 5798350]
 */
export function pixelCorner(gb: GeoBox, row: number, col: number): [number, number] {
  const [a, b, c, d, e, f] = gb.transform;
  return [a * col + b * row + c, d * col + e * row + f];
}

/**
 * Fractional pixel coordinates [col, row] (edge convention; note the x, y order) of a world
 * point, for north-up boxes: `Math.floor` of the result is the pixel containing the point
 * ({@link pixelContaining} gives it as { row, col }).
 *
 * @example
 * worldToPixel(geobox(1454, 2278, 301370, 5798370, 32631), 301375, 5798365); // [0.5, 0.5]
 */
export function worldToPixel(gb: GeoBox, x: number, y: number): [number, number] {
  const [a, , c, , e, f] = gb.transform;
  return [(x - c) / a, (y - f) / e];
}

/** Bounding box [minX, minY, maxX, maxY] of the raster's outer edges. */
export function geoboxBounds(gb: GeoBox): [number, number, number, number] {
  const [x0, y0] = pixelCorner(gb, 0, 0);
  const [x1, y1] = pixelCorner(gb, gb.height, gb.width);
  return [Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1)];
}

/** Pixel size in metres along x (assumes square, north-up pixels). */
export function pixelSizeM(gb: GeoBox): number {
  return gb.transform[0];
}

/**
 * The sub-box of `gb` covering pixel rows r0..r1-1 and columns c0..c1-1 (half-open), like
 * odc-geo's `gbox[r0:r1, c0:c1]`: same CRS and pixel size, the transform moved to the
 * window's upper-left outer corner, so pixel (row, col) of the slice is pixel
 * (r0 + row, c0 + col) of `gb`. As in numpy slicing, the window is clipped to the box
 * (a start below 0 counts as 0, a stop past the edge as the edge) and an inverted window is
 * empty (0 rows or columns).
 *
 * @example
 * const zone = geobox(1454, 2278, 301370, 5798370, 32631);
 * const shard = sliceGeoBox(zone, { r0: 1024, r1: 2048, c0: 1024, c1: 2048 });
 * [shard.width, shard.height]; // [430, 1024] (clipped at the zone's right edge)
 * pixelCorner(shard, 0, 0); // [311610, 5788130] = pixelCorner(zone, 1024, 1024)
 */
export function sliceGeoBox(
  gb: GeoBox,
  rect: { readonly r0: number; readonly r1: number; readonly c0: number; readonly c1: number },
): GeoBox {
  const r0 = Math.min(Math.max(0, rect.r0), gb.height);
  const c0 = Math.min(Math.max(0, rect.c0), gb.width);
  const r1 = Math.min(Math.max(r0, rect.r1), gb.height);
  const c1 = Math.min(Math.max(c0, rect.c1), gb.width);
  const [a, b, , d, e] = gb.transform;
  const [x0, y0] = pixelCorner(gb, r0, c0);
  return { width: c1 - c0, height: r1 - r0, transform: [a, b, x0, d, e, y0], epsg: gb.epsg };
}

/**
 * A GeoBox from an affine transform as stored (a store's `transform` attribute, a multiscale
 * level's, a GeoTIFF's reordered): `width` columns, `height` rows. The six numbers are copied,
 * so the box never shares an array with parsed JSON. Throws BadGrid unless there are six.
 *
 * @example
 * const gb = geoboxFromTransform(1476, 2280, [10, 0, 693910, 0, -10, 5720820], 32630);
 * pixelSizeM(gb); // 10
 */
export function geoboxFromTransform(
  width: number,
  height: number,
  transform: readonly number[],
  epsg: number,
): GeoBox {
  if (transform.length !== 6) {
    throw new TesseraError("BadGrid", `a transform has 6 numbers, got [${transform}]`);
  }
  const [a, b, c, d, e, f] = transform;
  return { width, height, transform: [a, b, c, d, e, f], epsg };
}

/**
 * The pixel containing the world point (x, y) of a north-up box: the floor of
 * {@link worldToPixel}, as { row, col }. A point on a pixel edge belongs to the pixel east
 * and south of it. Points off the grid get out-of-range indices (compare with `height` and
 * `width`); non-finite coordinates give NaN.
 *
 * @example
 * const gb = geobox(1454, 2278, 301370, 5798370, 32631);
 * pixelContaining(gb, 301379.9, 5798360.1); // { row: 0, col: 0 }
 * pixelContaining(gb, 301380, 5798360); // { row: 1, col: 1 }
 */
export function pixelContaining(gb: GeoBox, x: number, y: number): { row: number; col: number } {
  const [c, r] = worldToPixel(gb, x, y);
  // `+ 0` turns the -0 of a point on the top edge ((f - f) / e) into 0.
  return { row: Math.floor(r) + 0, col: Math.floor(c) + 0 };
}

/**
 * The pixel-centre coordinates along one axis of a north-up box: x of every column ("x",
 * `width` values, west to east) or y of every row ("y", `height` values, north to south);
 * the stores' `easting` and `northing` arrays. Each value is {@link pixelCentre}'s, computed
 * afresh (no step accumulated), so it matches NumPy's `origin + (i + 0.5) * step` bit for bit.
 * Throws BadGrid for a rotated box, whose x also depends on the row.
 *
 * @example
 * const gb = geobox(3, 2, 301370, 5798370, 32631);
 * pixelCentres(gb, "x"); // Float64Array [301375, 301385, 301395]
 * pixelCentres(gb, "y"); // Float64Array [5798365, 5798355]
 */
export function pixelCentres(gb: GeoBox, axis: "x" | "y"): Float64Array {
  const [, b, , d] = gb.transform;
  if (b !== 0 || d !== 0) {
    throw new TesseraError(
      "BadGrid",
      `pixel centres per axis need a north-up grid, got b=${b}, d=${d}`,
    );
  }
  const n = axis === "x" ? gb.width : gb.height;
  const out = new Float64Array(n);
  if (axis === "x") { for (let i = 0; i < n; i++) out[i] = pixelCentre(gb, 0, i)[0]; }
  else for (let i = 0; i < n; i++) out[i] = pixelCentre(gb, i, 0)[1];
  return out;
}
