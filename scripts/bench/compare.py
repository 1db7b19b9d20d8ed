#!/usr/bin/env python3
"""Prints the side-by-side table of `scripts/bench-compare`: item, reference, Lancelet, ratio.
ratio > 1 means Lancelet is faster (for times: ref/ours; for rates: ours/ref) or better."""
import json
import sys

ROWS = [
    # key, kind ("time" lower is better, "rate" higher is better, "mem" lower is better)
    ("W2_open_count_s", "time"), ("W2_process_wall_s", "time"),
    ("W3_scan_s", "time"), ("W3_scan_rows_per_s", "rate"), ("W3_peak_rss_bytes", "mem"),
    ("W5_take1000_s", "time"), ("W5_take1000_MBps", "rate"),
    ("W5_single_take_p50_s", "time"), ("W5_single_take_p99_s", "time"), ("W5_peak_rss_bytes", "mem"),
    ("W6_ivfpq_build_s", "time"), ("W6_peak_rss_bytes", "mem"),
]


def med(v):
    if isinstance(v, dict):
        return v.get("median")
    return v


def fmt(v):
    if v is None:
        return "—"
    if isinstance(v, float) and v < 1:
        return "%.6f" % v
    if isinstance(v, (int, float)) and v > 1e6:
        return "%.1f M" % (v / 1e6)
    return "%.3f" % v if isinstance(v, float) else str(v)


def main():
    ref = json.load(open(sys.argv[1]))
    ours = json.load(open(sys.argv[2]))
    print("| item | pylance 14.0.2 | Lancelet | ratio |")
    print("|---|---:|---:|---:|")
    for key, kind in ROWS:
        r, o = med(ref.get(key)), med(ours.get(key))
        if r is None and o is None:
            continue
        ratio = "—"
        if isinstance(r, (int, float)) and isinstance(o, (int, float)) and r > 0 and o > 0:
            ratio = "%.2f" % ((o / r) if kind == "rate" else (r / o))
        print("| %s | %s | %s | %s |" % (key, fmt(r), fmt(o), ratio))


if __name__ == "__main__":
    main()
