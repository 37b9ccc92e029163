"""The two functions of STUMPY's ``stumpy.core`` that packages built on STUMPY call.

tsfresh's ``query_similarity_count`` calls ``stumpy.core.mass`` and
``stumpy.core.mass_absolute``; with these, ``import mpcore as stumpy`` serves it unchanged.
The rest of ``stumpy.core`` is STUMPY's internals (numba kernels, preprocessing helpers) and is
not provided: use the public functions instead.
"""
from __future__ import annotations

from ._api import mass

__all__ = ["mass", "mass_absolute"]


def mass_absolute(Q, T, T_subseq_isfinite=None, p=2.0, query_idx=None):
    """Non-normalized distance profile of one query (STUMPY's ``core.mass_absolute``).

    The same as ``mpcore.mass(Q, T, normalize=False, p=p, ...)``, with STUMPY's signature.

    Parameters
    ----------
    Q : array_like
        The query window (m >= 3 values).
    T : array_like
        The series searched.
    T_subseq_isfinite : array_like of bool, optional
        Which windows of ``T`` hold only finite values (computed when not given).
    p : float, default 2.0
        The p-norm.
    query_idx : int, optional
        The window of ``T`` that ``Q`` is: its distance is set to exactly 0.

    Returns
    -------
    numpy.ndarray
        The p-norm distances from ``Q`` to every window of ``T``; ``inf`` where either holds
        NaN/inf.

    See Also
    --------
    mpcore.mass : Both profiles, z-normalized by default.

    Examples
    --------
    >>> import numpy as np
    >>> from mpcore import core
    >>> T = np.array([584., -11., 23., 79., 1001., 0., -19.])
    >>> print(core.mass_absolute(T[1:4], T).round(3))
    [ 598.596    0.     924.325  985.305 1016.994]
    """
    return mass(Q, T, normalize=False, p=p, T_subseq_isfinite=T_subseq_isfinite,
                query_idx=query_idx)
