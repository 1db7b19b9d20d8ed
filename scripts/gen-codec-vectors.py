#!/usr/bin/env python3
"""Generates the codec test vectors in Tests/LanceKernelsTests/Vectors/{bitpack,lz4,fsst,roaring}.

Run with the reference venv:  .venv/bin/python scripts/gen-codec-vectors.py
Everything is seeded, so re-running reproduces the same files (except the FSST symbol table that
pylance trains on a random sample: its vector is self-consistent, table + data + expected strings).

bitpack/ and fsst/ come from Lance 2.1 files written by pylance: the script parses the file tail
(footer, column-metadata offset table, ColumnMetadata protobuf, PageLayout protobuf) with a tiny
hand-written protobuf wire reader, then walks the mini-block chunks of one page.
"""
import json
import os
import random
import struct
import sys
import tempfile

import numpy as np
import pyarrow as pa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "LanceKernelsTests", "Vectors")


def write(rel, data):
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def write_json(rel, obj):
    write(rel, (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode())


# ----------------------------------------------------------------------------------------------
# Minimal protobuf wire-format reader: message bytes -> {field number: [values]}.
# Varints come back as ints, length-delimited fields as bytes, fixed32/64 as ints.

def read_varint(b, i):
    shift = 0
    v = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        if c < 0x80:
            return v, i
        shift += 7


def pb_fields(b):
    out = {}
    i = 0
    while i < len(b):
        key, i = read_varint(b, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(b, i)
        elif wt == 1:
            v = struct.unpack_from("<Q", b, i)[0]
            i += 8
        elif wt == 2:
            n, i = read_varint(b, i)
            v = bytes(b[i:i + n])
            i += n
        elif wt == 5:
            v = struct.unpack_from("<I", b, i)[0]
            i += 4
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(field, []).append(v)
    return out


def pb_packed_varints(values):
    """A repeated uint64 field: packed (bytes) or unpacked (ints)."""
    res = []
    for v in values:
        if isinstance(v, bytes):
            i = 0
            while i < len(v):
                x, i = read_varint(v, i)
                res.append(x)
        else:
            res.append(v)
    return res


def lance_pages(path):
    """Yields (column index, page buffers as bytes, PageLayout fields) for every page of a v2.1+ file."""
    data = open(path, "rb").read()
    (cm_start, cmo_off, gbo_off, n_gb, n_cols, major, minor, magic) = struct.unpack_from("<QQQIIHH4s", data, len(data) - 40)
    assert magic == b"LANC", magic
    assert (major, minor) >= (2, 1), (major, minor)
    for c in range(n_cols):
        pos, size = struct.unpack_from("<QQ", data, cmo_off + 16 * c)
        cm = pb_fields(data[pos:pos + size])
        for page_bytes in cm.get(2, []):
            page = pb_fields(page_bytes)
            offs = pb_packed_varints(page.get(1, []))
            sizes = pb_packed_varints(page.get(2, []))
            buffers = [data[o:o + s] for o, s in zip(offs, sizes)]
            enc = pb_fields(page[4][0])          # Encoding
            direct = pb_fields(enc[2][0])        # DirectEncoding
            anyv = pb_fields(direct[1][0])       # google.protobuf.Any
            assert anyv[1][0].endswith(b"lance.encodings21.PageLayout"), anyv[1][0]
            layout = pb_fields(anyv[2][0])
            yield c, buffers, layout


def miniblock_chunks(buffers, mb):
    """Splits a non-nullable mini-block page (no rep/def) into (value count, [value buffers])."""
    large = bool(mb.get(10, [0])[0])
    num_items = mb[9][0]
    num_buffers = mb.get(7, [1])[0]
    meta, body = buffers[0], buffers[1]
    wsize = 4 if large else 2
    words = struct.unpack_from("<%d%s" % (len(meta) // wsize, "I" if large else "H"), meta)
    pos = 0
    seen = 0
    chunks = []
    for k, w in enumerate(words):
        size = ((w >> 4) + 1) * 8
        log2 = w & 15
        count = (1 << log2) if k < len(words) - 1 else num_items - seen
        seen += count
        chunk = body[pos:pos + size]
        pos += size
        nlev = struct.unpack_from("<H", chunk, 0)[0]
        assert nlev == 0
        hp = 2
        vsizes = []
        for _ in range(num_buffers):
            if large:
                vsizes.append(struct.unpack_from("<I", chunk, hp)[0]); hp += 4
            else:
                vsizes.append(struct.unpack_from("<H", chunk, hp)[0]); hp += 2
        hp = (hp + 7) // 8 * 8
        vals = []
        for s in vsizes:
            vals.append(chunk[hp:hp + s])
            hp = (hp + s + 7) // 8 * 8
        chunks.append((count, vals))
    return chunks


def write_lance(table, path, version):
    from lance.file import LanceFileWriter
    with LanceFileWriter(path, version=version) as w:
        w.write_batch(table)


# ----------------------------------------------------------------------------------------------
# bitpack/: inline-bitpacked mini-block chunks from a pylance 2.1 file.
# Each chunk value buffer is a sequence of blocks: bit width (one T-sized word), then width*128 bytes.

def gen_bitpack(tmp):
    rng = np.random.default_rng(2024)
    n = 5000
    cols = {
        "u32_seq": (np.arange(n, dtype=np.uint32), 32),
        "u32_small": (rng.integers(0, 8, n).astype(np.uint32), 32),
        "u64_rand": (rng.integers(0, 1000, n).astype(np.uint64), 64),
        "u64_wide": (rng.integers(0, 2 ** 37, n).astype(np.uint64), 64),
        "i64_seq": (np.arange(n, dtype=np.int64) + 1_000_000, 64),
        "u16_rand": (rng.integers(0, 2000, n).astype(np.uint16), 16),
        "u8_rand": (rng.integers(0, 32, n).astype(np.uint8), 8),
    }
    names = list(cols)
    table = pa.table({k: pa.array(v[0]) for k, v in cols.items()})
    path = os.path.join(tmp, "bitpack.lance")
    write_lance(table, path, "2.1")
    manifest = []
    for c, buffers, layout in lance_pages(path):
        name = names[c]
        values, bits = cols[name]
        mb = pb_fields(layout[1][0])
        vc = pb_fields(mb[3][0])
        assert 5 in vc, (name, "not inline bitpacking", vc)   # CompressiveEncoding.inline_bitpacking
        assert pb_fields(vc[5][0])[1][0] == bits
        chunks = miniblock_chunks(buffers, mb)
        start = 0
        picked = []
        for k, (count, vals) in enumerate(chunks):
            if k in (0, len(chunks) - 1):    # first chunk and the (padded) last chunk
                picked.append((k, start, count, vals[0]))
            start += count
        for k, first, count, buf in picked:
            rel = "bitpack/%s_chunk%d" % (name, k)
            write(rel + ".packed", buf)
            write(rel + ".values", values[first:first + count].tobytes())
            widths = []
            p = 0
            while p < len(buf):
                w = int.from_bytes(buf[p:p + bits // 8], "little")
                widths.append(w)
                p += bits // 8 + w * 128
            manifest.append({"name": rel, "typeBits": bits, "count": int(count), "widths": widths})
    write_json("bitpack/manifest.json", manifest)
    print("bitpack:", len(manifest), "chunks")


SECTIONS = {"bitpack": gen_bitpack}

if __name__ == "__main__":
    wanted = sys.argv[1:] or list(SECTIONS)
    with tempfile.TemporaryDirectory() as tmp:
        for name in wanted:
            SECTIONS[name](tmp)
