/**
 * Tests for the .npy reader and writer on real files in a temp dir, cross-checked against
 * numpy itself when `python3 -c "import numpy"` works.
 */
import { pythonWith, withTmp as withTmpDir } from "../helpers/env.ts";
import { assertDeepEquals, assertEquals, assertRejectsKind } from "../assert.ts";
import { type NpyTypedArray, openNpy } from "../../lib/tiles/npy.ts";
import { parseNpyHeader } from "../../lib/tiles/npy_header.ts";
import { createNpyWriter, npyHeader, writeNpy } from "../../lib/tiles/npy_write.ts";

const PYTHON = await pythonWith("numpy");
const HAVE_NUMPY = PYTHON !== undefined;

const withTmp = (fn: (dir: string) => Promise<void>) => withTmpDir("npy_test_", fn);

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Compares element bytes so NaNs and -0 count as equal to themselves. */
function assertSameBytes(actual: ArrayBufferView, expected: ArrayBufferView, msg?: string) {
  assertEquals(actual.byteLength, expected.byteLength, `${msg ?? ""} byte length`);
  const a = bytesOf(actual);
  const b = bytesOf(expected);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) throw new Error(`${msg ?? ""} bytes differ at ${i}: ${a[i]} vs ${b[i]}`);
  }
}

