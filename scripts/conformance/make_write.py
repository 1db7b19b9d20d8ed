#!/usr/bin/env python3
"""Two-way write conformance with pylance 14.0.2.

    make_write.py --out DIR
        Writes the inputs Lancelet imports (Arrow IPC files/streams made by pyarrow) and
        DIR/cases.json: [{"name", "input", "dsv", "stable"}].
    make_write.py --check DATASET --input FILE --out CASEDIR [--stable]
        DATASET was written by `lancelet create`. pylance reads it and compares every value with
        the input table, checks the tag Lancelet made, then appends rows, deletes some, creates an
        IVF_PQ index on `vec` and a tag of its own, and writes what it sees to CASEDIR/expected.json
        (the CLI-JSON `info` object) and CASEDIR/expected.jsonl (scan rows with _rowaddr[, _rowid])
        for Lancelet to compare with.

The Swift side is Tests/WriteCLITests (env LANCELET_WRITE_CONFORMANCE_DIR=DIR).
"""
import argparse
import json
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lance  # noqa: E402
from make_datasets import typed_table, extra_types_table, info_json, scan_rows  # noqa: E402
from jsonrender import write_jsonl, render_table, dumps  # noqa: E402

assert lance.__version__ == "14.0.2", f"pylance 14.0.2 required, found {lance.__version__}"


def more_types(n, seed):
    """Columns beyond make_datasets' typed table: fixed-size lists of bools (narrow and wide), of
    fixed-size lists, of float16, of timestamps, wide vectors with null items, and dictionaries with
    other index and value types (unused entries included)."""
    rng = np.random.default_rng(seed)

    def fsl(values, dim, typ, row_nulls=0.1):
        mask = rng.random(n) < row_nulls
        mask[0] = False
        return pa.FixedSizeListArray.from_arrays(pa.array(values, typ), dim, mask=pa.array(mask))

    def nullable(vals, p):
        return [None if rng.random() < p else v for v in vals]

    cols = {}
    cols["fsl_bool"] = fsl(nullable([bool(x) for x in rng.integers(0, 2, 3 * n)], 0.1), 3, pa.bool_())
    cols["fsl_bool_wide"] = fsl(nullable([bool(x) for x in rng.integers(0, 2, 1001 * n)], 0.02), 1001, pa.bool_())
    inner = pa.FixedSizeListArray.from_arrays(pa.array(nullable([float(x) for x in rng.standard_normal(2 * 3 * n)], 0.1),
                                                       pa.float32()), 2,
                                              mask=pa.array(rng.random(3 * n) < 0.1))
    mask = rng.random(n) < 0.1
    mask[0] = False
    cols["fsl_fsl"] = pa.FixedSizeListArray.from_arrays(inner, 3, mask=pa.array(mask))
    cols["fsl_f16"] = fsl(nullable([float(x) for x in rng.standard_normal(4 * n).astype(np.float16)], 0.1), 4,
                          pa.float16())
    cols["fsl_ts"] = fsl(nullable([int(x) for x in rng.integers(-10**15, 10**15, 2 * n)], 0.1), 2, pa.timestamp("us"))
    cols["vec_null_items"] = fsl(nullable([float(x) for x in rng.standard_normal(300 * n).astype(np.float32)], 0.05),
                                 300, pa.float32(), row_nulls=0.1)
    words = ["alpha", "βeta", "日本", "", "emoji 🦀", "unused"]
    idx = [None if rng.random() < 0.15 else int(x) for x in rng.integers(0, 5, n)]
    cols["dict_lstr"] = pa.DictionaryArray.from_arrays(pa.array(idx, pa.int16()), pa.array(words, pa.large_string()))
    ints = pa.array([10, -20, 1 << 40, 0, 7, 99], pa.int64())
    idx = [None if rng.random() < 0.15 else int(x) for x in rng.integers(0, 5, n)]
    cols["dict_i64"] = pa.DictionaryArray.from_arrays(pa.array(idx, pa.int8()), ints)
    idx = [None if rng.random() < 0.15 else int(x) for x in rng.integers(0, 3, n)]
    cols["dict_f64"] = pa.DictionaryArray.from_arrays(pa.array(idx, pa.uint16()), pa.array([1.5, -2.25, 1e300, 0.0]))
    idx = [None if rng.random() < 0.1 else int(x) for x in rng.integers(0, 4, n)]
    cols["dict_null_values"] = pa.DictionaryArray.from_arrays(pa.array(idx, pa.int32()), pa.array(["x", None, "z", "w"]))
    # Dictionaries nested in a struct and in a list.
    idx = [None if rng.random() < 0.1 else int(x) for x in rng.integers(0, 5, n)]
    inner = pa.DictionaryArray.from_arrays(pa.array(idx, pa.int32()), pa.array(words))
    smask = rng.random(n) < 0.1
    smask[0] = False
    cols["st_dict"] = pa.StructArray.from_arrays([inner, pa.array(rng.integers(0, 100, n), pa.int32())], names=["d", "i"],
                                                 mask=pa.array(smask))
    lens = rng.integers(0, 4, n)
    offs = np.concatenate([[0], np.cumsum(lens)]).astype(np.int32)
    idx = [None if rng.random() < 0.1 else int(x) for x in rng.integers(0, 5, int(offs[-1]))]
    items = pa.DictionaryArray.from_arrays(pa.array(idx, pa.int16()), pa.array(words, pa.large_string()))
    lmask = rng.random(n) < 0.1
    lmask[0] = False
    cols["list_dict"] = pa.ListArray.from_arrays(pa.array(offs), items, mask=pa.array(lmask))
    return cols


