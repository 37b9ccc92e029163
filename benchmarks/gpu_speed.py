"""GPU speed: the kernel pass and the whole ``gpu_stump`` call, side by side.

Run on a machine with a CUDA GPU (``bash benchmarks/gpu_check.sh`` runs it with the rest):

    python benchmarks/gpu_speed.py [--sizes 16-21] [--m 100] [--k 1] [--stumpy-max 17]

For each n (a power of two) it prints the median time of the GPU pass alone (``run_gpu`` on a
prepared job: uploads, kernel, downloads) and of the whole call (validate, prepare, pass, merge,
exact refinement, result), as cells/second with cells = l * l / 2 for a self-join of l windows,
and the host share of the call split into its steps.  ``--stumpy-max E`` also times STUMPY's
``gpu_stump`` (numba-cuda) up to n = 2**E in a subprocess, after a warm-up call.

``--host-only SECONDS`` needs no GPU: the pass is replaced by a wait of that long (as the
host waits on the GPU) that gives each window a neighbour drawn at random on each side, past
its exclusion zone (a real profile's neighbours are as scattered: boxing them costs more than
boxing neighbours in order), and it prints the median host side of ``gpu_stump`` (the call's
time less the wait), what the host adds to a pass.  Both modes also time the host's steps
alone (``host_stages``: preparation, seeds, the near-flat rule, the series' facts, the exact
distances, the object table).  ``--ranges 1,4,8`` times the call with a self-join's pass in
that many ranges of rows (``_gpu_api.ROW_RANGES``: the host refines each range while the GPU
runs the next); with ``--host-only`` each range waits its share of the wait, by cells.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def _median_time(fn, reps):
    """Median wall time of ``fn()``.  Its result is dropped after the clock stops: a caller
    holds what a call returns, and dropping a profile of 2**20 windows (4M Python objects in
    STUMPY's object table) costs about 0.03 s that no call pays."""
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
        del out
    return float(np.median(ts))


def mpcore_rows(sizes, m, k, reps, pass_only=False, normalize=True, ranges=()):
    import mpcore
    from mpcore import _gpu_api, _pipeline, _prepare

    call = mpcore.gpu_stump if normalize else mpcore.gpu_aamp
    what = "" if normalize else " aamp"

    mpcore.gpu_stump(np.cumsum(np.random.default_rng(0).standard_normal(4 * m)), m)  # context
    rows = []
    for e in sizes:
        n = 2**e
        T = np.cumsum(np.random.default_rng(e).standard_normal(n))
        l = n - m + 1
        cells = l * l / 2
        r = reps if e <= 19 else max(2, reps // 2)
        t_prep = _median_time(lambda: _prepare.prepare_job(T, m, None, True, normalize, 2.0,
                                                           k, None, None), r)
        job = _prepare.prepare_job(T, m, None, True, normalize, 2.0, k, None, None)
        t_pass = _median_time(lambda: _gpu_api.run_gpu(job, [0]), r)
        if pass_only:
            rows.append(dict(n=n, m=m, k=k, cells=cells, pass_s=t_pass,
                             pass_cells_per_s=cells / t_pass))
            print(f"mpcore{what} n=2^{e} m={m} k={k}: pass {t_pass:.4f} s "
                  f"({cells / t_pass:.3e} cells/s)", flush=True)
            continue
        tables = _pipeline.merge(job, _gpu_api.run_gpu(job, [0]))
        t_fin = _median_time(lambda: _pipeline.finalize(job, _copy(tables)), r)
        t_call = _median_time(lambda: call(T, m, k=k), r)
        by_ranges = {}
        for nr in ranges:  # the pass in ranges of rows, each refined while the next runs
            default, _gpu_api.ROW_RANGES = _gpu_api.ROW_RANGES, nr
            by_ranges[str(nr)] = _median_time(lambda: call(T, m, k=k), r)
            _gpu_api.ROW_RANGES = default
        if by_ranges:
            print(f"mpcore{what} n=2^{e} call by ranges of rows: " + ", ".join(
                f"{nr}: {t:.4f} s ({cells / t:.3e} cells/s)" for nr, t in by_ranges.items()),
                flush=True)
        stages = host_stages(T, m, k, lambda j: _pipeline.merge(j, _gpu_api.run_gpu(j, [0])),
                             r, normalize) if normalize else {}
        rows.append(dict(n=n, m=m, k=k, cells=cells, pass_s=t_pass, call_s=t_call,
                         prepare_s=t_prep, finalize_s=t_fin, call_by_ranges_s=by_ranges,
                         pass_cells_per_s=cells / t_pass, call_cells_per_s=cells / t_call,
                         **{f"{x}_s": t for x, t in stages.items()}))
        print(f"mpcore{what} n=2^{e} m={m} k={k}: pass {t_pass:.4f} s "
              f"({cells / t_pass:.3e} cells/s), call {t_call:.4f} s ({cells / t_call:.3e}); "
              f"prepare {t_prep:.4f} s, finalize {t_fin:.4f} s", flush=True)
        if stages:
            print(_stages_line(e, stages), flush=True)
    return rows


def host_stages(T, m, k, tables_of, reps, normalize=True):
    """The host's steps of one call, each timed alone (medians, seconds): ``prepare`` (validate,
    window statistics, twins; no seeds), ``seeds`` (the first band's pass on the CPU),
    ``untracked`` (the GPU's near-flat rule), ``facts`` (series_facts: the windows' exact
    statistics and classes, which the call runs beside the pass), ``select`` (the exact
    distances of the candidates) and ``box`` (STUMPY's object table).  ``tables_of(job)``
    gives the merged tables a pass would (the GPU's, or drawn neighbours)."""
    from mpcore import _pipeline, _prepare
    from mpcore._mparray import mparray

    out = {}
    out["prepare"] = _median_time(lambda: _prepare.prepare_job(T, m, None, True, normalize, 2.0,
                                                               k, None, None, seeds=False), reps)
    job = _prepare.prepare_job(T, m, None, True, normalize, 2.0, k, None, None)
    out["seeds"] = _median_time(lambda: _prepare.start_thresholds(job), reps)
    out["untracked"] = _median_time(lambda: _prepare.untracked(job), reps)
    out["facts"] = _median_time(lambda: _pipeline.series_facts(job, None, {}), reps)
    cache = _pipeline.series_facts(job, None, {})
    tables = tables_of(job)
    X, l = job.series[0], job.series[0].l
    stats = cache["stats"]
    cand = np.concatenate([t.I.reshape(l, k) for t in tables[:2]], axis=1)
    I, D = np.empty((l, k), dtype=np.int64), np.empty((l, k))
    left, right = np.empty(l, dtype=np.int64), np.empty(l, dtype=np.int64)

    def select():
        _pipeline._select(job, X, X, cand.copy(), np.empty(cand.shape), 0, l, None,
                          (stats[0], stats[0]), I, D, left, right)

    out["select"] = _median_time(select, reps)
    out["box"] = _median_time(lambda: mparray._from_columns(D, I, left, right, m, k, 4), reps)
    return out


def _stages_line(e, st):
    return (f"host steps n=2^{e}: " + ", ".join(f"{name} {t:.4f}" for name, t in st.items())
            + " s")


def host_rows(sizes, m, k, reps, wait, ranges=(1,)):
    """The host side of gpu_stump without a GPU: each pass (``_gpu.run_pass``) replaced by a
    wait, its share of ``wait`` by cells, that fills the tables with drawn neighbours."""
    import mpcore
    from mpcore import _gpu, _gpu_api

    drawn = {}
    total = {"cells": 1.0}  # the whole pass's, l * l / 2

    def fake_pass(device, mode, m, p, lX, X_T, X_mu, X_df, X_dg, X_w, lY, Y_T, Y_mu, Y_df,
                  Y_dg, Y_w, d_start, d_stop, row_score=None, row_idx=None, col_score=None,
                  col_idx=None, k=1, **hints):
        """A self-join's rows [0, lX) of columns [0, lY) (a range's, whose indices are local):
        each row a neighbour drawn at random past d_start on each side, as scattered as a real
        profile's (boxing them costs more than boxing neighbours in order), drawn once per
        shape, outside the timed calls."""
        key = (lX, lY, d_start, k)
        if key not in drawn:
            rng = np.random.default_rng(lY)
            r, c = np.arange(lX), np.arange(lY)
            right = np.where(r + d_start < lY,
                             r + d_start + (rng.random(lX) * (lY - r - d_start)).astype(np.int64),
                             -1)
            top = np.minimum(c - d_start + 1, lX)  # rows r <= c - d_start, r < lX
            left = np.where(top > 0, (rng.random(lY) * top).astype(np.int64), -1)
            drawn[key] = (right, left)
        right, left = drawn[key]
        row_idx.reshape(lX, k)[:, 0] = right
        row_score.reshape(lX, k)[:, 0] = np.where(right >= 0, 0.5, -np.inf)
        col_idx.reshape(lY, k)[:, 0] = left
        col_score.reshape(lY, k)[:, 0] = np.where(left >= 0, 0.5, -np.inf)
        cells = np.minimum(lX, lY - np.arange(d_start, min(d_stop, lY))).clip(0).sum()
        time.sleep(wait * cells / total["cells"])

    _gpu_api.gpu_available = lambda: True
    _gpu.device_count = lambda: 1
    _gpu.run_pass = fake_pass
    rows = []
    for e in sizes:
        T = np.cumsum(np.random.default_rng(e).standard_normal(2**e))
        total["cells"] = (2**e - m + 1) ** 2 / 2
        host = {}
        for nr in ranges:
            _gpu_api.ROW_RANGES = nr
            mpcore.gpu_stump(T, m, k=k)  # (draws the neighbours)
            host[nr] = _median_time(lambda: mpcore.gpu_stump(T, m, k=k), reps) - wait
        stages = host_stages(T, m, k, lambda job: _drawn_tables(job, fake_pass), reps)
        rows.append(dict(n=2**e, m=m, k=k, host_s=host[ranges[0]],
                         host_by_ranges_s={str(nr): t for nr, t in host.items()},
                         **{f"{x}_s": t for x, t in stages.items()}))
        print(f"mpcore n=2^{e} m={m} k={k}: host side " +
              ", ".join(f"{t:.4f} s in {nr} range{'s' * (nr > 1)}" for nr, t in host.items()) +
              f" (the pass replaced by a {wait} s wait)", flush=True)
        print(_stages_line(e, stages), flush=True)
    return rows


def _drawn_tables(job, fake_pass):
    """New tables holding a self-join's drawn neighbours (``fake_pass``'s) as their best."""
    tables = job.new_tables()
    l = job.series[0].l
    fake_pass(0, 0, job.m, 2.0, l, None, None, None, None, None, l, None, None, None, None,
              None, job.excl_zone + 1, l, tables[0].P, tables[0].I, tables[1].P, tables[1].I,
              job.k)
    return tables


def _copy(tables):
    from mpcore._prepare import Table

    out = []
    for t in tables:
        c = Table(t.l, t.k)
        c.P[:] = t.P
        c.I[:] = t.I
        c.thr[:] = t.thr
        out.append(c)
    return out


STUMPY_CODE = """
import json, sys, time
import numpy as np
import stumpy
m, e = int(sys.argv[1]), int(sys.argv[2])
stumpy.gpu_stump(np.cumsum(np.random.default_rng(0).standard_normal(4 * m)), m)  # JIT, context
T = np.cumsum(np.random.default_rng(e).standard_normal(2**e))
t0 = time.perf_counter()
out = stumpy.gpu_stump(T, m)
print(json.dumps(time.perf_counter() - t0))  # (out dropped after the clock, as for mpcore)
"""


def stumpy_rows(sizes, m, env_path):
    rows = []
    env = dict(os.environ)
    if env_path:
        env["PYTHONPATH"] = env_path
    for e in sizes:
        out = subprocess.run([sys.executable, "-c", STUMPY_CODE, str(m), str(e)], env=env,
                             capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            print(f"STUMPY gpu_stump n=2^{e}: failed: {out.stderr.strip().splitlines()[-1:]}")
            break
        t = json.loads(out.stdout.strip().splitlines()[-1])
        l = 2**e - m + 1
        rows.append(dict(n=2**e, m=m, stumpy_s=t, stumpy_cells_per_s=l * l / 2 / t))
        print(f"STUMPY gpu_stump n=2^{e} m={m}: {t:.3f} s ({l * l / 2 / t:.3e} cells/s)",
              flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="16-21", help="exponents, e.g. 16-21")
    ap.add_argument("--m", type=int, default=100)
    ap.add_argument("--k", type=int, default=1)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--stumpy-max", type=int, default=0)
    ap.add_argument("--stumpy-path", default="", help="PYTHONPATH for the STUMPY subprocess")
    ap.add_argument("--json", default="")
    ap.add_argument("--pass-only", action="store_true", help="time the pass alone")
    ap.add_argument("--aamp", action="store_true", help="gpu_aamp (p = 2) instead of gpu_stump")
    ap.add_argument("--host-only", type=float, default=0.0, metavar="SECONDS",
                    help="no GPU: time the host side, the pass replaced by a wait")
    ap.add_argument("--ranges", default="",
                    help="time the call with a self-join's pass in these numbers of ranges of "
                         "rows (_gpu_api.ROW_RANGES), e.g. 1,4,8")
    a = ap.parse_args()
    lo, hi = (int(x) for x in a.sizes.split("-"))
    sizes = list(range(lo, hi + 1))
    ranges = tuple(int(x) for x in a.ranges.split(",")) if a.ranges else ()
    if a.host_only:
        rows = host_rows(sizes, a.m, a.k, a.reps, a.host_only, ranges or (1,))
        if a.json:
            with open(a.json, "w") as f:
                json.dump(dict(host=rows), f, indent=1)
        return
    rows = mpcore_rows(sizes, a.m, a.k, a.reps, a.pass_only, not a.aamp, ranges)
    if a.pass_only:
        return
    srows = stumpy_rows([e for e in sizes if e <= a.stumpy_max], a.m, a.stumpy_path)
    print("\n| n | pass s | pass cells/s | call s | call cells/s | call/pass | STUMPY s | x STUMPY |")
    print("|---|---|---|---|---|---|---|---|")
    st = {r["n"]: r["stumpy_s"] for r in srows}
    for r in rows:
        s = st.get(r["n"])
        st_s = "" if s is None else f"{s:.3f}"
        st_x = "" if s is None else f"{s / r['call_s']:.0f}x"
        e = r["n"].bit_length() - 1
        print(f"| 2^{e} | {r['pass_s']:.4f} | {r['pass_cells_per_s']:.3e} | {r['call_s']:.4f} | "
              f"{r['call_cells_per_s']:.3e} | {r['pass_s'] / r['call_s']:.2f} | {st_s} | {st_x} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(mpcore=rows, stumpy=srows), f, indent=1)


if __name__ == "__main__":
    main()
