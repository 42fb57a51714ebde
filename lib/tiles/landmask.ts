/**
 * Reads a tile's landmask GeoTIFF (`grid_{lon}_{lat}.tiff`): its UTM EPSG, its affine
 * transform and windows of band 1. Every way a real landmask can be broken (missing, not a
 * TIFF, truncated, wrong CRS, wrong pixel size) becomes a `TesseraError` naming the file, so a
 * build can skip that tile and say why. Whether the size matches the tile grid is the
 * caller's check, not ours.
 */

import { fromArrayBuffer, type GeoTIFFImage } from "../deps/geotiff.ts";
import { TesseraError } from "../errors.ts";
import type { Affine, GeoBox } from "../grid/geobox.ts";
import { PIXEL_SIZE_M } from "../grid/tile_grid.ts";
import { statRegularFile } from "./regular_file.ts";
import { openRemoteTiff } from "./landmask_http.ts";
import { readStripWindow, stripLayout } from "./tiff_strips.ts";
import { isUrl } from "./remote.ts";

/**
 * An open landmask. It is a GeoBox, so it compares directly with the tile's computed grid.
 * Pixels stay raw (0 = water, anything else = land).
 */
export interface Landmask extends GeoBox {
  readonly path: string;
  /** WGS 84 / UTM code: 32601–32660 (north) or 32701–32760 (south). */
  readonly epsg: number;
  /** As stored in the file (pixel-corner origin, not snapped to 10 m). */
  readonly transform: Affine;
  readonly width: number;
  readonly height: number;
  /**
   * Bands (samples per pixel) in the file. Published landmasks have one; with more, only
   * band 1 is read and callers should warn.
   */
  readonly bands: number;
  /**
   * Band 1 for rows `r0..r1-1` and columns `c0..c1-1`, row-major `(r1-r0) × (c1-c0)`.
   * Values are returned raw; test `!== 0` for land, never `=== 1`.
   */
  readWindow(r0: number, r1: number, c0: number, c1: number): Promise<Uint8Array>;
  /** Drops the file's bytes; further reads fail. */
  close(): void;
}

/** How far a file's pixel size may be from 10 m before we refuse it. */
const PIXEL_SIZE_TOLERANCE_M = 0.01;

const MISSING_LANDMASK = "landmask GeoTIFF not found; download global_0.1_degree_tiff_all for " +
  "this tile or drop the tile from the list";

const FIX_HINT = "re-download it, or regenerate it in the tile's UTM CRS (EPSG 326zz/327zz) " +
  "with 10 m pixels (e.g. gdalwarp -t_srs EPSG:326zz -tr 10 10)";

/**
 * Opens a landmask GeoTIFF and validates its CRS, pixel size and layout up front, so that a
 * bad file fails here and not halfway through a build.
 *
 * The whole file is read into memory: a landmask is about 1.2 MB and every tile is read
 * whole anyway, so ranged reads would only add syscalls.
 *
 * @example
 * ```ts
 * const mask = await openLandmask("BASE/global_0.1_degree_tiff_all/grid_0.15_52.25.tiff");
 * const row0 = await mask.readWindow(0, 1, 0, mask.width);
 * const land = row0.filter((v) => v !== 0).length;
 * mask.close();
 * ```
 */
