"""mpcore's public functions, with STUMPY's names, signatures, defaults and result layout."""
from __future__ import annotations

import functools
import warnings

import numpy as np

from . import _analysis, _exact, _validate
from ._pipeline import matrix_profile, run_threads
from ._prepare import common_scale
from ._search import PreparedSeries



def stump(T_A, m, T_B=None, ignore_trivial=True, normalize=True, p=2.0, k=1,
          T_A_subseq_isconstant=None, T_B_subseq_isconstant=None, *, n_threads=None,
          progress=False, cancel=None):
    """Compute the z-normalized matrix profile (self-join or AB-join) on CPU threads.

    Parameters
    ----------
    T_A : array_like
        The time series for which to compute the matrix profile: a 1-D array, list, or
        pandas/polars Series.  int and float32 input is converted to float64 (STUMPY raises).
    m : int
        Window size, at least 3 and at most the length of the shorter series.
    T_B : array_like, optional
        The series used to annotate ``T_A`` (AB-join): for every window of ``T_A``, its nearest
        neighbour in ``T_B``.  None (default) for a self-join.
    ignore_trivial : bool, default True
        True for a self-join, which excludes neighbours within ``ceil(m / 4)`` of each window;
        False for an AB-join.  A value that does not fit the arrays is warned about and fixed,
        as in STUMPY.
    normalize : bool, default True
        False computes the non-normalized p-norm matrix profile instead (see :func:`aamp`).
    p : float, default 2.0
        The p-norm, used only when ``normalize=False``.
    k : int, default 1
        Number of nearest neighbours per window.
    T_A_subseq_isconstant, T_B_subseq_isconstant : array_like of bool or callable, optional
        Which windows are constant: a bool array of length ``len(T) - m + 1`` or a function
        ``f(a, w)``; default: windows whose values are all equal.  Two constant windows are 0
        apart, a constant and a non-constant one ``sqrt(m)``.
    n_threads : int, optional
        Worker threads for this call; default :func:`mpcore.get_num_threads` (all cores).
        Results are bitwise identical for any value.
    progress : bool, default False
        Show a progress bar (tqdm when installed).
    cancel : threading.Event, optional
        Set it from another thread to stop the call, which then raises
        ``concurrent.futures.CancelledError``.  Ctrl-C (KeyboardInterrupt) always works.

    Returns
    -------
    mparray
        Shape ``(l, 2k+2)`` with ``l = len(T_A) - m + 1``: the top-k distances (ascending),
        their indices, then the left and right nearest-neighbour indices (self-join only; -1 in
        an AB-join).  ``.P_``, ``.I_``, ``.left_I_`` and ``.right_I_`` give typed arrays.
        Windows with a NaN or inf value get distance ``inf`` and index -1.

    Notes
    -----
    Every distance is recomputed exactly from its two windows after the search, so identical
    windows are exactly 0 apart and no drift of the diagonal recurrence reaches the result.
    Ties between equal distances go to the lowest index.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> mp = mpcore.stump(np.array([584., -11., 23., 79., 1001., 0., -19.]), m=3)
    >>> mp.I_
    array([4, 3, 0, 1, 0])
    """
    if not _validate.check_bool(normalize, "normalize"):
        return aamp(T_A, m, T_B, ignore_trivial, p, k, n_threads=n_threads, progress=progress,
                    cancel=cancel)
    executor = functools.partial(run_threads, n_threads=n_threads, progress=progress,
                                 cancel_event=cancel)
    return matrix_profile(T_A, m, T_B, ignore_trivial, True, p, k, T_A_subseq_isconstant,
                          T_B_subseq_isconstant, executor, n_threads)


def aamp(T_A, m, T_B=None, ignore_trivial=True, p=2.0, k=1, *, n_threads=None, progress=False,
         cancel=None):
    """Compute the non-normalized (p-norm) matrix profile on CPU threads.

    Parameters
    ----------
    T_A : array_like
        The time series for which to compute the matrix profile.
    m : int
        Window size, at least 3.
    T_B : array_like, optional
        The series used to annotate ``T_A`` (AB-join); None for a self-join.
    ignore_trivial : bool, default True
        True for a self-join (exclusion zone ``ceil(m / 4)``), False for an AB-join.
    p : float, default 2.0
        The p-norm: distance ``(sum |a - b|**p) ** (1/p)``.  p = 1 and p = 2 run vectorized.
    k : int, default 1
        Number of nearest neighbours per window.
    n_threads : int, optional
        Worker threads for this call; default :func:`mpcore.get_num_threads`.
    progress : bool, default False
        Show a progress bar.
    cancel : threading.Event, optional
        Set it from another thread to stop the call (see :func:`stump`).

    Returns
    -------
    mparray
        Same layout as :func:`stump`.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> mp = mpcore.aamp(np.array([584., -11., 23., 79., 1001., 0., -19.]), m=3)
    >>> mp.I_
    array([4, 3, 0, 1, 0])
    >>> print(mp.P_.round(3))
    [ 419.254  985.305 1131.064  985.305  419.254]
    """
    executor = functools.partial(run_threads, n_threads=n_threads, progress=progress,
                                 cancel_event=cancel)
    return matrix_profile(T_A, m, T_B, ignore_trivial, False, p, k, None, None, executor,
                          n_threads)


