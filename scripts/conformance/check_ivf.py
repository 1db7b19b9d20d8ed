#!/usr/bin/env python3
"""Checks, with the pinned pylance, a vector index Lancelet built on a copy of a make_ivf.py case.

    python check_ivf.py --case DIR/<case> --ours PATH_OF_THE_COPY

pylance must list the index and report its statistics as for its own index, and its searches over
the Lancelet-built index must reach the recall@10 of its searches over the pylance-built index
(case/ref): mean over the nprobes x refine_factor settings at least pylance's minus 0.02, and no
single setting below pylance's minus 0.05 (pylance's k-means is seeded from the OS, so one setting
of one small index varies by a few hundredths from build to build). Prints a JSON report; exits 1
on any problem.
"""
import argparse
import json
import os
import sys

import numpy as np

import lance

TOLERANCE = 0.02
PER_SETTING_TOLERANCE = 0.05


def exact(x, q, metric, k):
    if metric == "l2":
        d = ((q[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    elif metric == "cosine":
        xn = x / np.linalg.norm(x, axis=1, keepdims=True)
        qn = q / np.linalg.norm(q, axis=1, keepdims=True)
        d = 1 - qn @ xn.T
    else:
        d = -(q @ x.T)
    return np.argsort(d, axis=1, kind="stable")[:, :k]


def recall(ds, q, gt, metric, nprobes, refine, k=10):
    hits = []
    for qi, g in zip(q, gt):
        nn = {"column": "vec", "q": qi, "k": k, "nprobes": nprobes, "metric": metric}
        if refine is not None:
            nn["refine_factor"] = refine
        ids = ds.to_table(columns=["id"], nearest=nn)["id"].to_numpy()
        hits.append(len(set(ids.tolist()) & set(g.tolist())) / k)
    return float(np.mean(hits))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True)
    ap.add_argument("--ours", required=True)
    args = ap.parse_args()
    params = json.load(open(os.path.join(args.case, "case.json")))
    q = np.load(os.path.join(args.case, "queries.npy"))
    ours = lance.dataset(args.ours)
    ref = lance.dataset(os.path.join(args.case, "ref"))
    problems = []
    report = {"case": os.path.basename(args.case.rstrip("/")), "version": ours.version}

    li = ours.list_indices()
    report["list_indices"] = [{k: (sorted(v) if k == "fragment_ids" else v) for k, v in i.items()
                               if k in ("name", "type", "fields", "version", "fragment_ids")} for i in li]
    if len(li) != 1:
        problems.append("expected one index, pylance lists %d" % len(li))
    else:
        i = li[0]
        if i["name"] != "vec_idx" or i["fields"] != ["vec"] or i["type"] != params["index_type"]:
            problems.append("list_indices: %r" % (report["list_indices"],))
        if sorted(i["fragment_ids"]) != sorted(f.fragment_id for f in ours.get_fragments()):
            problems.append("fragment_ids %r" % (sorted(i["fragment_ids"]),))

    st = ours.stats.index_stats("vec_idx")
    n = ours.count_rows()
    seg = st["indices"][0]
    report["stats"] = {k: st[k] for k in ("index_type", "num_indexed_rows", "num_unindexed_rows",
                                            "num_indexed_fragments", "num_unindexed_fragments")}
    report["stats"]["num_partitions"] = seg.get("num_partitions")
    report["stats"]["metric_type"] = seg.get("metric_type")
    report["stats"]["partition_rows"] = sum(p["size"] for p in seg.get("partitions", []))
    if st["num_indexed_rows"] != n or st["num_unindexed_rows"] != 0 or st["index_type"] != params["index_type"]:
        problems.append("index_statistics %r" % (report["stats"],))
    if seg.get("num_partitions") != params["num_partitions"] or seg.get("metric_type") != params["metric"]:
        problems.append("index_statistics segment %r" % (report["stats"],))
    if report["stats"]["partition_rows"] != n:
        problems.append("partitions hold %d rows, the dataset %d" % (report["stats"]["partition_rows"], n))
    if params["index_type"] == "IVF_PQ":
        sub = seg.get("sub_index", {})
        if sub.get("num_sub_vectors") != params["num_sub_vectors"] or sub.get("nbits") != 8:
            problems.append("sub_index %r" % (sub,))

    x = np.stack(ours.to_table(columns=["vec"])["vec"].to_numpy(zero_copy_only=False)).astype(np.float32)
    gt = exact(x, q, params["metric"], 10)
    P = params["num_partitions"]
    rec = {}
    for nprobes in sorted({1, P}):
        for refine in (None, 10):
            a = recall(ours, q, gt, params["metric"], nprobes, refine)
            b = recall(ref, q, gt, params["metric"], nprobes, refine)
            key = "nprobes=%d,refine=%s" % (nprobes, refine)
            rec[key] = {"lancelet": round(a, 4), "pylance": round(b, 4)}
            if a < b - PER_SETTING_TOLERANCE:
                problems.append("recall %s: lancelet-built %.4f < pylance-built %.4f - %.2f"
                                % (key, a, b, PER_SETTING_TOLERANCE))
    ma = float(np.mean([v["lancelet"] for v in rec.values()]))
    mb = float(np.mean([v["pylance"] for v in rec.values()]))
    report["mean_recall@10"] = {"lancelet": round(ma, 4), "pylance": round(mb, 4)}
    if ma < mb - TOLERANCE:
        problems.append("mean recall: lancelet-built %.4f < pylance-built %.4f - %.2f" % (ma, mb, TOLERANCE))
    report["recall@10"] = rec
    report["problems"] = problems
    print(json.dumps(report))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
