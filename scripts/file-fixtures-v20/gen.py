"""Writes Lance 2.0 files covering every 2.0 encoding pylance emits, plus the expected values.

usage: gen.py OUT_DIR
Writes OUT_DIR/<case>.lance and OUT_DIR/expected.json:
  {"<case>": {"rows": N, "columns": {"<name>": ["<rendered value>", ...]}}}
Float vectors of 64+ items are rendered as "h" + vec_digest. Other values use a canonical text form the Swift tests reproduce (see V20Fixtures.swift):
null, true/false, integers in decimal, floats as "f"/"d" + little-endian hex of their bits, strings
as "s" + utf-8 hex, binary as "b" + hex, lists "[a,b]", structs "{a,b}" (members in order).
"""
import datetime, json, struct, sys, os
import numpy as np
import pyarrow as pa
from lance.file import LanceFileWriter

EPOCH_D = datetime.date(1970, 1, 1)


def vec_digest(v):
    """Weighted wrapping sum of a float32 vector's bit patterns: sum((i + 1) * bits[i] * K) mod 2^64."""
    bits = np.asarray(v, dtype=np.float32).view(np.uint32).astype(np.uint64)
    w = np.arange(1, len(bits) + 1, dtype=np.uint64) * np.uint64(2654435761)
    with np.errstate(over="ignore"):
        return "%016x" % int((bits * w).sum(dtype=np.uint64))


def render(t, v):
    if v is None:
        return "null"
    if pa.types.is_fixed_size_list(t) and pa.types.is_float32(t.value_type) and t.list_size >= 64:
        # Long float vectors: a digest of the items' bits (no null items allowed).
        return "h" + vec_digest(v)
    if pa.types.is_dictionary(t):
        return render(t.value_type, v)
    if pa.types.is_boolean(t):
        return "true" if v else "false"
    if pa.types.is_integer(t):
        return str(v)
    if pa.types.is_float16(t):
        return "e" + struct.pack("<e", v).hex()
    if pa.types.is_decimal(t):  # the unscaled integer
        return str(int(v.scaleb(t.scale)))
    if pa.types.is_float32(t):
        return "f" + struct.pack("<f", v).hex()
    if pa.types.is_float64(t):
        return "d" + struct.pack("<d", v).hex()
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "s" + v.encode().hex()
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return "b" + v.hex()
    if pa.types.is_date32(t):
        return str((v - EPOCH_D).days)
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return "[" + ",".join(render(t.value_type, x) for x in v) + "]"
    if pa.types.is_struct(t):
        return "{" + ",".join(render(t.field(i).type, v[t.field(i).name]) for i in range(t.num_fields)) + "}"
    raise TypeError(t)


def render_column(col):
    t = col.type
    if pa.types.is_timestamp(t) or pa.types.is_date64(t):  # integers in the column's unit
        return ["null" if x is None else str(x) for x in col.cast(pa.int64()).to_pylist()]
    return [render(t, x) for x in col.to_pylist()]


def write(out, name, table, batch=None, **kw):
    w = LanceFileWriter(os.path.join(out, name + ".lance"), schema=table.schema, version="2.0", **kw)
    for b in table.to_batches(max_chunksize=batch or max(table.num_rows, 1)):
        # Serialize and read back so that every batch owns unsliced buffers (pylance 14 panics on
        # some sliced nested arrays).
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, b.schema) as s:
            s.write_batch(b)
        w.write_batch(pa.ipc.open_stream(sink.getvalue()).read_next_batch())
    w.close()
    return {"rows": table.num_rows, "columns": {c: render_column(table[c]) for c in table.column_names}}


