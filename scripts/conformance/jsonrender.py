"""Renders pyarrow values as JSON per the CLI contract (CLI-JSON.md); shared by the generators."""
import base64
import json
import math

import pyarrow as pa


def render_float(x):
    if x is None:
        return None
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x  # json.dumps uses repr(float): shortest round-trip, "1.0" for integral values


def _plain_type(t):
    """The type to cast to before to_pylist so that values come out as the contract's scalars."""
    if pa.types.is_dictionary(t):
        return _plain_type(t.value_type)
    if pa.types.is_timestamp(t):
        return pa.int64()
    if pa.types.is_date32(t):
        return pa.int32()
    if pa.types.is_date64(t):
        return pa.int64()
    if pa.types.is_float16(t):
        return pa.float32()
    if pa.types.is_fixed_size_list(t):
        f = t.value_field
        return pa.list_(f.with_type(_plain_type(f.type)), t.list_size)
    if pa.types.is_large_list(t):
        f = t.value_field
        return pa.large_list(f.with_type(_plain_type(f.type)))
    if pa.types.is_list(t):
        f = t.value_field
        return pa.list_(f.with_type(_plain_type(f.type)))
    if pa.types.is_struct(t):
        return pa.struct([t.field(i).with_type(_plain_type(t.field(i).type)) for i in range(t.num_fields)])
    return t


def _post(v, t):
    """Turns a to_pylist value of (original) type t into its JSON form."""
    if v is None:
        return None
    if pa.types.is_dictionary(t):
        return _post(v, t.value_type)
    if pa.types.is_floating(t):
        return render_float(v)
    if (pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t)
            or (hasattr(pa.types, "is_binary_view") and pa.types.is_binary_view(t))):
        return base64.b64encode(v).decode("ascii")
    if pa.types.is_decimal(t):
        return format(v, "f")  # plain notation, all scale digits ("0.0000000001", "-0.05", "0.00")
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        it = t.value_type
        return [_post(x, it) for x in v]
    if pa.types.is_struct(t):
        return {t.field(i).name: _post(v[t.field(i).name], t.field(i).type) for i in range(t.num_fields)}
    if pa.types.is_boolean(t) or pa.types.is_integer(t) or pa.types.is_string(t) or pa.types.is_large_string(t):
        return v
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return int(v)
    raise TypeError(f"no rendering for {t}")


def render_column(arr):
    """JSON values of one (chunked) column."""
    if isinstance(arr, pa.ChunkedArray):
        out = []
        for c in arr.chunks:
            out.extend(render_column(c))
        return out
    t = arr.type
    plain = arr.cast(_plain_type(t)) if _plain_type(t) != t else arr
    return [_post(v, t) for v in plain.to_pylist()]


def render_table(tbl, meta=()):
    """Rows of a pyarrow Table as ordered dicts: schema columns, then the meta columns given."""
    names = [n for n in tbl.column_names if n not in ("_rowaddr", "_rowid")]
    cols = [render_column(tbl.column(n)) for n in names]
    metas = [[int(x) for x in tbl.column(m).to_pylist()] for m in meta]
    rows = []
    for i in range(tbl.num_rows):
        r = {n: c[i] for n, c in zip(names, cols)}
        for m, c in zip(meta, metas):
            r[m] = c[i]
        rows.append(r)
    return rows


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(dumps(r))
            f.write("\n")
