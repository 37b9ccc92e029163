"""Input checks shared by every public function: clear errors that name the parameter."""
from __future__ import annotations

import inspect
import math
import numbers
import operator
import warnings

import numpy as np


def as_series(T: object, name: str) -> np.ndarray:
    """A private float64 1-D copy of ``T`` (never a view: callers' arrays are never touched, and
    another thread mutating them cannot reach a kernel running without the GIL).

    Accepts anything array-like: lists, NumPy arrays, pandas and polars Series.  Integer, bool-free
    real and float32 input is converted to float64 (STUMPY raises instead).
    """
    if T is None:
        raise TypeError(f"{name} must be a 1-D array of numbers, got None")
    if hasattr(T, "to_numpy") and not isinstance(T, np.ndarray):  # pandas / polars
        T = T.to_numpy()
    try:
        a = np.asarray(T)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} could not be converted to an array: {exc}") from None
    kind = a.dtype.kind
    if kind in "biuf":
        if kind == "b":
            raise TypeError(f"{name} has dtype bool; give a numeric time series")
    elif kind == "c":
        raise TypeError(f"{name} is complex; the matrix profile needs real values")
    else:
        raise TypeError(
            f"{name} has dtype {a.dtype}; give an int or float array (strings and objects "
            "are not time series)"
        )
    if a.ndim != 1:
        raise ValueError(
            f"{name} is {a.ndim}-dimensional and must be 1-dimensional (one time series)"
        )
    if a.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    return np.array(a, dtype=np.float64, order="C", copy=True)


def check_int(value: object, name: str) -> int:
    if type(value) is int:  # the common case, without the ABC checks below (~1 us a call)
        return value
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            raise TypeError(f"{name} must be an int, got float {value!r}; use {int(value)}")
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return operator.index(value)


def check_real(value: object, name: str) -> float:
    """A real number (not a bool), as a float; NaN and infinities pass."""
    if type(value) is float:
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating,
                                                                     np.integer)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)


def check_max_matches(value: object) -> int | None:
    """``max_matches``: None (no limit) or an int; 0 or less asks for no match."""
    return None if value is None else check_int(value, "max_matches")


def check_window(m: object, n: int, name_T: str = "T_A") -> int:
    m = check_int(m, "m")
    if m < 3:
        raise ValueError(
            f"m (the window size) must be at least 3, got {m}: a window of 1 or 2 points "
            "z-normalizes to a fixed pattern"
        )
    if m > n:
        raise ValueError(f"m={m} is longer than {name_T} ({n} points); use m <= {n}")
    return m


def check_k(k: object) -> int:
    k = check_int(k, "k")
    if k < 1:
        raise ValueError(f"k (the number of nearest neighbours) must be >= 1, got {k}")
    return k


def check_p(p: object) -> float:
    if type(p) is float and 0.0 < p < math.inf:  # the common case, without the ABC checks
        return p
    if isinstance(p, bool) or not isinstance(p, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"p must be a real number, got {type(p).__name__}")
    p = float(p)
    if not (p > 0.0) or math.isinf(p):
        raise ValueError(f"p (the p-norm) must be a finite number > 0, got {p}")
    return p


def check_bool(value: object, name: str) -> bool:
    """A flag: True or False, or the ints 1 and 0 (which STUMPY's callers pass too)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r}")


def isconstant(T: np.ndarray, m: int, arg: object, name: str, isfinite: np.ndarray) -> np.ndarray:
    """STUMPY's rule for constant windows: a window is constant when all its values are equal,
    or as the caller's bool array / ``f(a, w)`` says.  Non-finite windows are never constant."""
    l = T.shape[0] - m + 1
    if arg is None:
        changes = np.concatenate(([0], np.cumsum(T[1:] != T[:-1])))
        out = changes[m - 1 :] - changes[: l] == 0
    elif callable(arg):
        try:
            params = inspect.signature(arg).parameters
        except (TypeError, ValueError):
            params = None
        if params is not None and not {"a", "w"} <= set(params):
            raise ValueError(
                f"{name} must be a function f(a, w) of the series `a` and window size `w`; "
                "pass extra arguments with functools.partial"
            )
        out = np.asarray(arg(T.copy(), m))
        if out.dtype != np.bool_ or out.shape != (l,):
            raise ValueError(
                f"{name}(a, w) must return a bool array of length len(T) - m + 1 = {l}, "
                f"got dtype {out.dtype} and shape {out.shape}"
            )
    elif isinstance(arg, np.ndarray) or hasattr(arg, "__len__"):
        out = np.asarray(arg)
        if out.dtype != np.bool_:
            raise TypeError(f"{name} must be a bool array, got dtype {out.dtype}")
        if out.shape != (l,):
            raise ValueError(
                f"{name} must have length len(T) - m + 1 = {l}, got shape {out.shape}"
            )
    else:
        raise TypeError(
            f"{name} must be None, a bool array or a function f(a, w), got {type(arg).__name__}"
        )
    fixed = out & isfinite
    if np.any(fixed != out):
        warnings.warn(
            f"Subsequences located at indices {np.nonzero(fixed != out)} contain one or more "
            f"np.nan/np.inf and so their corresponding values in `{name}` have been "
            "automatically switched from True  to False.",
            stacklevel=4,
        )
    return fixed


def rolling_isfinite(T: np.ndarray, m: int) -> np.ndarray:
    bad = np.concatenate(([0], np.cumsum(~np.isfinite(T))))
    return bad[m:] - bad[: T.shape[0] - m + 1] == 0
