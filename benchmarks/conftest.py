"""Shared fixtures for the mpcore CPU comparison benchmarks.

Each library is wrapped in a small adapter (``Impl``) exposing the same four
operations (z-normalized self-join, AB-join, non-normalized self-join, top-k
self-join). A library that is not importable is skipped, never required:
mpcore while it is not built, pyscamp when it is not installed
(``FORCE_NO_CUDA=1 pip install pyscamp``).

Options (see benchmarks/README.md):
  --bench-threads N   threads for every library (default 2)
  --bench-rounds N    override the per-size round counts
"""

from __future__ import annotations

import importlib
import os
import platform
import sys

import numpy as np
import pytest

# Make the sibling helper module importable whatever pytest's --import-mode is.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import LIBRARIES, SEED, cpu_model, lib_version, random_walk  # noqa: E402

# --------------------------------------------------------------------------
# command line options, markers, run metadata
# --------------------------------------------------------------------------
def pytest_addoption(parser):
    group = parser.getgroup("mpcore-bench")
    group.addoption(
        "--bench-threads",
        type=int,
        default=int(os.environ.get("MPCORE_BENCH_THREADS", "2")),
        help="threads for mpcore (n_threads), pyscamp (threads) and STUMPY "
        "(numba.set_num_threads). Default 2.",
    )
    group.addoption(
        "--bench-rounds",
        type=int,
        default=None,
        help="override the number of timed rounds for every case",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "quick: small cases (n <= 2**14), a smoke subset")
    config.addinivalue_line("markers", "big: n >= 2**17 (slow for STUMPY: ~20-90 s a round)")


def pytest_benchmark_update_machine_info(config, machine_info):
    machine_info["cpu_model"] = cpu_model()
    machine_info["logical_cpus"] = os.cpu_count()
    machine_info["bench_threads"] = config.getoption("--bench-threads")
    versions = {"numpy": np.__version__, "python": platform.python_version()}
    for name in LIBRARIES + ("numba",):
        try:
            importlib.import_module(name)
            versions[name] = lib_version(name)
        except Exception:  # not installed / not built
            versions[name] = None
    machine_info["library_versions"] = versions


def pytest_benchmark_update_json(config, benchmarks, output_json):
    # The exact command line, so table.py can print it in the header.
    output_json["command"] = " ".join(["python -m pytest"] + list(config.invocation_params.args))
    output_json["bench_threads"] = config.getoption("--bench-threads")


# --------------------------------------------------------------------------
# library adapters
# --------------------------------------------------------------------------
class Impl:
    """Uniform interface. Every method returns (P, I): profile (l, k) or (l,), indices."""

    name = ""
    supports = frozenset()

    def __init__(self, module, threads):
        self.mod = module
        self.threads = threads
        self.version = lib_version(self.name)
        self._warm = set()

    def call(self, kind, T_A, m, T_B=None, k=1):
        if kind not in self.supports:
            pytest.skip(f"{self.name} has no {kind}")
        return getattr(self, kind)(T_A, m, T_B, k)

    def warm_up(self, kind, k=1):
        """One small call of the same kind outside the timing (numba JIT, first-call costs)."""
        key = (kind, k)
        if key in self._warm or kind not in self.supports:
            return
        T = random_walk(1024, SEED + 1)
        T_B = random_walk(900, SEED + 2) if kind == "ab" else None
        getattr(self, kind)(np.array(T), 50, None if T_B is None else np.array(T_B), k)
        self._warm.add(key)


class MpcoreImpl(Impl):
    name = "mpcore"
    supports = frozenset({"self", "ab", "aamp", "aamp_p3", "topk"})

    def _split(self, out, k):
        out = np.asarray(out)
        return out[:, :k].astype(np.float64), out[:, k : 2 * k].astype(np.int64)

    def self(self, T, m, T_B, k):
        return self._split(self.mod.stump(T, m, n_threads=self.threads), 1)

    def ab(self, T_A, m, T_B, k):
        return self._split(
            self.mod.stump(T_A, m, T_B, ignore_trivial=False, n_threads=self.threads), 1
        )

    def aamp(self, T, m, T_B, k):
        return self._split(self.mod.aamp(T, m, n_threads=self.threads), 1)

    def aamp_p3(self, T, m, T_B, k):
        return self._split(self.mod.aamp(T, m, p=3.0, n_threads=self.threads), 1)

    def topk(self, T, m, T_B, k):
        return self._split(self.mod.stump(T, m, k=k, n_threads=self.threads), k)


class StumpyImpl(Impl):
    name = "stumpy"
    supports = frozenset({"self", "ab", "aamp", "aamp_p3", "topk"})

    def __init__(self, module, threads):
        super().__init__(module, threads)
        import numba

        # NUMBA_NUM_THREADS defaults to the core count; cap it to the requested count.
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        self.threads = numba.get_num_threads()

    def _split(self, out, k):
        return out[:, :k].astype(np.float64), out[:, k : 2 * k].astype(np.int64)

    def self(self, T, m, T_B, k):
        return self._split(self.mod.stump(T, m), 1)

    def ab(self, T_A, m, T_B, k):
        return self._split(self.mod.stump(T_A, m, T_B, ignore_trivial=False), 1)

    def aamp(self, T, m, T_B, k):
        return self._split(self.mod.aamp(T, m), 1)

    def aamp_p3(self, T, m, T_B, k):
        return self._split(self.mod.aamp(T, m, p=3.0), 1)

    def topk(self, T, m, T_B, k):
        return self._split(self.mod.stump(T, m, k=k), k)


class PyscampImpl(Impl):
    # pyscamp has no non-normalized join, and its KNN is GPU-only and approximate.
    name = "pyscamp"
    supports = frozenset({"self", "ab"})

    def self(self, T, m, T_B, k):
        P, I = self.mod.selfjoin(T, m, threads=self.threads)
        return P.astype(np.float64)[:, None], I.astype(np.int64)[:, None]

    def ab(self, T_A, m, T_B, k):
        P, I = self.mod.abjoin(T_A, T_B, m, threads=self.threads)
        return P.astype(np.float64)[:, None], I.astype(np.int64)[:, None]


_IMPLS = {"mpcore": MpcoreImpl, "stumpy": StumpyImpl, "pyscamp": PyscampImpl}
_CACHE: dict = {}


@pytest.fixture(scope="session")
def bench_threads(pytestconfig):
    return pytestconfig.getoption("--bench-threads")


@pytest.fixture(scope="session")
def bench_rounds(pytestconfig):
    return pytestconfig.getoption("--bench-rounds")


@pytest.fixture(params=LIBRARIES, scope="session")
def impl(request, bench_threads):
    name = request.param
    if name not in _CACHE:
        module = pytest.importorskip(name, reason=f"{name} is not importable")
        _CACHE[name] = _IMPLS[name](module, bench_threads)
    return _CACHE[name]