def primitives(n):
    rng = np.random.default_rng(7)
    def nul(i):
        return i % 7 == 3
    f32 = rng.standard_normal(n).astype(np.float32)
    f64 = rng.standard_normal(n)
    words = ["", "a", "héllo", "日本語", "emoji 😀", "x" * 40]
    cols = {
        "i8": pa.array([None if nul(i) else (i % 256) - 128 for i in range(n)], pa.int8()),
        "i16": pa.array([None if nul(i) else i * 7 - 30000 for i in range(n)], pa.int16()),
        "i32": pa.array([i * 1000003 % 2**31 - 2**30 for i in range(n)], pa.int32()),
        "i64": pa.array([None if nul(i) else i * 2**40 - 2**62 for i in range(n)], pa.int64()),
        "u8": pa.array([i % 256 for i in range(n)], pa.uint8()),
        "u16": pa.array([None if nul(i) else i % 65536 for i in range(n)], pa.uint16()),
        "u32": pa.array([i * 2654435761 % 2**32 for i in range(n)], pa.uint32()),
        "u64": pa.array([None if nul(i) else 2**64 - 1 - i for i in range(n)], pa.uint64()),
        "f32": pa.array([None if nul(i) else float(f32[i]) for i in range(n)], pa.float32()),
        "f64": pa.array([float(f64[i]) for i in range(n)], pa.float64()),
        "b": pa.array([None if i % 5 == 1 else (i % 3 == 0) for i in range(n)], pa.bool_()),
        "bnn": pa.array([(i * 7) % 3 == 0 for i in range(n)], pa.bool_()),
        "d32": pa.array([None if nul(i) else EPOCH_D + datetime.timedelta(days=i - 500) for i in range(n)], pa.date32()),
        "ts": pa.array([None if nul(i) else i * 1_000_003 for i in range(n)], pa.timestamp("us", tz="UTC")),
        "ts_s": pa.array([None if nul(i) else i * 86400 for i in range(n)], pa.timestamp("s", tz="Europe/Paris")),
        "d64": pa.array([None if nul(i) else i * 86_400_000 for i in range(n)], pa.date64()),
        "f16": pa.array([None if nul(i) else np.float16(i / 8 - 20) for i in range(n)], pa.float16()),
        "dec": pa.array([None if nul(i) else __import__("decimal").Decimal(i * 12345 - 10**7).scaleb(-2) for i in range(n)], pa.decimal128(12, 2)),
        "tsn": pa.array([i * 999_999_937 for i in range(n)], pa.timestamp("ns")),
        "s": pa.array([None if i % 4 == 2 else f"{words[i % len(words)]}#{i}" for i in range(n)], pa.string()),
        "s_empty": pa.array([None if i % 9 == 0 else ("" if i % 2 else words[i % len(words)] + str(i)) for i in range(n)], pa.string()),
        "ls": pa.array([None if i % 6 == 5 else f"large{i}" * (i % 4) for i in range(n)], pa.large_string()),
        "bin": pa.array([None if i % 8 == 7 else bytes([(i + k) % 256 for k in range(i % 11)]) for i in range(n)], pa.binary()),
        "lbin": pa.array([bytes([i % 256]) * (i % 5) for i in range(n)], pa.large_binary()),
        "fsb": pa.array([None if nul(i) else struct.pack("<I", i) for i in range(n)], pa.binary(4)),
        "dict_s": pa.array([None if i % 10 == 4 else ["red", "green", "blue", "", "ünï"][i % 5] for i in range(n)], pa.string()),
        "dict_t": pa.array([None if i % 9 == 2 else ["p", "q", "r"][i % 3] for i in range(n)]).dictionary_encode().cast(pa.dictionary(pa.int32(), pa.string())),
        "dict_null": pa.array([None] * n, pa.string()).dictionary_encode().cast(pa.dictionary(pa.int16(), pa.string())),
        "dict_int": pa.array([None if i % 4 == 0 else i % 3 - 1 for i in range(n)], pa.int64()).dictionary_encode(),
        "null_t": pa.array([None] * n, pa.null()),
        "list_null": pa.array([None] * n, pa.list_(pa.int8())),
        "allnull_lb": pa.array([None] * n, pa.large_binary()),
        "allnull_i": pa.array([None] * n, pa.int64()),
        "allnull_s": pa.array([None] * n, pa.string()),
    }
    return pa.table(cols)


