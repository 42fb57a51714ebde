/** Tests for tile names and tile paths: exact formatting, strict parsing, join semantics. */
import { assertDeepEquals, assertEquals, assertRejectsKind } from "../assert.ts";
import {
  EMBEDDINGS_DIR,
  LANDMASKS_DIR,
  parseTileName,
  tileName,
  tilePaths,
} from "../../lib/tiles/layout.ts";
import { tileRef } from "../../lib/tiles/tile_ref.ts";

// [lonI, latI, name]: signs, the -0.05 case, single-digit fractions, the extremes.
const NAMES: [number, number, string][] = [
  [-5, 5145, "grid_-0.05_51.45"],
  [15, -5, "grid_0.15_-0.05"],
  [5, 5, "grid_0.05_0.05"],
  [15, 5225, "grid_0.15_52.25"],
  [-5055, -2065, "grid_-50.55_-20.65"],
  [17995, 8995, "grid_179.95_89.95"],
  [-17995, -8995, "grid_-179.95_-89.95"],
  [-105, 1005, "grid_-1.05_10.05"],
];

Deno.test("tileName formats integer hundredths exactly", () => {
  for (const [lonI, latI, name] of NAMES) assertEquals(tileName(lonI, latI), name);
});

Deno.test("parseTileName inverts tileName", () => {
  for (const [lonI, latI, name] of NAMES) assertDeepEquals(parseTileName(name), { lonI, latI });
});

Deno.test("tileName agrees with Python-style {:.2f} for every centre of a sample band", () => {
  for (let lonI = -17995; lonI <= 17995; lonI += 10) {
    const lon = lonI / 100;
    assertEquals(tileName(lonI, 5), `grid_${lon.toFixed(2)}_0.05`);
  }
});

Deno.test("parseTileName rejects malformed, off-grid and non-canonical names", async () => {
  const bad = [
    "grid_0.15_52.25.npy", // suffix
    "grid_0.15", // one coordinate
    "grid_0.1_52.25", // one decimal
    "grid_0.150_52.25", // three decimals
    "grid_0.10_52.25", // on the 0.1 grid, not a centre
    "grid_0.15_52.20",
    "grid_-0.00_0.05",
    "grid_00.15_52.25", // non-canonical spelling of a valid centre
    "grid_+0.15_52.25",
    "grid_180.05_0.05", // out of range
    "grid_0.05_90.05",
    "tile_0.15_52.25",
    "",
  ];
  for (const name of bad) {
    const e = await assertRejectsKind(() => parseTileName(name), "BadTileName");
    if (!e.message.includes(`"${name}"`)) throw new Error(`message should name ${name}`);
  }
});

Deno.test("tileName refuses non-integer keys", async () => {
  await assertRejectsKind(() => tileName(0.15, 5225), "BadTileName");
});

Deno.test("tilePaths joins the published layout", () => {
  const p = tilePaths("/data/v1/", tileRef(2024, -5, 5145));
  const dir = `/data/v1/${EMBEDDINGS_DIR}/2024/grid_-0.05_51.45`;
  assertDeepEquals(p, {
    dir,
    embeddings: `${dir}/grid_-0.05_51.45.npy`,
    scales: `${dir}/grid_-0.05_51.45_scales.npy`,
    sha256: `${dir}/SHA256`,
    landmask: `/data/v1/${LANDMASKS_DIR}/grid_-0.05_51.45.tiff`,
  });
  // Relative bases stay relative and are normalised like path.join.
  assertEquals(
    tilePaths("./base", tileRef(2023, 15, -5)).landmask,
    "base/global_0.1_degree_tiff_all/grid_0.15_-0.05.tiff",
  );
});
