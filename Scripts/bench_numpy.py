#!/usr/bin/env python3
"""Times numpy (OpenBLAS) on the shapes of `lens bench kernels`, so the ratio is measured side
by side on the same machine in the same run.

Usage: python3 Scripts/bench_numpy.py [--threads N] [--quick]
Prints one JSON object: {"threads": N, "gemm": {"MxKxN": gflops, ...}, "exp_ns": ..., "softmax_ns": ...}.
The thread count must be fixed before numpy loads OpenBLAS, so the script sets the environment
and re-executes itself when asked for a different count.
"""
import json
import os
import sys
import time

SHAPES = [(1024, 1024, 1024), (128, 768, 3072), (1024, 768, 3072), (128, 64, 128), (32, 768, 768), (1, 768, 3072)]
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def best_time(fn, min_runs=5, min_seconds=0.3):
    fn()
    best, runs, start = float("inf"), 0, time.perf_counter()
    while runs < min_runs or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        runs += 1
    return best


def main():
    args = sys.argv[1:]
    threads = int(args[args.index("--threads") + 1]) if "--threads" in args else 1
    quick = "--quick" in args
    if os.environ.get("OPENBLAS_NUM_THREADS") != str(threads):
        env = dict(os.environ, **{v: str(threads) for v in THREAD_VARS})
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    import numpy as np

    secs = 0.05 if quick else 0.4
    rng = np.random.default_rng(0)
    result = {"threads": threads, "numpy": np.__version__, "gemm": {}}
    for m, k, n in SHAPES:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        c = np.empty((m, n), dtype=np.float32)
        t = best_time(lambda: np.matmul(a, b, out=c), min_seconds=secs)
        result["gemm"][f"{m}x{k}x{n}"] = 2 * m * n * k / t / 1e9
    x = (rng.random(1024 * 1024, dtype=np.float32) * 2 - 1) * 20
    y = np.empty_like(x)
    result["exp_ns"] = best_time(lambda: np.exp(x, out=y), min_seconds=secs) / x.size * 1e9
    s = rng.standard_normal((1024, 1024), dtype=np.float32) * 5
    out = np.empty_like(s)
    mx = np.empty((1024, 1), dtype=np.float32)
    tot = np.empty((1024, 1), dtype=np.float32)

    def softmax():
        np.max(s, axis=1, keepdims=True, out=mx)
        np.subtract(s, mx, out=out)
        np.exp(out, out=out)
        np.sum(out, axis=1, keepdims=True, out=tot)
        np.divide(out, tot, out=out)

    result["softmax_ns"] = best_time(softmax, min_seconds=secs) / s.size * 1e9
    print(json.dumps(result))


if __name__ == "__main__":
    main()