def mass(Q, T, M_T=None, Σ_T=None, normalize=True, p=2.0, T_subseq_isfinite=None,
         T_subseq_isconstant=None, Q_subseq_isconstant=None, query_idx=None):
    """Distance profile of the query ``Q`` against every window of ``T``.

    Parameters
    ----------
    Q : array_like
        The query; its length is the window size m (at least 3).
    T : array_like
        The time series.
    M_T, Σ_T : array_like, optional
        Precomputed means and standard deviations of the windows of ``T``; used instead of
        computing them when both are given (one alone is ignored), as in STUMPY.
    normalize : bool, default True
        False gives the non-normalized p-norm distance profile.
    p : float, default 2.0
        The p-norm when ``normalize=False``.
    T_subseq_isfinite : array_like of bool, optional
        With ``normalize=False``, the windows of ``T`` to treat as non-finite (``False``: their
        distance is ``inf``); ignored when ``normalize=True``, as in STUMPY. Windows holding
        NaN/inf are ``inf`` whatever it says.
    T_subseq_isconstant, Q_subseq_isconstant : array_like of bool or callable, optional
        Which windows are constant (see :func:`stump`).
    query_idx : int, optional
        The position of ``Q`` inside ``T``, if it is a window of ``T``: its distance is set to 0.

    Returns
    -------
    numpy.ndarray
        The distances (float64), length ``len(T) - len(Q) + 1``; ``inf`` where ``Q`` or the
        window holds NaN or inf.

    Notes
    -----
    z-normalized profiles are screened with an FFT sliding dot product and recomputed
    exactly, window by window, wherever the FFT's error bound could move a distance by more
    than ``1e-13 * 2 sqrt(m)`` (see :mod:`mpcore._search`; to reuse one series for many
    queries, ``mpcore._search.prepare_mass``).  Non-normalized profiles are computed exactly.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.array([584., -11., 23., 79., 1001., 0., -19.])
    >>> print(mpcore.mass(np.array([-11., 1., 23.]), T).round(3))
    [3.228 0.048 0.525 2.724 3.268]
    >>> print(mpcore.mass(T[1:4], T, normalize=False).round(3))
    [ 598.596    0.     924.325  985.305 1016.994]
    """
    normalize = _validate.check_bool(normalize, "normalize")
    p = _validate.check_p(p)
    # an (n, 1) column is flattened, as STUMPY does (with its warning for Q)
    if np.ndim(Q) == 2 and np.shape(Q)[1] == 1:
        warnings.warn("`Q` must be 1-dimensional and was automatically flattened")
        Q = np.ravel(Q)
    if np.ndim(T) == 2 and np.shape(T)[1] == 1:
        T = np.ravel(T)
    Qa = _validate.as_series(Q, "Q")
    Ta = _validate.as_series(T, "T")
    m = Qa.shape[0]
    if m < 3:
        raise ValueError(f"Q must hold at least 3 points (the window size), got {m}")
    if m > Ta.shape[0]:
        raise ValueError(
            f"The length of `Q` ({m}) must be less than or equal to the length of `T` "
            f"({Ta.shape[0]})."
        )
    l = Ta.shape[0] - m + 1
    if query_idx is not None:
        query_idx = _validate.check_int(query_idx, "query_idx")
        if not -l <= query_idx < l:
            raise ValueError(f"query_idx={query_idx} is outside T's {l} windows")
        window = Ta[query_idx : query_idx + m] if query_idx >= 0 else Ta[l + query_idx :][:m]
        if not np.array_equal(np.isfinite(Qa), np.isfinite(window)) or not np.allclose(
            Qa[np.isfinite(Qa)], window[np.isfinite(window)]
        ):
            warnings.warn(
                "Subsequences `Q` and `T[query_idx:query_idx+m]` are different but were "
                "expected to be identical. Please verify that `query_idx` is correct.",
                stacklevel=2,
            )
    if not np.all(np.isfinite(Qa)):
        return np.full(l, np.inf)
    if normalize:
        # FFT screening with exact recomputation wherever its error bound is too wide.
        # T_subseq_isfinite is ignored here, as in STUMPY.
        D = PreparedSeries(Ta, m, T_subseq_isconstant, None, M_T, Σ_T).distance_profile(
            Qa, Q_subseq_isconstant)
    else:
        valid = _validate.rolling_isfinite(Ta, m)
        if T_subseq_isfinite is not None:
            # As in STUMPY: its False windows are inf. A window that holds NaN/inf stays inf
            # whatever it says (STUMPY: NaN).
            mask = np.asarray(T_subseq_isfinite)
            if mask.dtype != np.bool_ or mask.shape != (l,):
                raise ValueError(f"T_subseq_isfinite must be a bool array of length {l}")
            valid = valid & mask
        # a power of two (exact) keeps p-th powers of very large or very small values in range
        scale = common_scale(Qa, Ta)
        Ts = np.where(np.isfinite(Ta), Ta * scale, 0.0)
        if p in (1.0, 2.0):
            D = _exact.distance_profile(Qa * scale, Ts, m, False, p, valid.astype(np.uint8),
                                        np.zeros(l, np.uint8), False)
        else:  # a general p: the kernels' vector powers (aamp_match's profile)
            D = np.empty(l)
            _analysis.pprofile(Qa * scale, Ts, m, p, valid.astype(np.uint8), D, 0, l)
        D /= scale  # a power of two: exact
    if query_idx is not None:
        D[query_idx] = 0.0
    return D


