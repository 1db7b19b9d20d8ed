#!/usr/bin/env python3
"""Reads Lance files written by Lancelet with pylance and compares them with the values the
Swift test intended.

Usage: check.py FILE.lance EXPECTED.json [FILE.lance EXPECTED.json ...]

EXPECTED.json: {"rows": N, "version": "2.1", "columns": {name: {"type": "<pyarrow type string>",
"values": [canonical values...]}}}

Canonical values: ints, bools and strings as JSON; floats as their IEEE bit pattern (float32 as
unsigned 32-bit, float64 as signed 64-bit); binary as base64; lists as arrays; structs as
objects; null as null.
"""
import base64
import json
import struct
import sys

import pyarrow as pa
from lance.file import LanceFileReader


def canon(v, t):
    if v is None:
        return None
    if pa.types.is_dictionary(t):
        return canon(v, t.value_type)
    if pa.types.is_float32(t):
        return struct.unpack("<I", struct.pack("<f", v))[0]
    if pa.types.is_float64(t):
        return struct.unpack("<q", struct.pack("<d", v))[0]
    if pa.types.is_float16(t):
        import numpy as np
        return int(np.array([v], dtype=np.float16).view(np.uint16)[0])
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return base64.b64encode(v).decode()
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return [canon(x, t.value_type) for x in v]
    if pa.types.is_struct(t):
        return {t.field(i).name: canon(v.get(t.field(i).name), t.field(i).type) for i in range(t.num_fields)}
    if pa.types.is_date32(t):
        return (v - __import__("datetime").date(1970, 1, 1)).days
    if pa.types.is_timestamp(t):
        return None if v is None else int(pa.scalar(v, type=t).cast(pa.int64()).as_py())
    if pa.types.is_decimal(t):
        return str(v)
    return v


def check(path, expected_path):
    errors = []
    with open(expected_path) as f:
        exp = json.load(f)
    reader = LanceFileReader(path)
    meta = reader.metadata()
    version = f"{meta.major_version}.{meta.minor_version}"
    want_version = {"2.0": "0.3"}.get(exp["version"], exp["version"])
    if version != want_version:
        errors.append(f"footer version {version}, expected {want_version}")
    table = reader.read_all().to_table()
    if table.num_rows != exp["rows"]:
        errors.append(f"{table.num_rows} rows, expected {exp['rows']}")
    if meta.num_rows != exp["rows"]:
        errors.append(f"metadata says {meta.num_rows} rows, expected {exp['rows']}")
    names = list(exp["columns"].keys())
    if table.column_names != names:
        errors.append(f"columns {table.column_names}, expected {names}")
    for name, spec in exp["columns"].items():
        if name not in table.column_names:
            continue
        col = table.column(name)
        if "type" in spec and str(col.type) != spec["type"]:
            errors.append(f"{name}: type {col.type}, expected {spec['type']}")
        if pa.types.is_timestamp(col.type):
            got = [None if x is None else x for x in col.cast(pa.int64()).to_pylist()]
        else:
            got = [canon(x, col.type) for x in col.to_pylist()]
        want = spec["values"]
        if len(got) != len(want):
            errors.append(f"{name}: {len(got)} values, expected {len(want)}")
            continue
        bad = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
        if bad:
            i = bad[0]
            errors.append(f"{name}: {len(bad)} rows differ, first at row {i}: got {str(got[i])[:200]} expected {str(want[i])[:200]}")
    return errors


def main(argv):
    args = argv[1:]
    if len(args) == 0 or len(args) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    failed = False
    for path, exp in zip(args[0::2], args[1::2]):
        try:
            errors = check(path, exp)
        except Exception as e:  # a reader failure is a test failure
            errors = [f"pylance failed: {type(e).__name__}: {e}"]
        for e in errors:
            print(f"{path}: {e}", file=sys.stderr)
        failed |= bool(errors)
        if not errors:
            print(f"{path}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