/** A header of any version built independently of npy_write.ts, for v2/v3 coverage. */
function handHeader(version: 1 | 2 | 3, dict: string): Uint8Array {
  const text = new TextEncoder().encode(dict);
  const pre = version === 1 ? 10 : 12;
  const pad = (64 - ((pre + text.length + 1) % 64)) % 64;
  const out = new Uint8Array(pre + text.length + pad + 1).fill(0x20);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  const hlen = out.length - pre;
  if (version === 1) dv.setUint16(8, hlen, true);
  else dv.setUint32(8, hlen, true);
  out.set(text, pre);
  out[out.length - 1] = 0x0a;
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function int8Ramp(n: number): Int8Array {
  const a = new Int8Array(n);
  for (let i = 0; i < n; i++) a[i] = ((i * 7) % 256) - 128;
  return a;
}

Deno.test("npyHeader: 64-byte aligned v1 header ending in newline, parsed back", () => {
  for (
    const [descr, shape] of [
      ["|i1", [1100, 1100, 128]],
      ["<f4", [1100, 1100]],
      ["<f4", [5]],
      ["<f8", []],
      [">f4", [0, 3]],
    ] as [string, number[]][]
  ) {
    const h = npyHeader(descr, shape);
    assertEquals(h.length % 64, 0, `${descr} ${shape}`);
    assertEquals(h[h.length - 1], 0x0a);
    const p = parseNpyHeader(h);
    assertEquals(p.version, 1);
    assertEquals(p.descr, descr);
    assertDeepEquals(p.shape, shape);
    assertEquals(p.fortranOrder, false);
    assertEquals(p.dataOffset, h.length);
  }
});

Deno.test("parseNpyHeader: dict literal variants", () => {
  const cases: [string, Partial<ReturnType<typeof parseNpyHeader>>][] = [
    [
      "{'descr': '|i1', 'fortran_order': False, 'shape': (3, 4, 128), }",
      { dtype: "int8", shape: [3, 4, 128], littleEndian: true, itemSize: 1 },
    ],
    [
      '{"shape": (5,), "fortran_order": False, "descr": "<f4"}',
      { dtype: "float32", shape: [5], littleEndian: true, itemSize: 4 },
    ],
    [
      "{'descr': '>f4', 'fortran_order': True, 'shape': ()}",
      { dtype: "float32", shape: [], littleEndian: false, fortranOrder: true },
    ],
    [
      "{ 'descr' : '<f8' ,\n 'fortran_order' : False , 'shape' : ( 3L , 4L ) , }",
      { dtype: "float64", shape: [3, 4], itemSize: 8 },
    ],
    ["{'descr': 'u1', 'fortran_order': False, 'shape': [2, 2]}", { dtype: "uint8", shape: [2, 2] }],
    ["{'descr': '|b1', 'fortran_order': False, 'shape': (0,)}", { dtype: "bool", shape: [0] }],
    ["{'descr': '<i8', 'fortran_order': False, 'shape': (1,)}", { dtype: "int64", itemSize: 8 }],
    ["{'descr': '|u1', 'fortran_order': False, 'shape': (1,)}", { dtype: "uint8" }],
  ];
  for (const [dict, want] of cases) {
    for (const version of [1, 2, 3] as const) {
      const h = parseNpyHeader(handHeader(version, dict), "t.npy");
      assertEquals(h.version, version);
      assertEquals(h.dataOffset % 64, 0);
      for (const [k, v] of Object.entries(want)) {
        assertDeepEquals(h[k as keyof typeof h], v, `${dict} v${version} ${k}`);
      }
    }
  }
});

Deno.test("parseNpyHeader: malformed headers are BadNpy / WrongDtype / TruncatedNpy", async () => {
  const bad: [Uint8Array, string][] = [
    [handHeader(1, "[1, 2]"), "BadNpy"],
    [handHeader(1, "{'descr': '<f4', 'shape': (1,)}"), "BadNpy"],
    [handHeader(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, -2)}"), "BadNpy"],
    [handHeader(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,"), "BadNpy"],
    [handHeader(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}"), "BadNpy"],
    [handHeader(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,)}"), "WrongDtype"],
    [handHeader(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (1,)}"), "WrongDtype"],
    [
      handHeader(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}"),
      "WrongDtype",
    ],
    [
      handHeader(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}").slice(0, 40),
      "TruncatedNpy",
    ],
    [
      handHeader(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}").slice(0, 11),
      "TruncatedNpy",
    ],
    [new Uint8Array([0x93, 0x4e, 0x55]), "TruncatedNpy"],
    [new TextEncoder().encode("PK\x03\x04 this is a zip"), "BadNpy"],
    [new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 4, 0, 10, 0, 0, 0]), "BadNpy"],
    [new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 0, 0, 0, 0x40]), "BadNpy"],
  ];
  for (const [bytes, kind] of bad) {
    const e = await assertRejectsKind(() => parseNpyHeader(bytes, "x.npy"), kind);
    if (!e.message.startsWith("x.npy: ")) throw new Error(`message lacks path: ${e.message}`);
  }
});

Deno.test("round trip int8 3-D: rows at start, middle and end, empty range, reuse", async () => {
  await withTmp(async (dir) => {
    const [H, W, B] = [37, 11, 128];
    const data = int8Ramp(H * W * B);
    const path = `${dir}/grid.npy`;
    await writeNpy(path, "|i1", [H, W, B], data);
    using npy = await openNpy(path, { dtype: "int8", ndim: 3, shape: [null, W, 128] });
    assertDeepEquals([...npy.shape], [H, W, B]);
    assertEquals(npy.dtype, "int8");
    assertEquals(npy.dataOffset, 128);
    assertEquals(npy.rowElements, W * B);
    assertEquals(npy.trailingBytes, 0);
    const row = W * B;
    for (const [r0, r1] of [[0, 1], [0, 5], [17, 23], [H - 1, H], [30, H], [0, H], [4, 4]]) {
      const got = await npy.readRows(r0, r1);
      if (!(got instanceof Int8Array)) throw new Error("expected Int8Array");
      assertSameBytes(got, data.subarray(r0 * row, r1 * row), `rows ${r0}..${r1}`);
    }
    const buf = new Int8Array(10 * row + 3);
    const got = await npy.readRowsInto(20, 30, buf);
    assertEquals(got.buffer, buf.buffer);
    assertEquals(got.length, 10 * row);
    assertSameBytes(got, data.subarray(20 * row, 30 * row));
  });
});

Deno.test("round trip of every supported dtype, little- and big-endian", async () => {
  await withTmp(async (dir) => {
    const n = 6 * 5;
    const cases: [string, NpyTypedArray][] = [
      ["|u1", Uint8Array.from({ length: n }, (_, i) => i * 8)],
      ["|b1", Uint8Array.from({ length: n }, (_, i) => i % 2)],
      ["<i2", Int16Array.from({ length: n }, (_, i) => i * 1000 - 15000)],
      [">i2", Int16Array.from({ length: n }, (_, i) => i * 1000 - 15000)],
      ["<u2", Uint16Array.from({ length: n }, (_, i) => i * 2000)],
      ["<i4", Int32Array.from({ length: n }, (_, i) => i * 1e8 - 1.5e9)],
      [">u4", Uint32Array.from({ length: n }, (_, i) => i * 1.4e8)],
      ["<f4", Float32Array.from({ length: n }, (_, i) => Math.fround(i * 0.1 - 1))],
      [">f4", Float32Array.from({ length: n }, (_, i) => i === 3 ? NaN : i * -0.37)],
      ["<f8", Float64Array.from({ length: n }, (_, i) => i / 3)],
      [">f8", Float64Array.from({ length: n }, (_, i) => -i / 7)],
      ["<i8", BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * -(10n ** 15n))],
      [">u8", BigUint64Array.from({ length: n }, (_, i) => BigInt(i) * 10n ** 17n)],
    ];
    for (const [descr, data] of cases) {
      const path = `${dir}/a${descr.replace(/\W/g, "_")}.npy`;
      await writeNpy(path, descr, [6, 5], data);
      using npy = await openNpy(path, { ndim: 2 });
      assertEquals(npy.header.descr, descr);
      const all = await npy.readRows(0, 6);
      assertEquals(all.constructor, data.constructor, descr);
      assertSameBytes(all, data, descr);
      assertSameBytes(await npy.readRows(2, 4), data.subarray(10, 20), `${descr} middle`);
    }
  });
});

