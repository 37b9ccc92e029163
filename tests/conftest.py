import contextlib
import os
import platform
import warnings
from fnmatch import fnmatch

import numpy as np
import pytest

import mpcore


def random_walk(n, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.standard_normal(n)).astype(dtype)


# --- the CPU kernel variants ----------------------------------------------------------------
# Every band kernel a build can hold (src/mpcore/_kernels/dispatch.c): x86-64 builds compile
# avx512, avx2 and baseline and offer those the CPU runs; other platforms only baseline.  A test
# taking the ``kernel`` fixture runs once per variant; one this CPU lacks is skipped, saying so.
X86_64 = platform.machine().lower() in ("x86_64", "amd64") and platform.architecture()[0] == "64bit"
KERNELS = ["avx512", "avx2", "baseline"] if X86_64 else ["baseline"]
NEEDS = {"avx512": "AVX-512F", "avx2": "AVX2 and FMA"}

# MPCORE_TEST_KERNELS=avx512[,...]: run the kernel tests on these variants only, and fail, not
# skip, where one is missing.  For CI jobs that must prove a variant ran (the AVX-512 kernel
# under Intel SDE in .github/workflows/tests.yml); a typo must not turn the job green either.
REQUIRED = [k.strip() for k in os.environ.get("MPCORE_TEST_KERNELS", "").split(",") if k.strip()]


def kernel_params():
    """The variants to test: MPCORE_TEST_KERNELS's, or every one a build here can hold."""
    return REQUIRED or KERNELS


def require_kernel(name):
    """Skip (or, where MPCORE_TEST_KERNELS names it, fail) unless this CPU runs ``name``."""
    here = mpcore._config.kernel_names()
    if name in here:
        return
    why = f"this CPU lacks {NEEDS[name]}" if name in NEEDS else "it is not offered here"
    message = f"the {name} kernel cannot run: {why} (mpcore offers {here} here)"
    if name in REQUIRED:
        pytest.fail(f"MPCORE_TEST_KERNELS requires it, but {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def kernel(request):
    """Run a test once for every band kernel (avx512, avx2, baseline), forcing it in-process;
    the variants this CPU lacks are skipped with the reason."""
    name = request.param
    require_kernel(name)
    previous = mpcore._config._forced  # MPCORE_KERNEL's choice, if any, comes back afterwards
    mpcore._config.set_kernel(name)
    yield name
    with mpcore._config._lock:
        mpcore._config._forced = previous


@pytest.hookimpl(trylast=True)  # after the parametrize marks: the kernel varies fastest
def pytest_generate_tests(metafunc):
    marked = set()
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0]
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",")]
        marked.update(names)
    if "kernel" in metafunc.fixturenames and "kernel" not in marked:
        # the kernels of one case run one after the other, so they share its brute-force
        # reference (naive.py keeps the last few)
        metafunc.parametrize("kernel", kernel_params(), indirect=True)


def pytest_configure(config):
    config.addinivalue_line("markers", "kernels: runs once per CPU kernel variant (the kernel "
                                       "fixture); `-m kernels` selects them")
    unknown = [name for name in REQUIRED if name not in KERNELS]
    if unknown:
        raise pytest.UsageError(f"MPCORE_TEST_KERNELS names {unknown}; a build on this platform "
                                f"holds {KERNELS}")


# Slow tests marked here by node id, so their modules stay untouched; the default run deselects
# them (pyproject.toml: -m 'not slow'), `pytest -m slow` and .ci/run run them.
SLOW = {
    "test_vs_stumpy.py::*": "STUMPY compiles each function with numba on first call (20-80 s)",
    "test_stump.py::test_self_join_every_kernel[1200-100-*]": "a long-double reference per kernel",
    "test_anytime.py::test_scrump_every_kernel_matches_brute_force[False-3.0-*]":
        "p = 3 takes pow() per cell in scalar code, on every kernel (2 s each)",
    "test_anytime.py::test_scrump_every_kernel_matches_brute_force[False-1.0-*]":
        "p = 1 on every kernel (1.2 s each; test_outliers' scraamp spikes cover it by default)",
    "test_seeds.py::test_seeds_are_lower_bounds_self_join[False-3.0]": "pow() per term (1.5 s)",
    "test_doctests.py::test_documentation_page_examples[getting_started.rst]":
        "the ECG's full matrix profile (108,000 points, m = 180): 2-4 s on two cores",
}


@pytest.hookimpl(tryfirst=True)  # before -m deselects anything
def pytest_collection_modifyitems(config, items):
    for item in items:
        nodeid = item.nodeid.rsplit("/", 1)[-1]
        if any(fnmatch(nodeid, pattern.replace("[", "[[]")) for pattern in SLOW):  # [ is literal
            item.add_marker(pytest.mark.slow)
        if "kernel" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.kernels)


def _default_sigint():
    # A child started from a shell's background job inherits SIGINT ignored, and Python then
    # installs no KeyboardInterrupt handler: restore the default so that Ctrl-C tests test it.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_interruptible(args, **kwargs):
    """``subprocess.Popen(args)`` for a Ctrl-C test (POSIX): SIGINT raises KeyboardInterrupt
    in the child whatever this process inherited, and the child dumps every thread's stack
    on SIGABRT (``finish_or_dump``)."""
    import subprocess

    env = dict(kwargs.pop("env", None) or os.environ, PYTHONFAULTHANDLER="1")
    return subprocess.Popen(args, preexec_fn=_default_sigint, env=env, **kwargs)


def finish_or_dump(proc, timeout):
    """``proc.communicate(timeout=timeout)``; past the timeout the child's stacks (its
    faulthandler's dump on SIGABRT) go into the test's failure, not just "timed out"."""
    import signal
    import subprocess

    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        pytest.fail(f"the child did not finish within {timeout} s; its threads:\n"
                    f"{err.decode() if isinstance(err, bytes) else err}")


@contextlib.contextmanager
def dask_client(processes=True, **config):
    """A Dask Client on a local cluster of 2 workers of 1 thread each: worker processes on
    127.0.0.1, or with ``processes=False`` threads of this process.  ``config``: Dask settings
    held while the cluster lives, e.g. ``**{"distributed.deploy.lost-worker-timeout": "120s"}``.
    Skips the test where distributed is not installed."""
    distributed = pytest.importorskip("distributed")
    import dask

    where = {"host": "127.0.0.1"} if processes else {}
    with dask.config.set(config):
        with warnings.catch_warnings():  # start-up chatter (ports, memory limits)
            warnings.simplefilter("ignore")
            cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                               processes=processes, dashboard_address=None,
                                               **where)
            client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()
