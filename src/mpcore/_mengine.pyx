"""Compiled engine of the multi-dimensional matrix profile (mstump/maamp): see _kernels/mband.h.

Works on the arrays :mod:`mpcore._algos.multidim` prepares; each worker owns its (d, stride)
tables of best sums and indices, and the GIL is released while the kernel runs.
"""
import numpy as np

from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.stdlib cimport malloc, free

cdef extern from "_kernels/band.h":
    ctypedef void (*mp_pow_fn)(const double *, int64_t, double, double *) noexcept nogil
    mp_pow_fn mp_pow_kernel_get(int i) noexcept nogil

cdef extern from "_kernels/mband.h":
    ctypedef struct mpm_params:
        mp_pow_fn pw
        int64_t d, m, l, stride
        int mode
        double p
        int64_t reseed, nfix
        int discords, clean
        double snap
        const double *T
        const double *mu
        const double *df
        const double *dg
        const double *w
        const double *half
        const double *bad
        const uint8_t *flat
        const int32_t *net
        int64_t nnet
    int MPM_L
    int MPM_PAD
    int mpm_run_worker(const mpm_params *pr, const int64_t *strips, int64_t nstrips,
                       int64_t *next, int64_t *done, double *best, int64_t *idx,
                       const volatile int *cancel) noexcept nogil
    void mpm_window_stats(const mpm_params *pr, const double *E, const uint8_t *cst,
                          double *mean, double *corr, double *isd, int64_t r0,
                          int64_t r1) noexcept nogil
    void mpm_refine(const mpm_params *pr, const double *E, const uint8_t *cst, const int64_t *I,
                    double *P, int64_t r0, int64_t r1, double *scratch, const double *mean,
                    const double *corr, const double *isd) noexcept nogil

LANES = MPM_L
PAD = MPM_PAD


cdef int _fill(mpm_params *pr, job) except -1:
    """Point ``pr`` at the job's arrays, checking their shapes (the kernel trusts them)."""
    cdef const double[:, ::1] T = job.T
    cdef const double[:, ::1] mu = job.mu
    cdef const double[:, ::1] df = job.df
    cdef const double[:, ::1] dg = job.dg
    cdef const double[:, ::1] w = job.w
    cdef const double[:, ::1] half = job.half
    cdef const double[:, ::1] bad = job.bad
    cdef const int32_t[:, ::1] net = job.net
    cdef int64_t d = job.d, l = job.l, S = job.stride, m = job.m, t
    # the pointers below stay valid after this returns: the job holds the arrays
    for a in (job.T, job.mu, job.df, job.dg, job.w, job.half, job.bad):
        if a.shape != (d, S):
            raise ValueError("multidim job arrays must all be (d, stride)")
    if net.shape[1] != 2:
        raise ValueError("multidim job: the sorting network must be (n, 2)")
    if S < l + m - 1 + MPM_PAD or l < 1 or m < 1 or job.reseed < 1:
        raise ValueError("multidim job: stride too small or empty")
    if not 0 <= job.nfix <= d:
        raise ValueError("multidim job: nfix out of range")
    for t in range(net.shape[0]):
        if not (job.nfix <= net[t, 0] < net[t, 1] < d):
            raise ValueError("multidim job: bad sorting network")
    pr.d = d
    pr.m = m
    pr.l = l
    pr.stride = S
    pr.mode = job.mode
    pr.p = job.p
    from . import _config
    pr.pw = mp_pow_kernel_get(_config.kernel_index())  # (a general p's powers)
    pr.reseed = job.reseed
    pr.nfix = job.nfix
    pr.discords = job.discords
    pr.snap = job.snap
    # O(d l) once per call, against the kernel's O(d l^2)
    pr.clean = 1
    for t in range(d):
        if np.any(np.asarray(half[t, :l])) or np.any(np.asarray(bad[t, :l])):
            pr.clean = 0
            break
    pr.T = &T[0, 0]
    pr.mu = &mu[0, 0]
    pr.df = &df[0, 0]
    pr.dg = &dg[0, 0]
    pr.w = &w[0, 0]
    pr.half = &half[0, 0]
    pr.bad = &bad[0, 0]
    cdef const uint8_t[:, ::1] flat
    pr.flat = NULL
    if getattr(job, "flat", None) is not None:
        flat = job.flat
        if flat.shape[0] != d or flat.shape[1] != S:
            raise ValueError("multidim job: flat has the wrong shape")
        pr.flat = &flat[0, 0]
    pr.net = &net[0, 0] if net.shape[0] else NULL
    pr.nnet = net.shape[0]
    return 0


