"""CPU comparison benchmarks: mpcore vs STUMPY vs pyscamp (SCAMP).

Run (all cases, takes ~10+ minutes on 2 cores, dominated by STUMPY at n = 2**18):
    python -m pytest benchmarks --benchmark-only --benchmark-json=bench.json
Quick subset (n <= 2**14):
    python -m pytest benchmarks --benchmark-only -m quick
Without the n >= 2**17 cases:
    python -m pytest benchmarks --benchmark-only -m "not big"
One library / one kind:
    python -m pytest benchmarks --benchmark-only -k "mpcore and self"

Each case is a pytest-benchmark group ``{kind}-n{n}-m{m}-k{k}`` holding one
benchmark per library, so pytest-benchmark's table shows them side by side.
STUMPY (and every other library) is warmed up with one small call of the same
kind outside the timing, so numba's JIT compilation is not counted.
"""

from __future__ import annotations

import functools
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import SEED, machine_string, random_walk  # noqa: E402

# --------------------------------------------------------------------------
# cases: (kind, n, m, k); kind in {"self", "ab", "aamp", "topk"}
#   self: z-normalized self-join   ab: z-normalized AB-join (n_A = n_B = n)
#   aamp: non-normalized self-join topk: z-normalized self-join with k = 3
#   aamp_p3: non-normalized self-join with p = 3 (a general p: a power per term)
# --------------------------------------------------------------------------
QUICK_MAX_N = 2**14
BIG_MIN_N = 2**17

CASES = [("self", 2**e, 100, 1) for e in range(12, 19)]
CASES += [("self", n, 50, 1) for n in (2**14, 2**16)]
CASES += [("self", n, 1000, 1) for n in (2**14, 2**16)]
CASES += [("ab", n, 100, 1) for n in (2**14, 2**16)]
CASES += [("aamp", n, 100, 1) for n in (2**14, 2**16)]
CASES += [("aamp_p3", 2**14, 100, 1)]
CASES += [("topk", n, 100, 3) for n in (2**14, 2**16)]


def _param(case):
    kind, n, m, k = case
    marks = []
    if n <= QUICK_MAX_N:
        marks.append(pytest.mark.quick)
    if n >= BIG_MIN_N:
        marks.append(pytest.mark.big)
    return pytest.param(*case, marks=marks, id=f"{kind}-n{n}-m{m}-k{k}")


def default_rounds(n: int) -> int:
    """Timed rounds per case: 1-3 for n >= 2**16 so the big sizes stay affordable."""
    if n <= 2**13:
        return 7
    if n <= 2**15:
        return 5
    if n <= 2**16:
        return 3
    if n <= 2**17:
        return 2
    return 1


def cells(kind: str, n: int, m: int) -> tuple[int, float]:
    l = n - m + 1
    if kind == "ab":
        return l, float(l) * float(l)  # l_A * l_B
    return l, float(l) * float(l) / 2.0  # self-join: about l*l/2 window pairs


# --------------------------------------------------------------------------
# correctness: STUMPY is the reference at n <= REF_MAX_N (computed once)
# --------------------------------------------------------------------------
REF_MAX_N = 2**14


def inputs(kind, n):
    T_A = np.array(random_walk(n, SEED))
    T_B = np.array(random_walk(n, SEED + 7)) if kind == "ab" else None
    return T_A, T_B


@functools.lru_cache(maxsize=None)
def reference(kind, n, m, k):
    stumpy = pytest.importorskip("stumpy")
    T_A, T_B = inputs(kind, n)
    if kind == "self":
        out = stumpy.stump(T_A, m)
    elif kind == "ab":
        out = stumpy.stump(T_A, m, T_B, ignore_trivial=False)
    elif kind == "aamp":
        out = stumpy.aamp(T_A, m)
    elif kind == "aamp_p3":
        out = stumpy.aamp(T_A, m, p=3.0)
    else:
        out = stumpy.stump(T_A, m, k=k)
    return out[:, :k].astype(np.float64), out[:, k : 2 * k].astype(np.int64)


def check(impl, kind, n, m, k, P, I):
    l = n - m + 1
    assert P.shape == (l, k) and I.shape == (l, k)
    assert np.isfinite(P).all()
    assert ((I >= 0) & (I < l)).all()  # AB-join: n_B = n_A, so l_B = l
    if impl.name == "stumpy" or n > REF_MAX_N:
        return
    P_ref, I_ref = reference(kind, n, m, k)
    if impl.name == "pyscamp":
        # float32 output (~1e-6 abs error), and SCAMP's self-join exclusion zone is one
        # diagonal narrower than STUMPY's (it admits |i - j| == ceil(m/4)), so its profile
        # can only be lower, and differs on a few rows.
        atol = 1e-4
        assert (P <= P_ref + atol).all()
        assert (np.abs(P - P_ref) <= atol).mean() > 0.99
    else:
        np.testing.assert_allclose(P, P_ref, rtol=0, atol=1e-6)
    # indices may legitimately differ on (near-)ties
    assert (I == I_ref).mean() > 0.98


# --------------------------------------------------------------------------
# the benchmark
# --------------------------------------------------------------------------
@pytest.mark.parametrize("kind,n,m,k", [_param(c) for c in CASES])
def test_cpu(benchmark, impl, kind, n, m, k, bench_rounds):
    if kind not in impl.supports:
        pytest.skip(f"{impl.name} has no {kind} (k={k})")
    T_A, T_B = inputs(kind, n)
    l, n_cells = cells(kind, n, m)

    impl.warm_up(kind, k)  # JIT / first-call costs, outside the timing

    rounds = bench_rounds or default_rounds(n)
    benchmark.group = f"{kind}-n{n}-m{m}-k{k}"
    benchmark.extra_info.update(
        kind=kind,
        n=n,
        m=m,
        k=k,
        l=l,
        cells=n_cells,
        threads=impl.threads,
        library=impl.name,
        library_version=impl.version,
        machine=machine_string(),
    )
    P, I = benchmark.pedantic(
        impl.call,
        args=(kind, T_A, m, T_B, k),
        rounds=rounds,
        iterations=1,
        warmup_rounds=0,
    )
    stats = getattr(benchmark, "stats", None)
    if stats is not None:  # None under --benchmark-disable
        median = stats.stats.median
        benchmark.extra_info["median_s"] = median
        benchmark.extra_info["cells_per_s"] = n_cells / median if median > 0 else None
    check(impl, kind, n, m, k, P, I)
