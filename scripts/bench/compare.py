#!/usr/bin/env python3
"""Prints the side-by-side table of `scripts/bench-compare`: item, reference, Lancelet, ratio.
ratio > 1 means Lancelet is faster (for times: ref/ours; for rates: ours/ref) or better.
Every key present on either side is listed (workload order: W1b, W2, ... W13); keys whose meaning
has no direction (counts, parameters) show their values without a ratio."""
import json
import re
import sys


def kind(key):
    k = key.lower()
    if k.endswith("_per_s") or "mbps" in k or "qps" in k or "recall" in k:
        return "rate"  # higher is better
    if k.endswith("_bytes") and "rss" in k:
        return "mem"  # lower is better
    if k.endswith("_s") or k.endswith("_ms") or "_s_" in k or k.endswith("_p50") or k.endswith("_p99"):
        return "time"  # lower is better
    return None




def med(v):
    if isinstance(v, dict):
        return v.get("median")
    return v


def fmt(v):
    if v is None:
        return "—"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float) and v < 1:
        return "%.6f" % v
    if isinstance(v, (int, float)) and v > 1e6:
        return "%.1f M" % (v / 1e6)
    if isinstance(v, float):
        return "%.3f" % v
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"))[:60]
    return str(v)


def flatten(d):
    """Nested result objects (W7's per-setting results) become dotted keys; Lancelet's `lancelet_`
    setting names align with the reference's `lance_` ones."""
    out = {}
    for key, v in d.items():
        if isinstance(v, dict) and "median" not in v:
            for sub, sv in flatten(v).items():
                out[key + "." + sub.replace("lancelet_", "lance_")] = sv
        else:
            out[key] = v
    return out


def order(key):
    m = re.match(r"W(\d+)", key)
    return (int(m.group(1)) if m else 99, key)


def main():
    ref = flatten(json.load(open(sys.argv[1])))
    ours = flatten(json.load(open(sys.argv[2])))
    keys = sorted({k for k in list(ref) + list(ours) if k != "meta"}, key=order)
    print("| item | pylance 14.0.2 | Lancelet | ratio |")
    print("|---|---:|---:|---:|")
    for key in keys:
        r, o = med(ref.get(key)), med(ours.get(key))
        if r is None and o is None:
            continue
        ratio = "—"
        kd = kind(key)
        if kd and isinstance(r, (int, float)) and isinstance(o, (int, float)) and r > 0 and o > 0:
            ratio = "%.2f" % ((o / r) if kd == "rate" else (r / o))
        print("| %s | %s | %s | %s |" % (key, fmt(r), fmt(o), ratio))


if __name__ == "__main__":
    main()
