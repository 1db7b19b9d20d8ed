#!/usr/bin/env python3
"""Writes the filter-conformance datasets with pylance 14.0.2 and pylance's answer for every
expression of filters.txt (next to this script).

Usage: make_filters.py --out DIR [--corpus FILE]

DIR/types.lance   ~80 rows of many types: nulls, NaN, +-0, +-inf, int64 limits, unicode strings,
                  lists, a struct, dates and timestamps; `id` is the row number.
DIR/laion.lance   a small synthetic LAION set (laion_synth.py); `key` is the row number.
DIR/expected.json {"cases": [{"dataset", "filter", "ids": [...]} | {"dataset", "filter", "error": "..."}]}
                  ids are the `id`/`key` values pylance returns for `to_table(filter=...)`, in scan order.
"""
import argparse
import datetime as dt
import json
import math
import os
import subprocess
import sys

import pyarrow as pa
import lance

assert lance.__version__ == "14.0.2", f"pylance 14.0.2 required, found {lance.__version__}"

HERE = os.path.dirname(os.path.abspath(__file__))
LAION_SYNTH = os.environ.get("LANCELET_LAION_SYNTH", "/work/shared/bench/laion_synth.py")


def types_table():
    n = 80
    rows = []
    strings = ["apple", "Apple", "APPLE", "banana", "", " padded ", "it's", "100%", "under_score", "naïve",
               "Ünïcödé", "日本語テキスト", "emoji 🎉 party", "back\\slash", "a%b_c", None, "zebra", "ß", "straße", "x"]
    f64s = [0.0, -0.0, 1.5, -1.5, float("nan"), float("inf"), float("-inf"), None, 0.3, 0.30000000000000004,
            1e300, -1e-300, 2.5, 3.5, 1e16, 123.456]
    i64s = [0, 1, -1, 2**63 - 1, -2**63, None, 42, 512, 511, 1000, -1000, 7]
    for i in range(n):
        rows.append(dict(
            id=i,
            i8=[0, 1, -1, 127, -128, None, 5][i % 7],
            i16=[0, 300, -300, 32767, -32768, None][i % 6],
            i32=[0, 70000, -70000, 2**31 - 1, -2**31, None, 3][i % 7],
            i64=i64s[i % len(i64s)],
            u8=[0, 1, 255, None, 128][i % 5],
            u32=[0, 4294967295, 7, None][i % 4],
            u64=[0, 2**64 - 1, 2**63, None, 9][i % 5],
            f32=[0.0, -0.0, 0.3, 1.5, float("nan"), None, float("inf"), -2.25][i % 8],
            f64=f64s[i % len(f64s)],
            b=[True, False, None][i % 3],
            s=strings[i % len(strings)],
            ls=strings[(i * 7) % len(strings)],
            d=[dt.date(2020, 1, 1), dt.date(1969, 12, 31), dt.date(2024, 2, 29), None, dt.date(2000, 6, 15)][i % 5],
            ts=[dt.datetime(2020, 1, 1, 12, 0, 0), dt.datetime(2020, 1, 1, 0, 0, 0, 500), None,
                dt.datetime(1999, 12, 31, 23, 59, 59, 999999)][i % 4],
            tags=[["a", "b"], [], None, ["c"], ["a", None], ["b", "c", "d"]][i % 6],
            nums=[[1, 2, 3], [], None, [4], [1, None]][i % 5],
            st=[{"a": 1, "b": "x"}, {"a": None, "b": "y"}, None, {"a": 3, "b": None}][i % 4],
            bin=[b"\x00\x01", b"", None, b"abc"][i % 4],
            CamelCase=i % 4,
            grp=["red", "green", "blue", None][i % 4],
        ))
    schema = pa.schema([
        ("id", pa.int64()), ("i8", pa.int8()), ("i16", pa.int16()), ("i32", pa.int32()), ("i64", pa.int64()),
        ("u8", pa.uint8()), ("u32", pa.uint32()), ("u64", pa.uint64()), ("f32", pa.float32()), ("f64", pa.float64()),
        ("b", pa.bool_()), ("s", pa.string()), ("ls", pa.large_string()), ("d", pa.date32()),
        ("ts", pa.timestamp("us")), ("tags", pa.list_(pa.string())), ("nums", pa.list_(pa.int64())),
        ("st", pa.struct([("a", pa.int64()), ("b", pa.string())])), ("bin", pa.binary()),
        ("CamelCase", pa.int32()), ("grp", pa.dictionary(pa.int32(), pa.string())),
    ])
    return pa.Table.from_pylist(rows, schema=schema)


def read_corpus(path):
    cases = []
    dataset = None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            dataset = line[1:-1]
            continue
        flags = []
        while line.startswith("!"):
            flag, _, line = line.partition(" ")
            flags.append(flag[1:])
        cases.append((dataset, line, flags))
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--corpus", default=os.path.join(HERE, "filters.txt"))
    ap.add_argument("--laion-rows", type=int, default=1500)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    types_uri = os.path.join(args.out, "types.lance")
    t = types_table()
    # Two fragments and a deletion so that filters cross fragments and skip deleted rows.
    lance.write_dataset(t.slice(0, 50), types_uri, mode="overwrite", data_storage_version="2.1")
    ds = lance.write_dataset(t.slice(50), types_uri, mode="append")
    ds.delete("id = 13 OR id = 61")
    laion_dir = os.path.join(args.out, "laion")
    if not os.path.exists(os.path.join(laion_dir, "laion.lance")):
        subprocess.run([sys.executable, LAION_SYNTH, "--rows", str(args.laion_rows), "--out", laion_dir,
                        "--queries", "1", "--pool", "16"], check=True, stdout=subprocess.DEVNULL)
    datasets = {
        "types": (lance.dataset(types_uri), "id", "types.lance"),
        "laion": (lance.dataset(os.path.join(laion_dir, "laion.lance")), "key", "laion/laion.lance"),
    }
    out = []
    for name, expr, flags in read_corpus(args.corpus):
        ds, idcol, rel = datasets[name]
        case = {"dataset": rel, "id_column": idcol, "filter": expr, "flags": flags}
        try:
            tbl = ds.to_table(columns=[idcol], filter=expr)
            case["ids"] = tbl.column(idcol).to_pylist()
        except Exception as e:  # noqa: BLE001 - any rejection is recorded
            case["error"] = str(e).split("\n")[0][:300]
        out.append(case)
    with open(os.path.join(args.out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump({"cases": out}, f, ensure_ascii=False, indent=0)
    errs = sum(1 for c in out if "error" in c)
    print(f"{len(out)} filter cases ({errs} rejected by pylance) -> {args.out}/expected.json")


if __name__ == "__main__":
    main()
