#!/usr/bin/env python3
"""Writes the Lancelet conformance datasets with pylance 14.0.2 and their expected outputs.

Usage: make_datasets.py --out DIR [--only CASE[,CASE...]]

For every case DIR/<case>/ holds
  data.lance/          the dataset written by pylance
  expected.jsonl       every row in scan order (with _rowaddr, and _rowid when stable row ids are on)
  expected.json        the `lancelet info --json` object for the latest version, plus harness keys
                       (see README.md next to this script)
  expected_v<N>.jsonl  rows of older versions named in expected.json "at_versions"
Values are rendered per the CLI contract (CLI-JSON.md). See README.md for the list of cases.
"""
import argparse
import datetime as _dt
import json
import os
import struct
import shutil
import sys
import time

os.environ["TZ"] = "UTC"
time.tzset()

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import lance  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

assert lance.__version__ == "14.0.2", f"pylance 14.0.2 required, found {lance.__version__}"

INFO_KEYS = ["count", "version", "data_storage_version", "versions", "tags", "indices", "fragments", "schema"]

from jsonrender import render_float, render_column, render_table, dumps, write_jsonl  # noqa: E402,F401


# ----------------------------------------------------------------------------------------------
# Info per CLI-JSON.md from pylance's own APIs


def _varint(b, i):
    shift = result = 0
    while True:
        c = b[i]
        i += 1
        result |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return result, i


def _fields(b):
    """Top-level (field number, wire type, value) of a protobuf message (varint and length-delimited)."""
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 2:
            n, i = _varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        yield num, wt, v


