/**
 * GeoBox: the one immutable value that carries a raster's pixel↔world mapping (after
 * odc-geo). Shape + north-up affine transform + CRS. Stages pass GeoBoxes, not loose origins.
 *
 * Transforms are in affine (rasterio) order `[a, b, c, d, e, f]`: x = a·col + b·row + c,
 * y = d·col + e·row + f, where (col, row) are pixel *edge* coordinates; the centre of pixel
 * (row, col) is at (col + 0.5, row + 0.5).
 */

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

/** World coordinates of the centre of pixel (row, col). */
export function pixelCentre(gb: GeoBox, row: number, col: number): [number, number] {
  const [a, b, c, d, e, f] = gb.transform;
  return [a * (col + 0.5) + b * (row + 0.5) + c, d * (col + 0.5) + e * (row + 0.5) + f];
}

/** World coordinates of the upper-left outer corner (pixel edge) of pixel (row, col). */
export function pixelCorner(gb: GeoBox, row: number, col: number): [number, number] {
  const [a, b, c, d, e, f] = gb.transform;
  return [a * col + b * row + c, d * col + e * row + f];
}

/**
 * Fractional pixel coordinates [col, row] (edge convention) of a world point, for north-up
 * boxes: `Math.floor` of the result is the pixel containing the point.
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
