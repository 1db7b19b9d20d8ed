#!/usr/bin/env python3
"""Arrow IPC test vectors for Tests/LanceArrowTests/IPC*.swift, written with pyarrow at test time.

  arrow_ipc.py gen DIR            writes DIR/<case>.arrow (file), DIR/<case>.arrows (stream),
                                  DIR/<case>.jsonl (rows rendered per CLI-JSON.md) and DIR/cases.json
  arrow_ipc.py render PATH KIND   prints the rows of an IPC file (KIND=file) or stream (KIND=stream)
                                  as JSON lines, to check files that Lancelet wrote
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance"))
import jsonrender as md  # noqa: E402  (rendering per CLI-JSON.md)
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.ipc as ipc  # noqa: E402


def write(d, name, table, compression=None, chunk=None, stream_only_batches=None, deltas=False):
    opts = ipc.IpcWriteOptions(compression=compression, emit_dictionary_deltas=deltas)
    batches = stream_only_batches or table.to_batches(max_chunksize=chunk)
    if stream_only_batches is None:
        with ipc.new_file(os.path.join(d, name + ".arrow"), table.schema, options=opts) as w:
            for b in batches:
                w.write_batch(b)
    with ipc.new_stream(os.path.join(d, name + ".arrows"), table.schema, options=opts) as w:
        for b in batches:
            w.write_batch(b)
    rows = []
    for b in batches:
        rows.extend(md.render_table(pa.Table.from_batches([b])))
    md.write_jsonl(os.path.join(d, name + ".jsonl"), rows)
    return {"name": name, "file": stream_only_batches is None, "stream": True, "rows": len(rows),
            "batches": len(batches), "schema": schema_json(table.schema)}


def schema_json(schema):
    return {"fields": [{"name": f.name, "type": str(f.type), "nullable": f.nullable,
                        "metadata": {k.decode(): v.decode() for k, v in (f.metadata or {}).items()}}
                       for f in schema],
            "metadata": {k.decode(): v.decode() for k, v in (schema.metadata or {}).items()}}


def lance_deletion_file(d):
    """A real deletion vector written by pylance (IPC file, ZSTD body, uint32 row_id)."""
    import glob
    import shutil
    import tempfile
    import lance
    tmp = tempfile.mkdtemp()
    try:
        t = pa.table({"id": pa.array(np.arange(3000, dtype=np.int64))})
        ds = lance.write_dataset(t, os.path.join(tmp, "ds"))
        ds.delete("id % 7 = 1 or id = 2999")
        files = glob.glob(os.path.join(tmp, "ds", "_deletions", "*.arrow"))
        assert len(files) == 1, files
        shutil.copy(files[0], os.path.join(d, "lance_deletion.arrow"))
    finally:
        shutil.rmtree(tmp)
    table = ipc.open_file(os.path.join(d, "lance_deletion.arrow")).read_all()
    md.write_jsonl(os.path.join(d, "lance_deletion.jsonl"), md.render_table(table))
    return {"name": "lance_deletion", "file": True, "stream": False, "rows": table.num_rows,
            "batches": len(table.to_batches()), "schema": schema_json(table.schema)}


def gen(d):
    import make_datasets  # pylance; only needed to generate
    os.makedirs(d, exist_ok=True)
    cases = []
    typed = make_datasets.typed_table(300, seed=21)
    cases.append(write(d, "typed_plain", typed, chunk=128))
    cases.append(write(d, "typed_zstd", typed, compression="zstd", chunk=100))
    cases.append(write(d, "typed_lz4", typed, compression="lz4", chunk=300))
    extra = make_datasets.extra_types_table(150, seed=5)
    cases.append(write(d, "extra_plain", extra, chunk=64))
    cases.append(write(d, "extra_zstd", extra, compression="zstd"))
    big = pa.table({"x": pa.array(np.arange(12000, dtype=np.int64) % 1000),
                    "s": pa.array([f"value-{i % 5000}" for i in range(12000)])})
    cases.append(write(d, "big_lz4", big, compression="lz4"))  # multi-block (linked) LZ4 frames
    cases.append(write(d, "big_zstd", big, compression="zstd"))
    ids = np.random.default_rng(1).permutation(4000)[:1234].astype(np.uint32)
    delt = pa.table({"row_id": pa.array(ids, pa.uint32())},
                    schema=pa.schema([pa.field("row_id", pa.uint32(), nullable=False)]))
    cases.append(write(d, "deletions_like", delt, compression="zstd"))
    empty = pa.table({"a": pa.array([], pa.int32()), "b": pa.array([], pa.string())})
    cases.append(write(d, "empty", empty))
    # dictionaries that change between batches: replacement in one stream, deltas in another
    b1 = pa.record_batch({"d": pa.array(["a", "b", None, "a"]).dictionary_encode()})
    b2 = pa.record_batch({"d": pa.DictionaryArray.from_arrays(pa.array([0, 2, 1], pa.int32()), pa.array(["a", "b", "c"]))})
    cases.append(write(d, "dict_replace", pa.Table.from_batches([b1]), stream_only_batches=[b1, b2]))
    cases.append(write(d, "dict_delta", pa.Table.from_batches([b1]), stream_only_batches=[b1, b2], deltas=True))
    meta = pa.table({"v": pa.array([1.5, None], pa.float64())},
                    schema=pa.schema([pa.field("v", pa.float64(), metadata={"k": "v"})], metadata={"top": "level"}))
    cases.append(write(d, "metadata", meta))
    cases.append(lance_deletion_file(d))
    with open(os.path.join(d, "cases.json"), "w") as f:
        json.dump(cases, f)


def render(path, kind):
    if kind == "file":
        r = ipc.open_file(path)
        table = r.read_all()
    else:
        table = ipc.open_stream(path).read_all()
    out = {"schema": [{"name": f.name, "type": str(f.type), "nullable": f.nullable,
                       "metadata": {k.decode(): v.decode() for k, v in (f.metadata or {}).items()}}
                      for f in table.schema],
           "metadata": {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()},
           "num_batches": len(table.to_batches())}
    print(md.dumps(out))
    for r in md.render_table(table):
        print(md.dumps(r))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        render(sys.argv[2], sys.argv[3])
