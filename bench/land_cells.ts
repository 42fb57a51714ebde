/**
 * Land-like cells of a synthetic registry the size of the real one (bench/scan.ts writes it as
 * parquet; bench/cluster.ts plans it): deterministic, so every run benchmarks the same cells.
 */

/**
 * Land-like cells between 56°S and 78°N: smooth "continents" (so rows cluster like real
 * tiles and zones differ in size) with a threshold chosen so about `target` cells are land.
 */
export function landCells(target: number): { lonI: Int32Array; latI: Int32Array } {
  const score = (lon: number, lat: number) =>
    Math.sin(lat / 9 + 0.7) * Math.cos(lon / 13 + 0.5) + 0.6 * Math.sin(lon / 4 + lat / 6) +
    0.3 * Math.cos(lon / 1.7 - lat / 2.3);
  const lat0 = -5595, lat1 = 7800;
  const sample: number[] = [];
  for (let latI = lat0; latI < lat1; latI += 50) {
    for (let lonI = -17995; lonI < 18000; lonI += 50) sample.push(score(lonI / 100, latI / 100));
  }
  sample.sort((a, b) => b - a);
  const cells = ((lat1 - lat0) / 10) * 3600;
  const threshold = sample[Math.floor((sample.length * target) / cells)];
  const lonIs: number[] = [], latIs: number[] = [];
  for (let latI = lat0; latI < lat1; latI += 10) {
    for (let lonI = -17995; lonI < 18000; lonI += 10) {
      if (score(lonI / 100, latI / 100) > threshold) lonIs.push(lonI), latIs.push(latI);
    }
  }
  return { lonI: Int32Array.from(lonIs), latI: Int32Array.from(latIs) };
}
