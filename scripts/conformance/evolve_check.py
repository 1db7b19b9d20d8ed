#!/usr/bin/env python3
"""Two-way conformance of Lancelet's mutations with pylance (used by Tests/LanceTests/EvolveTests.swift).

  evolve_check.py setup DIR    writes DIR/base.lance, copies it to DIR/lancelet.lance (for Lancelet
                               to mutate) and DIR/pylance.lance, applies every step of STEPS to
                               DIR/pylance.lance with pylance (one version per step) and writes the
                               inputs the steps need (DIR/*.arrow, Arrow IPC files).
  evolve_check.py compare DIR  compares DIR/lancelet.lance with DIR/pylance.lance version by version:
                               schema (names, types, nullability, field ids), rows (by id), live row
                               count, the transaction's operation, and data files per fragment.
                               Prints a JSON list of differences (empty when identical).
  evolve_check.py setup-nested DIR / compare-nested DIR
                               casts of fields inside structs in 2.0, 2.1 and 2.2 (see setup_nested).
  evolve_check.py setup-stable DIR / compare-stable DIR
                               the same for updates, upserts, deletes and an append on a dataset
                               with stable row ids; the comparison includes every row's `_rowid`.
"""
import json
import re
import shutil
import sys

import lance
import pyarrow as pa
import pyarrow.compute as pc


def base_table(n=100):
    return pa.table({
        "id": pa.array(range(n), pa.int64()),
        "w": pa.array([float(i) * 1.5 + 0.25 for i in range(n)], pa.float64()),
        "h": pa.array([(i % 9) + 1 for i in range(n)], pa.int64()),
        "s": pa.array([None if i % 6 == 0 else "s%d-é" % i for i in range(n)], pa.string()),
        "tags": pa.array([[i, i + 1] if i % 4 else None for i in range(n)], pa.list_(pa.int32())),
    }, schema=pa.schema([
        pa.field("id", pa.int64(), nullable=False),
        pa.field("w", pa.float64()),
        pa.field("h", pa.int64()),
        pa.field("s", pa.string()),
        pa.field("tags", pa.list_(pa.int32())),
    ]))


def write_arrow(path, table):
    with pa.OSFile(path, "wb") as f:
        with pa.ipc.new_file(f, table.schema) as w:
            w.write_table(table)


def setup(d):
    base = d + "/base.lance"
    lance.write_dataset(base_table(), base, max_rows_per_file=40)
    shutil.copytree(base, d + "/lancelet.lance")
    shutil.copytree(base, d + "/pylance.lance")
    uri = d + "/pylance.lance"
    ds = lance.dataset(uri)
    # 2: SQL columns
    ds.add_columns({"dbl": "id * 2", "ratio": "CAST(w AS DOUBLE) / CAST(h AS DOUBLE)"})
    # 3: all-null column
    ds.add_columns(pa.field("n", pa.int32()))
    # 4: rename + nullability
    ds.alter_columns({"path": "dbl", "name": "twice"}, {"path": "id", "nullable": True})
    # 5: cast
    ds.alter_columns({"path": "h", "data_type": pa.int32()})
    # 6: drop
    ds.drop_columns(["s"])
    # 7: merge a score table (ids beyond the dataset do not match; ids not in it get nulls)
    scores = pa.table({"id": pa.array(range(0, 150, 3), pa.int64()),
                       "score": pa.array([i * 0.5 for i in range(50)], pa.float64())})
    write_arrow(d + "/scores.arrow", scores)
    ds.merge(scores, "id")
    ds = lance.dataset(uri)
    # 8: delete where
    ds.delete("id % 7 = 3")
    # 9: update where
    ds.update({"w": "w + 100", "n": "7"}, where="id > 60")
    ds = lance.dataset(uri)
    # 10: upsert (update matched, insert new)
    cur = ds.to_table(filter="id < 10")
    cur = cur.set_column(cur.schema.get_field_index("w"), "w", pc.negate(cur.column("w")))
    new = cur.slice(0, 3)
    new = new.set_column(0, "id", pa.array([200, 201, 202], pa.int64()))
    src = pa.concat_tables([cur, new])
    write_arrow(d + "/upsert.arrow", src)
    ds.merge_insert("id").when_matched_update_all().when_not_matched_insert_all().execute(src)
    ds = lance.dataset(uri)
    # 11: upsert that also deletes the rows the source lacks
    src2 = ds.to_table(filter="id < 50 OR id > 150")
    src2 = src2.set_column(src2.schema.get_field_index("score"), "score", pa.array([1.0] * src2.num_rows))
    write_arrow(d + "/upsert2.arrow", src2)
    ds.merge_insert("id").when_matched_update_all().when_not_matched_by_source_delete().execute(src2)
    ds = lance.dataset(uri)
    # 12: a column computed by a function (Lancelet: a Swift closure; here the same values by SQL)
    ds.add_columns({"plus1": "id + 1"})
    print(json.dumps({"versions": lance.dataset(uri).version}))