Deno.test("big-endian float32 is stored big-endian on disk and read back as numbers", async () => {
  await withTmp(async (dir) => {
    const vals = new Float32Array([1.5, -2.25, 0.019999999552965164, 3.4028234663852886e38]);
    const path = `${dir}/be.npy`;
    await writeNpy(path, ">f4", [2, 2], vals);
    const raw = await Deno.readFile(path);
    const dv = new DataView(raw.buffer, 128);
    for (let i = 0; i < 4; i++) assertEquals(dv.getFloat32(4 * i, false), vals[i]);
    using npy = await openNpy(path, { dtype: "float32" });
    assertEquals(npy.header.littleEndian, false);
    assertDeepEquals([...(await npy.readRows(1, 2))], [vals[2], vals[3]]);
  });
});

Deno.test("v2 and v3 headers (hand-built) read like v1", async () => {
  await withTmp(async (dir) => {
    const data = new Float32Array(4 * 3).map((_, i) => i * 0.5);
    for (const version of [1, 2, 3] as const) {
      const path = `${dir}/v${version}.npy`;
      const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), }";
      const h = handHeader(version, dict);
      await Deno.writeFile(path, concat(h, bytesOf(data)));
      using npy = await openNpy(path, { dtype: "float32", ndim: 2 });
      assertEquals(npy.header.version, version);
      assertEquals(npy.dataOffset, h.length);
      assertSameBytes(await npy.readRows(1, 3), data.subarray(3, 9), `v${version}`);
    }
  });
});

Deno.test("concurrent readRows on one handle do not interleave", async () => {
  await withTmp(async (dir) => {
    const [H, W] = [64, 300];
    const data = int8Ramp(H * W);
    const path = `${dir}/c.npy`;
    await writeNpy(path, "|i1", [H, W], data);
    using npy = await openNpy(path);
    const ranges = Array.from({ length: 32 }, (_, i) => [(i * 13) % 60, ((i * 13) % 60) + 4]);
    const got = await Promise.all(ranges.map(([a, b]) => npy.readRows(a, b)));
    ranges.forEach(([a, b], i) => assertSameBytes(got[i], data.subarray(a * W, b * W)));
  });
});

Deno.test("trailing bytes after the data are tolerated and reported", async () => {
  await withTmp(async (dir) => {
    const path = `${dir}/t.npy`;
    await writeNpy(path, "|i1", [2, 2], new Int8Array([1, 2, 3, 4]));
    await Deno.writeFile(path, new Uint8Array(5), { append: true });
    using npy = await openNpy(path);
    assertEquals(npy.trailingBytes, 5);
    assertDeepEquals([...(await npy.readRows(0, 2))], [1, 2, 3, 4]);
  });
});

// ---- one test per error kind ------------------------------------------------------------------

