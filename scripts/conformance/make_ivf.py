#!/usr/bin/env python3
"""Writes the vector-index build conformance data with the pinned pylance.

    python make_ivf.py --out DIR

For each case DIR/<case>/ holds:
  base/       a dataset without an index (Lancelet builds its index into a copy)
  ref/        the same dataset with the index pylance built with the case's parameters
  queries.npy held-out queries
  case.json   the parameters (column, index_type, metric, num_partitions, num_sub_vectors, max_iterations)
DIR/cases.json lists the cases. `check_ivf.py` compares a Lancelet-built copy with ref/.
Sizes are small so that Lancelet's debug build (what `swift test` runs) trains in seconds: PQ
training costs rows x 256 x dim per iteration, so the 768-d set has 300 rows and 5 iterations.
"""
import argparse
import json
import os

import numpy as np
import pyarrow as pa

import lance


def mixture(rng, n, d, centers, spread):
    c = rng.standard_normal((centers, d)).astype(np.float32) * 3
    lab = rng.integers(0, centers, n)
    return (c[lab] + rng.standard_normal((n, d)).astype(np.float32) * spread).astype(np.float32)


def table(x):
    n, d = x.shape
    return pa.table({
        "id": pa.array(np.arange(n, dtype=np.int64)),
        "vec": pa.FixedSizeListArray.from_arrays(pa.array(x.reshape(-1)), d),
    })


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261127)

    # Two vector sets: 32-d Gaussian mixture, and 768-d normalised LAION-like clustered embeddings.
    x32 = mixture(rng, 1000 + 100, 32, 24, 1.0)
    x768 = mixture(rng, 300 + 100, 768, 12, 1.5)
    x768 /= np.linalg.norm(x768, axis=1, keepdims=True)
    sets = {"d32": (x32[:1000], x32[1000:]), "d768": (x768[:300], x768[300:])}

    cases = [
        # pylance 14 trains at most rows / 256 IVF_PQ partitions (1000 rows: 3).
        ("pq_l2_d32", "d32", "IVF_PQ", "l2", 3, 4, 10),
        ("pq_cosine_d32", "d32", "IVF_PQ", "cosine", 3, 4, 10),
        ("pq_dot_d32", "d32", "IVF_PQ", "dot", 3, 4, 10),
        ("flat_l2_d32", "d32", "IVF_FLAT", "l2", 8, None, 10),
        ("pq_l2_d768", "d768", "IVF_PQ", "l2", 1, 48, 5),
    ]
    names = []
    for name, s, itype, metric, parts, subs, iters in cases:
        x, q = sets[s]
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        lance.write_dataset(table(x), os.path.join(d, "base"), mode="overwrite")
        ref = lance.write_dataset(table(x), os.path.join(d, "ref"), mode="overwrite")
        params = {"column": "vec", "index_type": itype, "metric": metric, "num_partitions": parts,
                  "max_iterations": iters}
        if subs is not None:
            params["num_sub_vectors"] = subs
        kw = {k: v for k, v in params.items() if k not in ("column", "max_iterations")}
        ref.create_index("vec", max_iterations=iters, **kw)
        np.save(os.path.join(d, "queries.npy"), q)
        with open(os.path.join(d, "case.json"), "w") as f:
            json.dump(params, f, indent=1)
        names.append(name)
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(names, f)


if __name__ == "__main__":
    main()
