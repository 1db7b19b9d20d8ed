#!/usr/bin/env python3
"""Reference side of `scripts/bench-compare`: runs single items of the standard workload with pylance,
with exactly the code and inputs of ../shared/bench/pylance_workload.py for those items, so the two
sides can be interleaved item by item. Adds the peak resident memory of each item (VmHWM, reset
before the item). Prints one JSON object.

    python reference_items.py --data DIR --only W3,W5 [--reps 3]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

import numpy as np

import lance

SCAN_COLS = ["key", "NSFW", "similarity", "width", "height"]
TAKE_COLS = ["caption", "image"]


def now():
    return time.perf_counter()


def stat(vals, nd=6):
    vals = [float(v) for v in vals]
    return {"median": round(float(np.median(vals)), nd), "min": round(min(vals), nd),
            "max": round(max(vals), nd), "n": len(vals)}


def rate(count, secs):
    return stat([count / s for s in secs], 1)


def pct(lat, q):
    return round(float(np.percentile(np.asarray(lat), q)), 6)


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--only", default="W2,W3,W5")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    only = set(args.only.split(","))
    R = args.reps
    data = os.path.abspath(args.data)
    uri = os.path.join(data, "laion.lance")
    inp = json.load(open(os.path.join(data, "workload_inputs.json")))
    M = {"meta": {"lance": lance.__version__, "numpy": np.__version__, "cpus": os.cpu_count(), "reps": R}}
    ds = lance.dataset(uri)
    N = ds.count_rows()
    M["meta"]["rows"] = N

    if "W1b" in only:
        import shutil
        import tempfile
        n_in = min(50000, N)
        tbl = ds.to_table(offset=0, limit=n_in)
        work = tempfile.mkdtemp(prefix="ref-w1b-")
        reset_peak()
        secs, dbytes = [], 0
        for r in range(R):
            p = os.path.join(work, "ingest_%d.lance" % r)
            t = now()
            lance.write_dataset(tbl, p)
            secs.append(now() - t)
            dbytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(p) for f in fs)
            shutil.rmtree(p)
        shutil.rmtree(work, ignore_errors=True)
        M["W1b_ingest_rows"] = n_in
        M["W1b_ingest_rows_per_s"] = rate(n_in, secs)
        M["W1b_ingest_MBps_arrow"] = stat([tbl.nbytes / s / 1e6 for s in secs], 1)
        M["W1b_ingest_MBps_disk"] = stat([dbytes / s / 1e6 for s in secs], 1)
        M["W1b_peak_rss_bytes"] = peak()
        del tbl

    if "W2" in only:
        code = textwrap.dedent("""
            import time, json
            t0 = time.perf_counter()
            import lance
            t1 = time.perf_counter()
            ds = lance.dataset(%r)
            t2 = time.perf_counter()
            n = ds.count_rows()
            t3 = time.perf_counter()
            print(json.dumps({"import": t1 - t0, "open": t2 - t1, "count": t3 - t2, "open_count": t3 - t1, "n": n}))
        """ % uri)
        res, walls = [], []
        for _ in range(max(5, R)):
            t = now()
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            walls.append(now() - t)
            res.append(json.loads(out))
        M["W2_open_count_s"] = stat([r["open_count"] for r in res])
        M["W2_open_s"] = stat([r["open"] for r in res])
        M["W2_count_s"] = stat([r["count"] for r in res])
        M["W2_import_lance_s"] = stat([r["import"] for r in res])
        M["W2_process_wall_s"] = stat(walls)

    if "W3" in only:
        reset_peak()
        secs = []
        for _ in range(R):
            t = now()
            n = ds.to_table(columns=SCAN_COLS).num_rows
            secs.append(now() - t)
            assert n == N
        M["W3_scan_s"] = stat(secs)
        M["W3_scan_rows_per_s"] = rate(N, secs)
        M["W3_peak_rss_bytes"] = peak()

    if "W4" in only:  # the reference workload's W4 block
        filt = inp["w4_filter"]
        secs, cnt = [], None
        for _ in range(R):
            t = now()
            cnt = ds.count_rows(filter=filt)
            secs.append(now() - t)
        M["W4_count"] = cnt
        M["W4_selectivity"] = round(cnt / N, 4)
        M["W4_count_rows_filter_s"] = stat(secs)
        reset_peak()
        secs = []
        for _ in range(R):
            t = now()
            n = ds.to_table(columns=["key"], filter=filt).num_rows
            secs.append(now() - t)
            assert n == cnt
        M["W4_scan_key_filter_s"] = stat(secs)
        M["W4_scan_rows_per_s"] = rate(N, secs)
        M["W4_peak_rss_bytes"] = peak()

    if "W5" in only:
        reset_peak()
        offs = inp["take_1000_offsets"]
        secs, nb = [], 0
        for _ in range(R):
            t = now()
            tb = ds.take(offs, columns=TAKE_COLS)
            secs.append(now() - t)
            nb = tb.nbytes
        M["W5_take1000_s"] = stat(secs)
        M["W5_take1000_rows_per_s"] = rate(len(offs), secs)
        M["W5_take1000_MBps"] = stat([nb / s / 1e6 for s in secs], 1)
        p50s, p99s = [], []
        for _ in range(R):
            lat = []
            for o in inp["take_single_offsets"]:
                t = now()
                ds.take([o], columns=TAKE_COLS)
                lat.append(now() - t)
            p50s.append(pct(lat, 50))
            p99s.append(pct(lat, 99))
        M["W5_single_take_p50_s"] = stat(p50s)
        M["W5_single_take_p99_s"] = stat(p99s)
        M["W5_peak_rss_bytes"] = peak()

    if "W6" in only:
        # As pylance_workload.py: build into a hard-linked copy, replace=True each rep.
        import shutil
        work = os.path.join(data, "work-reference-w6")
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        wuri = os.path.join(work, "laion.lance")
        subprocess.run(["cp", "-al", uri, wuri], check=True)
        wds = lance.dataset(wuri)
        P = inp["ivf_pq"]["num_partitions"]
        reset_peak()
        secs = []
        for _ in range(R):
            t = now()
            wds.create_index("img_emb", index_type="IVF_PQ", num_partitions=P, num_sub_vectors=48,
                             metric="L2", replace=True)
            secs.append(now() - t)
        M["W6_ivfpq_params"] = {"num_partitions": P, "num_sub_vectors": 48, "num_bits": 8, "metric": "L2"}
        M["W6_ivfpq_build_s"] = stat(secs, 2)
        M["W6_peak_rss_bytes"] = peak()
        shutil.rmtree(work, ignore_errors=True)

    if "W10" in only:
        # On a hard-linked copy (the input dataset is never mutated), as pylance_workload.py does.
        import tempfile
        import pyarrow as pa
        work = tempfile.mkdtemp(prefix="w10-ref-")
        wuri = os.path.join(work, "laion.lance")
        subprocess.run(["cp", "-al", uri, wuri], check=True)
        wds = lance.dataset(wuri)
        exprs = {"aspect_ratio": "CAST(width AS DOUBLE) / CAST(height AS DOUBLE)",
                 "is_high_res": "width >= 512 AND height >= 512"}
        secs = []
        for r in range(R):
            if r:
                wds.drop_columns(list(exprs))
            t = now()
            wds.add_columns(exprs)
            secs.append(now() - t)
        M["W10_add_columns_sql_s"] = stat(secs)
        rng = np.random.default_rng(7)
        keys = rng.permutation(N).astype(np.int64)
        scores = pa.table({"key": keys, "aesthetic_score": rng.uniform(1.0, 9.0, N)})
        secs = []
        for r in range(R):
            if r:
                wds.drop_columns(["aesthetic_score"])
            t = now()
            wds.merge(scores, left_on="key")
            secs.append(now() - t)
        M["W10_merge_on_key_s"] = stat(secs)
        chk = wds.to_table(columns=["key", "aesthetic_score", "aspect_ratio"], limit=3)
        assert chk.column("aesthetic_score").null_count == 0
        subprocess.run(["rm", "-rf", work], check=True)

    if "W11" in only:
        # Standalone form of the workload's W11: a hard-linked copy with three one-row deletes as
        # its extra versions (the workload runs W11 on the copy W10 mutated).
        import shutil
        work = os.path.join(data, "work-reference")
        wuri = os.path.join(work, "w11.lance")
        if os.path.exists(wuri):
            shutil.rmtree(wuri)
        os.makedirs(work, exist_ok=True)
        shutil.copytree(uri, wuri, copy_function=os.link)
        wds = lance.dataset(wuri)
        v0 = wds.version
        for _ in range(3):
            key = wds.to_table(columns=["key"], limit=1)["key"][0].as_py()
            wds.delete("key = %d" % key)
        reps11 = max(10, R)
        secs = []
        for _ in range(reps11):
            t = now()
            wds.versions()
            secs.append(now() - t)
        M["W11_versions_count"] = len(wds.versions())
        M["W11_list_versions_s"] = stat(secs)
        secs = []
        for _ in range(reps11):
            t = now()
            lance.dataset(wuri, version=v0)
            secs.append(now() - t)
        M["W11_open_old_version_s"] = stat(secs)
        secs = []
        for _ in range(reps11):
            t = now()
            lance.dataset(wuri, version=v0).count_rows()
            secs.append(now() - t)
        M["W11_open_old_version_count_s"] = stat(secs)
        secs = []
        for i in range(reps11):
            t = now()
            wds.tags.create("bench-tag-%d" % i, v0)
            secs.append(now() - t)
        M["W11_tag_create_s"] = stat(secs)
        shutil.rmtree(wuri)

    if "W12" in only:
        nrows12, bs = min(inp["w12_rows"], N), inp["w12_batch_size"]
        secs = []
        for r in range(R):
            idx = np.random.default_rng(100 + r).permutation(N)[:nrows12]
            t = now()
            for i in range(0, nrows12, bs):
                ds.take(idx[i:i + bs], columns=TAKE_COLS)
            secs.append(now() - t)
        M["W12_lance_take_shuffled_rows_per_s"] = rate(nrows12, secs)

    if "W7" in only or "W8" in only:
        # The workload's W7/W8 through the pylance API (`lance_q`; lancedb is not installed here),
        # on the dataset at env LANCELET_W7_URI (an indexed copy shared with Lancelet's side, so both
        # search the same index) or on a fresh hard-linked copy indexed with the W6 parameters.
        import shutil
        k = inp["k"]
        queries = np.load(os.path.join(data, "queries.npy"))
        gt_ids = np.load(os.path.join(data, "gt_ids.npy"))
        gt10 = [set(r[:k].tolist()) for r in gt_ids]
        wuri = os.environ.get("LANCELET_W7_URI")
        work7 = None
        if not wuri:
            work7 = os.path.join(data, "work-reference-w7")
            shutil.rmtree(work7, ignore_errors=True)
            os.makedirs(work7)
            wuri = os.path.join(work7, "laion.lance")
            shutil.copytree(uri, wuri, copy_function=os.link)
            lance.dataset(wuri).create_index("img_emb", index_type="IVF_PQ",
                                             num_partitions=inp["ivf_pq"]["num_partitions"],
                                             num_sub_vectors=48, metric="L2", replace=True)
        wds = lance.dataset(wuri)

        def recall(ids_list, gts, kk):
            return round(float(np.mean([len(set(a) & g) / kk for a, g in zip(ids_list, gts)])), 4)

        def lance_q(q, nprobes=None, refine=None, limit=k, where=None, bypass=False):
            nn = {"column": "img_emb", "q": q, "k": limit}
            if nprobes is not None:
                nn["nprobes"] = nprobes
            if refine is not None:
                nn["refine_factor"] = refine
            if bypass:
                nn["use_index"] = False
            kw = {"filter": where, "prefilter": True} if where is not None else {}
            return wds.to_table(columns=["key", "_distance"], nearest=nn, **kw)["key"].to_numpy()

        if "W7" in only:
            t = now()
            lance_q(queries[0], 10)
            M["W7_first_query_s"] = round(now() - t, 4)
            for q in queries[:50]:
                lance_q(q, 20)
            w7 = {}
            for npb in inp["nprobes"]:
                for rf in inp["refine_factors"]:
                    lat, ids = [], []
                    for q in queries:
                        t = now()
                        ids.append(lance_q(q, npb, rf))
                        lat.append(now() - t)
                    key = "lance_nprobes%d_refine%s" % (npb, rf if rf else "none")
                    w7[key] = {"qps": round(len(queries) / sum(lat), 1), "p50_ms": round(pct(lat, 50) * 1e3, 3),
                               "p99_ms": round(pct(lat, 99) * 1e3, 3), "recall@10": recall(ids, gt10, k)}
            M["W7_vector_search"] = w7
            nbf = min(20, len(queries))
            lat, ids = [], []
            for q in queries[:nbf]:
                t = now()
                ids.append(lance_q(q, bypass=True))
                lat.append(now() - t)
            M["W7_bruteforce"] = {"queries": nbf, "p50_s": pct(lat, 50), "min_s": round(min(lat), 6),
                                  "max_s": round(max(lat), 6), "recall@10": recall(ids, gt10[:nbf], k)}
        if "W8" in only:
            filt = inp["w4_filter"]
            nq8 = min(100, len(queries))
            lance_q(queries[0], 20, None, 500, filt)
            p50s, w8_ids = [], None
            for r in range(R):
                lat, ids = [], []
                for q in queries[:nq8]:
                    t = now()
                    ids.append(lance_q(q, 20, None, 500, filt))
                    lat.append(now() - t)
                p50s.append(pct(lat, 50))
                w8_ids = ids
            M["W8_prefilter_limit500_nprobes20_p50_s"] = stat(p50s)
            M["W8_mean_results"] = round(float(np.mean([len(i) for i in w8_ids])), 1)
        if work7:
            shutil.rmtree(work7)

    if "W13" in only:
        import shutil
        filt = inp["w4_filter"]
        work = os.path.join(data, "work-reference")
        os.makedirs(work, exist_ok=True)
        secs, nsub, sbytes = [], 0, 0
        for r in range(R):
            p = os.path.join(work, "subset_%d.lance" % r)
            if os.path.exists(p):
                shutil.rmtree(p)
            t = now()
            sc = ds.scanner(columns=["key", "image", "caption", "url", "img_emb"], filter=filt)
            out_ds = lance.write_dataset(sc.to_reader(), p)
            secs.append(now() - t)
            nsub = out_ds.count_rows()
            sbytes = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(p) for f in fs)
            shutil.rmtree(p)
        M["W13_rows"] = nsub
        M["W13_bytes"] = sbytes
        M["W13_materialize_s"] = stat(secs)
        M["W13_MBps_disk"] = stat([sbytes / s / 1e6 for s in secs], 1)

    # Peak memory of the items that do not report their own (one item per process under
    # scripts/bench-compare, so the process's peak is the item's).
    for item in ("W7", "W8", "W10", "W11", "W12", "W13"):
        if item in only and item + "_peak_rss_bytes" not in M:
            M[item + "_peak_rss_bytes"] = peak()
            break

    print(json.dumps(M))


if __name__ == "__main__":
    main()