def typed_with_vectors(n=300, seed=11, dsv="2.1"):
    """make_datasets' typed table (every type of the columnar model with nulls, unicode, null items in
    fixed-size lists, a dictionary column) plus a 16-d vector column and `more_types`. 2.0 inputs have
    no null structs: pylance 14 refuses to write them in 2.0 too (it does not encode struct validity)."""
    t = typed_table(n, seed, struct_nulls=(dsv != "2.0"))
    for name, col in more_types(n, seed + 2).items():
        if name == "st_dict" and dsv == "2.0":
            col = pa.StructArray.from_arrays(col.flatten(), fields=list(col.type))
        t = t.append_column(name, col)
    rng = np.random.default_rng(seed + 1)
    vec = rng.standard_normal((n, 16)).astype(np.float32)
    return t.append_column("vec", pa.FixedSizeListArray.from_arrays(pa.array(vec.ravel()), 16))


def make_inputs(out):
    os.makedirs(out, exist_ok=True)
    typed = typed_with_vectors()
    with ipc.new_file(os.path.join(out, "typed.arrow"), typed.schema,
                      options=ipc.IpcWriteOptions(compression="zstd")) as w:
        for b in typed.to_batches(max_chunksize=128):
            w.write_batch(b)
    with ipc.new_stream(os.path.join(out, "typed.arrows"), typed.schema,
                        options=ipc.IpcWriteOptions(compression="lz4")) as w:
        for b in typed.to_batches(max_chunksize=100):
            w.write_batch(b)
    typed20 = typed_with_vectors(dsv="2.0")
    with ipc.new_file(os.path.join(out, "typed20.arrow"), typed20.schema) as w:
        for b in typed20.to_batches(max_chunksize=128):
            w.write_batch(b)
    extra = extra_types_table(200)
    with ipc.new_file(os.path.join(out, "extra.arrow"), extra.schema) as w:
        w.write_table(extra)
    cases = []
    for dsv in ["2.0", "2.1", "2.2"]:
        cases.append({"name": f"typed_{dsv}", "input": "typed20.arrow" if dsv == "2.0" else "typed.arrow",
                      "dsv": dsv, "stable": False})
        cases.append({"name": f"extra_{dsv}", "input": "extra.arrow", "dsv": dsv, "stable": False})
    cases.append({"name": "typed_stream_stable_2.2", "input": "typed.arrows", "dsv": "2.2", "stable": True})
    cases.append({"name": "typed_stable_2.1", "input": "typed.arrow", "dsv": "2.1", "stable": True})
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
    print(f"wrote {len(cases)} write-conformance cases to {out}", file=sys.stderr)


def read_input(path):
    with open(path, "rb") as f:
        head = f.read(6)
    if head == b"ARROW1":
        return ipc.open_file(path).read_all()
    return ipc.open_stream(path).read_all()


def check(dataset, input_path, out, stable):
    os.makedirs(out, exist_ok=True)
    want = read_input(input_path)
    ds = lance.dataset(dataset)
    got = ds.to_table()
    assert got.schema.equals(want.schema), f"schema differs:\n{got.schema}\nvs\n{want.schema}"
    assert got.num_rows == want.num_rows, (got.num_rows, want.num_rows)
    # Compare rendered values (NaN-safe: floats render as in the CLI JSON contract).
    gr, wr = render_table(got), render_table(want)
    for i, (a, b) in enumerate(zip(gr, wr)):
        if dumps(a) != dumps(b):
            bad = [k for k in b if dumps(a.get(k)) != dumps(b[k])]
            raise AssertionError(f"row {i} differs in {bad}: {a} vs {b}")
    tags = ds.tags.list()
    assert "lancelet" in tags and int(tags["lancelet"]["version"]) == 1, f"Lancelet's tag not seen: {tags}"
    if stable:
        ids = ds.to_table(with_row_id=True).column("_rowid").to_pylist()
        assert ids == list(range(want.num_rows)), "stable row ids of a new dataset are 0..<n"
    # pylance mutates the Lancelet dataset.
    ds = lance.write_dataset(want.slice(0, 40), dataset, mode="append")
    key = "id"
    ds.delete(f"{key} % 7 = 3")
    if "vec" in want.column_names:
        ds.create_index("vec", index_type="IVF_PQ", num_partitions=2, num_sub_vectors=4)
    ds = lance.dataset(dataset)
    ds.tags.create("pylance", ds.version)
    ds = lance.dataset(dataset)
    info = info_json(ds)
    rows = scan_rows(ds, stable)
    assert len(rows) == info["count"]
    write_jsonl(os.path.join(out, "expected.jsonl"), rows)
    info["versions_timestamps"] = None
    with open(os.path.join(out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, ensure_ascii=False, allow_nan=False, indent=1)
    print(json.dumps({"ok": True, "count": info["count"], "version": info["version"]}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--check")
    ap.add_argument("--input")
    ap.add_argument("--stable", action="store_true")
    a = ap.parse_args()
    if a.check:
        check(a.check, a.input, a.out, a.stable)
    else:
        make_inputs(a.out)


if __name__ == "__main__":
    main()