def stable_table(n=60):
    return pa.table({
        "id": pa.array(range(n), pa.int64()),
        "w": pa.array([i * 0.5 for i in range(n)], pa.float64()),
        "s": pa.array([None if i % 7 == 0 else "r%d" % i for i in range(n)], pa.string()),
    })


def setup_stable(d):
    """The row-rewriting mutations on a dataset with stable row ids (one version per step)."""
    base = d + "/base.lance"
    lance.write_dataset(stable_table(), base, max_rows_per_file=25, enable_stable_row_ids=True)
    shutil.copytree(base, d + "/lancelet.lance")
    shutil.copytree(base, d + "/pylance.lance")
    uri = d + "/pylance.lance"
    ds = lance.dataset(uri)
    # 2: update where
    ds.update({"w": "w * 2", "s": "'u'"}, where="id % 5 = 1")
    ds = lance.dataset(uri)
    # 3: upsert, matched and new keys interleaved in the source
    src = pa.table({"id": pa.array([70, 3, 71, 8, 1, 72], pa.int64()),
                    "w": pa.array([7.0, -3.0, 7.1, -8.0, -1.0, 7.2], pa.float64()),
                    "s": pa.array(["n70", None, "n71", "m8", "m1", None], pa.string())})
    write_arrow(d + "/upsert.arrow", src)
    ds.merge_insert("id").when_matched_update_all().when_not_matched_insert_all().execute(src)
    ds = lance.dataset(uri)
    # 4: delete where
    ds.delete("id % 9 = 2")
    ds = lance.dataset(uri)
    # 5: upsert that deletes the rows the source lacks
    src2 = ds.to_table(filter="id < 30 OR id > 70")
    src2 = src2.set_column(src2.schema.get_field_index("w"), "w", pa.array([-1.0] * src2.num_rows))
    write_arrow(d + "/upsert2.arrow", src2)
    ds.merge_insert("id").when_matched_update_all().when_not_matched_by_source_delete().execute(src2)
    ds = lance.dataset(uri)
    # 6: update rows that an earlier upsert wrote
    ds.update({"w": "0.5"}, where="id >= 70 OR id = 3")
    # 7: append (new rows continue after every id handed out so far)
    more = pa.table({"id": pa.array([100, 101], pa.int64()), "w": pa.array([1.0, 2.0], pa.float64()),
                     "s": pa.array(["a", "b"], pa.string())})
    write_arrow(d + "/append.arrow", more)
    lance.write_dataset(more, uri, mode="append")
    print(json.dumps({"versions": lance.dataset(uri).version}))


