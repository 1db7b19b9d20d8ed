#!/usr/bin/env python3
"""Writes the vector-search conformance data with pylance 14.0.2: small datasets with pylance-built
IVF_PQ / IVF_FLAT indexes, and pylance's results for a fixed set of queries.

Usage: make_vector.py --out DIR [--laion-rows N]

DIR/<case>/data.lance   a 32-d float32 dataset (2 indexed fragments of 2000 rows, one unindexed fragment of
                        1000 rows appended after the index, rows with id % 97 == 0 deleted)
DIR/<case>/expected.json {"metric", "index_type", "queries": [[...]], "results": [{"query", "params", "ids", "distances"}]}
DIR/stable_*/          the same with stable row ids (enable_stable_row_ids)
DIR/laion/              (with --laion-rows > 0) a synthetic LAION dataset with an IVF_PQ index on img_emb and the
                        seed's Search / Curate results
Swift tests read DIR from env LANCELET_VECTOR_DIR.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pyarrow as pa
import lance

assert lance.__version__ == "14.0.2", f"pylance 14.0.2 required, found {lance.__version__}"

DIM = 32
# The seed's Curate filter (backticks: pylance 14 reads "NSFW" as a string literal here).
CURATE_FILTER = "`NSFW` = 0 AND similarity > 0.3 AND width >= 512"


def table(start, n, rng):
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    ids = np.arange(start, start + n, dtype=np.int64)
    return pa.table({
        "id": pa.array(ids),
        "cat": pa.array((ids % 5).astype(np.int32)),
        "vec": pa.FixedSizeListArray.from_arrays(pa.array(v.ravel()), DIM),
    }), v


def run(ds, q, **kw):
    nearest = {"column": "vec", "q": q, "k": kw.pop("k", 10)}
    for key in ("nprobes", "refine_factor", "use_index", "metric"):
        if key in kw:
            nearest[key] = kw.pop(key)
    t = ds.to_table(columns=["id"], nearest=nearest, with_row_id=True, **kw)
    return t


def make_case(out, name, metric, index_type, rng, tail=True, stable=False):
    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    uri = os.path.join(d, "data.lance")
    t1, v1 = table(0, 4000, rng)
    ds = lance.write_dataset(t1, uri, max_rows_per_file=2000, enable_stable_row_ids=stable)
    params = {"num_partitions": 8}
    if index_type == "IVF_PQ":
        params["num_sub_vectors"] = 4
    ds.create_index("vec", index_type=index_type, metric=metric, **params)
    t2, v2 = table(4000, 1000, rng)
    if tail:
        ds = lance.write_dataset(t2, uri, mode="append")
        ds.delete("id % 97 = 0")
    ds = lance.dataset(uri)
    allv = np.concatenate([v1, v2])
    queries = [allv[7], allv[4321], allv[1500] + 0.1, rng.standard_normal(DIM).astype(np.float32),
               rng.standard_normal(DIM).astype(np.float32)]
    results = []

    def record(qi, params, **kw):
        t = run(ds, queries[qi], **kw)
        results.append({"query": qi, "params": params, "ids": t["id"].to_pylist(),
                        "rowids": t["_rowid"].to_pylist(),
                        "distances": [float(x) for x in t["_distance"].to_pylist()],
                        "columns": t.column_names})

    for qi in range(len(queries)):
        record(qi, {"exact": True}, use_index=False)
        record(qi, {"nprobes": 2}, nprobes=2)
        record(qi, {"nprobes": 4, "refine_factor": 5}, nprobes=4, refine_factor=5)
        record(qi, {"nprobes": 8, "k": 20}, nprobes=8, k=20)
        record(qi, {"nprobes": 4, "where": "cat = 1"}, nprobes=4, filter="cat = 1", prefilter=True)
        record(qi, {"nprobes": 4, "where": "cat = 1", "postfilter": True}, nprobes=4, filter="cat = 1",
               prefilter=False)
        record(qi, {"exact": True, "where": "cat = 2 AND id > 100"}, use_index=False, filter="cat = 2 AND id > 100",
               prefilter=True)
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump({"metric": metric, "index_type": index_type,
                   "queries": [[float(x) for x in q] for q in queries], "results": results}, f)


def make_laion(out, rows):
    d = os.path.join(out, "laion")
    shutil.rmtree(d, ignore_errors=True)
    synth = "/work/shared/bench/laion_synth.py"
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.path.join(here, "..", "..", "..", "shared", "bench", "laion_synth.py"), synth):
        if os.path.exists(cand):
            synth = cand
            break
    subprocess.run([sys.executable, synth, "--rows", str(rows), "--out", d, "--queries", "5", "--pool", "20"],
                   check=True, stdout=subprocess.DEVNULL)
    uri = os.path.join(d, "laion.lance")
    ds = lance.dataset(uri)
    ds.create_index("img_emb", index_type="IVF_PQ", metric="l2", num_partitions=16, num_sub_vectors=48)
    ds = lance.dataset(uri)
    q = ds.take([42], columns=["img_emb"])["img_emb"][0].values.to_numpy()
    search = ds.to_table(columns=["caption", "url", "similarity"],
                         nearest={"column": "img_emb", "q": q, "k": 10, "nprobes": 20})
    curate = ds.to_table(columns=["key", "url", "caption", "similarity"],
                         nearest={"column": "img_emb", "q": q, "k": 500, "nprobes": 20},
                         filter=CURATE_FILTER, prefilter=True)
    exp = {"curate_filter": CURATE_FILTER, "search": {"caption": search["caption"].to_pylist(), "url": search["url"].to_pylist(),
                      "distances": [float(x) for x in search["_distance"].to_pylist()]},
           "curate": {"key": curate["key"].to_pylist(),
                      "distances": [float(x) for x in curate["_distance"].to_pylist()]}}
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(exp, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--laion-rows", type=int, default=3000)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(20261127)
    for metric in ("l2", "cosine", "dot"):
        make_case(a.out, "pq_" + metric, metric, "IVF_PQ", rng)
    make_case(a.out, "flat_l2", "l2", "IVF_FLAT", rng)
    for metric in ("l2", "cosine", "dot"):  # no unindexed tail: the index's own distances are reported
        make_case(a.out, "pqfull_" + metric, metric, "IVF_PQ", rng, tail=False)
    # Stable row ids: the index stores row ids, which the reader maps to row addresses.
    make_case(a.out, "stable_pq_l2", "l2", "IVF_PQ", rng, stable=True)
    make_case(a.out, "stable_flat_cosine", "cosine", "IVF_FLAT", rng, stable=True)
    if a.laion_rows > 0:
        make_laion(a.out, a.laion_rows)


if __name__ == "__main__":
    main()