def manifest_timestamp(uri, version):
    """RFC 3339 of the manifest's own timestamp, truncated to microseconds (pylance's versions()
    rounds through a float and can be 1 µs off)."""
    d = os.path.join(uri, "_versions")
    for name in ("%020d.manifest" % (2**64 - 1 - version), "%d.manifest" % version):
        path = os.path.join(d, name)
        if os.path.exists(path):
            b = open(path, "rb").read()
            pos = struct.unpack("<q", b[-16:-8])[0]
            n = struct.unpack("<I", b[pos:pos + 4])[0]
            secs = nanos = 0
            for num, _, v in _fields(b[pos + 4:pos + 4 + n]):
                if num == 7:
                    for tn, _, tv in _fields(v):
                        if tn == 1:
                            secs = tv
                        elif tn == 2:
                            nanos = tv
            ts = _dt.datetime.fromtimestamp(secs, _dt.timezone.utc)
            return ts.strftime("%Y-%m-%dT%H:%M:%S.") + "%06dZ" % (nanos // 1000)
    raise FileNotFoundError("no manifest for version %d in %s" % (version, d))


def info_json(ds):
    versions = [{"version": int(v["version"]), "timestamp": manifest_timestamp(ds.uri, int(v["version"]))}
                for v in ds.versions()]
    versions.sort(key=lambda v: v["version"])
    tags = {name: int(t["version"]) for name, t in sorted(ds.tags.list().items())}
    indices = []
    for ix in ds.list_indices():
        indices.append({"name": ix["name"], "type": ix["type"], "fields": list(ix["fields"]),
                        "uuid": str(ix["uuid"]).lower()})
    indices.sort(key=lambda x: (x["name"], x["uuid"]))
    frags = []
    for frag in ds.get_fragments():
        md = frag.metadata
        files = [{"path": f.path, "fields": [int(x) for x in f.fields],
                  "file_version": f"{f.file_major_version}.{f.file_minor_version}"} for f in md.files]
        frags.append({"id": int(frag.fragment_id), "physical_rows": int(md.physical_rows),
                      "deleted_rows": int(md.num_deletions), "files": files})
    schema = [{"name": f.name, "type": str(f.type), "nullable": bool(f.nullable)} for f in ds.schema]
    return {"count": ds.count_rows(), "version": int(ds.version),
            "data_storage_version": str(ds.data_storage_version), "versions": versions, "tags": tags,
            "indices": indices, "fragments": frags, "schema": schema}


def scan_rows(ds, stable):
    tbl = ds.to_table(with_row_address=True, with_row_id=stable)
    meta = ("_rowaddr", "_rowid") if stable else ("_rowaddr",)
    return render_table(tbl, meta)


def finish_case(case_dir, ds_uri, stable=False, versions=(), tag_names=(), take_offsets=None, notes=""):
    """Writes expected.json / expected*.jsonl for the dataset at ds_uri (latest version)."""
    ds = lance.dataset(ds_uri)
    info = info_json(ds)
    rows = scan_rows(ds, stable)
    assert len(rows) == info["count"], (case_dir, len(rows), info["count"])
    write_jsonl(os.path.join(case_dir, "expected.jsonl"), rows)
    exp = dict(info)
    exp["stable_row_ids"] = bool(stable)
    exp["notes"] = notes
    at_versions = {}
    for v in versions:
        old = lance.dataset(ds_uri, version=v)
        vrows = scan_rows(old, stable)
        fname = f"expected_v{v}.jsonl"
        write_jsonl(os.path.join(case_dir, fname), vrows)
        at_versions[str(v)] = {"count": old.count_rows(), "rows_file": fname}
    exp["at_versions"] = at_versions
    at_tags = {}
    for name in tag_names:
        old = lance.dataset(ds_uri, version=name)
        fname = f"expected_v{old.version}.jsonl"
        if str(old.version) not in at_versions:
            write_jsonl(os.path.join(case_dir, fname), scan_rows(old, stable))
        at_tags[name] = {"version": int(old.version), "count": old.count_rows(), "rows_file": fname}
    exp["at_tags"] = at_tags
    takes = []
    n = info["count"]
    if take_offsets is None:
        take_offsets = [o for o in [0, n // 2, n - 1, 1, n // 3, 2 * n // 3] if 0 <= o < n]
        take_offsets = sorted(set(take_offsets))
    if n > 0 and take_offsets:
        col_sets = [None]
        names = ds.schema.names
        if len(names) > 1:
            col_sets.append([names[-1], names[0]])  # a projection in non-schema order
        for cols in col_sets:
            for offs in (take_offsets, list(reversed(take_offsets))):
                t = ds.take(offs, columns=cols)
                trows = render_table(t)
                # cross-check take against the scan (take offsets are logical scan positions)
                for o, tr in zip(offs, trows):
                    want = {k: rows[o][k] for k in tr}
                    assert dumps(want) == dumps(tr), ("take differs from scan", case_dir, o)
                takes.append({"offsets": offs, "columns": cols, "rows": trows})
        # a take with row addresses (values from the scan)
        wr = []
        for o in take_offsets:
            r = dict(rows[o])
            r.pop("_rowid", None)
            wr.append(r)
        takes.append({"offsets": take_offsets, "columns": None, "with_row_address": True, "rows": wr})
    exp["takes"] = takes
    with open(os.path.join(case_dir, "expected.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(exp, ensure_ascii=False, allow_nan=False, indent=1))
        f.write("\n")
    return info


# ----------------------------------------------------------------------------------------------
# Data


STRINGS = ["", "a", "hello", "héllo wörld", "日本語テキスト", "🦀🚀 emoji", 'quote " and \\ backslash',
           "tab\tnewline\nret\r", "ctrl \x01\x1f", "ünïcödé", "x" * 100, "Ω≈ç√∫", "  spaces  ", "null", "0"]


def masked(values, mask, typ):
    return pa.array(values, type=typ, mask=mask)


def float_values(rng, n, dtype):
    fi = np.finfo(dtype)
    specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, fi.max, -fi.max, fi.tiny, -fi.tiny,
                         fi.smallest_subnormal, 1.0, -1.0, 0.1, 1e-3, 3.14159], dtype=dtype)
    vals = (rng.standard_normal(n) * 1000).astype(dtype)
    vals[: min(n, len(specials))] = specials[: min(n, len(specials))]
    return vals


def typed_table(n, seed, struct_nulls=True):
    """Every type the conformance suite covers, with nulls."""
    rng = np.random.default_rng(seed)

    def mask(p=0.1):
        m = rng.random(n) < p
        m[0] = False
        if n > 3:
            m[3] = True
        return m

    cols = {}
    cols["id"] = pa.array(np.arange(n, dtype=np.int64))
    cols["b"] = masked(rng.random(n) < 0.5, mask(), pa.bool_())
    for name, dt, pt in [("i8", np.int8, pa.int8()), ("i16", np.int16, pa.int16()), ("i32", np.int32, pa.int32()),
                         ("i64", np.int64, pa.int64()), ("u8", np.uint8, pa.uint8()), ("u16", np.uint16, pa.uint16()),
                         ("u32", np.uint32, pa.uint32()), ("u64", np.uint64, pa.uint64())]:
        ii = np.iinfo(dt)
        v = rng.integers(ii.min, ii.max, size=n, dtype=dt, endpoint=True)
        v[1] = ii.min
        v[2] = ii.max
        cols[name] = masked(v, mask(), pt)
    cols["f16"] = masked(float_values(rng, n, np.float16), mask(0.05), pa.float16())
    cols["f32"] = masked(float_values(rng, n, np.float32), mask(0.05), pa.float32())
    cols["f64"] = masked(float_values(rng, n, np.float64), mask(0.05), pa.float64())
    m = mask()
    s = [STRINGS[i % len(STRINGS)] + (str(rng.integers(0, 1000)) if i % 3 == 0 else "") for i in range(n)]
    cols["s"] = masked(s, m, pa.string())
    cols["ls"] = masked(list(reversed(s)), mask(), pa.large_string())
    bins = [bytes(rng.integers(0, 256, size=int(rng.integers(0, 24)), dtype=np.uint8)) for _ in range(n)]
    cols["bin"] = masked(bins, mask(), pa.binary())
    cols["lbin"] = masked(list(reversed(bins)), mask(), pa.large_binary())
    cols["fsb"] = masked([bytes(rng.integers(0, 256, size=16, dtype=np.uint8)) for _ in range(n)], mask(),
                         pa.binary(16))
    cols["d32"] = masked(rng.integers(-100000, 100000, size=n).astype(np.int32), mask(), pa.date32())
    for unit, span in [("s", 10**10), ("ms", 10**13), ("us", 10**16), ("ns", 4 * 10**18)]:
        v = rng.integers(-span, span, size=n, dtype=np.int64)
        cols[f"ts_{unit}"] = masked(v, mask(), pa.timestamp(unit))
        cols[f"ts_{unit}_tz"] = masked(v[::-1].copy(), mask(), pa.timestamp(unit, tz="UTC" if unit != "ms" else "America/New_York"))
    # fixed_size_list<int32, 4> with list-level and item-level nulls
    items = rng.integers(-1000, 1000, size=4 * n, dtype=np.int32)
    item_mask = rng.random(4 * n) < 0.1
    fsl = pa.FixedSizeListArray.from_arrays(pa.array(items, mask=item_mask), 4,
                                            mask=pa.array(mask()))
    cols["fsl4"] = fsl
    # list<int32>: null lists, empty lists, null items
    lists = []
    for i in range(n):
        r = rng.random()
        if r < 0.08 and i != 0:
            lists.append(None)
        elif r < 0.18:
            lists.append([])
        else:
            lists.append([None if rng.random() < 0.1 else int(x) for x in rng.integers(-50, 50, size=int(rng.integers(1, 6)))])
    cols["li"] = pa.array(lists, pa.list_(pa.int32()))
    # large_list<string>
    ll = []
    for i in range(n):
        r = rng.random()
        if r < 0.08 and i != 0:
            ll.append(None)
        elif r < 0.15:
            ll.append([])
        else:
            ll.append([None if rng.random() < 0.1 else STRINGS[int(x)] for x in rng.integers(0, len(STRINGS), size=int(rng.integers(1, 4)))])
    cols["lls"] = pa.array(ll, pa.large_list(pa.string()))
    # list<struct<x: int32, y: string>>
    pt = pa.struct([("x", pa.int32()), ("y", pa.string())])
    lstr = []
    for i in range(n):
        r = rng.random()
        if r < 0.08 and i != 0:
            lstr.append(None)
        elif r < 0.14:
            lstr.append([])
        else:
            k = int(rng.integers(1, 4))
            lstr.append([(None if (struct_nulls and rng.random() < 0.1) else
                          {"x": None if rng.random() < 0.1 else int(rng.integers(-9, 9)),
                           "y": None if rng.random() < 0.1 else STRINGS[int(rng.integers(0, len(STRINGS)))]})
                         for _ in range(k)])
    cols["lst"] = pa.array(lstr, pa.list_(pt))
    # nested struct
    inner = pa.struct([("c", pa.float64()), ("d", pa.list_(pa.int32()))])
    st_t = pa.struct([("a", pa.int64()), ("b", pa.string()), ("inner", inner)])
    sv = []
    for i in range(n):
        if struct_nulls and i != 0 and rng.random() < 0.08:
            sv.append(None)
            continue
        inn = None if (struct_nulls and rng.random() < 0.1) else {
            "c": None if rng.random() < 0.1 else float(rng.standard_normal()),
            "d": None if rng.random() < 0.1 else [int(x) for x in rng.integers(0, 9, size=int(rng.integers(0, 3)))]}
        if inn is None and not struct_nulls:
            inn = {"c": None, "d": None}
        sv.append({"a": None if rng.random() < 0.1 else int(rng.integers(-10**12, 10**12)),
                   "b": None if rng.random() < 0.1 else STRINGS[int(rng.integers(0, len(STRINGS)))],
                   "inner": inn})
    cols["st"] = pa.array(sv, st_t)
    # dictionary<int32, string>
    words = ["red", "green", "blue", "", "ünï", "日本"]
    dvals = [None if rng.random() < 0.1 and i else words[int(rng.integers(0, len(words)))] for i in range(n)]
    cols["dict"] = pa.array(dvals, pa.string()).dictionary_encode()
    return pa.table(cols)


def vectors(n, dim, seed):
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(n * dim).astype(np.float32)
    return pa.FixedSizeListArray.from_arrays(pa.array(v), dim)


# ----------------------------------------------------------------------------------------------
# Cases. Each function gets the case directory and returns kwargs for finish_case.


def case_basic(dsv):
    def make(d):
        uri = os.path.join(d, "data.lance")
        t = typed_table(700, seed=int(dsv.replace(".", "")), struct_nulls=(dsv != "2.0"))
        lance.write_dataset(t, uri, data_storage_version=dsv, max_rows_per_file=300)
        return dict(uri=uri, notes=f"every type with nulls, unicode, empty strings, float specials; "
                                   f"file version {dsv}; 3 fragments (300/300/100)"
                                   + ("; no struct-level nulls (2.0 cannot store them)" if dsv == "2.0" else ""))
    return make


def case_vectors768(dsv):
    def make(d):
        uri = os.path.join(d, "data.lance")
        n = 200
        rng = np.random.default_rng(768)
        t = pa.table({"id": pa.array(np.arange(n, dtype=np.int64)), "emb": vectors(n, 768, 7),
                      "label": pa.array([f"item-{i}" for i in range(n)])})
        lance.write_dataset(t, uri, data_storage_version=dsv, max_rows_per_file=150)
        del rng
        return dict(uri=uri, notes=f"fixed_size_list<float32, 768> embeddings, file version {dsv}, 2 fragments")
    return make


def case_deletions(d):
    uri = os.path.join(d, "data.lance")
    t = pa.table({"id": pa.array(np.arange(12000, dtype=np.int64)),
                  "s": pa.array([f"r{i}" for i in range(12000)])})
    lance.write_dataset(t, uri, max_rows_per_file=6000)
    ds = lance.dataset(uri)
    ds.delete("id in (1, 2, 3, 5999)")
    ds.delete("id >= 6000 and id < 11500")
    ds = lance.dataset(uri)
    kinds = [f.metadata.deletion_file.file_type if f.metadata.deletion_file else None for f in ds.get_fragments()]
    return dict(uri=uri, versions=[1, 2],
                take_offsets=[0, 1, 2, 5994, 5995, 5996, 6495],
                notes=f"two fragments of 6000; fragment 0 has 4 deletions (.arrow), fragment 1 has 5500 "
                      f"(.bin); deletion file kinds: {kinds}")


def case_deletions_whole_fragment(d):
    uri = os.path.join(d, "data.lance")
    t = pa.table({"id": pa.array(np.arange(900, dtype=np.int64)), "v": pa.array(np.arange(900, dtype=np.float64) / 7)})
    lance.write_dataset(t, uri, max_rows_per_file=300, data_storage_version="2.1")
    ds = lance.dataset(uri)
    ds.delete("id >= 300 and id < 600")  # drops fragment 1 entirely
    ds.delete("id % 7 = 0")
    return dict(uri=uri, versions=[1, 2], notes="file version 2.1; a fully deleted fragment is dropped; "
                                                "then every 7th row deleted (.arrow files)")


def case_constant_allnull(dsv):
    def make(d):
        uri = os.path.join(d, "data.lance")
        n = 1000
        cols = {
            "id": pa.array(np.arange(n, dtype=np.int64)),
            "c_i32": pa.array(np.full(n, 42, dtype=np.int32)),
            "c_i64": pa.array(np.full(n, -7, dtype=np.int64)),
            "c_u8": pa.array(np.full(n, 255, dtype=np.uint8)),
            "c_f64": pa.array(np.full(n, 2.5)),
            "c_f32": pa.array(np.full(n, -0.0, dtype=np.float32)),
            "c_bool": pa.array([True] * n),
            "c_str": pa.array(["constant ünïcode"] * n),
            "c_empty": pa.array([""] * n),
            "c_bin": pa.array([b"\x00\x01\x02"] * n, pa.binary()),
            "c_ts": pa.array(np.full(n, 1700000000000000, dtype=np.int64), pa.timestamp("us", tz="UTC")),
            "c_some_null": pa.array([None if i % 10 == 0 else 9 for i in range(n)], pa.int32()),
            "c_str_some_null": pa.array([None if i % 10 == 0 else "same" for i in range(n)], pa.string()),
            "n_i32": pa.nulls(n, pa.int32()),
            "n_f64": pa.nulls(n, pa.float64()),
            "n_str": pa.nulls(n, pa.string()),
            "n_bin": pa.nulls(n, pa.large_binary()),
            "n_list": pa.nulls(n, pa.list_(pa.int32())),
            "n_fsl": pa.nulls(n, pa.list_(pa.float32(), 4)),
            "n_bool": pa.nulls(n, pa.bool_()),
            "n_ts": pa.nulls(n, pa.timestamp("ns")),
        }
        if dsv != "2.0":
            cols["n_struct"] = pa.nulls(n, pa.struct([("a", pa.int32()), ("b", pa.string())]))
        lance.write_dataset(pa.table(cols), uri, data_storage_version=dsv, max_rows_per_file=600)
        return dict(uri=uri, notes=f"constant columns (2.2: AllNullLayout carrying the value) and all-null "
                                   f"columns, file version {dsv}, 2 fragments")
    return make


def case_large_binary(dsv, compression):
    def make(d):
        uri = os.path.join(d, "data.lance")
        rng = np.random.default_rng(32)
        n = 24
        vals = []
        for i in range(n):
            if i % 7 == 3:
                vals.append(None)
            elif i % 5 == 0:
                vals.append(b"")
            else:
                size = int(rng.integers(33 * 1024, 48 * 1024)) if i % 2 else int(rng.integers(10, 2000))
                # half random (incompressible), half repetitive (compressible)
                if i % 4 == 1:
                    vals.append(bytes(rng.integers(0, 256, size=size, dtype=np.uint8)))
                else:
                    vals.append((b"lance-" + str(i).encode()) * (size // 7 + 1))
        md = {"lance-encoding:compression": "none"} if compression == "none" else None
        field = pa.field("blob", pa.large_binary(), metadata=md)
        schema = pa.schema([pa.field("id", pa.int32()), field])
        t = pa.table({"id": pa.array(np.arange(n, dtype=np.int32)), "blob": pa.array(vals, pa.large_binary())},
                     schema=schema)
        lance.write_dataset(t, uri, data_storage_version=dsv, max_rows_per_file=16)
        return dict(uri=uri, notes=f"large_binary values up to 48 KiB (some > 32 KiB), nulls and empties; "
                                   f"file version {dsv}; compression "
                                   + ("none (field metadata lance-encoding:compression=none)" if compression == "none"
                                      else "default (per-value zstd for pages with values >= 32 KiB)"))
    return make


def case_dictionary(dsv):
    def make(d):
        uri = os.path.join(d, "data.lance")
        rng = np.random.default_rng(5)
        n = 2000
        cats = ["alpha", "beta", "gamma", "delta", "épsilon", "ζeta", ""]
        t = pa.table({
            "id": pa.array(np.arange(n, dtype=np.int64)),
            "cat": pa.array([None if i % 37 == 0 else cats[int(x)] for i, x in enumerate(rng.integers(0, len(cats), n))]),
            "lcat": pa.array([cats[int(x)] for x in rng.integers(0, 3, n)], pa.large_string()),
            "code": pa.array(rng.choice(np.array([10, 20, 30, 1000000, -5], dtype=np.int32), n)),
            "code64": pa.array([None if i % 11 == 0 else int(x) for i, x in
                                enumerate(rng.choice(np.array([2**40, 7, -2**50], dtype=np.int64), n))], pa.int64()),
            "ucode": pa.array(rng.choice(np.array([1, 2, 3], dtype=np.uint16), n)),
            "fcode": pa.array(rng.choice(np.array([0.5, 1.25, -3.0]), n)),
        })
        lance.write_dataset(t, uri, data_storage_version=dsv)
        return dict(uri=uri, notes=f"low-cardinality strings and ints (dictionary encoding), file version {dsv}")
    return make


def case_fsst(dsv):
    def make(d):
        uri = os.path.join(d, "data.lance")
        rng = np.random.default_rng(99)
        n = 1500
        alphabet = list("abcdefghijklmnopqrstuvwxyz0123456789 -_/.") + ["é", "ß", "中"]
        words = ["https://", "www.", "example", ".com/", "path", "user", "lance", "data", "query=", "&id="]
        vals = []
        for i in range(n):
            if i % 50 == 7:
                vals.append(None)
                continue
            k = int(rng.integers(5, 40))
            parts = [words[int(x)] if rng.random() < 0.6 else "".join(rng.choice(alphabet, int(rng.integers(1, 8))))
                     for x in rng.integers(0, len(words), k)]
            vals.append("".join(parts))
        t = pa.table({"id": pa.array(np.arange(n, dtype=np.int64)), "text": pa.array(vals),
                      "ltext": pa.array(list(reversed(vals)), pa.large_string())})
        lance.write_dataset(t, uri, data_storage_version=dsv)
        return dict(uri=uri, notes=f"long, high-cardinality strings with repeated substrings (FSST), file version {dsv}")
    return make


def case_v1_manifest(d):
    uri = os.path.join(d, "data.lance")
    t = pa.table({"id": pa.array(np.arange(100, dtype=np.int64)), "s": pa.array([f"v1-{i}" for i in range(100)])})
    lance.write_dataset(t, uri, enable_v2_manifest_paths=False)
    t2 = pa.table({"id": pa.array(np.arange(100, 150, dtype=np.int64)), "s": pa.array([f"v2-{i}" for i in range(50)])})
    lance.write_dataset(t2, uri, mode="append")
    ds = lance.dataset(uri)
    ds.delete("id < 10")
    names = sorted(os.listdir(os.path.join(uri, "_versions")))
    return dict(uri=uri, versions=[1, 2], notes=f"V1 manifest naming ({{v}}.manifest): {names}")


def case_versions_tags(d):
    uri = os.path.join(d, "data.lance")
    t = pa.table({"id": pa.array(np.arange(50, dtype=np.int64)), "v": pa.array(np.arange(50, dtype=np.float32) * 0.5)})
    lance.write_dataset(t, uri)                                                      # v1
    t2 = pa.table({"id": pa.array(np.arange(50, 80, dtype=np.int64)), "v": pa.array(np.arange(30, dtype=np.float32))})
    lance.write_dataset(t2, uri, mode="append")                                      # v2
    ds = lance.dataset(uri)
    ds.tags.create("first", 1)
    ds.tags.create("appended", 2)
    ds.delete("id % 4 = 0")                                                          # v3
    ds = lance.dataset(uri)
    ds.tags.create("after-delete", 3)
    t3 = pa.table({"k": pa.array(["x", "y", "z"]), "n": pa.array([1, 2, 3], pa.int16())})
    lance.write_dataset(t3, uri, mode="overwrite")                                   # v4: new schema
    t4 = pa.table({"k": pa.array(["w"]), "n": pa.array([None], pa.int16())})
    lance.write_dataset(t4, uri, mode="append")                                      # v5
    ds = lance.dataset(uri)
    ds.tags.create("latest_tag", 5)
    return dict(uri=uri, versions=[1, 2, 3, 4], tag_names=["first", "appended", "after-delete", "latest_tag"],
                notes="5 versions: create, append, delete, overwrite with a different schema, append; 4 tags")


def case_add_columns_merge(d):
    uri = os.path.join(d, "data.lance")
    n = 400
    t = pa.table({"id": pa.array(np.arange(n, dtype=np.int64)), "x": pa.array(np.arange(n, dtype=np.int32) * 3)})
    lance.write_dataset(t, uri, max_rows_per_file=150)                                # v1
    ds = lance.dataset(uri)
    ds.delete("id = 5 or id = 200")                                                  # v2
    ds = lance.dataset(uri)
    ds.add_columns({"double_x": "x * 2", "label": "concat('row-', CAST(id AS VARCHAR))"})  # v3
    ds = lance.dataset(uri)
    other = pa.table({"id": pa.array(np.arange(0, n, 2, dtype=np.int64)),
                      "extra": pa.array([f"e{i}" for i in range(0, n, 2)]),
                      "score": pa.array(np.arange(0, n, 2, dtype=np.float64) / 3)})
    ds.merge(other, "id")                                                            # v4
    return dict(uri=uri, versions=[1, 2, 3],
                notes="3 fragments, deletes, then add_columns with SQL expressions (new data files holding only "
                      "the new field ids), then merge on id (half the rows match; others get nulls)")


def case_stable_row_ids(d):
    uri = os.path.join(d, "data.lance")
    n = 300
    t = pa.table({"id": pa.array(np.arange(n, dtype=np.int64)), "name": pa.array([f"n{i}" for i in range(n)]),
                  "val": pa.array(np.arange(n, dtype=np.float64))})
    lance.write_dataset(t, uri, enable_stable_row_ids=True, max_rows_per_file=120)     # v1
    ds = lance.dataset(uri)
    ds.delete("id % 10 = 3")                                                         # v2
    ds = lance.dataset(uri)
    ds.update({"val": "val + 1000.5", "name": "'updated'"}, where="id >= 100 and id < 130")  # v3
    t2 = pa.table({"id": pa.array(np.arange(n, n + 20, dtype=np.int64)), "name": pa.array([f"n{i}" for i in range(n, n + 20)]),
                   "val": pa.array(np.arange(n, n + 20, dtype=np.float64))})
    lance.write_dataset(t2, uri, mode="append")                                      # v4
    return dict(uri=uri, stable=True, versions=[1, 2, 3],
                notes="enable_stable_row_ids=True, 3 fragments, deletes, an update (rows move to a new fragment and "
                      "keep their row ids), an append; _rowid in every row")


def case_mixed_file_versions(d):
    uri = os.path.join(d, "data.lance")
    t = typed_table(200, seed=11, struct_nulls=False)
    lance.write_dataset(t, uri, data_storage_version="2.2", max_rows_per_file=120)
    t2 = typed_table(150, seed=12, struct_nulls=False)
    note = ""
    try:
        lance.write_dataset(t2, uri, mode="append", data_storage_version="2.0")
        note = "append with data_storage_version=2.0 into a 2.2 dataset"
    except Exception as e:  # record pylance's refusal
        note = f"pylance refused to append 2.0 files into a 2.2 dataset: {e}"
        lance.write_dataset(t2, uri, mode="append")
    ds = lance.dataset(uri)
    fv = sorted({f"{f.file_major_version}.{f.file_minor_version}" for fr in ds.get_fragments() for f in fr.metadata.files})
    return dict(uri=uri, versions=[1], notes=f"{note}; file versions present: {fv}")


def case_indices(d):
    uri = os.path.join(d, "data.lance")
    n = 600
    rng = np.random.default_rng(3)
    cats = ["a", "b", "c", "d"]
    t = pa.table({"id": pa.array(np.arange(n, dtype=np.int64)), "vec": vectors(n, 32, 4),
                  "cat": pa.array([cats[int(x)] for x in rng.integers(0, 4, n)]),
                  "text": pa.array([f"document {i} about {cats[i % 4]} things" for i in range(n)])})
    lance.write_dataset(t, uri, max_rows_per_file=400)
    ds = lance.dataset(uri)
    ds.create_index("vec", index_type="IVF_PQ", num_partitions=2, num_sub_vectors=4)
    ds.create_scalar_index("id", "BTREE")
    ds.create_scalar_index("cat", "BITMAP")
    ds.create_scalar_index("text", "INVERTED")
    return dict(uri=uri, versions=[1],
                notes="IVF_PQ on a 32-d float32 vector, BTREE on id, BITMAP on cat, INVERTED on text; 2 fragments")


def case_empty(d):
    uri = os.path.join(d, "data.lance")
    schema = pa.schema([pa.field("id", pa.int64()), pa.field("s", pa.string()),
                        pa.field("v", pa.list_(pa.float32(), 8))])
    lance.write_dataset(pa.table({"id": pa.array([], pa.int64()), "s": pa.array([], pa.string()),
                                  "v": pa.array([], pa.list_(pa.float32(), 8))}, schema=schema), uri)
    return dict(uri=uri, notes="a dataset with a schema and no rows")


def extra_types_table(n=400, seed=77):
    """decimal128, date64, the null type, nested lists, list<large_binary>, struct with a fixed-size list."""
    import decimal
    rng = np.random.default_rng(seed)
    D = decimal.Decimal
    dec = [None if i % 9 == 4 else D(int(rng.integers(-10**9, 10**9))).scaleb(-2) for i in range(n)]
    dec[0], dec[1], dec[2] = D("0.00"), D("-0.05"), D("99999999.99")
    dec38 = [None if i % 11 == 5 else D(int(rng.integers(-10**18, 10**18)) * 10**9 + int(rng.integers(0, 10**9))).scaleb(-10)
             for i in range(n)]
    dec38[0], dec38[1] = D("0.0000000001"), D("-9999999999999999999999999999.9999999999")
    nested = [None if i % 13 == 6 else [[int(x) for x in rng.integers(-5, 5, int(rng.integers(0, 3)))] if rng.random() > 0.1 else None
                                        for _ in range(int(rng.integers(0, 4)))] for i in range(n)]
    cols = {
        "id": pa.array(np.arange(n, dtype=np.int32)),
        "dec": pa.array(dec, pa.decimal128(10, 2)),
        "dec38": pa.array(dec38, pa.decimal128(38, 10)),
        "d64": pa.array([None if i % 7 == 2 else int(x) * 86400000 for i, x in enumerate(rng.integers(-30000, 30000, n))], pa.date64()),
        "nothing": pa.nulls(n),
        "ll": pa.array(nested, pa.list_(pa.list_(pa.int32()))),
        "lbins": pa.array([None if i % 10 == 3 else [bytes(rng.integers(0, 256, int(rng.integers(0, 6)), dtype=np.uint8))
                                                     for _ in range(int(rng.integers(0, 3)))] for i in range(n)],
                          pa.list_(pa.large_binary())),
        "st_fsl": pa.array([{"v": [float(x) for x in rng.standard_normal(2).astype(np.float32)], "tag": f"t{i % 4}"}
                            for i in range(n)],
                           pa.struct([("v", pa.list_(pa.float32(), 2)), ("tag", pa.string())])),
    }
    return pa.table(cols)


def case_extra_types(dsv):
    def make(d):
        uri = os.path.join(d, "data.lance")
        t = extra_types_table()
        dropped = []
        try:
            lance.write_dataset(t, uri, data_storage_version=dsv, max_rows_per_file=250)
        except Exception as e:  # keep what this file version can store
            dropped.append(f"{e}"[:120])
            shutil.rmtree(uri, ignore_errors=True)
            t = t.drop_columns(["nothing"])
            lance.write_dataset(t, uri, data_storage_version=dsv, max_rows_per_file=250)
        return dict(uri=uri, notes=f"decimal128(10,2), decimal128(38,10), date64, null type, list<list<int32>>, "
                                   f"list<large_binary>, struct<fixed_size_list<float,2>, string>; file version {dsv}"
                                   + (f"; dropped the null column: {dropped}" if dropped else ""))
    return make


def case_single_nonnull(d):
    uri = os.path.join(d, "data.lance")
    n = 5000
    rng = np.random.default_rng(8)
    t = pa.table({
        "seq": pa.array(np.arange(n, dtype=np.int64)),
        "small": pa.array((np.arange(n) % 17).astype(np.int32)),
        "rand_u32": pa.array(rng.integers(0, 2**32, n, dtype=np.uint32)),
        "unit_f64": pa.array(rng.random(n)),
        "f32": pa.array(rng.random(n).astype(np.float32)),
        "neg": pa.array(-np.arange(n, dtype=np.int16)),
        "flag": pa.array(np.arange(n) % 3 == 0),
    }, schema=pa.schema([pa.field("seq", pa.int64(), nullable=False), pa.field("small", pa.int32(), nullable=False),
                         pa.field("rand_u32", pa.uint32()), pa.field("unit_f64", pa.float64()),
                         pa.field("f32", pa.float32()), pa.field("neg", pa.int16()), pa.field("flag", pa.bool_())]))
    lance.write_dataset(t, uri)
    return dict(uri=uri, take_offsets=[0, 1, 1023, 1024, 1025, 4095, 4999],
                notes="non-null numeric columns (bit-packing / FastLanes over several 1024-value blocks), "
                      "non-nullable fields, one fragment of 5000 rows")


CASES = {}
for _v in ("2.0", "2.1", "2.2"):
    _s = _v.replace(".", "_")
    CASES[f"basic_v{_s}"] = case_basic(_v)
    CASES[f"vectors768_v{_s}"] = case_vectors768(_v)
    CASES[f"constant_allnull_v{_s}"] = case_constant_allnull(_v)
for _v in ("2.1", "2.2"):
    _s = _v.replace(".", "_")
    CASES[f"large_binary_zstd_v{_s}"] = case_large_binary(_v, "default")
    CASES[f"large_binary_nocomp_v{_s}"] = case_large_binary(_v, "none")
    CASES[f"dictionary_v{_s}"] = case_dictionary(_v)
    CASES[f"fsst_v{_s}"] = case_fsst(_v)
CASES["dictionary_v2_0"] = case_dictionary("2.0")
for _v in ("2.0", "2.1", "2.2"):
    CASES[f"extra_types_v{_v.replace('.', '_')}"] = case_extra_types(_v)
CASES["deletions"] = case_deletions
CASES["deletions_whole_fragment"] = case_deletions_whole_fragment
CASES["v1_manifest"] = case_v1_manifest
CASES["versions_tags"] = case_versions_tags
CASES["add_columns_merge"] = case_add_columns_merge
CASES["stable_row_ids"] = case_stable_row_ids
CASES["mixed_file_versions"] = case_mixed_file_versions
CASES["indices"] = case_indices
CASES["empty"] = case_empty
CASES["bitpacked_nonnull"] = case_single_nonnull


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    only = [c for c in args.only.split(",") if c]
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    done = []
    for name, make in CASES.items():
        if only and name not in only:
            continue
        d = os.path.join(args.out, name)
        if os.path.exists(d):
            shutil.rmtree(d)
        os.makedirs(d)
        t1 = time.time()
        kw = make(d)
        uri = kw.pop("uri")
        info = finish_case(d, uri, **kw)
        done.append(name)
        print(f"  {name}: {info['count']} rows, version {info['version']}, "
              f"{len(info['fragments'])} fragments ({time.time() - t1:.1f}s)", file=sys.stderr)
    with open(os.path.join(args.out, "cases.json"), "w") as f:
        json.dump(done, f, indent=1)
    print(f"wrote {len(done)} cases to {args.out} in {time.time() - t0:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
