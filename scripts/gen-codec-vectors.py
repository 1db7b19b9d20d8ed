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


# ----------------------------------------------------------------------------------------------
# Shared text: LAION-like captions (Zipf over the 5,000-word vocabulary, as the benchmark generator does).

BENCH = "/work/shared/bench"


def captions(n, seed):
    sys.path.insert(0, BENCH)
    import laion_synth
    model = laion_synth.TextModel(seed, laion_synth.load_vocab())
    return model.captions(n, np.random.default_rng(seed))


def gen_text(tmp):
    caps = captions(2600, 11)
    write("fsst/captions.txt", ("\n".join(caps) + "\n").encode())
    print("text: %d captions" % len(caps))


# ----------------------------------------------------------------------------------------------
# lz4/: blocks from python-lz4 (liblz4), store_size=False, default and high-compression modes.

def gen_lz4(tmp):
    import lz4.block
    rng = np.random.default_rng(44)
    text = open(os.path.join(OUT, "fsst/captions.txt"), "rb").read()
    assert len(text) > 128 * 1024
    t = np.linspace(0, 40, 8000)
    cases = {
        "empty": b"",
        "one_byte": b"x",
        "short_literals": b"abcdefghijkl",           # 12 bytes: too short for any match
        "thirteen": b"aaaaaaaaaaaaa",
        "incompressible": rng.bytes(8000),
        "zeros_140k": bytes(140 * 1024),
        "period3_run": b"abc" * 5000 + b"tail",
        "period7_run": b"0123456" * 3000,
        "text_caption_corpus": text,                   # > 128 KiB
        "floats": (np.sin(t) * 1000).astype(np.float32).tobytes(),
        "int64_small": rng.integers(0, 300, 6000).astype(np.int64).tobytes(),
        "repeated_block_far": (lambda b: b + text[:64000] + b)(rng.bytes(1000)),   # offset 65000
    }
    manifest = []
    for name, raw in cases.items():
        # The raw input is a committed file, except the caption corpus (fsst/captions.txt) and zeros.
        if name == "text_caption_corpus":
            source = {"raw": "fsst/captions.txt"}
        elif name.startswith("zeros"):
            source = {"zeros": len(raw)}
        else:
            write("lz4/%s.raw" % name, raw)
            source = {"raw": "lz4/%s.raw" % name}
        for mode, kwargs in (("default", {}), ("hc", {"mode": "high_compression", "compression": 12})):
            comp = lz4.block.compress(raw, store_size=False, **kwargs)
            assert lz4.block.decompress(comp, uncompressed_size=len(raw)) == raw
            write("lz4/%s.%s.lz4" % (name, mode), comp)
            manifest.append(dict(source, name=name, mode=mode, size=len(raw)))
    write_json("lz4/manifest.json", manifest)
    print("lz4: %d blocks" % len(manifest))


# ----------------------------------------------------------------------------------------------
# fsst/: symbol table + one mini-block chunk of FSST strings from pylance-written 2.1 and 2.2 files.
# The chunk's value buffer is n+1 u32 offsets (counted from the start of the buffer) then the codes.

def gen_fsst(tmp):
    caps = open(os.path.join(OUT, "fsst/captions.txt"), "rb").read().decode().split("\n")[:-1]
    rng = np.random.default_rng(5)
    words = ["alpha", "beta", "gamma", "delta", "lancelet", "columnar", "format", "vector", "search", "\u00e9t\u00e9"]
    repetitive = [" ".join(rng.choice(words, 6)) + " #%d" % i for i in range(5000)]
    manifest = []
    for version in ("2.1", "2.2"):
        for colname, strings in (("captions", caps), ("repetitive", repetitive)):
            path = os.path.join(tmp, "fsst_%s_%s.lance" % (colname, version))
            write_lance(pa.table({"s": pa.array(strings)}), path, version)
            (_, buffers, layout), = list(lance_pages(path))
            mb = pb_fields(layout[1][0])
            vc = pb_fields(mb[3][0])
            assert 6 in vc, ("not fsst", colname, version, vc.keys())
            fsst = pb_fields(vc[6][0])
            table = fsst[1][0]
            assert len(table) == 2312 and table[4:8] == b"TSSF"
            chunks = miniblock_chunks(buffers, mb)
            start = 0
            for k, (count, vals) in enumerate(chunks):
                if k in (0, len(chunks) - 1):
                    rel = "fsst/%s_v%s_chunk%d" % (colname, version.replace(".", "_"), k)
                    write(rel + ".table", table)
                    write(rel + ".chunk", vals[0])
                    expected = strings[start:start + count]
                    enc = [s.encode() for s in expected]
                    offs = np.cumsum([0] + [len(e) for e in enc]).astype(np.uint32)
                    write(rel + ".expected", offs.tobytes() + b"".join(enc))
                    manifest.append({"name": rel, "count": int(count)})
                start += count
    write_json("fsst/manifest.json", manifest)
    print("fsst: %d chunks" % len(manifest))