def summary_stable(ds):
    t = ds.to_table(with_row_id=True).sort_by("id")
    op = ds.read_transaction(ds.version).operation
    frags = []
    for f in ds.get_fragments():
        m = f.metadata
        frags.append({"rows": m.physical_rows, "deleted": m.deletion_file.num_deleted_rows if m.deletion_file else 0})
    vt = ds.to_table(columns=["id", "_row_created_at_version", "_row_last_updated_at_version"])
    versions = sorted(zip(vt.column("id").to_pylist(), vt.column("_row_created_at_version").to_pylist(),
                          vt.column("_row_last_updated_at_version").to_pylist()))
    return {
        "stable": ds.has_stable_row_ids if hasattr(ds, "has_stable_row_ids") else ds._ds.has_stable_row_ids,
        "row_versions": versions,
        "rows": t.to_pydict(),
        "count": ds.count_rows(),
        "op": type(op).__name__,
        "frags": frags,
    }


def compare_stable(d):
    compare(d, summary_stable, first=1)


def field_ids(ds):
    return re.findall(r'name: "([^"]*)", id: (-?\d+), parent_id: (-?\d+)', str(ds.lance_schema))


def summary(ds):
    t = ds.to_table()
    t = t.sort_by("id")
    op = ds.read_transaction(ds.version).operation
    frags = []
    for f in ds.get_fragments():
        m = f.metadata
        frags.append({"rows": m.physical_rows, "files": [list(df.fields) for df in m.files],
                      "deleted": m.deletion_file.num_deleted_rows if m.deletion_file else 0})
    return {
        "schema": [(f.name, str(f.type), f.nullable) for f in ds.schema],
        "ids": field_ids(ds),
        "rows": t.to_pydict(),
        "count": ds.count_rows(),
        "op": type(op).__name__,
        "frags": frags,
    }


def compare(d, summarize=None, first=2):
    """Prints the differences between lancelet.lance and pylance.lance, version by version from `first`."""
    print(json.dumps(differences(d, summarize, first)))


def differences(d, summarize=None, first=2):
    summarize = summarize or summary
    a = d + "/lancelet.lance"
    b = d + "/pylance.lance"
    va = lance.dataset(a).version
    vb = lance.dataset(b).version
    diffs = []
    if va != vb:
        diffs.append("latest version: lancelet %d, pylance %d" % (va, vb))
    for v in range(first, min(va, vb) + 1):
        sa = summarize(lance.dataset(a, version=v))
        sb = summarize(lance.dataset(b, version=v))
        for k in sa:
            if sa[k] != sb[k]:
                diffs.append("v%d %s: lancelet %s | pylance %s" % (v, k, json.dumps(sa[k])[:600], json.dumps(sb[k])[:600]))
    return diffs


NESTED_TYPE = pa.struct([("a", pa.int32()), ("b", pa.string()),
                         ("t", pa.struct([("x", pa.int16()), ("y", pa.float32())]))])


def nested_table(null_structs, n=10):
    def s(i):
        if null_structs and i % 4 == 1:
            return None
        return {"a": None if i % 3 == 2 else i * 10, "b": None if i % 5 == 3 else "b%d" % i,
                "t": None if null_structs and i % 4 == 3 else {"x": None if i % 6 == 4 else i, "y": i + 0.5}}
    return pa.table({"id": pa.array(range(n), pa.int64()), "h": pa.array([i * 3 for i in range(n)], pa.int64()),
                     "s": pa.array([s(i) for i in range(n)], NESTED_TYPE)})


