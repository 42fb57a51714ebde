"""Independent NumPy computations for the preview tests (run by tests/preview/numpy.ts).

Usage: python3 reference.py COMMAND JSON_ARGS
  percentile   {"file", "dtype", "qs"}                         -> [np.percentile(x, q) ...]
  pca          {"dir", "bands", "count", "k"}                  -> basis (mean, components, ...)
  pca_pixels   {"dir", "h", "w", "bands", "basis"}             -> writes dir/pca_ref.u8
  png          {"file", "out"}                                 -> decodes an 8-bit RGBA PNG to out
Arrays are raw little-endian files in "dir": sum.f64, sum_products.f64, sample.f32,
embeddings.i8 (h*w*bands), scales.f32 (h*w).
"""
import json
import sys

import numpy as np


def percentile(a):
    x = np.fromfile(a["file"], dtype=np.dtype(a["dtype"]).newbyteorder("<"))
    return [float(np.percentile(x, q)) for q in a["qs"]]


def pca(a):
    d, b, n = a["dir"], a["bands"], a["count"]
    s = np.fromfile(f"{d}/sum.f64", dtype="<f8")
    sp = np.fromfile(f"{d}/sum_products.f64", dtype="<f8").reshape(b, b)
    sample = np.fromfile(f"{d}/sample.f32", dtype="<f4").reshape(-1, b)
    mean = s / n
    cov = sp / n - np.outer(mean, mean)
    w, v = np.linalg.eigh(cov)
    order = np.argsort(-w, kind="stable")[:3]
    comps = v[:, order].T.copy()
    for c in comps:
        if c[np.argmax(np.abs(c))] < 0:
            c *= -1
    evr = np.maximum(w[order], 0) / np.trace(cov)
    p = sample.astype(np.float64) @ comps.T - comps @ mean
    med = np.percentile(p, 50, axis=0)
    iqr = np.percentile(p, 75, axis=0) - np.percentile(p, 25, axis=0)
    iqr = np.where(iqr > 0, iqr, 1.0)
    e = (p - med) / iqr
    lo = np.percentile(e, 1, axis=0)
    hi = np.percentile(e, 99, axis=0)
    hi = np.where(hi > lo, hi, lo + 1)
    return {
        "mean": mean.tolist(),
        "components": comps.tolist(),
        "explainedVariance": evr.tolist(),
        "medians": med.tolist(),
        "iqrs": iqr.tolist(),
        "stretch": {"min": lo.tolist(), "max": hi.tolist()},
    }


def pca_pixels(a):
    d, h, w, b = a["dir"], a["h"], a["w"], a["bands"]
    basis = a["basis"]
    emb = np.fromfile(f"{d}/embeddings.i8", dtype=np.int8).reshape(h, w, b)
    scales = np.fromfile(f"{d}/scales.f32", dtype="<f4").reshape(h, w)
    comps = np.array(basis["components"])
    mean = np.array(basis["mean"])
    valid = ~np.isnan(scales)
    s = np.where(valid, scales, 0).astype(np.float64)
    v = emb.astype(np.float64) * s[..., None]
    p = v @ comps.T - comps @ mean
    e = (p - np.array(basis["medians"])) / np.array(basis["iqrs"])
    lo, hi = np.array(basis["stretch"]["min"]), np.array(basis["stretch"]["max"])
    ch = np.trunc(np.clip((e - lo) / (hi - lo), 0, 1) * 255).astype(np.uint8)
    out = np.zeros((h, w, 4), dtype=np.uint8)
    out[..., :3] = np.where(valid[..., None], ch, 0)
    out[..., 3] = np.where(valid, 255, 0)
    out.tofile(f"{d}/pca_ref.u8")
    return {"valid": int(valid.sum())}


def png(a):
    """A plain PNG decoder (8-bit RGBA, non-interlaced): chunks, CRCs, inflate, unfilter."""
    import struct
    import zlib

    data = open(a["file"], "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n : pos + 12 + n])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind}"
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, colour, _, _, interlace = ihdr
    assert (depth, colour, interlace) == (8, 6, 0)
    raw = zlib.decompress(idat)
    stride = w * 4
    out = bytearray(h * stride)
    prev = bytearray(stride)
    for r in range(h):
        f = raw[r * (stride + 1)]
        line = bytearray(raw[r * (stride + 1) + 1 : (r + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - 4] if i >= 4 else 0
            up = prev[i]
            ul = prev[i - 4] if i >= 4 else 0
            if f == 0:
                pred = 0
            elif f == 1:
                pred = left
            elif f == 2:
                pred = up
            elif f == 3:
                pred = (left + up) // 2
            else:
                p = left + up - ul
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else ul
            line[i] = (line[i] + pred) & 255
        out[r * stride : (r + 1) * stride] = line
        prev = line
    open(a["out"], "wb").write(out)
    return {"width": w, "height": h}


if __name__ == "__main__":
    command, args = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps({"percentile": percentile, "pca": pca, "pca_pixels": pca_pixels, "png": png}[command](args)))