def run_worker(job, const int64_t[::1] strips, int64_t[::1] counters, double[:, ::1] best,
               int64_t[:, ::1] idx, int[::1] cancel):
    """Run strips taken from ``counters[0]`` until none is left (``counters[1]``: cells done);
    several threads may share ``strips`` and ``counters``, each with its own ``best``/``idx``.
    Returns False if cancelled."""
    cdef mpm_params pr
    _fill(&pr, job)
    cdef int64_t i, n = strips.shape[0]
    if best.shape[0] != pr.d or best.shape[1] != pr.stride or idx.shape[0] != pr.d \
            or idx.shape[1] != pr.stride:
        raise ValueError("best and idx must be (d, stride)")
    for i in range(n):
        if not 0 < strips[i] < pr.l:
            raise ValueError("strip outside the diagonals")
    cdef int rc
    with nogil:
        rc = mpm_run_worker(&pr, &strips[0] if n else NULL, n, &counters[0], &counters[1],
                            &best[0, 0], &idx[0, 0], &cancel[0])
    if rc == -2:
        raise MemoryError()
    return rc == 0


cdef bint _dxs(const double[:, ::1] a, mpm_params pr):
    """Whether ``a`` is (d, stride)."""
    return a.shape[0] == pr.d and a.shape[1] == pr.stride


def window_stats(job, const double[:, ::1] E, const uint8_t[:, ::1] cst, double[:, ::1] mean,
                 double[:, ::1] corr, double[:, ::1] isd, int64_t r0=0, int64_t r1=-1):
    """z-norm: the mean (its first pass's residual apart, in corr) and 1 / std of the windows
    r0 <= i < r1 of every channel, into mean, corr and isd (d, stride), for :func:`refine`;
    the GIL released."""
    cdef mpm_params pr
    _fill(&pr, job)
    if E.shape[0] != pr.d or E.shape[1] != pr.stride or cst.shape[0] != pr.d \
            or cst.shape[1] != pr.stride:
        raise ValueError("E and cst must be (d, stride)")
    if not _dxs(mean, pr) or not _dxs(corr, pr) or not _dxs(isd, pr):
        raise ValueError("mean, corr and isd must be (d, stride)")
    if r1 < 0 or r1 > pr.l:
        r1 = pr.l
    if r0 < 0 or r0 > r1:
        raise ValueError("r0 must be in [0, r1]")
    with nogil:
        mpm_window_stats(&pr, &E[0, 0], &cst[0, 0], &mean[0, 0], &corr[0, 0], &isd[0, 0], r0,
                         r1)


def refine(job, const double[:, ::1] E, const uint8_t[:, ::1] cst, const int64_t[:, ::1] I,
           double[:, ::1] P, int64_t r0=0, int64_t r1=-1, stats=None):
    """Exact P[k, i] for rows r0 <= i < r1 from the neighbours I (d, l); the GIL released.
    stats: optional (mean, corr, isd) from :func:`window_stats` over all windows (z-norm),
    which saves recomputing them for every pair; the result is the same."""
    cdef mpm_params pr
    _fill(&pr, job)
    if E.shape[0] != pr.d or E.shape[1] != pr.stride or cst.shape[0] != pr.d \
            or cst.shape[1] != pr.stride:
        raise ValueError("E and cst must be (d, stride)")
    if I.shape[0] != pr.d or I.shape[1] != pr.l or P.shape[0] != pr.d or P.shape[1] != pr.l:
        raise ValueError("I and P must be (d, l)")
    cdef const double[:, ::1] mean
    cdef const double[:, ::1] corr
    cdef const double[:, ::1] isd
    cdef const double *mp = NULL
    cdef const double *cp = NULL
    cdef const double *sp = NULL
    if stats is not None:
        mean, corr, isd = stats
        if not _dxs(mean, pr) or not _dxs(corr, pr) or not _dxs(isd, pr):
            raise ValueError("stats must be three (d, stride) arrays")
        mp = &mean[0, 0]
        cp = &corr[0, 0]
        sp = &isd[0, 0]
    if r1 < 0 or r1 > pr.l:
        r1 = pr.l
    cdef int64_t i, k
    for k in range(pr.d):
        for i in range(r0, r1):
            if I[k, i] >= pr.l:
                raise ValueError("index out of range in I")
    # d distances, then d channel numbers (int64) for mpm_refine
    cdef double *scratch = <double *> malloc(2 * max(pr.d, 1) * sizeof(double))
    if scratch == NULL:
        raise MemoryError()
    with nogil:
        mpm_refine(&pr, &E[0, 0], &cst[0, 0], &I[0, 0], &P[0, 0], r0, r1, scratch, mp, cp,
                   sp)
    free(scratch)
