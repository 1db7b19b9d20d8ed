"""Writes Lance 2.1/2.2 test files with pylance and dumps the expected rows.

usage: v21_cases.py OUT_DIR

For every case and version writes OUT_DIR/<case>_<version>.lance and OUT_DIR/<case>_<version>.txt
(per top-level field a line `#name`, then one line per row with the rendered value), and prints the list of
written cases. Values are rendered so that Swift can reproduce them exactly: ints as numbers, floats
as "d:<hex bits>"/"f:<hex bits>", strings "s:<hex utf8>", bytes "b:<hex>", lists and structs as arrays.
"""
import json, os, struct, sys
import numpy as np
import pyarrow as pa
from lance.file import LanceFileWriter

OUT = sys.argv[1]
N = 3000


def render(v, t):
    if v is None:
        return None
    if pa.types.is_dictionary(t):
        return render(v, t.value_type)
    if pa.types.is_boolean(t):
        return bool(v)
    if pa.types.is_integer(t):
        return int(v)
    if pa.types.is_float32(t):
        return "f:" + struct.pack("<f", v).hex()
    if pa.types.is_float64(t):
        return "d:" + struct.pack("<d", v).hex()
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "s:" + v.encode().hex()
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return "b:" + bytes(v).hex()
    if pa.types.is_date32(t):
        return (v - __import__("datetime").date(1970, 1, 1)).days
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return [render(x, t.value_type) for x in v]
    if pa.types.is_struct(t):
        return [render(v[t.field(i).name], t.field(i).type) for i in range(t.num_fields)]
    raise TypeError(t)


def write(name, table, version, batch=None, **kw):
    path = os.path.join(OUT, f"{name}_{version}.lance")
    with LanceFileWriter(path, table.schema, version=version, **kw) as w:
        for b in table.to_batches(max_chunksize=batch or table.num_rows):
            w.write_batch(b)
    with open(os.path.join(OUT, f"{name}_{version}.txt"), "w") as f:
        for i, field in enumerate(table.schema):
            f.write("#" + field.name + "\n")
            for v in table.column(i).to_pylist():
                f.write(json.dumps(render(v, field.type), separators=(",", ":")) + "\n")
    print(f"{name}_{version}")


def meta(**kv):
    return {f"lance-encoding:{k}": v for k, v in kv.items()}


NONE = meta(compression="none", bss="off")