Deno.test("error TruncatedNpy: file one byte short names expected and actual sizes", async () => {
  await withTmp(async (dir) => {
    const path = `${dir}/grid_0.15_52.05.npy`;
    await writeNpy(path, "|i1", [10, 4, 128], int8Ramp(10 * 4 * 128));
    const full = (await Deno.stat(path)).size;
    await Deno.truncate(path, full - 1);
    const e = await assertRejectsKind(
      () => openNpy(path, { dtype: "int8", ndim: 3 }),
      "TruncatedNpy",
    );
    for (const s of [path, String(full), String(full - 1), "re-download"]) {
      if (!e.message.includes(s)) throw new Error(`message lacks ${s}: ${e.message}`);
    }
    // Cut inside the header too.
    await Deno.truncate(path, 50);
    await assertRejectsKind(() => openNpy(path), "TruncatedNpy");
    await Deno.truncate(path, 0);
    await assertRejectsKind(() => openNpy(path), "TruncatedNpy");
  });
});

Deno.test("error WrongDtype: float32 where int8 expected", async () => {
  await withTmp(async (dir) => {
    const path = `${dir}/w.npy`;
    await writeNpy(path, "<f4", [2, 2, 2], new Float32Array(8));
    const e = await assertRejectsKind(() => openNpy(path, { dtype: "int8" }), "WrongDtype");
    if (!e.message.includes("float32") || !e.message.includes("int8")) throw e;
  });
});

Deno.test("error BadNpy: fortran_order True", async () => {
  await withTmp(async (dir) => {
    const path = `${dir}/f.npy`;
    const h = handHeader(1, "{'descr': '|i1', 'fortran_order': True, 'shape': (2, 3), }");
    await Deno.writeFile(path, concat(h, new Uint8Array(6)));
    const e = await assertRejectsKind(() => openNpy(path), "BadNpy");
    if (!e.message.includes("Fortran")) throw e;
  });
});

Deno.test("error BadNpy: bad magic", async () => {
  await withTmp(async (dir) => {
    const path = `${dir}/m.npy`;
    const bytes = npyHeader("|i1", [4]);
    bytes[1] = 0x4f; // "\x93OUMPY"
    await Deno.writeFile(path, concat(bytes, new Uint8Array(4)));
    await assertRejectsKind(() => openNpy(path), "BadNpy");
    await Deno.writeFile(path, new TextEncoder().encode("<html>Not Found</html>"));
    await assertRejectsKind(() => openNpy(path), "BadNpy");
  });
});

Deno.test("error ShapeMismatch: wrong ndim and wrong shape", async () => {
  await withTmp(async (dir) => {
    const path = `${dir}/s.npy`;
    await writeNpy(path, "|i1", [3, 4], new Int8Array(12));
    const e = await assertRejectsKind(() => openNpy(path, { ndim: 3 }), "ShapeMismatch");
    if (!e.message.includes("(3, 4)")) throw e;
    await assertRejectsKind(() => openNpy(path, { shape: [3, 5] }), "ShapeMismatch");
    await assertRejectsKind(() => openNpy(path, { shape: [null, 4, 1] }), "ShapeMismatch");
    (await openNpy(path, { shape: [null, 4] })).close();
  });
});

Deno.test("error MissingFile", async () => {
  await withTmp(async (dir) => {
    const e = await assertRejectsKind(() => openNpy(`${dir}/nope.npy`), "MissingFile");
    if (!e.message.includes("nope.npy")) throw e;
  });
});

Deno.test("error BadArgument: reads outside the shape, after close, wrong target", async () => {
  await withTmp(async (dir) => {
    const path = `${dir}/r.npy`;
    await writeNpy(path, "<f4", [5, 2], new Float32Array(10));
    const npy = await openNpy(path);
    for (const [r0, r1] of [[0, 6], [-1, 2], [3, 2], [5, 6], [0.5, 2], [NaN, 1]]) {
      await assertRejectsKind(() => npy.readRows(r0, r1), "BadArgument");
    }
    await assertRejectsKind(() => npy.readRowsInto(0, 2, new Float32Array(3)), "BadArgument");
    await assertRejectsKind(
      () => npy.readRowsInto(0, 1, new Int8Array(8) as unknown as Float32Array),
      "BadArgument",
    );
    assertEquals((await npy.readRows(5, 5)).length, 0);
    npy.close();
    npy.close();
    await assertRejectsKind(() => npy.readRows(0, 1), "BadArgument");

    const scalar = `${dir}/scalar.npy`;
    await writeNpy(scalar, "<f8", [], new Float64Array([1]));
    using s = await openNpy(scalar);
    await assertRejectsKind(() => s.readRows(0, 1), "BadArgument");
  });
});

