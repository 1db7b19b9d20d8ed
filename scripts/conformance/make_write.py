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


def typed_with_vectors(n=300, seed=11):
    """make_datasets' typed table minus what Lancelet's writer refuses (null items inside fixed-size
    lists; null structs inside lists, which 2.0 cannot store), plus a 16-d vector column."""
    t = typed_table(n, seed)
    fsl = t.column("fsl4").combine_chunks()
    items = pa.array([0 if v is None else v for v in fsl.values.to_pylist()], pa.int32())
    fixed = pa.FixedSizeListArray.from_arrays(items, 4, mask=fsl.is_null())
    t = t.set_column(t.schema.get_field_index("fsl4"), "fsl4", fixed)
    lst = t.column("lst").to_pylist()
    lst = [None if v is None else [x if x is not None else {"x": None, "y": None} for x in v] for v in lst]
    t = t.set_column(t.schema.get_field_index("lst"), "lst", pa.array(lst, t.schema.field("lst").type))

    def no_null_structs(v, typ):
        if pa.types.is_struct(typ):
            v = v or {f.name: None for f in typ}
            return {f.name: no_null_structs(v.get(f.name), f.type) for f in typ}
        return v
    st = [no_null_structs(v, t.schema.field("st").type) for v in t.column("st").to_pylist()]
    t = t.set_column(t.schema.get_field_index("st"), "st", pa.array(st, t.schema.field("st").type))
    t = t.drop_columns(["dict"])  # the 2.1/2.2 writers do not write dictionary arrays yet
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
    extra = extra_types_table(200)
    with ipc.new_file(os.path.join(out, "extra.arrow"), extra.schema) as w:
        w.write_table(extra)
    cases = []
    for dsv in ["2.0", "2.1", "2.2"]:
        cases.append({"name": f"typed_{dsv}", "input": "typed.arrow", "dsv": dsv, "stable": False})
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
