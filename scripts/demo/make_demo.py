#!/usr/bin/env python3
"""Writes a small LAION-like Lance dataset with pylance (real JPEGs, captions, 768-d embeddings),
two versions and a tag, for `scripts/demo-read`."""
import argparse
import io
import os
import shutil

import numpy as np
import pyarrow as pa
from PIL import Image

import lance

WORDS = ("a photo of the red blue green small large old new dog cat house car tree sky beach city "
         "portrait landscape vintage modern abstract painting drawing flower mountain river").split()


def jpeg(rng, w, h):
    base = rng.integers(0, 255, size=3)
    img = np.zeros((h, w, 3), dtype=np.uint8) + base.astype(np.uint8)
    noise = rng.integers(0, 40, size=(h, w, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img + noise).save(buf, format="JPEG", quality=70)
    return buf.getvalue()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--rows", type=int, default=2000)
    args = ap.parse_args()
    rng = np.random.default_rng(42)
    n = args.rows
    sizes = rng.choice([64, 96, 128, 160], size=(n, 2))
    pool = [jpeg(rng, int(w), int(h)) for w, h in sizes[:200]]
    emb = rng.normal(size=(n, 768)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    table = pa.table({
        "key": pa.array(np.arange(n), pa.int64()),
        "image": pa.array([pool[i % len(pool)] for i in range(n)], pa.large_binary()),
        "caption": pa.array([" ".join(rng.choice(WORDS, size=rng.integers(3, 10))) for _ in range(n)]),
        "url": pa.array(["https://example.com/img/%d.jpg" % i for i in range(n)]),
        "NSFW": pa.array((rng.random(n) < 0.07).astype(np.int64)),
        "similarity": pa.array(np.clip(rng.normal(0.325, 0.035, n), 0.25, 0.48)),
        "width": pa.array(sizes[:, 0].astype(np.int64)),
        "height": pa.array(sizes[:, 1].astype(np.int64)),
        "img_emb": pa.FixedSizeListArray.from_arrays(pa.array(emb.reshape(-1)), 768),
    })
    uri = os.path.join(args.out, "demo.lance")
    shutil.rmtree(uri, ignore_errors=True)
    ds = lance.write_dataset(table.slice(0, n // 2), uri, max_rows_per_file=n // 4)
    ds.tags.create("first-half", ds.version)
    ds = lance.write_dataset(table.slice(n // 2), uri, mode="append")
    ds.delete("key % 100 = 7")
    print(uri)


if __name__ == "__main__":
    main()
