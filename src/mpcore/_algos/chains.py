"""Time series chains: ``atsc`` (anchored) and ``allc`` (all chains and the unanchored chain),
with STUMPY 1.14's semantics.  The walks run in compiled code (``_analysis``)."""
from __future__ import annotations

import numpy as np

from .. import _analysis, _validate


def _indices(I, name):
    a = np.asarray(I)
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of indices, got {a.ndim} dimensions")
    if a.dtype.kind not in "iu":
        if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
            a = a.astype(np.int64)  # left_I_/right_I_ columns read back as floats
        elif a.dtype == object:
            try:
                a = a.astype(np.int64)
            except (TypeError, ValueError):
                raise TypeError(f"{name} must hold integer indices") from None
        else:
            raise TypeError(f"{name} must hold integer indices, got dtype {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.int64)


def _pair(IL, IR):
    IL, IR = _indices(IL, "IL"), _indices(IR, "IR")
    if IL.shape != IR.shape:
        raise ValueError(f"IL and IR must have the same length, got {IL.shape[0]} and "
                         f"{IR.shape[0]}")
    return IL, IR


def atsc(IL, IR, j):
    """The anchored time series chain starting at index ``j``.

    Parameters
    ----------
    IL : numpy.ndarray
        Left matrix profile indices (``mp[:, 2]`` or ``mp.left_I_``).
    IR : numpy.ndarray
        Right matrix profile indices (``mp[:, 3]`` or ``mp.right_I_``).
    j : int
        The index where the chain starts.

    Returns
    -------
    numpy.ndarray
        The indices of the chain (int64): ``j``, then ``IR[j]`` while its left neighbour is
        the previous link.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> mp = mpcore.stump(np.array([584., -11., 23., 79., 1001., 0., -19.]), m=3)
    >>> mpcore.atsc(mp.left_I_, mp.right_I_, 1)
    array([1, 3])
    """
    IL, IR = _pair(IL, IR)
    j = _validate.check_int(j, "j")
    if not 0 <= j < IL.shape[0]:
        raise ValueError(f"j={j} is outside the {IL.shape[0]} indices of IL")
    return _analysis.atsc(IL, IR, j)


def allc(IL, IR):
    """All time series chains, and the unanchored (longest) chain.

    Parameters
    ----------
    IL : numpy.ndarray
        Left matrix profile indices.
    IR : numpy.ndarray
        Right matrix profile indices.

    Returns
    -------
    S : list of numpy.ndarray
        Every chain (int64 indices); each index that does not continue a chain starts one.
        STUMPY returns them in set order; here they come by starting index.
    C : numpy.ndarray
        The unanchored chain: the longest one (the first such start on ties).

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> mp = mpcore.stump(np.array([584., -11., 23., 79., 1001., 0., -19.]), m=3)
    >>> mpcore.allc(mp.left_I_, mp.right_I_)
    ([array([0, 4]), array([1, 3]), array([2])], array([0, 4]))
    """
    IL, IR = _pair(IL, IR)
    if IL.shape[0] == 0:
        raise ValueError("IL and IR are empty")
    flat, offsets, L = _analysis.allc_walk(IL, IR)
    # each chain starts at a different index, so (unlike STUMPY's set) no two can be equal
    S = np.split(flat, offsets[1:-1])
    return S, _analysis.atsc(IL, IR, int(np.argmax(L)))