# ----------------------------------------------------------------------------------------------
# roaring/: pyroaring (CRoaring) portable serialization.

def varint(v):
    out = bytearray()
    while True:
        if v < 0x80:
            out.append(v)
            return bytes(out)
        out.append((v & 0x7F) | 0x80)
        v >>= 7


def gap_runs(values):
    """Sorted values as LEB128 (gap, count) pairs: `count` values, each `gap` after the previous one;
    the value before the first is -1."""
    out = bytearray()
    prev = -1
    i = 0
    while i < len(values):
        gap = values[i] - prev
        j = i + 1
        while j < len(values) and values[j] - values[j - 1] == gap:
            j += 1
        out += varint(gap) + varint(j - i)
        prev = values[j - 1]
        i = j
    return bytes(out)


def gen_roaring(tmp):
    from pyroaring import BitMap
    rng = random.Random(99)
    top = 2 ** 32
    cases = {
        "empty": BitMap(),
        "single_zero": BitMap([0]),
        "sparse": BitMap([1, 5, 100000, 3 * 65536 + 7, top - 1]),
        "dense_bitmap_container": BitMap(range(0, 20000, 2)) | BitMap(rng.sample(range(65536, 131072), 9000)),
        "near_2_32_stride3": BitMap(range(top - 20000, top, 3)),
        "exactly_4096": BitMap(range(0, 8192, 2)),
        "exactly_4097": BitMap(range(0, 8194, 2)),
        "near_2_32": BitMap(range(top - 5000, top)),
        "random_mixed": BitMap(rng.sample(range(0, 1 << 22), 6000)) | BitMap(rng.sample(range(1 << 23, (1 << 23) + 65536), 5000)),
        "many_containers": BitMap(k * 65536 + rng.randrange(65536) for k in range(300)),
    }
    runs = {
        "runs": BitMap(range(1000, 50000)) | BitMap(range(70000, 70100)) | BitMap([5, 7, 9]),
        "runs_full_container": BitMap(range(65536, 2 * 65536)),
        "runs_near_2_32": BitMap(range(top - 70000, top)),
        "runs_mixed_containers": BitMap(range(0, 3000)) | BitMap(range(65536, 65536 + 30000, 3)) | BitMap(range(200000, 200300)),
        "runs_many": BitMap(v for s in range(0, 1 << 18, 97) for v in range(s, s + 5)),
        "runs_more_than_4_containers": BitMap(v for k in range(8) for v in range(k * 65536 + 10, k * 65536 + 5000)),
    }
    for b in runs.values():
        b.run_optimize()
    cases.update(runs)
    manifest = []
    for name, b in cases.items():
        write("roaring/%s.bin" % name, b.serialize())
        write("roaring/%s.values" % name, gap_runs(list(b)))
        manifest.append({"name": name, "count": len(b)})
    write_json("roaring/manifest.json", manifest)
    print("roaring: %d bitmaps" % len(manifest))


def gen_benchfiles(tmp, out_dir=None):
    """Not a test vector: writes LZ4 benchmark inputs (text, JPEG, float) to $BENCH_DIR (default /tmp/codec-bench)."""
    out_dir = out_dir or os.environ.get("BENCH_DIR", "/tmp/codec-bench")
    os.makedirs(out_dir, exist_ok=True)
    sys.path.insert(0, BENCH)
    import laion_synth
    with open(os.path.join(out_dir, "text.txt"), "w") as f:
        f.write("\n".join(captions(30000, 3)) + "\n")
    pool = laion_synth.make_image_pool(150, 5)
    with open(os.path.join(out_dir, "jpeg.bin"), "wb") as f:
        for img in pool:
            f.write(img if isinstance(img, (bytes, bytearray)) else img[0])
    model = laion_synth.EmbeddingModel(7)
    with open(os.path.join(out_dir, "float.bin"), "wb") as f:
        f.write(model.sample(1000, np.random.default_rng(1)).astype(np.float32).tobytes())
    for name in ("text.txt", "jpeg.bin", "float.bin"):
        print("bench file", os.path.join(out_dir, name), os.path.getsize(os.path.join(out_dir, name)))
    lz4_reference_bench([os.path.join(out_dir, n) for n in ("text.txt", "jpeg.bin", "float.bin")])


