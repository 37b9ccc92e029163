"""Two Python threads each calling stump(n_threads=1) versus the same two calls in a row.

Usage: python benchmarks/threads_scaling.py [--n 32768] [--m 100] [--repeats 5]
Prints the median times and the speed-up (ideal: 2.0 on 2 free cores); run it under each
interpreter to compare (e.g. CPython 3.11 and a free-threaded 3.13t).
"""
import argparse
import platform
import statistics
import sys
import sysconfig
import threading
import time

import numpy as np

import mpcore


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2**15)
    ap.add_argument("--m", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    series = [np.cumsum(rng.standard_normal(args.n)) for _ in range(2)]
    call = lambda T: mpcore.stump(T, args.m, n_threads=1)  # noqa: E731
    call(series[0][:2000])
    serial, threaded = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        for T in series:
            call(T)
        serial.append(time.perf_counter() - t0)
        workers = [threading.Thread(target=call, args=(T,)) for T in series]
        t0 = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        threaded.append(time.perf_counter() - t0)
    s, t = statistics.median(serial), statistics.median(threaded)
    ft = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    gil = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True
    print(f"python {platform.python_version()}{'t' if ft else ''} (GIL {'on' if gil else 'off'}), "
          f"n={args.n}, m={args.m}, {args.repeats} repeats, kernel "
          f"{mpcore.show_config(False)['cpu_kernel_in_use']}")
    print(f"two calls in a row: {s:.3f} s; two threads at once: {t:.3f} s; speed-up {s / t:.2f}x")


if __name__ == "__main__":
    main()