Deno.test("writer: byte count enforced at write and close; writeNpy leaves no partial file", async () => {
  await withTmp(async (dir) => {
    const path = `${dir}/w.npy`;
    const w = await createNpyWriter(path, "|i1", [4, 3]);
    await w.write(new Int8Array(6));
    await assertRejectsKind(() => w.write(new Int8Array(7)), "BadArgument");
    await w.write(new Uint8Array(3));
    assertEquals(w.writtenBytes, 9);
    await assertRejectsKind(() => w.close(), "BadArgument");

    await assertRejectsKind(
      () => writeNpy(`${dir}/short.npy`, "<f4", [4], new Float32Array(3)),
      "BadArgument",
    );
    await assertRejectsKind(() => Deno.stat(`${dir}/short.npy`), "NotFound");
    await assertRejectsKind(
      () => writeNpy(`${dir}/elem.npy`, "<f4", [4], new Float64Array(2)),
      "BadArgument",
    );
    await assertRejectsKind(() => npyHeader("<c16", [1]), "WrongDtype");
    await assertRejectsKind(() => npyHeader("<f4", [1.5]), "BadArgument");

    const ok = await createNpyWriter(`${dir}/ok.npy`, "<f4", [3, 2]);
    for (let r = 0; r < 3; r++) await ok.write(new Float32Array([r, r + 0.5]));
    await ok.close();
    using npy = await openNpy(`${dir}/ok.npy`, { dtype: "float32", shape: [3, 2] });
    assertDeepEquals([...(await npy.readRows(0, 3))], [0, 0.5, 1, 1.5, 2, 2.5]);
  });
});

// ---- cross-checks against numpy -------------------------------------------------------------

const NUMPY_SCRIPT = `
import sys, json, io, hashlib
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(42)
def save(name, a, ref, **kw):
    if kw:
        with open(f"{d}/{name}.npy", "wb") as f:
            np.lib.format.write_array(f, a, **kw)
    else:
        np.save(f"{d}/{name}.npy", a)
    with open(f"{d}/{name}.bin", "wb") as f:
        f.write(np.ascontiguousarray(ref).astype(ref.dtype.newbyteorder("<")).tobytes())
i8 = rng.integers(-128, 128, size=(37, 11, 128), dtype=np.int8)
f2 = rng.standard_normal((23, 17)).astype(np.float32)
f2[0, 0] = np.nan; f2[1, 1] = np.inf; f2[2, 2] = -np.inf; f2[3, 3] = np.finfo(np.float32).max
f3 = rng.standard_normal((9, 5, 128)).astype(np.float32)
f3[0, 0, :] = np.nan
save("i8_3d", i8, i8)
save("f32_2d", f2, f2)
save("f32_3d", f3, f3)
save("i8_v2", i8, i8, version=(2, 0))
save("f32_v3", f2, f2, version=(3, 0))
save("f32_be", f2.astype(">f4"), f2)
save("f64_1d", np.arange(7, dtype=np.float64) / 3, np.arange(7, dtype=np.float64) / 3)
np.save(f"{d}/fortran.npy", np.asfortranarray(f2))
headers = {}
for descr in ["|i1", "<f4", ">f4", "<f8"]:
    for shape in [(5,), (), (2, 3, 4), (0, 3), (1100, 1100, 128), (1100, 1100), (123456789012, 1)]:
        b = io.BytesIO()
        np.lib.format.write_array_header_1_0(b, {"descr": descr, "fortran_order": False, "shape": shape})
        headers[descr + repr(shape)] = [descr, list(shape), b.getvalue().hex()]
# Files written by tessera's writer, read back by numpy (paths given after the dir).
read = {}
for p in sys.argv[2:]:
    a = np.load(p)
    read[p] = [a.dtype.str, list(a.shape), hashlib.sha256(a.astype(a.dtype.newbyteorder("<")).tobytes()).hexdigest()]
print(json.dumps({"headers": headers, "read": read}))
`;

