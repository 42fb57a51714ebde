/**
 * WGS 84 Universal Transverse Mercator, forward and inverse, as pure maths.
 *
 * Krüger's series to sixth order in the third flattening (the algorithm PROJ uses for `utm`
 * and `tmerc`, after Poder/Engsager and Karney 2011). Within a UTM zone it agrees with PROJ to
 * well under a micrometre; it is also ~50× faster than a general projection library, which
 * matters when a scan projects four corners for each of millions of registry rows.
 */

const A_AXIS = 6378137.0;
const FLATTENING = 1 / 298.257223563;
const K0 = 0.9996;
const FALSE_EASTING = 500000.0;
const FALSE_NORTHING_SOUTH = 10000000.0;

const N = FLATTENING / (2 - FLATTENING);
const E2 = FLATTENING * (2 - FLATTENING);
const E = Math.sqrt(E2);
const N2 = N * N, N3 = N2 * N, N4 = N3 * N, N5 = N4 * N, N6 = N5 * N;
/** Rectifying radius times the UTM scale factor. */
const K0A = K0 * A_AXIS / (1 + N) * (1 + N2 / 4 + N4 / 64 + N6 / 256);

const ALPHA = [
  N / 2 - 2 * N2 / 3 + 5 * N3 / 16 + 41 * N4 / 180 - 127 * N5 / 288 + 7891 * N6 / 37800,
  13 * N2 / 48 - 3 * N3 / 5 + 557 * N4 / 1440 + 281 * N5 / 630 - 1983433 * N6 / 1935360,
  61 * N3 / 240 - 103 * N4 / 140 + 15061 * N5 / 26880 + 167603 * N6 / 181440,
  49561 * N4 / 161280 - 179 * N5 / 168 + 6601661 * N6 / 7257600,
  34729 * N5 / 80640 - 3418889 * N6 / 1995840,
  212378941 * N6 / 319334400,
];

const BETA = [
  N / 2 - 2 * N2 / 3 + 37 * N3 / 96 - N4 / 360 - 81 * N5 / 512 + 96199 * N6 / 604800,
  N2 / 48 + N3 / 15 - 437 * N4 / 1440 + 46 * N5 / 105 - 1118711 * N6 / 3870720,
  17 * N3 / 480 - 37 * N4 / 840 - 209 * N5 / 4480 + 5569 * N6 / 90720,
  4397 * N4 / 161280 - 11 * N5 / 504 - 830251 * N6 / 7257600,
  4583 * N5 / 161280 - 108847 * N6 / 3991680,
  20648693 * N6 / 638668800,
];

const DEG = Math.PI / 180;

/** Central meridian of a UTM zone, in degrees. */
export function centralMeridian(zone: number): number {
  return zone * 6 - 183;
}

/**
 * Projects WGS 84 lon/lat (degrees) to UTM easting/northing (metres) in `zone`. `south` adds
 * the 10 000 km false northing of the 327zz codes.
 *
 * @example
 * utmForward(3, 0, 31, false); // [500000, 0] (the central meridian on the equator)
 */
export function utmForward(
  lon: number,
  lat: number,
  zone: number,
  south: boolean,
): [number, number] {
  const lam = (lon - centralMeridian(zone)) * DEG;
  const phi = lat * DEG;
  const sinPhi = Math.sin(phi);
  // Tangent of the conformal latitude.
  const t = Math.sinh(Math.atanh(sinPhi) - E * Math.atanh(E * sinPhi));
  const xiP = Math.atan2(t, Math.cos(lam));
  const etaP = Math.atanh(Math.sin(lam) / Math.sqrt(1 + t * t));
  let xi = xiP, eta = etaP;
  for (let j = 1; j <= 6; j++) {
    const a = ALPHA[j - 1];
    xi += a * Math.sin(2 * j * xiP) * Math.cosh(2 * j * etaP);
    eta += a * Math.cos(2 * j * xiP) * Math.sinh(2 * j * etaP);
  }
  return [FALSE_EASTING + K0A * eta, (south ? FALSE_NORTHING_SOUTH : 0) + K0A * xi];
}

/**
 * Inverse of {@link utmForward}: UTM metres in `zone` to WGS 84 lon/lat degrees.
 *
 * @example
 * utmInverse(500000, 0, 31, false); // [3, 0]
 */
export function utmInverse(e: number, n: number, zone: number, south: boolean): [number, number] {
  const xi = (n - (south ? FALSE_NORTHING_SOUTH : 0)) / K0A;
  const eta = (e - FALSE_EASTING) / K0A;
  let xiP = xi, etaP = eta;
  for (let j = 1; j <= 6; j++) {
    const b = BETA[j - 1];
    xiP -= b * Math.sin(2 * j * xi) * Math.cosh(2 * j * eta);
    etaP -= b * Math.cos(2 * j * xi) * Math.sinh(2 * j * eta);
  }
  const sinhEta = Math.sinh(etaP);
  const cosXi = Math.cos(xiP);
  const tauP = Math.sin(xiP) / Math.sqrt(sinhEta * sinhEta + cosXi * cosXi);
  const lam = Math.atan2(sinhEta, cosXi);
  // Newton's method for the geographic latitude tangent from the conformal one (Karney 2011).
  let tau = tauP / (1 - E2);
  for (let i = 0; i < 5; i++) {
    const s = Math.sinh(E * Math.atanh(E * tau / Math.sqrt(1 + tau * tau)));
    const tp = tau * Math.sqrt(1 + s * s) - s * Math.sqrt(1 + tau * tau);
    const d = (tauP - tp) / ((1 - E2) * Math.sqrt(1 + tp * tp) * Math.sqrt(1 + tau * tau) /
      (1 + (1 - E2) * tau * tau));
    tau += d;
    if (Math.abs(d) < 1e-15) break;
  }
  return [centralMeridian(zone) + lam / DEG, Math.atan(tau) / DEG];
}