export async function openLandmask(path: string): Promise<Landmask> {
  // Over HTTP (landmask_http.ts): only the first bytes now, strips as windows need them.
  const remote = isUrl(path) ? await openRemoteTiff(path) : undefined;
  const bytes: Uint8Array<ArrayBuffer> = remote
    ? remote.head.slice()
    : await readLandmaskBytes(path);
  const fileSize = remote ? remote.size : bytes.length;
  const bad = (what: string, cause?: unknown) =>
    new TesseraError("BadLandmask", `${what}; ${FIX_HINT}`, path, { cause });

  if (!hasTiffMagic(bytes)) {
    throw bad(`not a TIFF file (${fileSize} bytes, no II*/MM* header)`);
  }

  let image: GeoTIFFImage;
  try {
    // geotiff.js takes a whole ArrayBuffer; copy only if Deno handed back a view into a larger one.
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const tiff = remote
      ? await remote.open()
      : await fromArrayBuffer((whole ? bytes : bytes.slice()).buffer);
    image = await tiff.getImage(0);
  } catch (e) {
    throw bad(`unreadable TIFF structure (${message(e)}); the file is corrupt or truncated`, e);
  }

  const width = image.getWidth();
  const height = image.getHeight();
  const bands = image.getSamplesPerPixel();
  if (!(width >= 1 && height >= 1)) throw bad(`empty raster (${width} × ${height} px)`);
  if (image.getBitsPerSample(0) !== 8 || image.getSampleFormat(0) !== 1) {
    throw bad(
      `band 1 is ${image.getBitsPerSample(0)}-bit with SampleFormat ${image.getSampleFormat(0)}, ` +
        "expected uint8",
    );
  }
  await checkBlocksInFile(image, fileSize, bad);

  const epsg = readEpsg(image, bad);
  const transform = await readTransform(image, bad);
  const [a, b, , d, e] = transform;
  if (Math.abs(b) > 1e-9 || Math.abs(d) > 1e-9) {
    throw bad(`grid is rotated (transform b = ${b}, d = ${d}); expected a north-up grid`);
  }
  if (
    Math.abs(a - PIXEL_SIZE_M) > PIXEL_SIZE_TOLERANCE_M ||
    Math.abs(e + PIXEL_SIZE_M) > PIXEL_SIZE_TOLERANCE_M
  ) {
    throw bad(`pixel size is ${a} × ${-e} m, expected ${PIXEL_SIZE_M} × ${PIXEL_SIZE_M} m`);
  }

  let open: GeoTIFFImage | null = image;
  // Local files in the usual layout are decoded by tiff_strips.ts (native zlib), the rest by
  // geotiff.js.
  const strips = remote ? undefined : await stripLayout(image).catch(() => undefined);
  const readWindow = async (r0: number, r1: number, c0: number, c1: number) => {
    checkWindow(path, width, height, r0, r1, c0, c1);
    if (open === null) {
      throw new TesseraError("BadArgument", "landmask was closed; open it again to read", path);
    }
    if (r0 === r1 || c0 === c1) return new Uint8Array(0);
    let band: unknown;
    try {
      if (strips) return readStripWindow(bytes, strips, r0, r1, c0, c1);
      const rasters = await open.readRasters({ window: [c0, r0, c1, r1], samples: [0] });
      band = rasters[0];
    } catch (e) {
      throw bad(`cannot decode pixels (${message(e)}); the file is corrupt`, e);
    }
    return band instanceof Uint8Array ? band : Uint8Array.from(band as ArrayLike<number>);
  };

  // Decoding the last pixel now means an unsupported codec or a corrupt final strip fails at
  // open, where callers handle per-tile errors, rather than mid-composite.
  await readWindow(height - 1, height, width - 1, width);

  return {
    path,
    epsg,
    transform,
    width,
    height,
    bands,
    readWindow,
    close() {
      open = null;
    },
  };
}

async function readLandmaskBytes(path: string): Promise<Uint8Array<ArrayBuffer>> {
  // A FIFO would block the read and /dev/zero never end: refuse them before reading.
  await statRegularFile(path, {
    kind: "BadLandmask",
    what: "the landmask GeoTIFF",
    missing: MISSING_LANDMASK,
  });
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new TesseraError("MissingFile", MISSING_LANDMASK, path, { cause: e });
    }
    throw new TesseraError(
      "BadLandmask",
      `cannot read landmask (${message(e)}); check that it is a readable file`,
      path,
      { cause: e },
    );
  }
}

function hasTiffMagic(b: Uint8Array): boolean {
  if (b.length < 8) return false;
  // Classic TIFF is 42, BigTIFF 43; geotiff.js reads both.
  const le = b[0] === 0x49 && b[1] === 0x49 && b[3] === 0 && (b[2] === 42 || b[2] === 43);
  const be = b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && (b[3] === 42 || b[3] === 43);
  return le || be;
}

/**
 * geotiff.js decodes lazily: on a truncated file the intact strips read fine and only a read
 * that reaches a missing strip fails, with a bare "buffer error" or a RangeError. Checking
 * the block offsets against the file size makes truncation an open-time error that says so.
 */
