#!/usr/bin/python3
"""Generate tests/data/proj_tile_grids.json: tile grids computed with PROJ (pyproj).

The table is the independent reference for lib/grid: for each tile centre, the four cell
corners are projected with PROJ into the tile's UTM CRS exactly as the landmask generator did
(SPEC 3.2: raw upper-left origin, Python round() = ties-to-even for the size).

Run once (needs Debian python3-pyproj):  /usr/bin/python3 tools/gen_proj_table.py > tests/data/proj_tile_grids.json
"""
import json
import random

import pyproj

random.seed(20261124)


def centre(v):
    # snap to the 0.05-centred 0.1 degree grid, as integer hundredths
    return int(round((int(v * 10 // 1) / 10 + 0.05) * 100))


tiles = set()
# Zone edges: cells touching every 6-degree boundary, both sides, at assorted latitudes.
for zone_edge in range(-180, 181, 6):
    for lat_i in (-8395, -4505, -5, 5, 3005, 6005, 8395):
        for d in (-5, 5):
            lon_i = zone_edge * 100 + d
            if -18000 < lon_i < 18000:
                tiles.add((lon_i, lat_i))
# Extremes of latitude and the equator.
for lon_i in (-17995, -12345 // 10 * 10 + 5, 5, 2505, 17995):
    for lat_i in (-8395, -8005, -7005, -105, -5, 5, 105, 7005, 8005, 8395):
        tiles.add((lon_i, lat_i))
# Random cells over the globe.
while len(tiles) < 420:
    lon_i = random.randrange(-1800, 1800) * 10 + 5
    lat_i = random.randrange(-840, 840) * 10 + 5
    tiles.add((lon_i, lat_i))
# SPEC test vectors.
for lon, lat in [(0.15, 52.25), (-0.05, 51.45), (25.05, 70.05), (-47.95, -15.75),
                 (36.85, -1.25), (2.95, 0.05), (-3.05, -0.05), (0.25, 52.25),
                 (0.15, 52.15), (0.25, 52.15)]:
    tiles.add((int(round(lon * 100)), int(round(lat * 100))))

transformers = {}
rows = []
for lon_i, lat_i in sorted(tiles, key=lambda t: (t[1], t[0])):
    lon, lat = lon_i / 100, lat_i / 100
    zone = min(60, max(1, int((lon + 180) // 6) + 1))
    epsg = (32700 if lat < 0 else 32600) + zone
    tr = transformers.get(epsg)
    if tr is None:
        tr = transformers[epsg] = pyproj.Transformer.from_crs(4326, epsg, always_xy=True)
    w, e, s, n = lon - 0.05, lon + 0.05, lat - 0.05, lat + 0.05
    ul, ur, ll, lr = (tr.transform(x, y) for x, y in ((w, n), (e, n), (w, s), (e, s)))
    origin_e = min(ul[0], ll[0])
    origin_n = max(ul[1], ur[1])
    max_e = max(ur[0], lr[0])
    min_n = min(ll[1], lr[1])
    rows.append({
        "lonI": lon_i, "latI": lat_i, "epsg": epsg,
        "originE": origin_e, "originN": origin_n,
        "width": round((max_e - origin_e) / 10), "height": round((origin_n - min_n) / 10),
        "corners": [ul, ur, ll, lr],
    })

print(json.dumps({
    "generator": "tools/gen_proj_table.py",
    "proj": pyproj.proj_version_str,
    "pyproj": pyproj.__version__,
    "tiles": rows,
}, indent=None, separators=(",", ":")))
