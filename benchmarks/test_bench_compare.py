"""Comparing and summarizing series: mpcore vs STUMPY, side by side in one run.

    python -m pytest benchmarks/test_bench_compare.py --benchmark-only \\
        --benchmark-columns=median,min,rounds --benchmark-json=compare.json

Cases (random walks, fixed seeds): ``mpdist`` of two 2**12 series (m = 50), ``snippets`` of a
2**13 series (m = 64, k = 3), ``ostinato`` of 5 series of 2**12 (m = 50), and ``stimp`` of a
2**13 series over 20 window lengths (m = 10, 20, ..., 200; exact profiles: percentage=1.0,
pre_scrump=False; all 20 updates and the pan image timed).  Each case is a
pytest-benchmark group with one benchmark per library; both run on ``--bench-threads``
threads (default 2), and STUMPY is warmed up on a small input of the same kind first, so its
JIT compilation is not timed.  Every mpcore result is checked against STUMPY's.
"""
from __future__ import annotations

import functools
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import SEED, machine_string, random_walk  # noqa: E402

ROUNDS = 5


def _inputs(kind):
    if kind == "mpdist":
        return (np.array(random_walk(2**12, SEED)), np.array(random_walk(2**12, SEED + 7)), 50)
    if kind == "snippets":
        return (np.array(random_walk(2**13, SEED)), 64, 3)
    if kind == "ostinato":
        return ([np.array(random_walk(2**12, SEED + i)) for i in range(5)], 50)
    if kind == "stimp":
        return (np.array(random_walk(2**13, SEED)), 10, 200, 10)
    raise ValueError(kind)


def _stimp(module, T, min_m, max_m, step):
    """All 20 window lengths of a pan matrix profile, then its image."""
    pmp = module.stimp(T, min_m, max_m, step, percentage=1.0, pre_scrump=False)
    for _ in range(len(pmp.M_)):
        pmp.update()
    return pmp.M_, pmp.PAN_


def _small(kind):
    if kind == "mpdist":
        return (np.array(random_walk(300, 1)), np.array(random_walk(250, 2)), 20)
    if kind == "snippets":
        return (np.array(random_walk(400, 1)), 20, 2)
    if kind == "stimp":
        return (np.array(random_walk(300, 1)), 10, 30, 10)
    return ([np.array(random_walk(200, i)) for i in range(3)], 20)


def _same(kind, ours, theirs):
    if kind == "mpdist":
        np.testing.assert_allclose(ours, theirs, rtol=1e-7)
    elif kind == "stimp":
        np.testing.assert_array_equal(ours[0], theirs[0])
        # a binarized image: values on a percentile-rank edge may flip with last-digit changes
        assert (ours[1] == theirs[1]).mean() > 0.999
    elif kind == "snippets":
        np.testing.assert_array_equal(ours[1], theirs[1])  # the chosen snippets
        np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(ours[3], theirs[3])
    else:
        assert ours[0] == pytest.approx(theirs[0], rel=1e-7)
        assert tuple(ours[1:]) == tuple(theirs[1:])


@functools.lru_cache(maxsize=None)
def _stumpy_result(kind):
    stumpy = pytest.importorskip("stumpy")
    if kind == "stimp":
        return _stimp(stumpy, *_inputs(kind))
    return getattr(stumpy, kind)(*_inputs(kind))


@pytest.fixture(params=["mpcore", "stumpy"], scope="session")
def lib(request, bench_threads):
    module = pytest.importorskip(request.param)
    if request.param == "stumpy":
        import numba

        numba.set_num_threads(min(bench_threads, numba.config.NUMBA_NUM_THREADS))
    return request.param, module


@pytest.mark.parametrize("kind", ["mpdist", "snippets", "ostinato", "stimp"])
def test_compare(benchmark, lib, kind, bench_threads, bench_rounds):
    name, module = lib
    fn = functools.partial(_stimp, module) if kind == "stimp" else getattr(module, kind)
    fn(*_small(kind))  # warm-up: JIT compilation and first-call costs, not timed
    args = _inputs(kind)

    def call():
        if name == "mpcore":
            with module.threads(bench_threads):
                return fn(*args)
        return fn(*args)

    benchmark.group = f"{kind}-n{2**13 if kind in ('snippets', 'stimp') else 2**12}"
    benchmark.extra_info.update(kind=kind, library=name, threads=bench_threads,
                                machine=machine_string())
    out = benchmark.pedantic(call, rounds=bench_rounds or ROUNDS, iterations=1)
    if name == "mpcore":
        _same(kind, out, _stumpy_result(kind))