def nested(n):
    rng = np.random.default_rng(11)
    emb = rng.standard_normal(n * 768).astype(np.float32)
    item = pa.struct([("q", pa.int64()), ("r", pa.string())])
    cols = {
        "emb": pa.FixedSizeListArray.from_arrays(pa.array(emb), 768),
        "fsl_null": pa.array([None if i % 5 == 0 else [i, None if i % 3 == 0 else -i] for i in range(n)], pa.list_(pa.int32(), 2)),
        "l_i": pa.array([None if i % 4 == 0 else list(range(i % 6)) for i in range(n)], pa.list_(pa.int32())),
        "l_s": pa.array([None if i % 7 == 0 else [f"v{i}", "", None][: i % 4] for i in range(n)], pa.list_(pa.string())),
        "ll_st": pa.array([None if i % 3 == 0 else [{"q": i, "r": None if i % 2 else f"r{i}"}] * (i % 3) for i in range(n)], pa.large_list(item)),
        "l_l": pa.array([None if i % 5 == 0 else [[i], None, []][: i % 4] for i in range(n)], pa.list_(pa.list_(pa.int16()))),
        "st": pa.array([{"x": i, "y": None if i % 3 == 0 else f"y{i}", "z": {"w": None if i % 4 == 0 else i * 0.5}} for i in range(n)],
                       pa.struct([("x", pa.int32()), ("y", pa.string()), ("z", pa.struct([("w", pa.float64())]))])),
    }
    return pa.table(cols)


def options(n):
    fields = [
        pa.field("zs", pa.string(), metadata={"lance-encoding:compression": "zstd"}),
        pa.field("lz", pa.large_binary(), metadata={"lance-encoding:compression": "lz4"}),
        pa.field("fs", pa.string(), metadata={"lance-encoding:compression": "fsst"}),
        pa.field("pk", pa.struct([("a", pa.int32()), ("b", pa.float64()), ("c", pa.list_(pa.int16(), 3))]),
                 metadata={"lance-encoding:packed": "true"}),
        pa.field("after", pa.int64()),
        pa.field("blob", pa.large_binary(), metadata={"lance-encoding:blob": "true"}),
    ]
    cols = [
        pa.array([None if i % 6 == 0 else f"zz{i}" * (i % 5) for i in range(n)]),
        pa.array([None if i % 6 == 0 else bytes([i % 256]) * (i % 9) for i in range(n)], pa.large_binary()),
        pa.array([None if i % 6 == 0 else f"fsst{i}abcabc-ü" for i in range(n)]),
        pa.array([{"a": i, "b": i * 0.25, "c": [i, -i, 7]} for i in range(n)], fields[3].type),
        pa.array(range(n), pa.int64()),
        pa.array([None if i % 3 == 0 else bytes([i % 256]) * (i % 50) for i in range(n)], pa.large_binary()),
    ]
    return pa.table(cols, schema=pa.schema(fields))


def main(out):
    os.makedirs(out, exist_ok=True)
    exp = {}
    # One page per column.
    exp["prim1"] = write(out, "prim1", primitives(1000))
    # Many pages per column: small write batches with a tiny data cache.
    exp["primN"] = write(out, "primN", primitives(3000), batch=256, data_cache_bytes=4096)
    exp["nested1"] = write(out, "nested1", nested(300))
    exp["nestedN"] = write(out, "nestedN", nested(1200), batch=100, data_cache_bytes=16 * 1024)
    exp["options"] = write(out, "options", options(2000), batch=300, data_cache_bytes=24 * 1024)
    exp["empty"] = write(out, "empty", nested(0))
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(exp, f)


if __name__ == "__main__":
    main(sys.argv[1])