async function numpy(dir: string, ...paths: string[]) {
  const out = await new Deno.Command(PYTHON!, {
    args: ["-c", NUMPY_SCRIPT, dir, ...paths],
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout)) as {
    headers: Record<string, [string, number[], string]>;
    read: Record<string, [string, number[], string]>;
  };
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

Deno.test({
  name: "numpy-written files (int8 3-D, float32 2-D/3-D, v2, v3, big-endian) read identically",
  ignore: !HAVE_NUMPY,
  fn: () =>
    withTmp(async (dir) => {
      await numpy(dir);
      const cases: [string, "int8" | "float32" | "float64", number][] = [
        ["i8_3d", "int8", 1],
        ["f32_2d", "float32", 1],
        ["f32_3d", "float32", 1],
        ["i8_v2", "int8", 2],
        ["f32_v3", "float32", 3],
        ["f32_be", "float32", 1],
        ["f64_1d", "float64", 1],
      ];
      for (const [name, dtype, version] of cases) {
        const ref = await Deno.readFile(`${dir}/${name}.bin`);
        using npy = await openNpy(`${dir}/${name}.npy`, { dtype });
        assertEquals(npy.header.version, version, name);
        const H = npy.shape[0];
        const rowBytes = ref.length / H;
        for (
          const [r0, r1] of [[0, 1], [Math.floor(H / 2) - 1, Math.floor(H / 2) + 2], [H - 1, H], [
            0,
            H,
          ]]
        ) {
          assertSameBytes(
            await npy.readRows(r0, r1),
            ref.subarray(r0 * rowBytes, r1 * rowBytes),
            `${name} ${r0}..${r1}`,
          );
        }
      }
      await assertRejectsKind(() => openNpy(`${dir}/fortran.npy`), "BadNpy");
    }),
});

Deno.test({
  name: "npyHeader is byte-identical to numpy's, and numpy reads writeNpy files",
  ignore: !HAVE_NUMPY,
  fn: () =>
    withTmp(async (dir) => {
      const written: [string, string, number[], NpyTypedArray][] = [
        [`${dir}/w_i8.npy`, "|i1", [3, 4, 5], int8Ramp(60)],
        [`${dir}/w_f4.npy`, "<f4", [6, 2], new Float32Array(12).map((_, i) => i / 7)],
        [`${dir}/w_be.npy`, ">f4", [6, 2], new Float32Array(12).map((_, i) => -i / 7)],
      ];
      for (const [p, descr, shape, data] of written) await writeNpy(p, descr, shape, data);
      const res = await numpy(dir, ...written.map((w) => w[0]));
      for (const [key, [descr, shape, hexBytes]] of Object.entries(res.headers)) {
        assertEquals(hex(npyHeader(descr, shape)), hexBytes, key);
      }
      for (const [p, descr, shape, data] of written) {
        const [npDescr, npShape, sha] = res.read[p];
        assertEquals(npDescr, descr);
        assertDeepEquals(npShape, shape);
        const mine = hex(
          new Uint8Array(await crypto.subtle.digest("SHA-256", bytesOf(data).slice())),
        );
        assertEquals(mine, sha, p);
      }
    }),
});

Deno.test("range errors reject the returned promise instead of throwing synchronously", async () => {
  await withTmp(async (dir) => {
    await writeNpy(`${dir}/p.npy`, "|i1", [2], new Int8Array(2));
    using npy = await openNpy(`${dir}/p.npy`);
    let kind = "";
    const p = npy.readRows(0, 9).catch((e) => (kind = e.kind));
    await p;
    assertEquals(kind, "BadArgument");
  });
});

/** Rows r0..r1, columns c0..c1 of a C-order (H, W, …) array, sliced element by element. */
function windowOf<T extends NpyTypedArray>(
  data: T,
  W: number,
  per: number,
  r0: number,
  r1: number,
  c0: number,
  c1: number,
): T {
  const out = new (data.constructor as new (n: number) => T)((r1 - r0) * (c1 - c0) * per);
  let k = 0;
  for (let r = r0; r < r1; r++) {
    for (let i = (r * W + c0) * per; i < (r * W + c1) * per; i++) out[k++] = data[i];
  }
  return out;
}

Deno.test("readWindowInto: column windows of 3-D and 2-D arrays, big-endian too, into reused targets", async () => {
  await withTmp(async (dir) => {
    const [H, W, B] = [37, 23, 5];
    const emb = int8Ramp(H * W * B);
    const be = Float32Array.from({ length: H * W }, (_, i) => i === 7 ? NaN : i * 0.25 - 3);
    await writeNpy(`${dir}/e.npy`, "|i1", [H, W, B], emb);
    await writeNpy(`${dir}/s.npy`, ">f4", [H, W], be);
    using e = await openNpy(`${dir}/e.npy`);
    using s = await openNpy(`${dir}/s.npy`);
    const eBuf = new Int8Array(H * W * B), sBuf = new Float32Array(H * W);
    const windows = [
      [0, H, 0, W],
      [0, 1, 0, 1],
      [5, 17, 3, 19],
      [H - 1, H, W - 1, W],
      [9, 9, 2, 8],
      [
        4,
        30,
        0,
        W,
      ],
      [2, 3, 11, 11],
    ];
    for (const [r0, r1, c0, c1] of windows) {
      const label = `window ${r0}..${r1} × ${c0}..${c1}`;
      const got = await e.readWindowInto(r0, r1, c0, c1, eBuf);
      assertEquals(got.buffer, eBuf.buffer, `${label}: into the target`);
      assertSameBytes(got, windowOf(emb, W, B, r0, r1, c0, c1), label);
      assertSameBytes(
        await s.readWindowInto(r0, r1, c0, c1, sBuf),
        windowOf(be, W, 1, r0, r1, c0, c1),
        `${label} (big-endian float32)`,
      );
    }
  });
});

Deno.test("readWindowInto and async readRows on one handle do not disturb each other", async () => {
  await withTmp(async (dir) => {
    const [H, W] = [64, 300];
    const data = int8Ramp(H * W);
    await writeNpy(`${dir}/c.npy`, "|i1", [H, W], data);
    using npy = await openNpy(`${dir}/c.npy`);
    // Async row reads seek and read in two steps; window reads in between must not move them.
    const rows = Array.from({ length: 16 }, (_, i) => npy.readRows(i * 3, i * 3 + 4));
    const win = new Int8Array(10 * 50);
    for (let i = 0; i < 16; i++) {
      const got = await npy.readWindowInto(i, i + 10, 100 + i, 150 + i, win);
      assertSameBytes(got, windowOf(data, W, 1, i, i + 10, 100 + i, 150 + i), `window ${i}`);
    }
    (await Promise.all(rows)).forEach((got, i) =>
      assertSameBytes(got, data.subarray(i * 3 * W, (i * 3 + 4) * W), `rows ${i}`)
    );
  });
});

Deno.test("readWindowInto refuses windows outside the array, 1-D arrays, short targets, closed files", async () => {
  await withTmp(async (dir) => {
    await writeNpy(`${dir}/a.npy`, "|i1", [4, 6, 2], int8Ramp(48));
    await writeNpy(`${dir}/v.npy`, "<f4", [5], new Float32Array(5));
    const npy = await openNpy(`${dir}/a.npy`);
    const t = new Int8Array(48);
    for (const [r0, r1, c0, c1] of [[0, 5, 0, 1], [0, 1, 2, 7], [0, 1, 3, 2], [0, 1, -1, 2]]) {
      await assertRejectsKind(() => npy.readWindowInto(r0, r1, c0, c1, t), "BadArgument");
    }
    await assertRejectsKind(() => npy.readWindowInto(0, 4, 0, 6, new Int8Array(47)), "BadArgument");
    await assertRejectsKind(
      () => npy.readWindowInto(0, 1, 0, 1, new Float32Array(2) as unknown as Int8Array),
      "BadArgument",
    );
    npy.close();
    await assertRejectsKind(() => npy.readWindowInto(0, 1, 0, 1, t), "BadArgument");
    using v = await openNpy(`${dir}/v.npy`);
    await assertRejectsKind(() => v.readWindowInto(0, 1, 0, 1, new Float32Array(5)), "BadArgument");
  });
});
