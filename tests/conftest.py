from fnmatch import fnmatch

import numpy as np
import pytest

import mpcore


def random_walk(n, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.standard_normal(n)).astype(dtype)


@pytest.fixture(params=mpcore._config.kernel_names())
def kernel(request):
    """Run a test once for every band kernel this CPU has (avx512, avx2, baseline)."""
    mpcore._config.set_kernel(request.param)
    yield request.param
    mpcore._config.set_kernel(None)


# Slow tests marked here by node id, so their modules stay untouched; the default run deselects
# them (pyproject.toml: -m 'not slow'), `pytest -m slow` and .ci/run run them.
SLOW = {
    "test_vs_stumpy.py::*": "STUMPY compiles each function with numba on first call (20-80 s)",
    "test_stump.py::test_self_join_every_kernel[*-1200-100]": "a long-double reference per kernel",
    "test_anytime.py::test_scrump_every_kernel_matches_brute_force[*-False-3.0-*]":
        "p = 3 takes pow() per cell in scalar code, on every kernel (2 s each)",
    "test_anytime.py::test_scrump_every_kernel_matches_brute_force[*-False-1.0-*]":
        "p = 1 on every kernel (1.2 s each; test_outliers' scraamp spikes cover it by default)",
    "test_seeds.py::test_seeds_are_lower_bounds_self_join[False-3.0]": "pow() per term (1.5 s)",
}


@pytest.hookimpl(tryfirst=True)  # before -m deselects anything
def pytest_collection_modifyitems(config, items):
    for item in items:
        nodeid = item.nodeid.rsplit("/", 1)[-1]
        if any(fnmatch(nodeid, pattern.replace("[", "[[]")) for pattern in SLOW):  # [ is literal
            item.add_marker(pytest.mark.slow)