def lz4_reference_bench(paths, block=65536):
    """Writes PATH.lz4blocks (liblz4 blocks of 64 KiB, framed as u32 raw size, u32 compressed size, bytes)
    and prints liblz4's decode speed on them (process CPU time, best of 7), for `codec-bench lz4 PATH.lz4blocks`."""
    import time
    import lz4.block
    for path in paths:
        data = open(path, "rb").read()
        comp = [(lz4.block.compress(data[i:i + block], store_size=False), len(data[i:i + block]))
                for i in range(0, len(data), block)]
        with open(path + ".lz4blocks", "wb") as f:
            for c, n in comp:
                f.write(struct.pack("<II", n, len(c)) + c)
        best = 1e9
        for _ in range(7):
            t = time.process_time()
            for c, n in comp:
                lz4.block.decompress(c, uncompressed_size=n)
            best = min(best, time.process_time() - t)
        print("%s: liblz4 decode %.0f MB/s (ratio %.3f)" % (path, len(data) / 1e6 / best, len(data) / sum(len(c) for c, _ in comp)))


def fsst_readback(strings_path, table_path, compressed_path, workdir):
    """Checks that pylance decodes FSST data produced by another encoder (used by the Swift tests).

    strings_path: the expected strings, one per line. table_path: a 2312-byte symbol table.
    compressed_path: n+1 little-endian u64 offsets into the bytes that follow them.
    Writes a pylance 2.1 file of *longer* template strings (each expected string plus 8 random letters, so
    every mini-block chunk has room), then patches it in place: the symbol table inside the page layout is
    replaced, and each chunk's value buffer is rewritten with the given codes for its rows (the chunk header
    gets the new buffer size; the rest of the chunk is zero padding). Finally pylance reads the file back."""
    from lance.file import LanceFileReader
    strings = open(strings_path, "rb").read().decode().split("\n")[:-1]
    table = open(table_path, "rb").read()
    comp = open(compressed_path, "rb").read()
    n = len(strings)
    offs = struct.unpack_from("<%dQ" % (n + 1), comp, 0)
    codes = comp[8 * (n + 1):]
    rng = random.Random(1)
    template = [s + "".join(rng.choice("qwxzjkv") for _ in range(8)) for s in strings]
    path = os.path.join(workdir, "fsst_readback.lance")
    write_lance(pa.table({"s": pa.array(template)}), path, "2.1")
    data = bytearray(open(path, "rb").read())
    (_, buffers, layout), = list(lance_pages(path))
    mb = pb_fields(layout[1][0])
    old_table = pb_fields(pb_fields(mb[3][0])[6][0])[1][0]
    assert len(table) == len(old_table) == 2312
    at = data.find(old_table)
    assert at >= 0 and data.find(old_table, at + 1) < 0
    data[at:at + 2312] = table
    # Locate the chunk buffer (buffer 1 of the page) in the file.
    body_at = data.find(buffers[1])
    assert body_at >= 0
    pos = body_at
    row = 0
    words = struct.unpack_from("<%dH" % (len(buffers[0]) // 2), buffers[0])
    for (count, vals), w in zip(miniblock_chunks(buffers, mb), words):
        # chunk = u16 levels, u16 value size, pad to 8, value buffer, pad to 8
        chunk_size = ((w >> 4) + 1) * 8
        assert struct.unpack_from("<H", data, pos + 2)[0] == len(vals[0])
        rows = range(row, row + count)
        base = 4 * (count + 1)
        value = struct.pack("<%dI" % (count + 1), *[base + offs[r] - offs[row] for r in list(rows) + [row + count]])
        value += codes[offs[row]:offs[row + count]]
        value += bytes(-len(value) % 4)   # the reader wants the buffer size to be a multiple of the offset width
        assert len(value) <= chunk_size - 8, ("chunk too small", len(value), chunk_size)
        struct.pack_into("<H", data, pos + 2, len(value))
        data[pos + 8:pos + chunk_size] = value + bytes(chunk_size - 8 - len(value))
        pos += chunk_size
        row += count
    assert row == n
    open(path, "wb").write(bytes(data))
    got = LanceFileReader(path).read_all().to_table().column("s").to_pylist()
    assert got == strings, next(i for i in range(n) if got[i] != strings[i])
    print("ok", n)


SECTIONS = {"text": gen_text, "bitpack": gen_bitpack, "lz4": gen_lz4, "fsst": gen_fsst, "roaring": gen_roaring,
            "benchfiles": gen_benchfiles}

if __name__ == "__main__":
    if sys.argv[1:2] == ["fsst-readback"]:
        with tempfile.TemporaryDirectory() as tmp:
            fsst_readback(*sys.argv[2:5], tmp)
        sys.exit(0)
    wanted = sys.argv[1:] or [k for k in SECTIONS if k != "benchfiles"]
    with tempfile.TemporaryDirectory() as tmp:
        for name in wanted:
            SECTIONS[name](tmp)
