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

    print(json.dumps(M))


if __name__ == "__main__":
    main()
