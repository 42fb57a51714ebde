/**
 * Which zone's store to ask for a lon/lat: the zone of the 0.1° cell containing it (the
 * tile-centre rule, SPEC §3.1), and near a zone seam the neighbouring zone too — each tile's
 * raster reaches a few hundred metres past its cell, so the neighbour often has the pixel —
 * keeping the best answer. Pure.
 */
import { utmZone } from "../grid/zone.ts";
import type { PixelState } from "./point.ts";

/**
 * Points this close (degrees of longitude) to a zone boundary also try the neighbour zone:
 * half a tile, doubled (upstream settled on the same band).
 *
 * @example
 * ```ts
 * seamNeighbours(138 - SEAM_DEGREES / 2); // [54]
 * ```
 */
export const SEAM_DEGREES = 0.1;

/**
 * How good an answer is, to choose between zones near a seam: valid > water > nodata >
 * outside.
 *
 * @example
 * ```ts
 * STATE_RANK.valid > STATE_RANK.water; // true
 * ```
 */
export const STATE_RANK: Readonly<Record<PixelState, number>> = {
  outside: 0,
  nodata: 1,
  water: 2,
  valid: 3,
};

/**
 * The zone a point belongs to: the zone of the centre of the 0.1° cell containing it (the
 * rule that assigned tiles to zones).
 *
 * @example
 * ```ts
 * zoneOfPoint(-0.001); // 30
 * zoneOfPoint(0); // 31
 * ```
 */
export function zoneOfPoint(lon: number): number {
  return utmZone((Math.floor(lon * 10) + 0.5) / 10);
}

/**
 * The other zones worth trying for a point within `seamDegrees` of its zone's edge (wrapping
 * 60↔1); exactly on a seam that is the western zone.
 *
 * @example
 * ```ts
 * seamNeighbours(138.03); // [53]
 * seamNeighbours(137.97); // [54]
 * seamNeighbours(138.2); // []
 * seamNeighbours(-179.97); // [60]
 * ```
 */
export function seamNeighbours(lon: number, seamDegrees = SEAM_DEGREES): number[] {
  if (!Number.isFinite(lon)) return [];
  const zone = zoneOfPoint(lon);
  const west = (zone - 1) * 6 - 180, east = west + 6;
  const out: number[] = [];
  if (lon - west <= seamDegrees) out.push(zone === 1 ? 60 : zone - 1);
  if (east - lon <= seamDegrees) out.push(zone === 60 ? 1 : zone + 1);
  return out;
}