async function checkBlocksInFile(
  image: GeoTIFFImage,
  fileSize: number,
  bad: (what: string) => TesseraError,
): Promise<void> {
  const dir = image.fileDirectory;
  const tiled = dir.hasTag("TileOffsets");
  const offsetsTag = tiled ? "TileOffsets" : "StripOffsets";
  const countsTag = tiled ? "TileByteCounts" : "StripByteCounts";
  let offsets: ArrayLike<number> | undefined;
  let counts: ArrayLike<number> | undefined;
  try {
    offsets = await dir.loadValue(offsetsTag) as ArrayLike<number> | undefined;
    counts = await dir.loadValue(countsTag) as ArrayLike<number> | undefined;
  } catch (e) {
    throw bad(`cannot read ${offsetsTag}/${countsTag} (${message(e)}); the file is truncated`);
  }
  if (!offsets || !counts || offsets.length !== counts.length || offsets.length === 0) {
    throw bad(`missing or inconsistent ${offsetsTag}/${countsTag}`);
  }
  for (let i = 0; i < offsets.length; i++) {
    const end = Number(offsets[i]) + Number(counts[i]);
    if (Number(counts[i]) > 0 && end > fileSize) {
      throw bad(
        `truncated: ${tiled ? "tile" : "strip"} ${i} ends at byte ${end} but the file has ` +
          `${fileSize} bytes`,
      );
    }
  }
}

function readEpsg(image: GeoTIFFImage, bad: (what: string) => TesseraError): number {
  let keys: Record<string, unknown> | null;
  try {
    keys = image.getGeoKeys();
  } catch (e) {
    throw bad(`unreadable GeoKeyDirectory (${message(e)})`);
  }
  if (!keys) throw bad("no GeoKeyDirectory: the file has no CRS");
  const projected = keys.ProjectedCSTypeGeoKey;
  const geographic = keys.GeographicTypeGeoKey;
  if (typeof projected !== "number") {
    throw bad(
      typeof geographic === "number"
        ? `CRS is geographic (EPSG ${geographic}), expected WGS 84 / UTM`
        : "no ProjectedCSTypeGeoKey: the CRS has no EPSG code",
    );
  }
  if (projected === 32767) throw bad("CRS is user-defined (no EPSG code), expected WGS 84 / UTM");
  const utm = (projected >= 32601 && projected <= 32660) ||
    (projected >= 32701 && projected <= 32760);
  if (!utm) {
    throw bad(`CRS is EPSG ${projected}, expected WGS 84 / UTM (32601–32660 or 32701–32760)`);
  }
  return projected;
}

async function readTransform(
  image: GeoTIFFImage,
  bad: (what: string) => TesseraError,
): Promise<Affine> {
  const dir = image.fileDirectory;
  let t: [number, number, number, number, number, number];
  try {
    const matrix = await dir.loadValue("ModelTransformation") as ArrayLike<number> | undefined;
    const scale = await dir.loadValue("ModelPixelScale") as ArrayLike<number> | undefined;
    const ties = await dir.loadValue("ModelTiepoint") as ArrayLike<number> | undefined;
    if (matrix && matrix.length >= 16) {
      t = [matrix[0], matrix[1], matrix[3], matrix[4], matrix[5], matrix[7]];
    } else if (scale && scale.length >= 2 && ties && ties.length === 6) {
      // A tiepoint ties raster (i, j) to model (x, y); the origin is where (0, 0) lands.
      const [i, j, , x, y] = Array.from(ties);
      t = [scale[0], 0, x - i * scale[0], 0, -scale[1], y + j * scale[1]];
    } else if (ties && ties.length > 6) {
      throw bad(`has ${ties.length / 6} tiepoints (a warped grid), expected one`);
    } else {
      throw bad("no georeferencing (needs ModelPixelScale + ModelTiepoint or ModelTransformation)");
    }
  } catch (e) {
    if (e instanceof TesseraError) throw e;
    throw bad(`unreadable georeferencing tags (${message(e)})`);
  }
  if (!t.every(Number.isFinite)) throw bad(`transform is not finite: [${t}]`);
  // GDAL reports pixel corners; a PixelIsPoint file ties pixel centres, so shift like GDAL.
  if (image.getGeoKeys()?.GTRasterTypeGeoKey === 2) {
    t[2] -= (t[0] + t[1]) / 2;
    t[5] -= (t[3] + t[4]) / 2;
  }
  return t;
}

function checkWindow(
  path: string,
  width: number,
  height: number,
  r0: number,
  r1: number,
  c0: number,
  c1: number,
): void {
  const ok = [r0, r1, c0, c1].every(Number.isInteger) &&
    0 <= r0 && r0 <= r1 && r1 <= height && 0 <= c0 && c0 <= c1 && c1 <= width;
  if (!ok) {
    throw new TesseraError(
      "BadArgument",
      `window rows ${r0}..${r1}, cols ${c0}..${c1} is outside the ${width} × ${height} px ` +
        "landmask; pass integers with 0 ≤ r0 ≤ r1 ≤ height and 0 ≤ c0 ≤ c1 ≤ width",
      path,
    );
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
