"""The pan matrix profile (stimp, aamp_stimp and their gpu_ and -ed bindings): the matrix
profiles of one series over a range of window lengths, computed in breadth-first order of the
lengths (SKIMP), so that a few updates already sketch the whole range.

Each update adds one window length: the exact profile from the executor given (CPU threads,
GPU, Dask), or, for the CPU with ``percentage < 1``, one update of the anytime
:class:`~mpcore._algos.anytime.scrump`.  ``pan()`` turns the profiles into STUMPY's normalized,
contrasted, binarized image.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from .. import _threads, _validate
from .._pipeline import matrix_profile
from .._prepare import EXCL_ZONE_DENOM
from .mpdist import check_percentage, cpu_executor, dask_executor, gpu_executor


def max_window_size(n: int) -> int:
    """STUMPY's largest window of a self-join of ``n`` points (``core.get_max_window_size``)."""
    return int(n - (n + EXCL_ZONE_DENOM - 1) // (EXCL_ZONE_DENOM + 1)) - 1


def bfs_indices(n: int) -> np.ndarray:
    """Breadth-first order of ``range(n)``: the middle, then the middles of both halves, ..."""
    out = []
    queue = deque([(0, n)])
    while queue:
        lo, hi = queue.popleft()
        mid = (lo + hi) // 2
        out.append(mid)
        for a, b in ((lo, mid), (mid + 1, hi)):
            if a < b:
                queue.append((a, b))
    return np.array(out, dtype=np.int64)


class _Stimp(_threads.Guarded):
    """The one implementation behind stimp, stimped, gpu_stimp and their aamp_ variants; its
    updates and pan hold the object's lock (_threads.Guarded)."""

    def _setup(self, T, min_m, max_m, step, percentage, pre_scrump, normalize, p,
               isconstant_func, executor):
        self._T = _validate.as_series(T, "T")
        n = self._T.shape[0]
        min_m = _validate.check_int(min_m, "min_m")
        step = _validate.check_int(step, "step")
        if step < 1:
            raise ValueError(f"step must be >= 1, got {step}")
        top = max_window_size(n)
        if max_m is None:
            max_m = max(min_m + 1, top)
            M = np.arange(min_m, max_m + 1, step, dtype=np.int64)
        else:
            min_m, max_m = sorted([min_m, _validate.check_int(max_m, "max_m")])
            M = np.arange(max(3, min_m), min(top, max_m) + 1, step, dtype=np.int64)
        if len(M) == 0 or M[0] < 3 or M[-1] > top:
            raise ValueError(
                f"no window length fits: min_m={min_m}, max_m={max_m} and len(T)={n} allow "
                f"3 <= m <= {top}"
            )
        self._percentage = check_percentage(percentage, "percentage")
        self._pre_scrump = _validate.check_bool(pre_scrump, "pre_scrump")
        self._normalize = normalize
        self._p = _validate.check_p(p)
        if normalize and isconstant_func is not None and not callable(isconstant_func):
            raise ValueError(
                "`T_subseq_isconstant_func` was expected to be a callable function but "
                f"{type(isconstant_func)} was found."
            )
        self._isconstant = isconstant_func if normalize else None
        self._executor = executor
        self._bfs_indices = bfs_indices(len(M))
        self._M = M[self._bfs_indices]
        self._n_processed = 0
        self._PAN = np.full((len(M), n), np.inf)
        finite = self._T[np.isfinite(self._T)]
        self._T_min = finite.min() if finite.size else np.nan
        self._T_max = finite.max() if finite.size else np.nan

    @_threads.locked
    def update(self):
        """Compute the matrix profile of the next window length.

        The lengths are taken in breadth-first order (see ``M_``); once every length is done,
        a call does nothing.
        """
        if self._n_processed >= len(self._M):
            return
        m = int(self._M[self._n_processed])
        if self._percentage < 1.0 and self._executor is None:
            from .anytime import scrump  # the anytime profile (CPU only, as in STUMPY)

            approx = scrump(self._T, m, percentage=self._percentage,
                            pre_scrump=self._pre_scrump, normalize=self._normalize, p=self._p,
                            T_A_subseq_isconstant=self._isconstant)
            approx.update()
            P = approx.P_
        else:
            executor = self._executor or cpu_executor()
            P = matrix_profile(self._T, m, None, True, self._normalize, self._p, 1,
                               self._isconstant, None, executor).P_
        self._PAN[self._bfs_indices[self._n_processed], : P.shape[0]] = P
        self._n_processed += 1

    @_threads.locked
    def pan(self, threshold=0.2, normalize=True, contrast=True, binary=True, clip=True):
        """Return the pan matrix profile as an image, one row per window length (ascending).

        Each value is normalized to [0, 1], contrasted around ``threshold``, binarized and
        clipped as asked; rows not computed yet repeat the next computed row below them.

        Parameters
        ----------
        threshold : float, default 0.2
            The contrast and binarization threshold.
        normalize : bool, default True
            Divide by the largest possible distance of each window length.
        contrast : bool, default True
            Replace values by a sigmoid of their percentile rank around ``threshold``.
        binary : bool, default True
            0 at or below ``threshold``, 1 above.
        clip : bool, default True
            Clip to [0, 1].

        Returns
        -------
        numpy.ndarray
            ``(len(M_), len(T))`` float64.
        """
        PAN = self._PAN.copy()
        done = self._bfs_indices[: self._n_processed]
        ms = self._M[: self._n_processed].astype(np.float64)
        PAN[PAN == np.inf] = np.nan
        with np.errstate(invalid="ignore", divide="ignore"):
            if normalize:
                if self._normalize:  # z-normalized distances are at most 2 sqrt(m)
                    scale = 1.0 / (2.0 * np.sqrt(ms))
                else:  # p-norm distances are at most (max - min) * m ** (1 / p)
                    scale = 1.0 / (np.abs(self._T_max - self._T_min) * ms ** (1.0 / self._p))
                PAN[done] = np.minimum(1.0, PAN[done] * scale[:, None])
            if contrast:
                rows = PAN[done]
                # percentile rank of every computed value (stable: ties by position, NaN last)
                order = rows.argsort(kind="mergesort", axis=None)
                pct = np.empty(rows.size)
                pct[order] = np.linspace(0, 1, rows.size)
                PAN[done] = 1.0 / (1.0 + np.exp(-10 * (pct.reshape(rows.shape) - threshold)))
            if binary:
                PAN[done] = np.where(PAN[done] <= threshold, 0.0, 1.0)
            if clip:
                PAN[done] = np.clip(PAN[done], 0.0, 1.0)
        computed = np.sort(done)
        repeat = np.diff(np.append(-1, computed))
        PAN[: repeat.sum()] = np.repeat(PAN[computed], repeat, axis=0)
        PAN[np.isnan(PAN)] = np.nanmax(PAN)
        return PAN

    @property
    def PAN_(self):
        """The pan matrix profile image with the default :meth:`pan` settings."""
        return self.pan().astype(np.float64)

    @property
    def M_(self):
        """The window lengths, in the order they are computed (breadth-first)."""
        return self._M.astype(np.int64)

    @property
    def P_(self):
        """The matrix profile of each window length of ``M_`` (inf where not computed yet)."""
        n = self._T.shape[0]
        return [self._PAN[row][: n - int(m) + 1] for row, m in zip(self._bfs_indices, self._M)]


class stimp(_Stimp):
    """The pan matrix profile of a time series (z-normalized).

    Each :meth:`update` computes the profile of one more window length.

    Parameters
    ----------
    T : array_like
        The time series.
    min_m : int, default 3
        The smallest window length.
    max_m : int, optional
        The largest window length; default the largest a self-join of ``T`` allows.
    step : int, default 1
        The step between window lengths.
    percentage : float, default 0.01
        Below 1, each length gets an anytime profile (:class:`mpcore.scrump`, one update of
        this share of the distances); 1 gives exact profiles.
    pre_scrump : bool, default True
        Run preSCRIMP for each anytime profile.
    normalize : bool, default True
        False computes :class:`aamp_stimp` instead.
    p : float, default 2.0
        The p-norm, used only when ``normalize=False``.
    T_subseq_isconstant_func : callable, optional
        ``f(a, w)`` telling which windows of length ``w`` are constant.

    Attributes
    ----------
    PAN_ : numpy.ndarray
        The pan matrix profile image (see :meth:`pan`).
    M_ : numpy.ndarray
        The window lengths in the order they are computed.
    P_ : list of numpy.ndarray
        The matrix profile of each length of ``M_``.

    Methods
    -------
    update()
        Compute the matrix profile of the next window length.
    pan(threshold=0.2, normalize=True, contrast=True, binary=True, clip=True)
        The pan matrix profile image.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> t = np.arange(200)
    >>> T = np.concatenate([np.sin(t / 4.0), np.sign(np.sin(t / 4.0))])
    >>> pan = mpcore.stimp(T, min_m=10, max_m=30, step=10, percentage=1.0)
    >>> for _ in range(3):
    ...     pan.update()
    >>> pan.M_  # breadth-first order of the window lengths
    array([20, 10, 30])
    >>> pan.PAN_.shape
    (3, 400)
    """


    def __init__(self, T, min_m=3, max_m=None, step=1, percentage=0.01, pre_scrump=True,
                 normalize=True, p=2.0, T_subseq_isconstant_func=None):
        # normalize=False gives aamp_stimp's profiles (STUMPY returns an aamp_stimp object)
        self._setup(T, min_m, max_m, step, percentage, pre_scrump,
                    _validate.check_bool(normalize, "normalize"), p, T_subseq_isconstant_func,
                    None)


class aamp_stimp(_Stimp):
    """The non-normalized (p-norm) pan matrix profile of a time series.

    Parameters
    ----------
    T, min_m, max_m, step, percentage
        As in :class:`stimp`.
    pre_scraamp : bool, default True
        Run preSCRAAMP for each anytime profile.
    p : float, default 2.0
        The p-norm (STUMPY 1.14 ignores it and uses 2; mpcore uses it).

    Attributes
    ----------
    PAN_ : numpy.ndarray
        The pan matrix profile image (see :meth:`pan`).
    M_ : numpy.ndarray
        The window lengths in the order they are computed.
    P_ : list of numpy.ndarray
        The matrix profile of each length of ``M_``.

    Methods
    -------
    update()
        Compute the matrix profile of the next window length.
    pan(threshold=0.2, normalize=True, contrast=True, binary=True, clip=True)
        The pan matrix profile image.

    Examples
    --------
    >>> import numpy as np, mpcore
    >>> T = np.sin(np.arange(200) / 4.0)
    >>> pan = mpcore.aamp_stimp(T, min_m=10, max_m=30, step=10, percentage=1.0)
    >>> pan.update()
    >>> pan.M_[:1], pan.P_[0].shape
    (array([20]), (181,))
    """

    def __init__(self, T, min_m=3, max_m=None, step=1, percentage=0.01, pre_scraamp=True,
                 p=2.0):
        self._setup(T, min_m, max_m, step, percentage, pre_scraamp, False, p, None, None)


class stimped(_Stimp):
    """The pan matrix profile of a time series on a Dask cluster (exact profiles).

    Parameters
    ----------
    client : distributed.Client
        A Dask distributed client whose workers have mpcore installed.
    T, min_m, max_m, step, normalize, p, T_subseq_isconstant_func
        As in :class:`stimp`.

    Attributes
    ----------
    PAN_ : numpy.ndarray
        The pan matrix profile image (see :meth:`pan`).
    M_ : numpy.ndarray
        The window lengths in the order they are computed.
    P_ : list of numpy.ndarray
        The matrix profile of each length of ``M_``.

    Methods
    -------
    update()
        Compute the matrix profile of the next window length.
    pan(threshold=0.2, normalize=True, contrast=True, binary=True, clip=True)
        The pan matrix profile image.
    """


    def __init__(self, client, T, min_m=3, max_m=None, step=1, normalize=True, p=2.0,
                 T_subseq_isconstant_func=None):
        self._setup(T, min_m, max_m, step, 1.0, False,
                    _validate.check_bool(normalize, "normalize"), p, T_subseq_isconstant_func,
                    dask_executor(client))


class aamp_stimped(_Stimp):
    """The non-normalized pan matrix profile on a Dask cluster (exact profiles).

    Parameters
    ----------
    client : distributed.Client
        A Dask distributed client whose workers have mpcore installed.
    T, min_m, max_m, step, p
        As in :class:`aamp_stimp`.

    Attributes
    ----------
    PAN_ : numpy.ndarray
        The pan matrix profile image (see :meth:`pan`).
    M_ : numpy.ndarray
        The window lengths in the order they are computed.
    P_ : list of numpy.ndarray
        The matrix profile of each length of ``M_``.

    Methods
    -------
    update()
        Compute the matrix profile of the next window length.
    pan(threshold=0.2, normalize=True, contrast=True, binary=True, clip=True)
        The pan matrix profile image.
    """

    def __init__(self, client, T, min_m=3, max_m=None, step=1, p=2.0):
        self._setup(T, min_m, max_m, step, 1.0, False, False, p, None, dask_executor(client))


class gpu_stimp(_Stimp):
    """The pan matrix profile of a time series on NVIDIA GPUs (exact profiles).

    Parameters
    ----------
    T, min_m, max_m, step
        As in :class:`stimp`.
    device_id : int or list of int, default 0
        The GPU(s) to use.
    normalize, p, T_subseq_isconstant_func
        As in :class:`stimp`.

    Attributes
    ----------
    PAN_ : numpy.ndarray
        The pan matrix profile image (see :meth:`pan`).
    M_ : numpy.ndarray
        The window lengths in the order they are computed.
    P_ : list of numpy.ndarray
        The matrix profile of each length of ``M_``.

    Methods
    -------
    update()
        Compute the matrix profile of the next window length.
    pan(threshold=0.2, normalize=True, contrast=True, binary=True, clip=True)
        The pan matrix profile image.

    Raises
    ------
    RuntimeError
        From :meth:`update`, when no CUDA GPU is available (as :func:`mpcore.gpu_stump`).
    """


    def __init__(self, T, min_m=3, max_m=None, step=1, device_id=0, normalize=True, p=2.0,
                 T_subseq_isconstant_func=None):
        self._setup(T, min_m, max_m, step, 1.0, False,
                    _validate.check_bool(normalize, "normalize"), p, T_subseq_isconstant_func,
                    gpu_executor(device_id))


class gpu_aamp_stimp(_Stimp):
    """The non-normalized pan matrix profile on NVIDIA GPUs (exact profiles).

    Parameters
    ----------
    T, min_m, max_m, step
        As in :class:`aamp_stimp`.
    device_id : int or list of int, default 0
        The GPU(s) to use.
    p : float, default 2.0
        The p-norm.

    Attributes
    ----------
    PAN_ : numpy.ndarray
        The pan matrix profile image (see :meth:`pan`).
    M_ : numpy.ndarray
        The window lengths in the order they are computed.
    P_ : list of numpy.ndarray
        The matrix profile of each length of ``M_``.

    Methods
    -------
    update()
        Compute the matrix profile of the next window length.
    pan(threshold=0.2, normalize=True, contrast=True, binary=True, clip=True)
        The pan matrix profile image.
    """

    def __init__(self, T, min_m=3, max_m=None, step=1, device_id=0, p=2.0):
        self._setup(T, min_m, max_m, step, 1.0, False, False, p, None, gpu_executor(device_id))
