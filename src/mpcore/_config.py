"""Which compiled kernel runs, and a summary of the build for bug reports."""
from __future__ import annotations

import os
import platform
import threading

from . import _engine

_lock = threading.Lock()
_forced: str | None = os.environ.get("MPCORE_KERNEL") or None


def kernel_names() -> list[str]:
    """Band kernels this CPU can run, best first (e.g. ``['avx512', 'avx2', 'baseline']``)."""
    return _engine.kernel_names()


def set_kernel(name: str | None) -> None:
    """Force a band kernel by name (None: the best this CPU has); mainly for tests.

    Also settable with the environment variable ``MPCORE_KERNEL`` before import.
    """
    global _forced
    if name is not None and name not in kernel_names():
        raise ValueError(f"kernel {name!r} is not available here; choose from {kernel_names()}")
    with _lock:
        _forced = name


def kernel_index() -> int:
    names = kernel_names()
    with _lock:
        forced = _forced
    if forced is None:
        return 0
    if forced not in names:
        raise RuntimeError(f"MPCORE_KERNEL={forced!r} is not available here; choose from {names}")
    return names.index(forced)


def show_config(print_out: bool = True) -> dict:
    """Report the version, the CPU kernels and the one in use, threads, and GPU support.

    Parameters
    ----------
    print_out : bool, default True
        Print the report; it is returned as a dict either way.

    Returns
    -------
    dict
        The report: ``mpcore`` (version), ``python``, ``free_threaded_build``, ``machine``,
        ``cpu_kernels`` (those compiled in), ``cpu_kernel_in_use``, ``threads_per_call`` and
        ``gpu_available``.

    Examples
    --------
    >>> import mpcore
    >>> config = mpcore.show_config(print_out=False)
    >>> config["mpcore"] == mpcore.__version__
    True
    >>> config["cpu_kernel_in_use"] in config["cpu_kernels"]
    True
    """
    from . import __version__, _threads
    from ._gpu import gpu_available

    info = {
        "mpcore": __version__,
        "python": platform.python_version(),
        "free_threaded_build": bool(__import__("sysconfig").get_config_var("Py_GIL_DISABLED")),
        "machine": platform.machine(),
        "cpu_kernels": kernel_names(),
        "cpu_kernel_in_use": kernel_names()[kernel_index()],
        "threads_per_call": _threads.get_num_threads(),
        "gpu_available": gpu_available(),
    }
    if print_out:
        for key, value in info.items():
            print(f"{key:>20}: {value}")
    return info
