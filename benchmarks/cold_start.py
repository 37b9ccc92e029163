#!/usr/bin/env python
"""Cold start: ``import lib`` + the first ``stump`` call, each in a fresh process.

    python benchmarks/cold_start.py [--repeats 3] [--n 10000] [--m 100] [--threads 2]
                                    [--libs mpcore stumpy pyscamp] [--stumpy-cached]

For every library and repeat, a new Python process is started. Inside it the
input (random walk, fixed seed) is made with numpy first; then the timer runs
over ``import lib`` and the first z-normalized self-join on it. Reported per run:

* import_s   - ``import lib``
* first_s    - the first call (for STUMPY: mostly numba JIT compilation)
* total_s    - import_s + first_s (the headline number)
* process_s  - wall time of the whole child process, interpreter start included
* peak_rss   - the child's peak resident set size (``ru_maxrss`` of that child,
               from ``os.wait4``; includes Python + numpy, see the ``baseline`` row)

STUMPY: its njit functions are not compiled with ``cache=True``, so a new
process never reads numba's on-disk cache unless ``stumpy.cache`` (a private,
opt-in API) enabled it in that process. To be sure no cache is read, every
STUMPY run gets ``NUMBA_CACHE_DIR`` pointed at a new empty temporary directory.
``--stumpy-cached`` adds a row "stumpy+cache": a throw-away process first fills
a temporary cache dir (``stumpy.cache._enable()`` + a call), then the timed
processes enable the cache and load from it - the best case a user can get.

Medians over the repeats and a markdown table are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SEED = 20261124

CHILD = r"""
import json, sys, time, resource
import numpy as np
lib, n, m, threads, enable_cache = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
T = np.random.default_rng(%(seed)d).standard_normal(n).cumsum()
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
if lib == "mpcore":
    import mpcore
    t1 = time.perf_counter()
    out = mpcore.stump(T, m, n_threads=threads)
    P = out[:, 0]
elif lib == "stumpy":
    import stumpy
    if enable_cache:
        import stumpy.cache
        stumpy.cache._enable()
    t1 = time.perf_counter()
    out = stumpy.stump(T, m)
    P = out[:, 0]
elif lib == "pyscamp":
    import pyscamp
    t1 = time.perf_counter()
    P, I = pyscamp.selfjoin(T, m, threads=threads)
elif lib == "baseline":
    t1 = time.perf_counter()
    P = np.zeros(1)
else:
    raise SystemExit("unknown lib " + lib)
t2 = time.perf_counter()
assert np.isfinite(np.asarray(P, dtype=float)).all()
print(json.dumps({"import_s": t1 - t0, "first_s": t2 - t1, "rss_before_kib": rss_before}))
""" % {"seed": SEED}


def run_child(lib, n, m, threads, env, enable_cache=False):
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, lib, str(n), str(m), str(threads), "1" if enable_cache else "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    # os.wait4 gives this child's own rusage (RUSAGE_CHILDREN would be a max over all children).
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{lib} child failed ({proc.returncode}):\n{err.strip()[-2000:]}")
    res = json.loads(out.strip().splitlines()[-1])
    res["process_s"] = wall
    res["total_s"] = res["import_s"] + res["first_s"]
    # Linux: ru_maxrss in KiB
    res["peak_rss_mib"] = ru.ru_maxrss / 1024.0
    return res


def available(lib):
    if lib == "baseline":
        return True
    r = subprocess.run([sys.executable, "-c", f"import {lib}"], capture_output=True)
    return r.returncode == 0


def version(lib):
    if lib == "baseline":
        import numpy

        return f"python {platform.python_version()}, numpy {numpy.__version__}"
    import importlib.metadata

    try:
        return importlib.metadata.version(lib)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--libs", nargs="+", default=["baseline", "mpcore", "stumpy", "pyscamp"])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--m", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--stumpy-cached", action="store_true", help="also measure STUMPY with a warm numba cache")
    ap.add_argument("--json", help="also write all raw runs here")
    args = ap.parse_args(argv)

    base_env = dict(os.environ)
    base_env["NUMBA_NUM_THREADS"] = str(args.threads)  # STUMPY's thread count
    base_env.pop("NUMBA_CACHE_DIR", None)

    plan = []
    for lib in args.libs:
        if not available(lib):
            print(f"# {lib}: not importable, skipped", file=sys.stderr)
            continue
        plan.append((lib, lib, False))
        if lib == "stumpy" and args.stumpy_cached:
            plan.append(("stumpy+cache", "stumpy", True))

    results = {label: [] for label, _, _ in plan}
    cache_dirs = {}
    try:
        # fill the STUMPY cache once (untimed) for the "stumpy+cache" row
        for label, lib, cached in plan:
            if cached:
                d = tempfile.mkdtemp(prefix="mpcore-bench-numba-cache-")
                cache_dirs[label] = d
                env = dict(base_env, NUMBA_CACHE_DIR=d)
                run_child(lib, args.n, args.m, args.threads, env, enable_cache=True)
        # interleave libraries across repeats so machine drift hits all of them alike
        for rep in range(args.repeats):
            for label, lib, cached in plan:
                env = dict(base_env)
                tmp = None
                if lib == "stumpy":
                    if cached:
                        env["NUMBA_CACHE_DIR"] = cache_dirs[label]
                    else:
                        tmp = tempfile.mkdtemp(prefix="mpcore-bench-numba-empty-")
                        env["NUMBA_CACHE_DIR"] = tmp  # empty: nothing can be loaded
                try:
                    r = run_child(lib, args.n, args.m, args.threads, env, enable_cache=cached)
                finally:
                    if tmp:
                        shutil.rmtree(tmp, ignore_errors=True)
                results[label].append(r)
                print(
                    f"# run {rep + 1}/{args.repeats} {label:13s} import {r['import_s']:7.3f} s  "
                    f"first call {r['first_s']:7.3f} s  process {r['process_s']:7.3f} s  "
                    f"peak RSS {r['peak_rss_mib']:7.1f} MiB",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        for d in cache_dirs.values():
            shutil.rmtree(d, ignore_errors=True)

    med = statistics.median
    print(
        f"Cold start: fresh process, `import` + first `stump` (self-join, z-normalized) on a random walk, "
        f"n = {args.n}, m = {args.m}, {args.threads} threads; median of {args.repeats} runs.  "
    )
    print(f"Machine: {cpu_model()}, {os.cpu_count()} logical CPUs, {platform.platform()}, Python {platform.python_version()}.  ")
    print(f"Command: `python benchmarks/cold_start.py {' '.join(argv if argv is not None else sys.argv[1:])}`".rstrip() + "  ")
    print("STUMPY runs use an empty NUMBA_CACHE_DIR (STUMPY does not cache by default; its first call is JIT).")
    print()
    print("| library | version | import s | first call s | import + first call s | whole process s | peak RSS MiB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, lib, _ in plan:
        rs = results[label]
        print(
            f"| {label} | {version(lib)} | {med(r['import_s'] for r in rs):.3f} | {med(r['first_s'] for r in rs):.3f} | "
            f"{med(r['total_s'] for r in rs):.3f} | {med(r['process_s'] for r in rs):.3f} | "
            f"{med(r['peak_rss_mib'] for r in rs):.0f} |"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
