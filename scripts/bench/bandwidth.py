#!/usr/bin/env python3
"""Memory-bandwidth anchors for exact vector search (BENCHMARKS.md, W7 exact search): the time to read
100,000 x 768 float32 (307 MB) in memory with OpenBLAS `a @ q` on every core, and to copy it (numpy
`copyto`). Run with the venv's Python: .venv/bin/python scripts/bench/bandwidth.py"""
import time

import numpy as np

a = np.random.rand(100000, 768).astype(np.float32)
q = np.random.rand(768).astype(np.float32)
b = np.empty_like(a)
for name, f in [("gemv a@q (BLAS, all cores)", lambda: a @ q), ("copy", lambda: np.copyto(b, a))]:
    ts = []
    for _ in range(9):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    ts.sort()
    print("%s: min %.1f ms, median %.1f ms -> %.1f GB/s read" % (name, ts[0] * 1e3, ts[4] * 1e3, a.nbytes / ts[0] / 1e9))