def cases(version):
    rng = np.random.default_rng(42)
    n = 200
    uni = ["", "a", "é", "日本語", "🦀 crab", "x" * 40]
    # Uncompressible data: random 64-bit values, random bytes, no nulls.
    plain = pa.table({
        "i64": pa.array(rng.integers(-2**63, 2**63 - 1, n, dtype=np.int64)),
        "u64": pa.array(rng.integers(0, 2**63, n, dtype=np.uint64) * 2 + 1),
        "f64": pa.array(rng.standard_normal(n) * 1e300),
        "bin": pa.array([bytes(rng.integers(0, 256, int(rng.integers(1, 40)), dtype=np.uint8)) for _ in range(n)], pa.binary()),
        "lbin": pa.array([bytes(rng.integers(0, 256, int(rng.integers(300, 600)), dtype=np.uint8)) for _ in range(n)], pa.large_binary()),
        "vec": pa.FixedSizeListArray.from_arrays(pa.array(rng.random(n * 768, dtype=np.float32)), 768),
    })
    schema = pa.schema([pa.field(f.name, f.type, nullable=False, metadata=NONE) for f in plain.schema])
    write("plain", plain.cast(schema), version)

    # Values that need the codecs (bit-packing, FSST, LZ4, RLE, dictionaries) and rep/def levels.
    def maybe(i, k, v):
        return None if i % k == 0 else v
    n = N
    prim = pa.table({
        "i8": pa.array([maybe(i, 7, int(x)) for i, x in enumerate(rng.integers(-128, 128, n))], pa.int8()),
        "i16": pa.array(rng.integers(-1000, 1000, n), pa.int16()),
        "i32n": pa.array([maybe(i, 5, int(x)) for i, x in enumerate(rng.integers(-2**31, 2**31 - 1, n))], pa.int32()),
        "u32": pa.array(rng.integers(0, 100, n), pa.uint32()),
        "i64seq": pa.array(np.arange(n, dtype=np.int64) * 3 - 7),
        "f32": pa.array(rng.random(n, dtype=np.float32)),
        "f64": pa.array(rng.random(n)),
        "b": pa.array([maybe(i, 3, bool(x)) for i, x in enumerate(rng.integers(0, 2, n))]),
        "d": pa.array([int(x) for x in rng.integers(0, 20000, n)], pa.int32()).cast(pa.date32()),
        "s": pa.array([maybe(i, 4, uni[i % len(uni)] + str(int(x))) for i, x in enumerate(rng.integers(0, 10**9, n))]),
        "ls": pa.array([maybe(i, 9, uni[i % len(uni)]) for i in range(n)], pa.large_string()),
        "cat": pa.array([["red", "green", "blue"][i % 3] for i in range(n)]),
        "const": pa.array([42] * n, pa.int64()),
        "constn": pa.array([maybe(i, 3, 42) for i in range(n)], pa.int32()),
        "consts": pa.array(["same"] * n),
        "conststrn": pa.array([maybe(i, 3, "same") for i in range(n)]),
        "nulls": pa.array([None] * n, pa.float64()),
        "runs": pa.array(np.repeat(np.arange(n // 100, dtype=np.int32), 100)),
    })
    write("prim", prim, version)

    item = pa.struct([("x", pa.int32()), ("y", pa.string())])
    nested = pa.table({
        "l": pa.array([None if i % 11 == 0 else ([] if i % 7 == 0 else [maybe(j, 4, int(rng.integers(0, 1 << 40))) for j in range(i % 5)]) for i in range(n)], pa.list_(pa.int64())),
        "ll": pa.array([None if i % 13 == 0 else [[i, i + 1], [], None, [maybe(i, 2, i)]][: i % 5] for i in range(n)], pa.large_list(pa.list_(pa.int16()))),
        "st": pa.array([None if i % 9 == 0 else {"a": maybe(i, 4, i * 1000003), "b": "x" * (i % 4), "c": {"d": maybe(i, 5, float(i))}} for i in range(n)],
                       pa.struct([("a", pa.int64()), ("b", pa.string()), ("c", pa.struct([("d", pa.float64())]))])),
        "lst": pa.array([None if i % 5 == 0 else [maybe(j, 3, {"x": i + j, "y": maybe(j, 2, "s" + str(j))}) for j in range(i % 4)] for i in range(n)], pa.list_(item)),
        "sl": pa.array([maybe(i, 6, {"tags": None if i % 4 == 0 else ["t" + str(j) for j in range(i % 3)]}) for i in range(n)], pa.struct([("tags", pa.list_(pa.string()))])),
        "fsl": pa.array([maybe(i, 4, [maybe(j + i, 3, float(i + j)) for j in range(4)]) for i in range(n)], pa.list_(pa.float64(), 4)),
        "vecn": pa.array([maybe(i, 10, list(rng.random(768).astype(np.float32))) for i in range(50)] + [None] * (n - 50), pa.list_(pa.float32(), 768)),
        "big": pa.array([maybe(i, 4, bytes(40000 + i)) for i in range(12)] + [b""] * (n - 12), pa.large_binary()),
        "bigs": pa.array([maybe(i, 10, bytes(rng.integers(0, 256, 300 + i % 50, dtype=np.uint8))) for i in range(n)], pa.large_binary()),
        "lb": pa.array([maybe(i, 7, [bool(j % 2) for j in range(i % 6)]) for i in range(n)], pa.list_(pa.bool_())),
    })
    write("nested", nested, version)

    # Many small pages.
    pages = pa.table({
        "i": pa.array(np.arange(20000, dtype=np.int64) * 7919 % 1000003),
        "s": pa.array([maybe(i, 17, "row" + str(i)) for i in range(20000)]),
        "l": pa.array([[i] * (i % 3) for i in range(20000)], pa.list_(pa.int32())),
    })
    write("pages", pages, version, batch=1000, data_cache_bytes=8192, max_page_bytes=8192)

    # Encodings producers opt into through field metadata.
    n = 2000
    opts = pa.table({
        "lz4": pa.array(rng.integers(0, 1 << 20, n), pa.int64()),
        "zstd": pa.array([maybe(i, 6, "zs" + str(i % 50) * (i % 5)) for i in range(n)]),
        "bss": pa.array(rng.standard_normal(n)),
        "fz": pa.array([maybe(i, 5, uni[i % len(uni)] + "v" + str(i)) for i in range(n)]),
        "fzi": pa.array([maybe(i, 3, i * 17) for i in range(n)], pa.int32()),
        "packed": pa.array([maybe(i, 8, {"a": i, "b": float(i) / 2}) for i in range(n)], pa.struct([("a", pa.int32()), ("b", pa.float64())])),
        "dict64": pa.array([[10, 20, 30, 1 << 40][i % 4] for i in range(n)], pa.int64()),
        "constl": pa.array([[7, 7]] * n, pa.list_(pa.int64())),
        "f32z": pa.array(rng.random(n, dtype=np.float32)),
    })
    fmeta = {
        "lz4": meta(compression="lz4"),
        "zstd": meta(compression="zstd"),
        "bss": meta(compression="zstd", bss="on"),
        "fz": {"lance-encoding:structural-encoding": "fullzip"},
        "fzi": {"lance-encoding:structural-encoding": "fullzip"},
        "packed": {"lance-encoding:packed": "true"},
        "f32z": meta(compression="lz4", bss="on"),
    }
    schema = pa.schema([pa.field(f.name, f.type, metadata=fmeta.get(f.name)) for f in opts.schema])
    write("opts", opts.cast(schema), version)

    # Blob layout (opt-in): values stored outside the page, described by (position, size).
    blob = pa.field("blob", pa.large_binary(), metadata={"lance-encoding:blob": "true"})
    blobs = pa.table({"blob": pa.array([None if i % 5 == 0 else (b"" if i % 7 == 0 else bytes([i % 256]) * (100 * i)) for i in range(60)],
                                       pa.large_binary())}).cast(pa.schema([blob]))
    write("bloblayout", blobs, version)

    # Lists whose rows span several mini-block chunks (exercises the repetition index).
    n = 200
    longl = pa.table({
        "ll": pa.array([None if i % 17 == 0 else list(range(i, i + (i * 37) % 1300)) for i in range(n)], pa.list_(pa.int64())),
        "ls": pa.array([maybe(i, 11, [maybe(j, 5, {"a": j, "b": "b" * (j % 3)}) for j in range((i * 13) % 300)]) for i in range(n)],
                       pa.list_(pa.struct([("a", pa.int32()), ("b", pa.string())]))),
    })
    write("longlists", longl, version)

    # A small file of every layout for the corruption tests.
    n = 300
    small = pa.table({
        "i": pa.array([maybe(i, 7, i * 3) for i in range(n)], pa.int32()),
        "s": pa.array([maybe(i, 5, uni[i % len(uni)] + str(i)) for i in range(n)]),
        "l": pa.array([maybe(i, 9, [i] * (i % 4)) for i in range(n)], pa.list_(pa.int64())),
        "st": pa.array([maybe(i, 6, {"a": i, "b": "q" * (i % 3)}) for i in range(n)], pa.struct([("a", pa.int16()), ("b", pa.string())])),
        "big": pa.array([maybe(i, 8, bytes(rng.integers(0, 256, 300, dtype=np.uint8))) for i in range(n)], pa.large_binary()),
        "z": pa.array([maybe(i, 50, bytes(33000 + i)) for i in range(4)] + [b"x"] * (n - 4), pa.large_binary()),
        "v": pa.array([maybe(i, 4, [float(i)] * 8) for i in range(n)], pa.list_(pa.float32(), 8)),
        "c": pa.array([5] * n, pa.int64()),
        "d": pa.array([["p", "q"][i % 2] for i in range(n)]),
        "lbig": pa.array([maybe(i, 7, [maybe(j, 2, bytes(rng.integers(0, 256, 400, dtype=np.uint8))) for j in range(i % 4)]) for i in range(n)],
                         pa.list_(pa.large_binary())),
        "lvec": pa.array([maybe(i, 6, [[float(i + j + k) for k in range(64)] for j in range(i % 3)]) for i in range(n)],
                         pa.list_(pa.list_(pa.float32(), 64))),
        "dictt": pa.array([["x", "yy", None][i % 3] for i in range(n)]).dictionary_encode(),
    })
    write("small", small, version)

    # All-null nested columns: 2.2 writes all-null/constant pages whose rep/def levels are RLE-compressed.
    n = 600
    allnull = pa.table({
        "id": pa.array(range(n), pa.int32()),
        "n_fsl": pa.array([None] * n, pa.list_(pa.float32(), 4)),
        "n_list": pa.array([None] * n, pa.list_(pa.int32())),
        "n_struct": pa.array([None] * n, pa.struct([("a", pa.int32()), ("b", pa.string())])),
    })
    write("allnull", allnull, version)

    # A large_binary column for take: reading a few rows must not read the whole page.
    blobs = pa.table({"blob": pa.array([bytes(rng.integers(0, 256, 1000, dtype=np.uint8)) for _ in range(4000)], pa.large_binary())})
    write("blobs", blobs, version)


os.makedirs(OUT, exist_ok=True)
for v in ["2.1", "2.2"]:
    cases(v)