def setup_nested(d):
    """Casts of fields inside structs, in each file version (DIR/<version>/{lancelet,pylance}.lance).
    2: s.a int32 -> int64 and s.t.x int16 -> int32; 3: s.t.y float -> double, h int64 -> int32 and
    s.b renamed to bb (not in pylance's 2.0 copy); 4: an update, 5: a delete (2.1+; rows rewritten
    from split structs)."""
    for fmt in ["2.0", "2.1", "2.2"]:
        base = "%s/%s/base.lance" % (d, fmt)
        # 2.0 files cannot store null structs.
        lance.write_dataset(nested_table(fmt != "2.0"), base, max_rows_per_file=4, data_storage_version=fmt)
        shutil.copytree(base, "%s/%s/lancelet.lance" % (d, fmt))
        shutil.copytree(base, "%s/%s/pylance.lance" % (d, fmt))
        ds = lance.dataset("%s/%s/pylance.lance" % (d, fmt))
        ds.alter_columns({"path": "s.a", "data_type": pa.int64()}, {"path": "s.t.x", "data_type": pa.int32()})
        if fmt == "2.0":
            continue  # pylance cannot read its own 2.0 result (see compare_nested)
        ds.alter_columns({"path": "s.t.y", "data_type": pa.float64()}, {"path": "h", "data_type": pa.int32()},
                         {"path": "s.b", "name": "bb"})
        if True:
            ds.update({"h": "h + 1000"}, where="id = 2 OR id = 6")
            ds = lance.dataset("%s/%s/pylance.lance" % (d, fmt))
            ds.delete("id = 5")


def compare_nested(d):
    """2.1 and 2.2: every version of both copies compared as `compare` does. 2.0: pylance cannot read
    the struct it split across files itself (its 2.0 reader takes a struct from one file), so Lancelet
    writes the whole struct again: there the schema and field ids are compared with pylance's, the
    rows pylance reads from Lancelet's copy with the base rows, and the data files with that layout.
    pylance's own 2.0 copy stops at version 2 (its second cast fails to read the split struct); the
    schema of version 3 is compared with pylance's 2.1 copy (field ids do not depend on the file version)."""
    diffs = []
    for fmt in ["2.1", "2.2"]:
        diffs += ["%s %s" % (fmt, x) for x in differences("%s/%s" % (d, fmt))]
    a = "%s/2.0/lancelet.lance" % d
    b = "%s/2.0/pylance.lance" % d
    base = lance.dataset("%s/2.0/base.lance" % d).to_table().to_pylist()
    if lance.dataset(a).version != 3:
        diffs.append("2.0 latest version: lancelet %d" % lance.dataset(a).version)
    for v in [2, 3]:
        da = lance.dataset(a, version=v)
        db = lance.dataset(b if v == 2 else "%s/2.1/pylance.lance" % d, version=v)
        for k, (x, y) in {"schema": (str(da.schema), str(db.schema)), "ids": (field_ids(da), field_ids(db)),
                          "op": (type(da.read_transaction(v).operation).__name__,
                                 type(db.read_transaction(v).operation).__name__)}.items():
            if x != y:
                diffs.append("2.0 v%d %s: lancelet %s | pylance %s" % (v, k, x, y))
        expected = base
        if v == 3:
            expected = [dict(r, s=({"a": r["s"]["a"], "bb": r["s"]["b"], "t": r["s"]["t"]} if r["s"] else None))
                        for r in base]
        rows = da.to_table().to_pylist()
        if rows != expected:
            diffs.append("2.0 v%d rows: lancelet %s | expected %s" % (v, json.dumps(rows)[:600], json.dumps(expected)[:600]))
        struct_ids = [int(i) for _, i, _ in field_ids(da)[2:]]  # s and its members, pre-order
        for f in da.get_fragments():
            files = [list(df.fields) for df in f.metadata.files]
            if files[-1][-len(struct_ids):] != struct_ids or any(i in struct_ids for fs in files[:-1] for i in fs):
                diffs.append("2.0 v%d fragment %d files %s: expected s (%s) whole in the last file only" %
                             (v, f.fragment_id, files, struct_ids))
    print(json.dumps(diffs))


if __name__ == "__main__":
    {"setup": setup, "compare": compare, "setup-stable": setup_stable,
     "compare-stable": compare_stable, "setup-nested": setup_nested,
     "compare-nested": compare_nested}[sys.argv[1]](sys.argv[2])
