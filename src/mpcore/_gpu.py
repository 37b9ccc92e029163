"""ctypes bridge to the CUDA kernels in ``_mpcore_cuda`` (built from ``cuda/``).

The shared library is plain C (no Python C API), so one build serves every
CPython ABI including free-threaded ones, and ctypes releases the GIL for the
duration of each call.  It is loaded lazily: ``import mpcore`` never touches
CUDA, and a machine without the library, a driver or a GPU only learns about it
when it asks (:func:`gpu_available`) or calls :func:`run_pass`.

Precision
---------
The kernels rank candidates by the same float64 recurrence as the CPU core,
seeded with the exact O(m) dot product at the start of every 4096-row chunk;
their hot loop only filters cells by the high word of ``C - score`` against
per-window threshold keys (see ``cuda/mpcore_cuda.cu``), and every candidate
that passes is re-scored in float64 and merged exactly, so the filter never
changes a result.  A p-norm diagonal whose running sum fell far below the
largest value it held since its last exact value (large terms, such as a
spike's, have left it with their rounding) is recomputed exactly.  Only the
ranking comes from the GPU: final distances are recomputed exactly on the CPU.
"""

from __future__ import annotations

import ctypes
import threading
from pathlib import Path

import numpy as np

__all__ = ["device_count", "gpu_available", "gpu_unavailable_reason", "run_pass"]

_LIB_GLOBS = ("_mpcore_cuda*.so", "_mpcore_cuda*.dll", "_mpcore_cuda*.dylib")
_ERRLEN = 512

_lock = threading.Lock()
_probed = False
_lib: ctypes.CDLL | None = None
_count = 0
_reason = "not probed yet"

_dp = ctypes.POINTER(ctypes.c_double)
_ip = ctypes.POINTER(ctypes.c_int64)


def _find_library() -> Path | None:
    # Installed next to this module (scikit-build-core installs it into mpcore/).
    here = Path(__file__).parent
    for pattern in _LIB_GLOBS:
        found = sorted(here.glob(pattern))
        if found:
            return found[0]
    return None


