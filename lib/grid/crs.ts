/**
 * CRS descriptions of the store's UTM codes: WKT2 (2019) text as PROJ writes it for
 * EPSG:326zz, minus the USAGE block (its country list depends on the PROJ database version;
 * SPEC §4.4 treats `crs_wkt` as informational). PROJ parses it back to the same EPSG code.
 */
import { centralMeridian } from "./utm.ts";

const DEG = 'ANGLEUNIT["degree",0.0174532925199433]';
const METRE = 'LENGTHUNIT["metre",1]';

/**
 * WKT2_2019 of "WGS 84 / UTM zone {zone}N" (EPSG 32600 + zone).
 *
 * @example
 * utmWkt(31).startsWith('PROJCRS["WGS 84 / UTM zone 31N"'); // true
 */
export function utmWkt(zone: number): string {
  const name = `UTM zone ${zone}N`;
  return `PROJCRS["WGS 84 / ${name}",` +
    `BASEGEOGCRS["WGS 84",ENSEMBLE["World Geodetic System 1984 ensemble",` +
    ["Transit", "G730", "G873", "G1150", "G1674", "G1762", "G2139"]
      .map((m) => `MEMBER["World Geodetic System 1984 (${m})"],`).join("") +
    `ELLIPSOID["WGS 84",6378137,298.257223563,${METRE}],ENSEMBLEACCURACY[2.0]],` +
    `PRIMEM["Greenwich",0,${DEG}],ID["EPSG",4326]],` +
    `CONVERSION["${name}",METHOD["Transverse Mercator",ID["EPSG",9807]],` +
    `PARAMETER["Latitude of natural origin",0,${DEG},ID["EPSG",8801]],` +
    `PARAMETER["Longitude of natural origin",${centralMeridian(zone)},${DEG},ID["EPSG",8802]],` +
    `PARAMETER["Scale factor at natural origin",0.9996,SCALEUNIT["unity",1],ID["EPSG",8805]],` +
    `PARAMETER["False easting",500000,${METRE},ID["EPSG",8806]],` +
    `PARAMETER["False northing",0,${METRE},ID["EPSG",8807]]],` +
    `CS[Cartesian,2],AXIS["(E)",east,ORDER[1],${METRE}],AXIS["(N)",north,ORDER[2],${METRE}],` +
    `ID["EPSG",${32600 + zone}]]`;
}
