#!/usr/bin/env python3
"""Writes Zstandard test vectors made by the reference (python `zstandard`, i.e. libzstd).

Run: /work/main/.venv/bin/python scripts/gen-codec-vectors-zstd.py
Output: Tests/LanceKernelsTests/Vectors/zstd/
  <name>.bin                the uncompressed input
  <name>.<variant>.zst      a compressed stream whose decompression must equal <name>.bin
  manifest.txt              lines "<zst file> <bin file>"
Deterministic (seeded); keep the total small (< 1.5 MB).
"""
import io
import math
import os
import random
import struct
import sys

import zstandard as zstd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "LanceKernelsTests", "Vectors", "zstd")

WORDS = ("the quick brown fox jumps over lazy dog lance columnar format vector index table "
         "fragment manifest schema field page buffer encoding compression zstandard block "
         "literal sequence offset match length huffman entropy stream frame window data "
         "apple river mountain cloud silver ocean garden music paper light").split()


def text(rng, n):
    out = []
    size = 0
    while size < n:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))
        line = line.capitalize() + rng.choice([".", "!", "?", ","]) + ("\n" if rng.random() < 0.2 else " ")
        out.append(line)
        size += len(line)
    return "".join(out).encode()[:n]


def floats(rng, n):
    vals = [round(math.sin(i * 0.003) * 100.0 + rng.choice([0, 0, 0, 0.25]), 1) for i in range(n)]
    return struct.pack("<%df" % n, *vals)


def jpeg(rng, w, h):
    from PIL import Image
    img = Image.new("RGB", (w, h))
    px = img.load()
    for y in range(h):
        for x in range(w):
            px[x, y] = ((x * 4 + rng.randint(0, 30)) % 256, (y * 4 + rng.randint(0, 30)) % 256,
                        ((x + y) * 2) % 256)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def runs(rng, n):
    out = bytearray()
    while len(out) < n:
        out += bytes([rng.randint(0, 255)]) * rng.choice([1, 3, 50, 1000, 40000])
        out += b"abcabcabcabd" * rng.randint(0, 20)
    return bytes(out[:n])


def compress(data, level, checksum=False, content_size=True):
    c = zstd.ZstdCompressor(level=level, write_checksum=checksum, write_content_size=content_size)
    if content_size:
        return c.compress(data)
    # The stream API does not know the size up front, so the header omits it.
    obj = c.compressobj()
    return obj.compress(data) + obj.flush()


def main():
    rng = random.Random(8878)
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    manifest = []

    def add(name, data, variants):
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(data)
        for tag, blob in variants:
            fn = "%s.%s.zst" % (name, tag)
            with open(os.path.join(OUT, fn), "wb") as f:
                f.write(blob)
            reader = zstd.ZstdDecompressor().stream_reader(io.BytesIO(blob), read_across_frames=True)
            assert reader.read() == data, fn
            manifest.append("%s %s.bin" % (fn, name))

    all_levels = [1, 3, 9, 19, 22, -1, -5]

    def standard(data, levels=all_levels):
        v = []
        for lv in levels:
            v.append(("l%d" % lv, compress(data, lv)))
        v.append(("l3-check", compress(data, 3, checksum=True)))
        v.append(("l3-nosize", compress(data, 3, content_size=False)))
        v.append(("l19-check-nosize", compress(data, 19, checksum=True, content_size=False)))
        return v

    add("empty", b"", standard(b"", [1, 3, 19]))
    add("one", b"\x42", standard(b"\x42", [1, 3, 19]))
    st = text(rng, 20000)
    add("text-20k", st, standard(st))
    big_text = text(rng, 140 * 1024)
    add("text-140k", big_text, [("l3", compress(big_text, 3)), ("l19-check", compress(big_text, 19, checksum=True)),
                                ("l-3-nosize", compress(big_text, -3, content_size=False))])
    rnd = bytes(rng.getrandbits(8) for _ in range(4096))
    add("random-4k", rnd, standard(rnd, [1, 19, -5]))
    rnd_big = bytes(rng.getrandbits(8) for _ in range(132 * 1024))
    add("random-132k", rnd_big, [("l3-check", compress(rnd_big, 3, checksum=True))])
    r = runs(rng, 140 * 1024)
    add("runs-140k", r, standard(r, [1, 3, 19, -5]))
    fl = floats(rng, 8192)
    add("float32-32k", fl, standard(fl))
    jp = jpeg(rng, 96, 96)
    add("jpeg", jp, standard(jp))
    mixed = st[:5000] + fl[:8000] + jp[:3000] + b"\0" * 5000 + st[5000:9000]
    add("mixed", mixed, standard(mixed, [1, 3, 9, 19, 22, -1]))
    # Small inputs (used by the mutation test as well): every entropy mode on little data.
    small_text = text(rng, 2500)
    add("small-text", small_text, [("l1", compress(small_text, 1)), ("l19-check", compress(small_text, 19, checksum=True)),
                                   ("l-1", compress(small_text, -1))])
    small_fl = floats(rng, 600)
    add("small-float32", small_fl, [("l3-check", compress(small_fl, 3, checksum=True)), ("l22", compress(small_fl, 22))])
    small_runs = runs(rng, 3000)
    add("small-runs", small_runs, [("l3", compress(small_runs, 3))])
    small_mf = text(rng, 700)
    add("small-multiframe", small_mf + small_fl[:800], [("concat", compress(small_mf, 9, checksum=True)
                                                         + struct.pack("<II", 0x184D2A53, 3) + b"xyz"
                                                         + compress(small_fl[:800], 3, content_size=False))])
    # Multi-frame: three frames with different options, concatenated (including an empty frame).
    parts = [st[:7000], fl[:9000], b"", jp]
    blob = (compress(parts[0], 3) + compress(parts[1], 1, checksum=True) + compress(parts[2], 3)
            + compress(parts[3], 19, content_size=False))
    add("multiframe", b"".join(parts), [("concat", blob)])
    # Skippable frames before, between and after real frames.
    skip1 = struct.pack("<II", 0x184D2A50, 5) + b"hello"
    skip2 = struct.pack("<II", 0x184D2A5F, 0)
    blob = skip1 + compress(st[:3000], 3, checksum=True) + skip2 + compress(fl[:4000], 9) + skip1
    add("skippable", st[:3000] + fl[:4000], [("mixed", blob)])

    with open(os.path.join(OUT, "manifest.txt"), "w") as f:
        f.write("\n".join(manifest) + "\n")
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("wrote %d vectors, %d bytes, zstandard %s" % (len(manifest), total, zstd.__version__))


if __name__ == "__main__":
    sys.exit(main())