def _bind(lib: ctypes.CDLL) -> None:
    lib.mpcore_cuda_device_count.restype = ctypes.c_int
    lib.mpcore_cuda_device_count.argtypes = []
    series = [ctypes.c_int64, _dp, _dp, _dp, _dp, _dp]  # l, T, mu, df, dg, w
    lib.mpcore_cuda_pass.restype = ctypes.c_int
    lib.mpcore_cuda_pass.argtypes = (
        [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_double, ctypes.c_int64]
        + series + series
        + [ctypes.c_int64, ctypes.c_int64, _dp, _ip, _dp, ctypes.c_int, _dp, _ip, _dp,
           ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    )


def _probe() -> None:
    """Load the library and count devices, once; never raises."""
    global _probed, _lib, _count, _reason
    with _lock:  # threads (incl. free-threaded builds) race on the first call
        if _probed:
            return
        path = _find_library()
        if path is None:
            _reason = "mpcore was built without CUDA support (no _mpcore_cuda library)"
        else:
            try:
                lib = ctypes.CDLL(str(path))
                _bind(lib)
                count = int(lib.mpcore_cuda_device_count())
            except (OSError, AttributeError) as exc:
                _reason = f"cannot load {path.name}: {exc}"
            else:
                _lib, _count = lib, count
                _reason = "" if count > 0 else "no CUDA driver or no CUDA device found"
        _probed = True


def gpu_available() -> bool:
    """Whether the CUDA kernels are built and at least one GPU is usable.

    Returns
    -------
    bool
        True if the GPU functions (:func:`mpcore.gpu_stump` and the other ``gpu_`` names) can
        run; the result is probed once and cached.

    Examples
    --------
    >>> import mpcore
    >>> ok = mpcore.gpu_available()  # False without an NVIDIA GPU: gpu_stump then raises
    >>> isinstance(ok, bool)
    True
    """
    _probe()
    return _count > 0


def gpu_unavailable_reason() -> str:
    """Why :func:`gpu_available` is False (empty string when it is True)."""
    _probe()
    return _reason


def device_count() -> int:
    """Number of usable CUDA devices (0 without library, driver or GPU)."""
    _probe()
    return _count


def _f64(name: str, a, n: int, writable: bool = False):
    """Pointer to a C-contiguous float64 array with at least ``n`` elements."""
    if a is None:
        return None
    if not (isinstance(a, np.ndarray) and a.dtype == np.float64 and a.ndim == 1
            and a.flags.c_contiguous):
        raise TypeError(f"mpcore: {name} must be a 1-D C-contiguous float64 array")
    if writable and not a.flags.writeable:
        raise ValueError(f"mpcore: {name} must be writeable")
    if a.shape[0] < n:
        raise ValueError(f"mpcore: {name} has {a.shape[0]} elements, needs {n}")
    return a.ctypes.data_as(_dp)


def _i64(name: str, a, n: int):
    if a is None:
        return None
    if not (isinstance(a, np.ndarray) and a.dtype == np.int64 and a.ndim == 1
            and a.flags.c_contiguous and a.flags.writeable):
        raise TypeError(f"mpcore: {name} must be a writeable 1-D C-contiguous int64 array")
    if a.shape[0] < n:
        raise ValueError(f"mpcore: {name} has {a.shape[0]} elements, needs {n}")
    return a.ctypes.data_as(_ip)


def run_pass(device: int, mode: int, m: int, p: float,
             lX: int, X_T, X_mu, X_df, X_dg, X_w,
             lY: int, Y_T, Y_mu, Y_df, Y_dg, Y_w,
             d_start: int, d_stop: int,
             row_score=None, row_idx=None, col_score=None, col_idx=None,
             k: int = 1, row_hint=None, col_hint=None, row_later: bool = False,
             col_later: bool = False) -> None:
    """Run one pass on a GPU, merging into the given top-k profiles in place.

    The pass covers cells ``(r, c = r + d)`` with ``d_start <= d < d_stop``,
    ``r < lX`` and ``c < lY``.  Each row keeps its ``k`` best columns in
    ``row_score[r*k:(r+1)*k]``/``row_idx[...]`` (best first; empty slots are
    -inf/-1) and each column its ``k`` best rows in ``col_score``/``col_idx``,
    under the total order "higher score wins, equal score -> lower index wins"
    (the higher index with ``row_later``/``col_later``; NaN never wins).  The
    result does not depend on the launch configuration.

    Parameters
    ----------
    device : int
        CUDA device ordinal.  Calls for different devices may run concurrently
        from different threads.
    mode : {0, 1, 2}
        0: z-normalized (score = Pearson correlation), 1: non-normalized with
        p = 2 (score = -squared distance), 2: non-normalized general ``p``
        (score = -sum |x - y|**p).
    m : int
        Window length.
    p : float
        Minkowski exponent (mode 2 only).
    lX, lY : int
        Number of windows of the row series X and the column series Y.
    X_T, Y_T : ndarray of float64
        Prepared series (at least ``l + m - 1`` values).
    X_mu, X_df, X_dg, Y_mu, Y_df, Y_dg : ndarray of float64 or None
        Window means and recurrence terms (mode 0 only; at least ``l`` values).
    X_w, Y_w : ndarray of float64
        Inverse window norms (mode 0) or 1.0 (modes 1, 2); NaN marks an invalid
        window.
    d_start, d_stop : int
        Diagonal range, ``0 <= d_start``.
    row_score, col_score : ndarray of float64 or None
        Current best scores (``l * k`` values), updated in place; None skips
        the side.
    row_idx, col_idx : ndarray of int64 or None
        Current best indices (``l * k`` values), updated in place.
    k : int, default 1
        Entries kept per window.
    row_hint, col_hint : ndarray of float64 or None
        A lower bound of each window's final k-th best score (``l`` values,
        -inf where unknown), e.g. the pipeline's seeds: cells below it are
        skipped without changing the result.
    row_later, col_later : bool, default False
        Equal scores keep the higher index on that side (a self-join's left
        table: STUMPY's order takes the nearest window before the row).

    Raises
    ------
    RuntimeError
        If no GPU is available or the CUDA call fails (with its message).
    TypeError, ValueError
        On arrays of the wrong dtype, layout or length.
    """
    if not gpu_available():
        raise RuntimeError(f"mpcore: no CUDA GPU available: {_reason}")
    mode, m, lX, lY, k = int(mode), int(m), int(lX), int(lY), int(k)
    if mode not in (0, 1, 2):
        raise ValueError(f"mpcore: mode must be 0, 1 or 2, got {mode}")
    if not 1 <= k <= 65536:
        raise ValueError(f"mpcore: k must be between 1 and 65536, got {k}")
    if (row_score is None) != (row_idx is None) or (col_score is None) != (col_idx is None):
        raise ValueError("mpcore: score and index arrays must be given together")
    z = mode == 0
    args = (
        int(device), mode, m, float(p), k,
        lX, _f64("X_T", X_T, lX + m - 1), _f64("X_mu", X_mu if z else None, lX),
        _f64("X_df", X_df if z else None, lX), _f64("X_dg", X_dg if z else None, lX),
        _f64("X_w", X_w, lX),
        lY, _f64("Y_T", Y_T, lY + m - 1), _f64("Y_mu", Y_mu if z else None, lY),
        _f64("Y_df", Y_df if z else None, lY), _f64("Y_dg", Y_dg if z else None, lY),
        _f64("Y_w", Y_w, lY),
        int(d_start), int(d_stop),
        _f64("row_score", row_score, lX * k, True), _i64("row_idx", row_idx, lX * k),
        _f64("row_hint", row_hint if row_score is not None else None, lX), int(bool(row_later)),
        _f64("col_score", col_score, lY * k, True), _i64("col_idx", col_idx, lY * k),
        _f64("col_hint", col_hint if col_score is not None else None, lY), int(bool(col_later)),
    )
    err = ctypes.create_string_buffer(_ERRLEN)
    # The arrays stay referenced by the caller for the whole (GIL-free) call.
    rc = _lib.mpcore_cuda_pass(*args, err, _ERRLEN)
    if rc != 0:
        raise RuntimeError(f"mpcore: CUDA pass failed: {err.value.decode(errors='replace')}")
