"""Helpers shared by the benchmark files (data, machine description, versions)."""

from __future__ import annotations

import functools
import importlib.metadata
import os
import platform
import sys

import numpy as np

LIBRARIES = ("mpcore", "stumpy", "pyscamp")
SEED = 20261124


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_string() -> str:
    return f"{cpu_model()}, {os.cpu_count()} logical CPUs, {platform.platform()}"


def lib_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        mod = sys.modules.get(name)
        return str(getattr(mod, "__version__", "unknown"))


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def random_walk(n: int, seed: int = SEED) -> np.ndarray:
    """Random walk, float64, fixed seed (read-only: shared between cases)."""
    T = np.random.default_rng(seed).standard_normal(n).cumsum()
    T.setflags(write=False)
    return T
