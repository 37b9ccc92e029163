"""Exact per-window arithmetic: window statistics, final distances, and MASS.

The band kernels only rank candidates; every distance mpcore reports is computed here from the
two windows themselves, so identical windows give exactly 0 and no recurrence drift reaches the
result.
"""
import numpy as np

from libc.math cimport sqrt, fabs, pow, frexp, ldexp, INFINITY, NAN
from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy, memset
from cpython.float cimport PyFloat_FromDouble
from cpython.long cimport PyLong_FromLongLong

cdef extern from "_kernels/band.h":
    ctypedef void (*mp_pow_fn)(const double *, int64_t, double, double *) noexcept nogil
    mp_pow_fn mp_pow_kernel_get(int i) noexcept nogil

# A general p's powers: the best band kernel's (_kernels/vpow.h; vector code, products for an
# integer p), whichever kernel ranks, so that a pair's exact distance is the same bits in every
# path that computes one (here, the streaming profiles', the distance profiles').
cdef mp_pow_fn _powers = mp_pow_kernel_get(0)
DEF _PCHUNK = 256

# ---------------------------------------------------------------------------------------------
# AVX2 versions of the hot loops of _wstats, _zdist2 and _pdist (p = 2).  Those loops keep four
# partial sums, t = 0, 4, 8, ... into a0, t + 1 into a1, and so on (the rest into a0), and join
# them as (a0 + a1) + (a2 + a3): exactly the four lanes of one 256-bit vector.  Each lane does
# the very IEEE operations of the scalar code in the same order (AVX2 without FMA: every product
# is rounded, as in the baseline build's scalar code), so the results are the same bits; the
# tests compare both paths.  Chosen at run time (set_simd); other compilers and CPUs keep the
# scalar loops.
cdef extern from *:
    """
    #include <stdint.h>
    #include <math.h>
    #if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    #define MPX_X86 1
    #include <immintrin.h>
    #define MPX_AVX2 __attribute__((target("avx2,no-fma")))
    #else
    #define MPX_X86 0
    #endif

    static int mpx_avx2_available(void) {
    #if MPX_X86
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") ? 1 : 0;
    #else
        return 0;
    #endif
    }

    #if MPX_X86
    /* _wstats' sums of two windows x, y: m0 = _sum / m, then s (sum of deviations) and q (sum
     * of squared deviations) about m0.  Two windows at once: each lane's additions are a chain
     * of dependent operations, two windows keep the core busier. */
    static MPX_AVX2 void mpx_wsums2(const double *x, const double *y, int64_t m, double *mx,
                                    double *sx, double *qx, double *my, double *sy,
                                    double *qy) {
        __m256d ax = _mm256_setzero_pd(), ay = _mm256_setzero_pd();
        double lx[4], ly[4], mux, muy, d;
        int64_t t = 0;
        for (; t + 4 <= m; t += 4) {
            ax = _mm256_add_pd(ax, _mm256_loadu_pd(x + t));
            ay = _mm256_add_pd(ay, _mm256_loadu_pd(y + t));
        }
        _mm256_storeu_pd(lx, ax);
        _mm256_storeu_pd(ly, ay);
        for (int64_t u = t; u < m; u++) {
            lx[0] += x[u];
            ly[0] += y[u];
        }
        mux = ((lx[0] + lx[1]) + (lx[2] + lx[3])) / (double)m;
        muy = ((ly[0] + ly[1]) + (ly[2] + ly[3])) / (double)m;
        const __m256d vx = _mm256_set1_pd(mux), vy = _mm256_set1_pd(muy);
        __m256d Sx = _mm256_setzero_pd(), Qx = _mm256_setzero_pd();
        __m256d Sy = _mm256_setzero_pd(), Qy = _mm256_setzero_pd();
        for (t = 0; t + 4 <= m; t += 4) {
            const __m256d dx = _mm256_sub_pd(_mm256_loadu_pd(x + t), vx);
            const __m256d dy = _mm256_sub_pd(_mm256_loadu_pd(y + t), vy);
            Sx = _mm256_add_pd(Sx, dx);
            Qx = _mm256_add_pd(Qx, _mm256_mul_pd(dx, dx));
            Sy = _mm256_add_pd(Sy, dy);
            Qy = _mm256_add_pd(Qy, _mm256_mul_pd(dy, dy));
        }
        double sxl[4], qxl[4], syl[4], qyl[4];
        _mm256_storeu_pd(sxl, Sx);
        _mm256_storeu_pd(qxl, Qx);
        _mm256_storeu_pd(syl, Sy);
        _mm256_storeu_pd(qyl, Qy);
        for (; t < m; t++) {
            d = x[t] - mux;
            sxl[0] += d;
            qxl[0] += d * d;
            d = y[t] - muy;
            syl[0] += d;
            qyl[0] += d * d;
        }
        *mx = mux;
        *sx = (sxl[0] + sxl[1]) + (sxl[2] + sxl[3]);
        *qx = (qxl[0] + qxl[1]) + (qxl[2] + qxl[3]);
        *my = muy;
        *sy = (syl[0] + syl[1]) + (syl[2] + syl[3]);
        *qy = (qyl[0] + qyl[1]) + (qyl[2] + qyl[3]);
    }

    static MPX_AVX2 void mpx_wsums1(const double *x, int64_t m, double *mx, double *sx,
                                    double *qx) {
        __m256d ax = _mm256_setzero_pd();
        double lx[4], mux, d;
        int64_t t = 0;
        for (; t + 4 <= m; t += 4) ax = _mm256_add_pd(ax, _mm256_loadu_pd(x + t));
        _mm256_storeu_pd(lx, ax);
        for (int64_t u = t; u < m; u++) lx[0] += x[u];
        mux = ((lx[0] + lx[1]) + (lx[2] + lx[3])) / (double)m;
        const __m256d vx = _mm256_set1_pd(mux);
        __m256d Sx = _mm256_setzero_pd(), Qx = _mm256_setzero_pd();
        for (t = 0; t + 4 <= m; t += 4) {
            const __m256d dx = _mm256_sub_pd(_mm256_loadu_pd(x + t), vx);
            Sx = _mm256_add_pd(Sx, dx);
            Qx = _mm256_add_pd(Qx, _mm256_mul_pd(dx, dx));
        }
        double sxl[4], qxl[4];
        _mm256_storeu_pd(sxl, Sx);
        _mm256_storeu_pd(qxl, Qx);
        for (; t < m; t++) {
            d = x[t] - mux;
            sxl[0] += d;
            qxl[0] += d * d;
        }
        *mx = mux;
        *sx = (sxl[0] + sxl[1]) + (sxl[2] + sxl[3]);
        *qx = (qxl[0] + qxl[1]) + (qxl[2] + qxl[3]);
    }

    /* _stats4 (series_stats' exact window statistics) of the windows x, x + 1, x + 2, x + 3:
     * lane j is window j, each doing _stats4's operations in its order. */
    static MPX_AVX2 void mpx_stats4(const double *x, int64_t m, double *mu, double *ssd) {
        const __m256d vm = _mm256_set1_pd((double)m);
        __m256d S = _mm256_setzero_pd(), M;
        int64_t t;
        for (t = 0; t < m; t++) S = _mm256_add_pd(S, _mm256_loadu_pd(x + t));
        M = _mm256_div_pd(S, vm);
        S = _mm256_setzero_pd();
        for (t = 0; t < m; t++) S = _mm256_add_pd(S, _mm256_sub_pd(_mm256_loadu_pd(x + t), M));
        M = _mm256_add_pd(M, _mm256_div_pd(S, vm));
        S = _mm256_setzero_pd();
        for (t = 0; t < m; t++) {
            const __m256d d = _mm256_sub_pd(_mm256_loadu_pd(x + t), M);
            S = _mm256_add_pd(S, _mm256_mul_pd(d, d));
        }
        _mm256_storeu_pd(mu, M);
        /* s > 0 ? s : +0.0 (NaN and -0.0 give +0.0) */
        _mm256_storeu_pd(ssd, _mm256_and_pd(_mm256_cmp_pd(S, _mm256_setzero_pd(), _CMP_GT_OQ), S));
    }

    /* _zdist2 of the window x against two windows y1, y2 (statistics unscaled: ax = ay = 1);
     * x's normalized values are formed once for both. */
    static MPX_AVX2 void mpx_zdist_pair(const double *x, double mx, double cx, double sx,
                                        const double *y1, double m1, double c1, double s1,
                                        const double *y2, double m2, double c2, double s2,
                                        int64_t m, double *d1, double *d2) {
        const __m256d vmx = _mm256_set1_pd(mx), vcx = _mm256_set1_pd(cx), vsx = _mm256_set1_pd(sx);
        const __m256d vm1 = _mm256_set1_pd(m1), vc1 = _mm256_set1_pd(c1), vs1 = _mm256_set1_pd(s1);
        const __m256d vm2 = _mm256_set1_pd(m2), vc2 = _mm256_set1_pd(c2), vs2 = _mm256_set1_pd(s2);
        __m256d A1 = _mm256_setzero_pd(), A2 = _mm256_setzero_pd();
        int64_t t = 0;
        for (; t + 4 <= m; t += 4) {
            const __m256d zx = _mm256_mul_pd(
                _mm256_sub_pd(_mm256_sub_pd(_mm256_loadu_pd(x + t), vmx), vcx), vsx);
            const __m256d z1 = _mm256_mul_pd(
                _mm256_sub_pd(_mm256_sub_pd(_mm256_loadu_pd(y1 + t), vm1), vc1), vs1);
            const __m256d z2 = _mm256_mul_pd(
                _mm256_sub_pd(_mm256_sub_pd(_mm256_loadu_pd(y2 + t), vm2), vc2), vs2);
            const __m256d e1 = _mm256_sub_pd(zx, z1), e2 = _mm256_sub_pd(zx, z2);
            A1 = _mm256_add_pd(A1, _mm256_mul_pd(e1, e1));
            A2 = _mm256_add_pd(A2, _mm256_mul_pd(e2, e2));
        }
        double a1[4], a2[4], z, e;
        _mm256_storeu_pd(a1, A1);
        _mm256_storeu_pd(a2, A2);
        for (; t < m; t++) {
            z = ((x[t] - mx) - cx) * sx;
            e = z - ((y1[t] - m1) - c1) * s1;
            a1[0] += e * e;
            e = z - ((y2[t] - m2) - c2) * s2;
            a2[0] += e * e;
        }
        *d1 = sqrt((a1[0] + a1[1]) + (a1[2] + a1[3]));
        *d2 = sqrt((a2[0] + a2[1]) + (a2[2] + a2[3]));
    }

    static MPX_AVX2 double mpx_zdist_one(const double *x, double mx, double cx, double sx,
                                         const double *y, double my, double cy, double sy,
                                         int64_t m) {
        const __m256d vmx = _mm256_set1_pd(mx), vcx = _mm256_set1_pd(cx), vsx = _mm256_set1_pd(sx);
        const __m256d vmy = _mm256_set1_pd(my), vcy = _mm256_set1_pd(cy), vsy = _mm256_set1_pd(sy);
        __m256d A = _mm256_setzero_pd();
        int64_t t = 0;
        for (; t + 4 <= m; t += 4) {
            const __m256d e = _mm256_sub_pd(
                _mm256_mul_pd(_mm256_sub_pd(_mm256_sub_pd(_mm256_loadu_pd(x + t), vmx), vcx), vsx),
                _mm256_mul_pd(_mm256_sub_pd(_mm256_sub_pd(_mm256_loadu_pd(y + t), vmy), vcy), vsy));
            A = _mm256_add_pd(A, _mm256_mul_pd(e, e));
        }
        double a[4], e;
        _mm256_storeu_pd(a, A);
        for (; t < m; t++) {
            e = ((x[t] - mx) - cx) * sx - ((y[t] - my) - cy) * sy;
            a[0] += e * e;
        }
        return sqrt((a[0] + a[1]) + (a[2] + a[3]));
    }

    /* _pdist with p = 2 of x against y1 and y2 */
    static MPX_AVX2 void mpx_p2dist_pair(const double *x, const double *y1, const double *y2,
                                         int64_t m, double *d1, double *d2) {
        __m256d A1 = _mm256_setzero_pd(), A2 = _mm256_setzero_pd();
        int64_t t = 0;
        for (; t + 4 <= m; t += 4) {
            const __m256d vx = _mm256_loadu_pd(x + t);
            const __m256d e1 = _mm256_sub_pd(vx, _mm256_loadu_pd(y1 + t));
            const __m256d e2 = _mm256_sub_pd(vx, _mm256_loadu_pd(y2 + t));
            A1 = _mm256_add_pd(A1, _mm256_mul_pd(e1, e1));
            A2 = _mm256_add_pd(A2, _mm256_mul_pd(e2, e2));
        }
        double a1[4], a2[4], e;
        _mm256_storeu_pd(a1, A1);
        _mm256_storeu_pd(a2, A2);
        for (; t < m; t++) {
            e = x[t] - y1[t];
            a1[0] += e * e;
            e = x[t] - y2[t];
            a2[0] += e * e;
        }
        *d1 = sqrt((a1[0] + a1[1]) + (a1[2] + a1[3]));
        *d2 = sqrt((a2[0] + a2[1]) + (a2[2] + a2[3]));
    }
    #else
    static void mpx_wsums1(const double *x, int64_t m, double *mx, double *sx, double *qx) {}
    static void mpx_stats4(const double *x, int64_t m, double *mu, double *ssd) {}
    static void mpx_wsums2(const double *x, const double *y, int64_t m, double *mx, double *sx,
                           double *qx, double *my, double *sy, double *qy) {}
    static void mpx_zdist_pair(const double *x, double mx, double cx, double sx,
                               const double *y1, double m1, double c1, double s1,
                               const double *y2, double m2, double c2, double s2,
                               int64_t m, double *d1, double *d2) {}
    static double mpx_zdist_one(const double *x, double mx, double cx, double sx,
                                const double *y, double my, double cy, double sy,
                                int64_t m) { return 0.0; }
    static void mpx_p2dist_pair(const double *x, const double *y1, const double *y2,
                                int64_t m, double *d1, double *d2) {}
    #endif
    """
    int mpx_avx2_available() noexcept nogil
    void mpx_wsums1(const double *x, int64_t m, double *mx, double *sx,
                    double *qx) noexcept nogil
    void mpx_stats4(const double *x, int64_t m, double *mu, double *ssd) noexcept nogil
    void mpx_wsums2(const double *x, const double *y, int64_t m, double *mx, double *sx,
                    double *qx, double *my, double *sy, double *qy) noexcept nogil
    void mpx_zdist_pair(const double *x, double mx, double cx, double sx, const double *y1,
                        double m1, double c1, double s1, const double *y2, double m2, double c2,
                        double s2, int64_t m, double *d1, double *d2) noexcept nogil
    double mpx_zdist_one(const double *x, double mx, double cx, double sx, const double *y,
                         double my, double cy, double sy, int64_t m) noexcept nogil
    void mpx_p2dist_pair(const double *x, const double *y1, const double *y2, int64_t m,
                         double *d1, double *d2) noexcept nogil


cdef extern from *:
    """
    /* A request to bring the line at p into cache.  On x86-64 an asm statement: GCC 12 at
     * -O2/-O3 dropped __builtin_prefetch calls inlined into refine_select's loop (its dead
     * code elimination removed every one; none was left in the object file). */
    static inline void mpx_prefetch(const void *p) {
    #if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
        __asm__ volatile("prefetcht0 %0" : : "m"(*(const char *) p));
    #elif defined(__GNUC__) || defined(__clang__)
        __builtin_prefetch(p, 0, 3);
    #else
        (void) p;
    #endif
    }
    /* The first lines of a window (up to 16 lines of 64 bytes, past which the hardware's own
     * stream prefetcher has caught on), asked for ahead of use: a profile's neighbours lie
     * anywhere in the series, so without this each candidate window waits on memory. */
    static inline void mpx_prefetch_window(const double *x, int64_t m) {
        const char *p = (const char *) x, *end = (const char *) (x + (m < 128 ? m : 128));
        for (; p < end; p += 64) mpx_prefetch(p);
        mpx_prefetch(end - 1);
    }
    """
    void mpx_prefetch_window(const double *x, int64_t m) noexcept nogil
    void mpx_prefetch(const void *p) noexcept nogil


cdef extern from "_kernels/window_top.h":
    void mp_window_top(const double *x, int64_t m, int64_t a, int64_t b, double *top,
                       int64_t *dq) noexcept nogil


cdef extern from "_kernels/select.h":
    void mp_select(double *a, int64_t n, int64_t k) noexcept nogil


cdef extern from "_kernels/reuse.h":
    # scratch blocks kept between calls (see there: a small call's malloc'd scratch was
    # faulted in again on every call)
    void *mp_take(size_t bytes) noexcept nogil
    void mp_give(void *p) noexcept nogil


cdef bint _simd = mpx_avx2_available() != 0


def simd_available():
    """Whether this CPU runs the AVX2 loops of the exact distances (same results either way)."""
    return mpx_avx2_available() != 0


def set_simd(bint on):
    """Use the AVX2 loops (True, where the CPU has them) or the scalar ones; returns the
    previous setting.  Both give the same bits: for tests and comparisons."""
    global _simd
    previous = _simd
    _simd = on and mpx_avx2_available() != 0
    return previous



cdef inline double _mean(const double *x, int64_t m) noexcept nogil:
    """Mean with one correction pass: the residual sum recovers most of the rounding error."""
    cdef double s = 0.0, c = 0.0, mu
    cdef int64_t t
    for t in range(m):
        s += x[t]
    mu = s / m
    for t in range(m):
        c += x[t] - mu
    return mu + c / m


cdef inline double _ssd(const double *x, int64_t m, double mu) noexcept nogil:
    cdef double s = 0.0, d
    cdef int64_t t
    for t in range(m):
        d = x[t] - mu
        s += d * d
    return s


cdef void _stats4(const double *x, int64_t m, double *mu, double *ssd) noexcept nogil:
    """_mean and _ssd of the four windows starting at x, x + 1, x + 2, x + 3, each by the very
    same operations in the same order (the same bits), interleaved: one window's sums are
    chains of dependent additions that leave the core mostly idle; four fill it."""
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, m0, m1, m2, m3, d0, d1, d2, d3
    cdef int64_t t
    for t in range(m):
        s0 += x[t]
        s1 += x[t + 1]
        s2 += x[t + 2]
        s3 += x[t + 3]
    m0 = s0 / m
    m1 = s1 / m
    m2 = s2 / m
    m3 = s3 / m
    s0 = s1 = s2 = s3 = 0.0
    for t in range(m):
        s0 += x[t] - m0
        s1 += x[t + 1] - m1
        s2 += x[t + 2] - m2
        s3 += x[t + 3] - m3
    m0 = m0 + s0 / m
    m1 = m1 + s1 / m
    m2 = m2 + s2 / m
    m3 = m3 + s3 / m
    s0 = s1 = s2 = s3 = 0.0
    for t in range(m):
        d0 = x[t] - m0
        d1 = x[t + 1] - m1
        d2 = x[t + 2] - m2
        d3 = x[t + 3] - m3
        s0 += d0 * d0
        s1 += d1 * d1
        s2 += d2 * d2
        s3 += d3 * d3
    mu[0] = m0
    mu[1] = m1
    mu[2] = m2
    mu[3] = m3
    ssd[0] = s0 if s0 > 0.0 else 0.0
    ssd[1] = s1 if s1 > 0.0 else 0.0
    ssd[2] = s2 if s2 > 0.0 else 0.0
    ssd[3] = s3 if s3 > 0.0 else 0.0


cdef void _window_stats(const double *T, int64_t n, int64_t m, double *mu,
                        double *ssd) noexcept nogil:
    _window_stats_range(T, m, mu, ssd, 0, n - m + 1)


cdef void _window_stats_range(const double *T, int64_t m, double *mu, double *ssd, int64_t a,
                              int64_t b) noexcept nogil:
    """Windows [a, b) of window_stats.  With ``a`` a multiple of 64 the bits are those of
    one pass over all windows: small windows go four at a time from a multiple of 4, long
    ones restart exactly at every multiple of 64."""
    cdef int64_t i
    cdef double mean = 0.0, q = 0.0, ref = 0.0, xin, xout, mnew
    cdef bint exact
    if m <= 64:  # every window exact: four at a time
        i = a
        while i + 4 <= b:
            if _simd:
                mpx_stats4(&T[i], m, &mu[i], &ssd[i])
            else:
                _stats4(&T[i], m, &mu[i], &ssd[i])
            i += 4
        while i < b:
            mean = _mean(&T[i], m)
            q = _ssd(&T[i], m, mean)
            mu[i] = mean
            ssd[i] = q if q > 0.0 else 0.0
            i += 1
        return
    for i in range(a, b):
        exact = i % 64 == 0 or i == a
        if not exact:
            xout = T[i - 1]
            xin = T[i + m - 1]
            mnew = mean + (xin - xout) / m
            q = q + (xin - xout) * (xin - mnew + xout - mean)
            mean = mnew
            exact = q < ref * 1e-3 or q <= 0.0
        if exact:
            mean = _mean(&T[i], m)
            q = _ssd(&T[i], m, mean)
            ref = q
        mu[i] = mean
        ssd[i] = q if q > 0.0 else 0.0


cdef inline void _two_sum(double a, double b, double *hi, double *lo) noexcept nogil:
    """hi + lo = a + b exactly, hi = fl(a + b) (Knuth's TwoSum: any magnitudes)."""
    cdef double s = a + b, bb = s - a
    hi[0] = s
    lo[0] = (a - (s - bb)) + (b - bb)


cdef inline double _residual(const double *x, int64_t m, double mu) noexcept nogil:
    """The mean of the window's deviations from ``mu`` (the part of its mean that ``mu``, a
    float64, could not hold): ``x - mu`` is exact for values near the mean, so this keeps
    the digits that an offset far above the window's spread rounds away.  Summed with
    TwoSum's error terms: a window across a jump has partial sums of its deviations near m
    times its spread, whose plain rounding (m^2 eps of the spread, over m) is what the
    residual is for."""
    cdef double s = 0.0, c = 0.0, e
    cdef int64_t t
    for t in range(m):
        _two_sum(s, x[t] - mu, &s, &e)
        c += e
    return (s + c) / m


cdef void _series_wstats(const double *T, int64_t m, double *mu, double *mulo, double *ssd,
                         int64_t a, int64_t b) noexcept nogil:
    """Windows [a, b) of the kernel series' statistics: each mean as ``mu + mulo`` (a
    double-double) and the sum of squared deviations from it.  The kernels form their
    operands as ``(x - mu) - mulo`` (mp_series.mulo in _kernels/band.h), which is exact to
    the rounding of the deviation itself: on a plateau of 1e3 + 1e-7 noise, a mean rounded
    to float64 is off by ~1e-13, 1e-6 of the deviations, and the co-moments of its windows
    were rounding noise; with the residual, they keep float64's relative precision whatever
    the level.  Up to m = 64, each window exactly (window_stats' bits, then the residual;
    the squares about the rounded mean exceed those about the true one by exactly
    m mulo^2); longer windows slide, the mean as a double-double, restarting exactly at
    every multiple of 64 (and at ``a``) and wherever the sum of squares falls below 1e-3 of
    its last exact value (a spike left the window), so the bits are those of one pass over
    all windows for any cut at multiples of 64."""
    cdef int64_t i, t
    cdef double lo, q, ref = 0.0, mh = 0.0, ml = 0.0, xin, xout, d, nh, nl, e, dv
    cdef bint exact
    if m <= 64:
        _window_stats_range(T, m, mu, ssd, a, b)
        for i in range(a, b):
            lo = _residual(&T[i], m, mu[i])
            mulo[i] = lo
            q = ssd[i] - m * lo * lo
            ssd[i] = q if q > 0.0 else 0.0
        return
    q = 0.0
    for i in range(a, b):
        exact = i % 64 == 0 or i == a
        if not exact:
            xin = T[i + m - 1]
            xout = T[i - 1]
            d = xin - xout
            _two_sum(mh, d / m, &nh, &e)
            _two_sum(nh, ml + e, &nh, &nl)
            q = q + d * (((xin - nh) - nl) + ((xout - mh) - ml))
            mh = nh
            ml = nl
            exact = q < ref * 1e-3 or q <= 0.0
        if exact:
            mh = _mean(&T[i], m)
            ml = _residual(&T[i], m, mh)
            q = 0.0
            for t in range(m):
                dv = (T[i + t] - mh) - ml
                q += dv * dv
            ref = q
        mu[i] = mh
        mulo[i] = ml
        ssd[i] = q if q > 0.0 else 0.0


def window_stats(const double[::1] T, int64_t m):
    """Means and sums of squared deviations of every window of length ``m``.

    Small windows are computed exactly (two passes); long ones slide the sums and start again
    from an exact window every 64 steps, or sooner if the sum of squares shrinks a thousandfold
    (a flat stretch after a busy one), where a sliding update would lose its relative accuracy.
    """
    cdef int64_t n = T.shape[0], l = n - m + 1
    mu_arr = np.empty(l)
    ssd_arr = np.empty(l)
    cdef double[::1] mu = mu_arr, ssd = ssd_arr
    if l > 0:
        with nogil:
            _window_stats(&T[0], n, m, &mu[0], &ssd[0])
    return mu_arr, ssd_arr


def shift_is_exact(const double[::1] T, double shift, double scale):
    """Whether ``x * scale - shift * scale`` (the kernel series, as _series_points forms it)
    rounds none of the finite values ``x`` of ``T``: TwoSum's error term is 0 for each (true
    of an offset series less its median, Sterbenz).  One pass, no temporaries."""
    cdef Py_ssize_t i, n = T.shape[0]
    cdef double b = -shift * scale, d, e
    cdef bint exact = True
    with nogil:
        for i in range(n):
            if not _finite(T[i]):
                continue
            _two_sum(T[i] * scale, b, &d, &e)
            if e != 0.0:
                exact = False
                break
    return exact


def window_stats_dd(const double[::1] T, int64_t m):
    """Means as double-doubles and sums of squared deviations from them (``mu``, ``mulo``,
    ``ssd``) of every window of length ``m``: the statistics of the kernel series
    (_series_wstats, as series_stats computes them)."""
    cdef int64_t n = T.shape[0], l = n - m + 1
    if m < 1:
        raise ValueError("window_stats_dd: need m >= 1")
    mu_arr = np.empty(max(l, 0))
    lo_arr = np.empty(max(l, 0))
    ssd_arr = np.empty(max(l, 0))
    cdef double[::1] mu = mu_arr, lo = lo_arr, ssd = ssd_arr
    if l > 0:
        with nogil:
            _series_wstats(&T[0], m, &mu[0], &lo[0], &ssd[0], 0, l)
    return mu_arr, lo_arr, ssd_arr


# The loops below keep four partial sums: a single running sum is a serial chain the compiler may
# not reorder (no fast-math here), so one accumulator would leave most of the core idle.  The
# split is fixed, so results stay deterministic.

cdef inline double _sum(const double *x, int64_t m) noexcept nogil:
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
    cdef int64_t t = 0
    while t + 4 <= m:
        a0 += x[t]
        a1 += x[t + 1]
        a2 += x[t + 2]
        a3 += x[t + 3]
        t += 4
    while t < m:
        a0 += x[t]
        t += 1
    return (a0 + a1) + (a2 + a3)


cdef inline void _wsums(const double *x, int64_t m, double *mu, double *sd,
                        double *sq) noexcept nogil:
    """_wstats' sums, scalar: the mean ``_sum / m``, and the sums of the deviations from it and
    of their squares (mpx_wsums1 is the same in AVX2)."""
    cdef double m0 = _sum(x, m) / m, d0, d1, d2, d3
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, q0 = 0.0, q1 = 0.0, q2 = 0.0, q3 = 0.0
    cdef int64_t t = 0
    while t + 4 <= m:
        d0 = x[t] - m0
        d1 = x[t + 1] - m0
        d2 = x[t + 2] - m0
        d3 = x[t + 3] - m0
        s0 += d0
        s1 += d1
        s2 += d2
        s3 += d3
        q0 += d0 * d0
        q1 += d1 * d1
        q2 += d2 * d2
        q3 += d3 * d3
        t += 4
    while t < m:
        d0 = x[t] - m0
        s0 += d0
        q0 += d0 * d0
        t += 1
    mu[0] = m0
    sd[0] = (s0 + s1) + (s2 + s3)
    sq[0] = (q0 + q1) + (q2 + q3)


cdef inline void _wstats_finish(const double *x, int64_t m, double m0, double s0, double q0,
                                double *mu, double *corr, double *isd, double *sc) noexcept nogil:
    if not (1e-200 <= q0 <= 1e200):  # also NaN: a sum that overflowed
        _wstats_scaled(x, m, mu, corr, isd, sc)
        return
    mu[0] = m0
    corr[0] = s0 / m
    isd[0] = sqrt(m / (q0 - s0 * s0 / m))
    sc[0] = 1.0


cdef inline void _wstats(const double *x, int64_t m, double *mu, double *corr, double *isd,
                         double *sc) noexcept nogil:
    """Mean and sqrt(m / sum of squared deviations) of one window: the corrected two-pass
    algorithm, deterministic, so equal windows get bitwise equal statistics.  The statistics
    are those of ``x * sc``, and the mean is returned as ``mu + corr`` and used as
    ``(x * sc - mu) - corr``: ``x - mu`` is exact for values near the mean, so a window of
    1e9 + 1e-3 noise keeps the digits of its noise.  ``sc`` is 1 unless the window's values
    or squared deviations leave the safe range of float64 (1e300, 1e-300; see _wstats_scaled)."""
    cdef double m0, s0, q0
    if _simd:
        mpx_wsums1(x, m, &m0, &s0, &q0)
    else:
        _wsums(x, m, &m0, &s0, &q0)
    _wstats_finish(x, m, m0, s0, q0, mu, corr, isd, sc)


cdef void _zstats_range(const double *T, int64_t m, const uint8_t *usable, double *S,
                        int64_t r0, int64_t r1) noexcept nogil:
    """_wstats of the usable windows j in [r0, r1) into S[4 j : 4 j + 4] (mean, correction,
    inverse norm, scale); with AVX2 two windows at a time (the same bits)."""
    cdef int64_t j, pend = -1
    cdef double m0, s0, q0, m1, s1, q1
    for j in range(r0, r1):
        if not usable[j]:
            continue
        if not _simd:
            _wstats(&T[j], m, &S[4 * j], &S[4 * j + 1], &S[4 * j + 2], &S[4 * j + 3])
        elif pend < 0:
            pend = j
        else:
            mpx_wsums2(&T[pend], &T[j], m, &m0, &s0, &q0, &m1, &s1, &q1)
            _wstats_finish(&T[pend], m, m0, s0, q0, &S[4 * pend], &S[4 * pend + 1],
                           &S[4 * pend + 2], &S[4 * pend + 3])
            _wstats_finish(&T[j], m, m1, s1, q1, &S[4 * j], &S[4 * j + 1], &S[4 * j + 2],
                           &S[4 * j + 3])
            pend = -1
    if pend >= 0:
        _wstats(&T[pend], m, &S[4 * pend], &S[4 * pend + 1], &S[4 * pend + 2],
                &S[4 * pend + 3])


cdef inline double _pow2_under(double top) noexcept nogil:
    """A power of two p with top * p in [0.5, 1), kept within float64's normal range."""
    cdef int e
    frexp(top, &e)
    return ldexp(1.0, min(1020, max(-1020, -e)))


cdef void _wstats_scaled(const double *x, int64_t m, double *mu, double *corr, double *isd,
                         double *sc) noexcept nogil:
    """_wstats for a window whose sums or squares would over- or underflow (values near 1e306,
    deviations near 1e-300): the window is scaled by a power of two to |x| ~ 1 (exact), its
    deviations by a second one, and the second taken out again."""
    cdef double top = 0.0, s1, s2, m0 = 0.0, d, s = 0.0, q = 0.0
    cdef int64_t t
    for t in range(m):
        top = max(top, fabs(x[t]))
    s1 = _pow2_under(top) if top > 0.0 else 1.0
    for t in range(m):
        m0 += x[t] * s1
    m0 = m0 / m
    top = 0.0
    for t in range(m):
        top = max(top, fabs(x[t] * s1 - m0))
    mu[0] = m0
    sc[0] = s1
    if top == 0.0:
        corr[0] = 0.0
        isd[0] = INFINITY
        return
    s2 = _pow2_under(top)
    for t in range(m):
        d = (x[t] * s1 - m0) * s2
        s += d
        q += d * d
    corr[0] = s / (m * s2)
    isd[0] = sqrt(m / (q - s * s / m)) * s2


cdef inline double _zdist2(const double *x, double mx, double cx, double sx, double ax,
                           const double *y, double my, double cy, double sy, double ay,
                           int64_t m) noexcept nogil:
    """z-normalized distance of two non-constant windows with known statistics (_wstats)."""
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, d0, d1, d2, d3
    cdef int64_t t = 0
    if ax == 1.0 and ay == 1.0 and _simd:
        return mpx_zdist_one(x, mx, cx, sx, y, my, cy, sy, m)
    if ax != 1.0 or ay != 1.0:  # a scaled window (_wstats_scaled): rare, kept out of the loop
        while t < m:
            d0 = ((x[t] * ax - mx) - cx) * sx - ((y[t] * ay - my) - cy) * sy
            a0 += d0 * d0
            t += 1
        return sqrt(a0)
    while t + 4 <= m:
        d0 = ((x[t] - mx) - cx) * sx - ((y[t] - my) - cy) * sy
        d1 = ((x[t + 1] - mx) - cx) * sx - ((y[t + 1] - my) - cy) * sy
        d2 = ((x[t + 2] - mx) - cx) * sx - ((y[t + 2] - my) - cy) * sy
        d3 = ((x[t + 3] - mx) - cx) * sx - ((y[t + 3] - my) - cy) * sy
        a0 += d0 * d0
        a1 += d1 * d1
        a2 += d2 * d2
        a3 += d3 * d3
        t += 4
    while t < m:
        d0 = ((x[t] - mx) - cx) * sx - ((y[t] - my) - cy) * sy
        a0 += d0 * d0
        t += 1
    return sqrt((a0 + a1) + (a2 + a3))


cdef inline double _pdist(const double *x, const double *y, int64_t m, double p) noexcept nogil:
    cdef double s = 0.0, d, a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, d1, d2, d3
    cdef int64_t t = 0
    if p == 2.0:
        while t + 4 <= m:
            d = x[t] - y[t]
            d1 = x[t + 1] - y[t + 1]
            d2 = x[t + 2] - y[t + 2]
            d3 = x[t + 3] - y[t + 3]
            a0 += d * d
            a1 += d1 * d1
            a2 += d2 * d2
            a3 += d3 * d3
            t += 4
        while t < m:
            d = x[t] - y[t]
            a0 += d * d
            t += 1
        return sqrt((a0 + a1) + (a2 + a3))
    if p == 1.0:
        for t in range(m):
            s += fabs(x[t] - y[t])
        return s
    # the terms summed in window order, their powers a chunk at a time (sb_pdist's way)
    cdef double terms[_PCHUNK]
    cdef int64_t t0 = 0, nt
    while t0 < m:
        nt = min(<int64_t> _PCHUNK, m - t0)
        for t in range(nt):
            terms[t] = fabs(x[t0 + t] - y[t0 + t])
        _powers(terms, nt, p, terms)
        for t in range(nt):
            s += terms[t]
        t0 += nt
    return pow(s, 1.0 / p)


cdef inline int64_t _tie_key(int64_t row, int64_t j, bint nearest) noexcept nogil:
    """STUMPY's order among equally near neighbours.  Its self-join walks the diagonals
    outwards and keeps the first of equal distances, so the nearest in time wins, the left one
    when both sides are as near; an AB-join walks the columns in order, so the lowest index."""
    if not nearest:
        return j
    return 2 * (j - row) + 1 if j > row else 2 * (row - j)


cdef inline bint _before(double da, int64_t ka, int64_t ia, double db, int64_t kb,
                         int64_t ib) noexcept nogil:
    """Result order: smaller distance first, then the smaller tie key; empty entries (-1)
    last."""
    if ia < 0:
        return False
    if ib < 0:
        return True
    return da < db or (da == db and ka < kb)


cdef void _refine_row(const double *TX, const double *TY, int64_t m, bint normalize, double p,
                      const uint8_t *constX, const uint8_t *constY, int64_t r, int64_t *I,
                      double *D, int64_t k, bint nearest, const double *SX,
                      const double *SY) noexcept nogil:
    """refine() of one row: ``I``/``D`` are its k entries, ``SX``/``SY`` the (l, 4) statistics
    of window_zstats, or NULL.  With AVX2, ordinary pairs go two at a time (the row's window
    normalized once for both; the same bits as one at a time)."""
    cdef int64_t q, j, a, ib, kb, pq = -1, pj = 0
    cdef double sm = sqrt(<double> m), db, mx = 0.0, cx = 0.0, sx = 0.0, ax = 1.0, my, cy, sy
    cdef double ay, pm = 0.0, pc = 0.0, ps = 0.0
    cdef bint given = SX != NULL and SY != NULL, vec = _simd
    if normalize and not constX[r]:  # (any entry may be the first non-empty one)
        if given:
            mx, cx, sx, ax = SX[4 * r], SX[4 * r + 1], SX[4 * r + 2], SX[4 * r + 3]
        else:
            _wstats(&TX[r], m, &mx, &cx, &sx, &ax)
    for q in range(k):
        j = I[q]
        if j < 0:
            D[q] = INFINITY
        elif not normalize:
            if vec and p == 2.0:
                if pq < 0:
                    pq = q
                    pj = j
                else:
                    mpx_p2dist_pair(&TX[r], &TY[pj], &TY[j], m, &D[pq], &D[q])
                    pq = -1
            else:
                D[q] = _pdist(&TX[r], &TY[j], m, p)
        elif constX[r] and constY[j]:
            D[q] = 0.0
        elif constX[r] or constY[j]:
            D[q] = sm
        else:
            if given:
                my, cy, sy, ay = SY[4 * j], SY[4 * j + 1], SY[4 * j + 2], SY[4 * j + 3]
            else:
                _wstats(&TY[j], m, &my, &cy, &sy, &ay)
            if vec and ax == 1.0 and ay == 1.0:
                if pq < 0:
                    pq = q
                    pj = j
                    pm = my
                    pc = cy
                    ps = sy
                else:
                    mpx_zdist_pair(&TX[r], mx, cx, sx, &TY[pj], pm, pc, ps, &TY[j], my, cy, sy,
                                   m, &D[pq], &D[q])
                    pq = -1
            else:
                D[q] = _zdist2(&TX[r], mx, cx, sx, ax, &TY[j], my, cy, sy, ay, m)
    if pq >= 0:  # an odd one left
        if normalize:
            D[pq] = _zdist2(&TX[r], mx, cx, sx, 1.0, &TY[pj], pm, pc, ps, 1.0, m)
        else:
            D[pq] = _pdist(&TX[r], &TY[pj], m, p)
    # k is small: insertion sort
    for q in range(1, k):
        db = D[q]
        ib = I[q]
        kb = _tie_key(r, ib, nearest)
        a = q
        while a > 0 and _before(db, kb, ib, D[a - 1], _tie_key(r, I[a - 1], nearest), I[a - 1]):
            D[a] = D[a - 1]
            I[a] = I[a - 1]
            a -= 1
        D[a] = db
        I[a] = ib


# Rows ahead whose candidates refine/refine_select ask memory for (_prefetch_row): a
# profile's neighbours are scattered, so each row's candidates are misses, about 28 lines
# at m = 100.  Only where the candidates' series is long (REFINE_PREFETCH_FROM values and
# more, ~2.7 MB of series, statistics and flags): below it they are in cache and the
# requests cost time.  Random neighbours, m = 100, one thread, refine_select (alternated
# builds, medians): n = 2**15 +8 % (so not there), 2**16 even, 2**17 0.025 -> 0.017 s,
# 2**18 0.060 -> 0.041 s, 2**20 0.29-0.32 -> 0.22 s; 8, 16 and 32 rows ahead alike.
cdef enum:
    REFINE_AHEAD = 16
    REFINE_PREFETCH_FROM = 1 << 16


cdef inline void _prefetch_row(const double *TY, const uint8_t *constY, int64_t m,
                               const int64_t *I, int64_t c, const double *SY) noexcept nogil:
    """Ask memory for what a row's refinement will read of its candidates ``I[:c]``: their
    windows, constant flags and statistics, which lie anywhere in the series (the row's own
    come in order, which the hardware foresees)."""
    cdef int64_t q, j
    for q in range(c):
        j = I[q]
        if j >= 0:
            mpx_prefetch_window(&TY[j], m)
            mpx_prefetch(&constY[j])
            if SY != NULL:
                mpx_prefetch(&SY[4 * j])


cdef const double *_stats_ptr(const double[:, ::1] S) except? NULL:
    if S is None or S.shape[0] == 0:
        return NULL
    if S.shape[1] != 4:
        raise ValueError("window statistics must be (l, 4), from window_zstats")
    return &S[0, 0]


def refine(const double[::1] TX, const double[::1] TY, int64_t m, bint normalize, double p,
           const uint8_t[::1] constX, const uint8_t[::1] constY, int64_t[:, ::1] I,
           double[:, ::1] D, int64_t r0=0, int64_t r1=-1, bint nearest=False,
           const double[:, ::1] SX=None, const double[:, ::1] SY=None):
    """Exact distances of every (row, I[row, q]) pair into ``D``, rows then sorted by distance,
    equal distances in STUMPY's order (``nearest``: the self-join's, nearest in time first;
    else the lowest index first).

    Pairs with one constant window are ``sqrt(m)`` apart and two constant windows 0 (STUMPY's
    rules); empty entries (-1) get ``inf``.  Only rows ``r0 <= r < r1`` are done, so that
    threads can share the work (the GIL is released).  ``SX``/``SY``: the windows' statistics
    from window_zstats, when the caller has them (the same numbers, computed once).
    """
    cdef int64_t l = I.shape[0], k = I.shape[1], r
    cdef const double *sx = NULL
    cdef const double *sy = NULL
    if SX is not None and SY is not None:
        sx = _stats_ptr(SX)
        sy = _stats_ptr(SY)
    if r1 < 0 or r1 > l:
        r1 = l
    if k == 0:
        return
    cdef bint ahead = TY.shape[0] >= REFINE_PREFETCH_FROM
    with nogil:
        for r in range(r0, r1):
            if ahead and r + REFINE_AHEAD < r1:
                _prefetch_row(&TY[0], &constY[0], m, &I[r + REFINE_AHEAD, 0], k, sy)
            _refine_row(&TX[0], &TY[0], m, normalize, p, &constX[0], &constY[0], r, &I[r, 0],
                        &D[r, 0], k, nearest, sx, sy)


def refine_select(const double[::1] TX, const double[::1] TY, int64_t m, bint normalize,
                  double p, const uint8_t[::1] constX, const uint8_t[::1] constY,
                  int64_t[:, ::1] I, double[:, ::1] D, int64_t r0, int64_t r1, bint nearest,
                  const double[:, ::1] SX, const double[:, ::1] SY, int64_t[:, ::1] outI,
                  double[:, ::1] outD, int64_t[::1] left=None, int64_t[::1] right=None):
    """:func:`refine` of the candidates ``I`` (scratch: sorted in place, ``D`` their
    distances), then each row's result: its first ``k = outI.shape[1]`` distinct entries in
    that order into ``outI``/``outD`` (a repeated candidate sorts next to its first copy, which
    is kept; ``-1``/``inf`` where fewer are left), and, when ``left``/``right`` are given, the
    first entry before / after the row itself (the self-join's left and right neighbours; -1
    if none).  Rows ``r0 <= r < r1`` only, the GIL released.
    """
    cdef int64_t l = I.shape[0], c = I.shape[1], k = outI.shape[1], r, q, j, out, lj, rj
    cdef const double *sx = _stats_ptr(SX) if (SX is not None and SY is not None) else NULL
    cdef const double *sy = _stats_ptr(SY) if (SX is not None and SY is not None) else NULL
    cdef bint sides = left is not None and right is not None
    if D.shape[0] != l or D.shape[1] != c or outI.shape[0] != l or outD.shape[0] != l \
            or outD.shape[1] != k or (sides and (left.shape[0] != l or right.shape[0] != l)):
        raise ValueError("refine_select: array shapes differ")
    if r1 < 0 or r1 > l:
        r1 = l
    cdef bint ahead = TY.shape[0] >= REFINE_PREFETCH_FROM
    with nogil:
        for r in range(r0, r1):
            if ahead and r + REFINE_AHEAD < r1:
                _prefetch_row(&TY[0], &constY[0], m, &I[r + REFINE_AHEAD, 0], c, sy)
            if c > 0:
                _refine_row(&TX[0], &TY[0], m, normalize, p, &constX[0], &constY[0], r,
                            &I[r, 0], &D[r, 0], c, nearest, sx, sy)
            out = 0
            lj = -1
            rj = -1
            for q in range(c):
                j = I[r, q]
                if q > 0 and j >= 0 and j == I[r, q - 1]:
                    continue  # a repeat (same distance, same key: right after its first copy)
                if out < k:
                    outI[r, out] = j
                    outD[r, out] = D[r, q]
                    out += 1
                if j > r and rj < 0:
                    rj = j
                elif 0 <= j < r and lj < 0:
                    lj = j
            while out < k:
                outI[r, out] = -1
                outD[r, out] = INFINITY
                out += 1
            if sides:
                left[r] = lj
                right[r] = rj


def window_zstats(const double[::1] T, int64_t m, const uint8_t[::1] usable, out=None,
                  int64_t r0=0, int64_t r1=-1):
    """The statistics refine() needs of every window (mean, correction, inverse norm, scale:
    see _wstats), in one (l, 4) array; zeros where ``usable`` is 0.  With ``out`` (zeros,
    (l, 4)) only its rows ``r0 <= j < r1`` are filled, so that threads can share the work."""
    cdef int64_t l = T.shape[0] - m + 1, j
    if out is None:
        out = np.zeros((max(l, 0), 4))
    cdef double[:, ::1] S = out
    if S.shape[0] != max(l, 0) or S.shape[1] != 4:
        raise ValueError("window_zstats: out must be (l, 4)")
    if r1 < 0 or r1 > l:
        r1 = l
    if usable.shape[0] < r1:
        raise ValueError("window_zstats: usable must have one entry per window")
    if r0 < r1:
        with nogil:
            _zstats_range(&T[0], m, &usable[0], &S[0, 0], r0, r1)
    return out


def distance_profile(const double[::1] Q, const double[::1] T, int64_t m, bint normalize,
                     double p, const uint8_t[::1] valid, const uint8_t[::1] constT,
                     bint constQ, const double[::1] M_T=None, const double[::1] S_T=None,
                     const double[:, ::1] stats=None):
    """Exact distances from the window ``Q`` to every window of ``T`` (MASS, without the FFT).

    ``M_T``/``S_T`` are caller-supplied window means and standard deviations; when given they
    replace the ones computed here, as in STUMPY's ``mass``; ``stats`` (window_zstats of ``T``)
    are the same numbers computed once, for callers that take many profiles of one series.
    """
    cdef int64_t l = T.shape[0] - m + 1, j
    out = np.empty(l)
    cdef double[::1] D = out
    cdef double mq = 0.0, cq = 0.0, sq = 0.0, aq = 1.0, mt, ct, st, at, sm = sqrt(<double> m)
    cdef bint given = M_T is not None and S_T is not None
    cdef bint have_stats = stats is not None
    with nogil:
        if normalize and not constQ:
            _wstats(&Q[0], m, &mq, &cq, &sq, &aq)
        for j in range(l):
            if not valid[j]:
                D[j] = INFINITY
            elif not normalize:
                D[j] = _pdist(&Q[0], &T[j], m, p)
            elif constQ and constT[j]:
                D[j] = 0.0
            elif constQ or constT[j]:
                D[j] = sm
            else:
                if given:
                    mt = M_T[j]
                    ct = 0.0
                    st = 1.0 / S_T[j]
                    at = 1.0
                elif have_stats:
                    mt, ct, st, at = stats[j, 0], stats[j, 1], stats[j, 2], stats[j, 3]
                else:
                    _wstats(&T[j], m, &mt, &ct, &st, &at)
                D[j] = _zdist2(&Q[0], mq, cq, sq, aq, &T[j], mt, ct, st, at, m)
    return out


cdef inline bint _same_window(const double *x, const double *y, int64_t m) noexcept nogil:
    cdef int64_t t
    for t in range(m):
        if x[t] != y[t]:  # 0.0 == -0.0: equal values give equal distances
            return False
    return True


cdef inline uint64_t _mix(uint64_t z) noexcept nogil:
    """splitmix64's finalizer: every bit of the rolling hash reaches the low bits that pick a
    slot (values like 1.0, 2.0 have all-zero low mantissa bits, and so do their hashes)."""
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline uint64_t _value_bits(double v) noexcept nogil:
    """The bits a window's hash takes of a value: non-finite values as 0, -0.0 as 0.0."""
    cdef double x = v + 0.0 if (fabs(v) != INFINITY and v == v) else 0.0
    cdef uint64_t b
    memcpy(&b, &x, sizeof(double))
    return b


# The table of class representatives: one uint64 a slot, twice as many slots as windows, a
# slot holding a representative's index + 1 (0: empty) in its low CLASSES_INDEX_BITS bits and
# the top bits of its hash above, so that a probe rejects another class without reading the
# series.  (8 bytes a slot, not 16: at 2**20 windows the table, 16 MB, then stays in this
# machine's 32 MB L3; with 16 it took 0.035 s there, 0.008 s at 2**19.)
DEF CLASSES_INDEX_BITS = 40
# Windows ahead whose slot _window_classes asks memory for (each window's slot is a random
# place in the table); the hashes run that far ahead in a ring, not in an array of l hashes.
DEF CLASSES_AHEAD = 16
DEF CLASSES_RING = 32  # a power of two above CLASSES_AHEAD


cdef int64_t _window_classes(const double *T, int64_t n, int64_t m, const uint8_t *usable,
                            int64_t *cls) noexcept nogil:
    """window_classes into ``cls`` (l entries); returns the number of repeats, -1 when out of
    memory, or -2 for more windows than the table can index."""
    cdef int64_t l = n - m + 1, i, j, t, r, repeats = 0
    cdef uint64_t B = 0x9E3779B97F4A7C15ULL, Bm = 1, h = 0, cap = 16, slot, mask, e, tag
    cdef uint64_t low = (1ULL << CLASSES_INDEX_BITS) - 1
    cdef uint64_t ring[CLASSES_RING]
    if l <= 0:
        return 0
    if <uint64_t> l >= low:
        return -2
    while cap < 2 * <uint64_t> l:
        cap *= 2
    mask = cap - 1
    cdef uint64_t *slots = <uint64_t *> mp_take(cap * sizeof(uint64_t))
    if slots == NULL:
        return -1
    memset(slots, 0, cap * sizeof(uint64_t))
    for t in range(m):
        Bm = Bm * B
    # the rolling hash of window j (values j .. j + m - 1), run CLASSES_AHEAD windows ahead
    for t in range(m - 1):
        h = h * B + _value_bits(T[t])
    j = 0
    for i in range(l):  # in index order: each class is named by its first window
        while j < l and j <= i + CLASSES_AHEAD:
            h = h * B + _value_bits(T[j + m - 1])
            if j > 0:
                h = h - Bm * _value_bits(T[j - 1])
            ring[j & (CLASSES_RING - 1)] = _mix(h)
            if j > i:
                mpx_prefetch(&slots[ring[j & (CLASSES_RING - 1)] & mask])
            j += 1
        cls[i] = -1
        if not usable[i]:
            continue
        e = ring[i & (CLASSES_RING - 1)]
        slot = e & mask
        tag = e & ~low
        while True:
            e = slots[slot]
            if e == 0:  # no representative matches: i starts a class
                slots[slot] = tag | <uint64_t> (i + 1)
                cls[i] = i
                break
            r = <int64_t> (e & low) - 1
            if (e & ~low) == tag and _same_window(&T[r], &T[i], m):
                cls[i] = r
                repeats += 1
                break
            slot = (slot + 1) & mask
    mp_give(slots)
    return repeats


def window_classes(const double[::1] T, int64_t m, const uint8_t[::1] usable,
                   bint count=False):
    """For every window, the lowest index of a window with the same values (itself if none),
    or -1 where ``usable`` is 0.  ``count=True`` returns ``(classes, repeats)``, ``repeats``
    the number of usable windows whose class is not themselves (0: every window is unique).

    Identical windows are at bitwise equal exact distances from every other window: the ties
    STUMPY's order must decide.  A 64-bit rolling hash (odd multiplier, arithmetic modulo 2**64)
    of the values' bits (non-finite values as 0, -0.0 as 0.0) puts the windows, in index
    order, into an open-addressing table of class representatives; a window is compared value
    by value with the representatives of its hash, so a hash collision can never merge
    different windows, and each class is named by its first window.  O(n) expected.
    """
    cdef int64_t n = T.shape[0], l = n - m + 1, repeats = 0
    cls_arr = np.empty(max(l, 0), dtype=np.int64)
    cdef int64_t[::1] cls = cls_arr
    if l > 0:
        with nogil:
            repeats = _window_classes(&T[0], n, m, &usable[0], &cls[0])
        if repeats == -2:
            raise ValueError(f"window_classes: {l} windows, more than it can index")
        if repeats < 0:
            raise MemoryError()
    return (cls_arr, repeats) if count else cls_arr


# ---------------------------------------------------------------------------------------------
# The prepare step's per-series work (see mpcore._prepare), one compiled pass instead of some
# forty NumPy calls: for the small inputs that mpdist, snippets, ostinato and stimp call the core
# with, those calls cost more than the search itself.  Each value is computed by the same IEEE
# operations, in the same order, as the NumPy expressions it replaces, so the results are the
# same bits.

cdef double _finite_top(const double[::1] T) noexcept nogil:
    """max |T| over the finite values (0 if none)."""
    cdef double top = 0.0, a
    cdef Py_ssize_t i
    for i in range(T.shape[0]):
        a = fabs(T[i])
        if a > top and a != INFINITY:  # NaN compares False
            top = a
    return top


def finite_top(series):
    """The largest finite ``|value|`` over all the given float64 arrays (0 if none)."""
    cdef double top = 0.0
    cdef const double[::1] T
    for x in series:
        T = x
        top = max(top, _finite_top(T))
    return top


def common_shift(series):
    """:func:`mpcore._prepare.common_shift`: the median of all finite values, taken of the
    values scaled by a power of two (as ``np.median`` computes it: the middle value, or the
    mean of the two middle ones), returned unscaled.  A zero median is +0.0."""
    cdef double top = finite_top(series), s, med, lo
    cdef int64_t total = 0, cnt = 0, i, h
    cdef const double[::1] T
    if top == 0.0:
        return 0.0
    s = _pow2_under(top)
    for x in series:
        total += len(x)
    cdef double *buf = <double *> mp_take(max(total, 1) * sizeof(double))
    if buf == NULL:
        raise MemoryError()
    try:
        for x in series:
            T = x
            with nogil:
                for i in range(T.shape[0]):
                    if fabs(T[i]) != INFINITY and T[i] == T[i]:
                        buf[cnt] = T[i] * s
                        cnt += 1
        with nogil:
            h = cnt // 2
            mp_select(buf, cnt, h)
            med = buf[h]
            if cnt % 2 == 0:  # np.median: the mean of the two middle values
                lo = buf[0]
                for i in range(1, h):
                    if buf[i] > lo:
                        lo = buf[i]
                med = (lo + med) / 2.0
    finally:
        mp_give(buf)
    return (med + 0.0) / s


def common_scale(series, double shift=0.0):
    """:func:`mpcore._prepare.common_scale`, compiled (see there)."""
    cdef double top = finite_top(series), s, spread = 0.0, ss, v
    cdef int e1, e2
    cdef Py_ssize_t i
    cdef const double[::1] T
    if top == 0.0:
        return 1.0
    s = _pow2_under(top)
    ss = shift * s
    for x in series:
        T = x
        with nogil:
            for i in range(T.shape[0]):
                if fabs(T[i]) != INFINITY and T[i] == T[i]:
                    v = fabs(T[i] * s - ss)
                    if v > spread:
                        spread = v
    if spread == 0.0:
        return 1.0
    frexp(s, &e1)
    frexp(spread, &e2)
    return ldexp(1.0, min(1020, e1 - 1 - e2))


# Windows per thread of series_stats and near_flat at least this many (cut at multiples of
# 64, where _window_stats restarts exactly: the same bits for any cut): below, one thread.
SERIES_MIN_WINDOWS = 32768


cdef struct _series_job:
    # series_stats' inputs and outputs (see there), shared by its pieces
    const double *T
    const uint8_t *given
    int64_t n, m, l, pad
    bint normalize
    double scale, ss, tiny
    double *Tk
    double *mu
    double *mulo
    double *df
    double *dg
    double *w
    double *ssd
    double *ex
    uint8_t *valid
    uint8_t *cst
    uint8_t *small


cdef inline bint _finite(double x) noexcept nogil:
    return fabs(x) != INFINITY and x == x


cdef void _series_points(_series_job *s, int64_t a, int64_t b) noexcept nogil:
    """The values [a, b) of the kernel series (and z-normalized, of the exact one)."""
    cdef int64_t i
    cdef double x
    for i in range(a, b):
        x = s.T[i]
        s.Tk[i] = x * s.scale - s.ss if _finite(x) else 0.0
    if s.normalize:
        for i in range(a, b):
            x = s.T[i]
            s.ex[i] = x if _finite(x) else 0.0
    else:  # scaled (a power of two: exact), not shifted
        for i in range(a, b):
            x = s.T[i]
            s.ex[i] = x * s.scale if _finite(x) else 0.0


cdef int64_t _series_windows(_series_job *s, int64_t a, int64_t b) noexcept nogil:
    """Windows [a, b) (``a`` a multiple of 64, or b == l): finite, statistics, constant, w,
    tiny values; each a running count over the window, started afresh at ``a``.  Returns
    how many windows hold tiny values."""
    cdef int64_t m = s.m, i, bad = 0, changes = 0, hits = 0, ntiny = 0
    cdef const double *T = s.T
    cdef double x
    # finite windows: a running count of the non-finite values in the window
    for i in range(a, b + m - 1):
        if not _finite(T[i]):
            bad += 1
        if i >= a + m:
            if not _finite(T[i - m]):
                bad -= 1
        if i >= a + m - 1:
            s.valid[i - m + 1] = bad == 0
    if not s.normalize:
        for i in range(a, b):
            s.w[i] = 1.0 if s.valid[i] else NAN
        return 0
    _series_wstats(s.Tk, m, s.mu, s.mulo, s.ssd, a, b)
    # constant windows: all m values equal (a running count of the changes between
    # neighbours); never one that holds a non-finite value
    for i in range(a, b + m - 1):
        if i >= a + 1 and T[i] != T[i - 1]:
            changes += 1
        if i >= a + m and T[i - m + 1] != T[i - m]:
            changes -= 1
        if i >= a + m - 1:
            s.cst[i - m + 1] = s.valid[i - m + 1] and changes == 0
    if s.given != NULL:
        for i in range(a, b):
            if s.given[i] and s.valid[i]:
                s.cst[i] = 1
    for i in range(a, b):
        s.w[i] = 1.0 / sqrt(s.ssd[i]) if s.valid[i] and not s.cst[i] else NAN
    # values that scaling takes near float64's underflow (see prepare_series)
    for i in range(a, b + m - 1):
        x = s.ex[i]
        if x != 0.0 and fabs(x * s.scale) < s.tiny:
            hits += 1
        if i >= a + m:
            x = s.ex[i - m]
            if x != 0.0 and fabs(x * s.scale) < s.tiny:
                hits -= 1
        if i >= a + m - 1 and hits > 0 and s.valid[i - m + 1] and not s.cst[i - m + 1]:
            s.small[i - m + 1] = 1
            ntiny += 1
    return ntiny


cdef void _series_steps(_series_job *s, int64_t a, int64_t b) noexcept nogil:
    """The co-moment steps of windows [a, b) (the last window has none: 0)."""
    cdef int64_t i, m = s.m
    for i in range(a, min(b, s.l - 1)):
        s.df[i] = (s.Tk[i + m] - s.Tk[i]) / 2.0
        s.dg[i] = (((s.Tk[i + m] - s.mu[i + 1]) - s.mulo[i + 1])
                   + ((s.Tk[i] - s.mu[i]) - s.mulo[i]))


cdef class _SeriesPieces:
    """series_stats' passes over pieces of the series, for threads (the GIL released)."""
    cdef _series_job s
    cdef object keep  # the arrays the job points into

    def points(self, int64_t a, int64_t b):
        with nogil:
            _series_points(&self.s, a, b)

    def windows(self, int64_t a, int64_t b):
        cdef int64_t got
        with nogil:
            got = _series_windows(&self.s, a, b)
        return got

    def steps(self, int64_t a, int64_t b):
        with nogil:
            _series_steps(&self.s, a, b)


def _window_cuts(int64_t l, n_threads):
    """``[(a, b), ...]`` covering windows [0, l) for up to ``n_threads`` threads (None:
    mpcore's setting), each of SERIES_MIN_WINDOWS or more, cut at multiples of 64; one piece
    for a short series."""
    if l < 2 * SERIES_MIN_WINDOWS or n_threads == 1:
        return [(0, l)]
    from . import _threads  # (pure Python, imported for long series only)
    n = min(_threads.resolve(n_threads), l // SERIES_MIN_WINDOWS)
    cuts = [0] + [(l * i // n) // 64 * 64 for i in range(1, n)] + [l]
    return list(zip(cuts[:-1], cuts[1:]))


def _each_piece(fn, cuts):
    """fn(a, b) over ``cuts`` (from _window_cuts), on as many threads as pieces."""
    if len(cuts) == 1:
        return [fn(*cuts[0])]
    from . import _threads
    return _threads.each(lambda ab: fn(*ab), cuts, len(cuts))


def series_stats(const double[::1] T, int64_t m, bint normalize, double shift, double scale,
                 int64_t pad, double tiny, const uint8_t[::1] const_given=None,
                 n_threads=1):
    """The arrays of one series that mpcore._prepare.prepare_series needs, in one pass.

    Returns ``(Tk, mu, ssd, df, dg, w, exact, valid, const, tiny_windows, mulo)``: the kernel
    series ``(T - shift) * scale`` (non-finite values 0), the windows' means ``mu + mulo``
    (a double-double) and sums of squared deviations from them (_series_wstats), the
    co-moment steps ``df``/``dg``, ``w = 1/sqrt(ssd)``
    (NaN for windows that hold a non-finite value or are constant), each of these padded by
    ``pad`` entries (0; w: NaN); the series for exact distances (non-finite values 0); the
    bool arrays of finite and of constant windows (all values equal, or ``const_given``);
    and the bool array of the finite, non-constant windows holding a nonzero value whose
    magnitude scaled is below ``tiny``, or None if there is none.  Not normalized: mu, mulo,
    df, dg are 0, ssd is None, w is 1 (NaN where not finite), const False, and exact is ``T * scale``
    (non-finite values 0): p-norm distances ignore the shift, which only keeps the kernels'
    running sums on the scale of the values' spread (an offset of 1e6, or a missing value
    counted as 0 beside values near 1e6, left them rounding errors far above the distances).

    A long series is cut into pieces of windows for up to ``n_threads`` threads (None:
    mpcore's setting): the same bits for any count.
    """
    cdef int64_t n = T.shape[0], l = n - m + 1, i
    if l < 1 or m < 1:
        raise ValueError("series_stats: need 1 <= m <= len(T)")
    if const_given is not None and const_given.shape[0] != l:
        raise ValueError("series_stats: const_given must have one entry per window")
    # The arrays are views of two allocations, not ten: for the small series that mpdist,
    # snippets, ostinato and stimp join, NumPy's cost per array and the memoryviews outweighed
    # the loops here.  Floats: Tk (n + pad), mu, df, dg, w (l + pad each), and z-normalized
    # ssd (l), ex (n); flags: valid, const, tiny (l each).
    cdef Py_ssize_t o_mu = n + pad, o_df = o_mu + l + pad, o_dg = o_df + l + pad
    cdef Py_ssize_t o_w = o_dg + l + pad, o_ssd = o_w + l + pad, o_ex = o_ssd + l
    cdef Py_ssize_t o_ml = o_ex + n
    fbuf = np.zeros(o_ml + l + pad)  # (not normalized: no ssd, its l entries unused)
    flags = np.zeros(3 * l, dtype=np.uint8)
    cdef double[::1] fv = fbuf
    cdef uint8_t[::1] bv = flags
    cdef _series_job job
    cdef _series_job *s = &job
    cdef _SeriesPieces run
    s.T = &T[0]
    s.given = &const_given[0] if const_given is not None else NULL
    s.n, s.m, s.l, s.pad = n, m, l, pad
    s.normalize = normalize
    s.scale, s.tiny = scale, tiny
    s.ss = shift * scale
    s.Tk = &fv[0]
    s.mu = s.Tk + o_mu
    s.df = s.Tk + o_df
    s.dg = s.Tk + o_dg
    s.w = s.Tk + o_w
    s.ssd = s.Tk + o_ssd
    s.ex = s.Tk + o_ex
    s.mulo = s.Tk + o_ml
    s.valid = &bv[0]
    s.cst = s.valid + l
    s.small = s.cst + l
    cdef int64_t ntiny = 0
    if l < 2 * SERIES_MIN_WINDOWS or n_threads == 1:  # (no Python between the passes)
        with nogil:
            _series_points(s, 0, n)
            ntiny = _series_windows(s, 0, l)
            if normalize:
                _series_steps(s, 0, l)
    else:
        # the points of each piece's windows, the last piece's tail too, then the windows
        # (which read the points on either side of a cut), then the steps (which read the
        # next window's mean)
        cuts = _window_cuts(l, n_threads)
        run = _SeriesPieces()
        run.s = job
        run.keep = (T, const_given, fbuf, flags)
        _each_piece(run.points, [(a, b if b < l else n) for a, b in cuts])
        ntiny = sum(_each_piece(run.windows, cuts))
        if normalize:
            _each_piece(run.steps, cuts)
    with nogil:
        for i in range(l, l + pad):
            s.w[i] = NAN
    Tk_arr = fbuf[:o_mu]
    bflags = flags.view(np.bool_)
    if not normalize:
        return (Tk_arr, fbuf[o_mu:o_df], None, fbuf[o_df:o_dg], fbuf[o_dg:o_w],
                fbuf[o_w:o_ssd], fbuf[o_ex:o_ml], bflags[:l], bflags[l : 2 * l], None,
                fbuf[o_ml:])
    return (Tk_arr, fbuf[o_mu:o_df], fbuf[o_ssd:o_ex], fbuf[o_df:o_dg], fbuf[o_dg:o_w],
            fbuf[o_w:o_ssd], fbuf[o_ex:o_ml], bflags[:l], bflags[l : 2 * l],
            bflags[2 * l :] if ntiny else None, fbuf[o_ml:])


cdef object _box(const double *P, const int64_t *I, const int64_t *left,
                 const int64_t *right, Py_ssize_t l, Py_ssize_t k):
    """box_profile on raw (l, k) row-major P and I."""
    out = np.empty((l, 2 * k + 2), dtype=object)
    if l > 0:
        _box_rows(out, P, I, left, right, l, k, 0, l)
    return out


# Up to this many rows _box_rows shares one int object per index among all rows: fewer
# objects (a table of 16,384 rows then stays under one of pymalloc's 1 MiB arenas, so a caller
# that drops each table does not map and unmap an arena per call), and, with a real profile's
# neighbours, as fast or faster (0.8-0.98x the time from 2**14 to 2**18 rows).  Beyond, the
# shared objects no longer sit in cache and touching them in the neighbours' random order costs
# more than making each row's anew, in the order the allocator lays them out (1.3x the time at
# 2**19 rows, 1.6x at 2**20).
DEF BOX_SHARED_INTS_ROWS = 262144


cdef void _box_rows(object[:, ::1] o, const double *P, const int64_t *I, const int64_t *left,
                    const int64_t *right, Py_ssize_t l, Py_ssize_t k, Py_ssize_t a,
                    Py_ssize_t b) except *:
    """Rows [a, b) of _box's table into ``o``, the indices' int objects shared or made anew
    (see BOX_SHARED_INTS_ROWS).  The objects of one row are made by the thread that boxes it
    (free-threaded CPython: it owns them, so their reference counts stay thread-local)."""
    cdef Py_ssize_t i, q
    for i in range(a, b):
        for q in range(k):
            o[i, q] = PyFloat_FromDouble(P[i * k + q])
    if l <= BOX_SHARED_INTS_ROWS:
        _box_ints_shared(o, I, left, right, l, k, a, b)
    else:
        _box_ints_anew(o, I, left, right, k, a, b)


cdef void _box_ints_shared(object[:, ::1] o, const int64_t *I, const int64_t *left,
                           const int64_t *right, Py_ssize_t l, Py_ssize_t k, Py_ssize_t a,
                           Py_ssize_t b) except *:
    """The index columns of rows [a, b), one int object per index (made when first met) shared
    by every row that names it: fewer objects, touched in the neighbours' random order."""
    cdef Py_ssize_t i, q
    cdef int64_t j
    cdef list ints = [None] * (l + 1)  # ints[j + 1]: the object for index j (-1 .. l - 1)
    cdef object v
    for i in range(a, b):
        for q in range(k + 2):
            j = I[i * k + q] if q < k else (left[i] if q == k else right[i])
            if -1 <= j < l:
                v = ints[j + 1]
                if v is None:
                    v = PyLong_FromLongLong(j)
                    ints[j + 1] = v
            else:  # an index into a longer series (AB-join): not shared
                v = PyLong_FromLongLong(j)
            o[i, k + q] = v


cdef void _box_ints_anew(object[:, ::1] o, const int64_t *I, const int64_t *left,
                         const int64_t *right, Py_ssize_t k, Py_ssize_t a,
                         Py_ssize_t b) except *:
    """The index columns of rows [a, b), new objects for each row except that the left and
    right indices reuse the row's nearest where they equal it (in a self-join one of them
    always does): at 2**20 rows of a real profile, shared objects touched in the neighbours'
    random order cost 1.5x the time of these, which the allocator lays out in order."""
    cdef Py_ssize_t i, q
    cdef int64_t j, jl, jr
    cdef object first, lo
    for i in range(a, b):
        j = I[i * k]
        first = PyLong_FromLongLong(j)
        o[i, k] = first
        for q in range(1, k):
            o[i, k + q] = PyLong_FromLongLong(I[i * k + q])
        jl, jr = left[i], right[i]
        lo = first if jl == j else PyLong_FromLongLong(jl)
        o[i, 2 * k] = lo
        o[i, 2 * k + 1] = first if jr == j else (lo if jr == jl else PyLong_FromLongLong(jr))


def box_rows(object[:, ::1] out, const double[:, ::1] P, const int64_t[:, ::1] I,
             const int64_t[::1] left, const int64_t[::1] right, Py_ssize_t a, Py_ssize_t b):
    """Rows ``[a, b)`` of :func:`box_profile`'s table, written into ``out`` (an object array
    ``(l, 2k+2)``): on a free-threaded CPython, threads box shares of the rows at once."""
    cdef Py_ssize_t l = P.shape[0], k = P.shape[1]
    if I.shape[0] != l or I.shape[1] != k or left.shape[0] != l or right.shape[0] != l or \
            out.shape[0] != l or out.shape[1] != 2 * k + 2:
        raise ValueError("box_rows: array shapes differ")
    if not 0 <= a <= b <= l:
        raise ValueError(f"box_rows: rows [{a}, {b}) are not within [0, {l})")
    if a < b:
        _box_rows(out, &P[0, 0], &I[0, 0], &left[0], &right[0], l, k, a, b)


def box_profile(const double[:, ::1] P, const int64_t[:, ::1] I, const int64_t[::1] left,
                const int64_t[::1] right):
    """STUMPY's result table: an object array ``(l, 2k+2)`` of Python floats (the distances)
    and ints (the indices, left, right), made directly rather than by NumPy's casts; a row's
    left or right index equal to its nearest shares that int object (see _box_rows)."""
    cdef Py_ssize_t l = P.shape[0], k = P.shape[1]
    if I.shape[0] != l or I.shape[1] != k or left.shape[0] != l or right.shape[0] != l:
        raise ValueError("box_profile: array shapes differ")
    if l == 0:
        return _box(NULL, NULL, NULL, NULL, 0, k)
    return _box(&P[0, 0], &I[0, 0], &left[0], &right[0], l, k)


def finalize_small(const double[::1] TX, const double[::1] TY, int64_t m, bint normalize,
                   double p, const uint8_t[::1] constX, const uint8_t[::1] constY,
                   const uint8_t[::1] validX, const uint8_t[::1] validY,
                   const int64_t[::1] first, const int64_t[::1] second, int64_t k,
                   bint self_join, double unscale, bint boxed=True, bint unique=False):
    """The exact part of mpcore._pipeline.finalize in one call, for jobs too small to share
    among threads: the same steps by the same routines (window_zstats, window_classes,
    refine_select, the unscaling, box_profile), without a NumPy call between them.

    ``first``/``second``: the right and left top-k tables of a self-join (``second`` None in
    an AB-join), flat (l * k).  Returns ``(table, smallest)``, the boxed result table and the
    smallest distance of the first column, or None where identical windows exist (their
    ties need _pipeline._tie_candidates: the caller takes the general path).  ``boxed=False``
    returns ``(D, I, left, right, smallest)`` instead, the (l, k) distances and indices and
    the left and right indices as arrays.  ``unique``: the caller knows that the windows of
    ``TY`` are all distinct (mpcore._twins.find_twins found no repeats), so the classes are not
    looked for again.
    """
    cdef int64_t l = validX.shape[0], ly = validY.shape[0], c = 2 * k if self_join else k
    cdef int64_t r, q, j, out, lj, rj, repeats, i
    cdef double pmin = INFINITY
    cdef const double *sx = NULL
    cdef const double *sy = NULL
    if constX.shape[0] != l or constY.shape[0] != ly or first.shape[0] != l * k or \
            (self_join and (second is None or second.shape[0] != l * k or ly != l)) or \
            TX.shape[0] != l + m - 1 or TY.shape[0] != ly + m - 1:
        raise ValueError("finalize_small: array shapes differ")
    cdef uint8_t *usable = <uint8_t *> mp_take(max(l + ly, 1))
    cdef int64_t *cls = <int64_t *> mp_take(max(ly, 1) * sizeof(int64_t))
    cdef double *S = <double *> mp_take(max(4 * (l + ly), 1) * sizeof(double))
    cdef int64_t *cand = <int64_t *> malloc(max(c, 1) * sizeof(int64_t))
    cdef double *dist = <double *> malloc(max(c, 1) * sizeof(double))
    # the result columns: NumPy arrays only when they are returned (boxed=False); the boxed
    # table is built from C buffers (four np.empty calls and their memoryviews cost more than
    # a small join's whole refinement)
    cdef int64_t *I = NULL
    cdef double *D = NULL
    cdef int64_t *left = NULL
    cdef int64_t *right = NULL
    cdef int64_t[:, ::1] I_v
    cdef double[:, ::1] D_v
    cdef int64_t[::1] left_v, right_v
    cdef void *cbuf = NULL
    if boxed:
        cbuf = mp_take(max(l * k * (sizeof(int64_t) + sizeof(double)) + 2 * l * sizeof(int64_t),
                           1))
        if cbuf != NULL:
            D = <double *> cbuf
            I = <int64_t *> (D + l * k)
            left = I + l * k
            right = left + l
    else:
        I_arr = np.empty((l, k), dtype=np.int64)
        D_arr = np.empty((l, k))
        left_arr = np.empty(l, dtype=np.int64)
        right_arr = np.empty(l, dtype=np.int64)
        if l > 0:
            I_v = I_arr
            D_v = D_arr
            left_v = left_arr
            right_v = right_arr
            I = &I_v[0, 0]
            D = &D_v[0, 0]
            left = &left_v[0]
            right = &right_v[0]
    try:
        if usable == NULL or cls == NULL or S == NULL or cand == NULL or dist == NULL or \
                (boxed and cbuf == NULL):
            raise MemoryError()
        with nogil:
            # (reused memory: zeroed as calloc gave it; a self-join uses X's statistics only)
            memset(S, 0, 4 * (l if self_join else l + ly) * sizeof(double))
            for i in range(l):
                usable[i] = validX[i] and not constX[i]
            for i in range(ly):
                usable[l + i] = validY[i] and not constY[i]
            # identical windows among the neighbours' series: ties for the general path
            repeats = 0 if unique else _window_classes(&TY[0], ly + m - 1, m, &usable[l], cls)
        if repeats < 0:
            raise MemoryError()
        if repeats > 0:
            return None
        with nogil:
            if normalize:
                _zstats_range(&TX[0], m, usable, S, 0, l)
                sx = S
                if self_join:
                    sy = S
                else:
                    _zstats_range(&TY[0], m, &usable[l], S + 4 * l, 0, ly)
                    sy = S + 4 * l
            for r in range(l):
                for q in range(k):
                    cand[q] = first[r * k + q]
                    if self_join:
                        cand[k + q] = second[r * k + q]
                _refine_row(&TX[0], &TY[0], m, normalize, p, &constX[0], &constY[0], r, cand,
                            dist, c, self_join, sx, sy)
                # as refine_select: the first k distinct entries, the first left and right
                out = 0
                lj = -1
                rj = -1
                for q in range(c):
                    j = cand[q]
                    if q > 0 and j >= 0 and j == cand[q - 1]:
                        continue
                    if out < k:
                        I[r * k + out] = j
                        D[r * k + out] = dist[q]
                        out += 1
                    if j > r and rj < 0:
                        rj = j
                    elif 0 <= j < r and lj < 0:
                        lj = j
                while out < k:
                    I[r * k + out] = -1
                    D[r * k + out] = INFINITY
                    out += 1
                left[r] = lj if self_join else -1
                right[r] = rj if self_join else -1
                if unscale != 1.0:
                    for q in range(k):
                        D[r * k + q] *= unscale  # a power of two: exact
                if D[r * k] < pmin:
                    pmin = D[r * k]
        if not boxed:
            return D_arr, I_arr, left_arr, right_arr, pmin
        return _box(D, I, left, right, l, k), pmin
    finally:
        mp_give(cbuf)
        mp_give(usable)
        mp_give(cls)
        mp_give(S)
        free(cand)
        free(dist)


def diagonal_scores(X, Y, int64_t d, int64_t m, bint normalize, double p):
    """:func:`mpcore._prepare._diagonal_scores` compiled: the lower bounds of the kernel scores
    of the pairs (r, r + d) of the Series ``X``, ``Y`` (see there), by the same formulas (the
    cumulative sums in the same order; the exact value at each restart a plain loop, not BLAS:
    its rounding is far inside the margin).  One pass, no temporaries."""
    cdef int64_t lx = X.l, ly = Y.l, n_pairs = min(lx, ly - d), r0, r1, r, c, t, f
    cdef const double[::1] xT = X.T, yT = Y.T, xw = X.w, yw = Y.w
    cdef const double[::1] xmu, ymu, xdf, ydf, xdg, ydg
    cdef const int64_t[::1] xflat, yflat
    cdef double ex, cs, gs, acc, grown, wrc, score, a, b, step, size
    cdef double tol = 1e-9 + 3e-8, mterm = 1e-11 * m, aterm = 1e-9 * m * pow(2.0, p)
    cdef double g38 = ldexp(1.0, -38)
    out_arr = np.empty(max(lx, 0))
    cdef double[::1] out = out_arr
    if lx > 0:
        out[:] = -INFINITY
    if n_pairs <= 0:
        return out_arr
    if d < 0 or xT.shape[0] < lx + m or yT.shape[0] < ly + m or xw.shape[0] < lx or \
            yw.shape[0] < ly:
        raise ValueError("diagonal_scores: bad diagonal or series arrays")
    xmu = X.mu
    ymu = Y.mu
    xdf = X.df
    ydf = Y.df
    xdg = X.dg
    ydg = Y.dg
    if normalize:
        if min(xmu.shape[0], xdf.shape[0], xdg.shape[0]) < lx + 1 or \
                min(ymu.shape[0], ydf.shape[0], ydg.shape[0]) < ly + 1:
            raise ValueError("diagonal_scores: series arrays must be padded")
    with nogil:
        for r0 in range(0, n_pairs, 4096):
            r1 = min(r0 + 4096, n_pairs)
            ex = 0.0  # exact value at the restart, as the kernels seed it
            if normalize:
                for t in range(m):
                    ex += (xT[r0 + t] - xmu[r0]) * (yT[r0 + d + t] - ymu[r0 + d])
            else:
                for t in range(m):
                    a = fabs(xT[r0 + t] - yT[r0 + d + t])
                    ex += a * a if p == 2.0 else (a if p == 1.0 else pow(a, p))
            cs = 0.0
            gs = 0.0
            for r in range(r0, r1):
                c = r + d
                if r > r0:  # the steps from r0 to r: cumulative sums, as np.cumsum
                    if normalize:
                        step = ydf[c - 1] * xdg[r - 1] + ydg[c - 1] * xdf[r - 1]
                        size = ((((fabs(xdf[r - 1]) + fabs(xdg[r - 1])) + fabs(xT[r - 1]))
                                 + fabs(xT[r - 1 + m])) + fabs(xmu[r - 1])) + fabs(xmu[r])
                        size = size * (((((fabs(ydf[c - 1]) + fabs(ydg[c - 1]))
                                          + fabs(yT[c - 1])) + fabs(yT[c - 1 + m]))
                                        + fabs(ymu[c - 1])) + fabs(ymu[c]))
                        gs += size
                    else:
                        a = fabs(xT[r - 1] - yT[c - 1])
                        b = fabs(xT[r - 1 + m] - yT[c - 1 + m])
                        if p == 2.0:
                            step = b * b - a * a
                        elif p == 1.0:
                            step = b - a
                        else:
                            step = pow(b, p) - pow(a, p)
                    cs += step
                    acc = ex + cs
                    grown = fabs(ex) + gs
                else:
                    acc = ex
                    grown = fabs(ex)
                if normalize:
                    # see _prepare._diagonal_scores for the margin
                    wrc = xw[r] * yw[c]
                    score = acc * wrc - (tol + (mterm + g38 * grown) * wrc)
                else:
                    score = -acc * xw[r] * yw[c] - aterm
                if fabs(score) != INFINITY and score == score:
                    out[r] = score
    if normalize:  # near-flat windows are not kernel candidates (their w is NaN besides)
        xflat = np.ascontiguousarray(X.flat, dtype=np.int64)
        yflat = np.ascontiguousarray(Y.flat, dtype=np.int64)
        for f in range(xflat.shape[0]):
            if 0 <= xflat[f] < n_pairs:
                out[xflat[f]] = -INFINITY
        for f in range(yflat.shape[0]):
            if 0 <= yflat[f] - d < n_pairs:
                out[yflat[f] - d] = -INFINITY
    return out_arr


cdef struct _flat_job:
    # near_flat's inputs (see there), shared by its pieces
    const double *Tk
    const double *ssd
    const uint8_t *valid
    const uint8_t *cst
    const uint8_t *tiny
    int64_t m
    double lim
    bint tracked
    int64_t *out


cdef int64_t _near_flat_windows(const _flat_job *f, int64_t a, int64_t b,
                                int64_t *dq) noexcept nogil:
    """near_flat's windows among [a, b), ascending, into ``f.out[a:]``; their count.  ``dq``:
    scratch of 2 (b - a) + m - 1 entries: tracked, the windows' largest |Tk|
    (mp_window_top, the same for any cut) go in its first b - a."""
    cdef int64_t w, cnt = 0
    cdef double top
    cdef double *tops = <double *> dq
    if f.tracked and a < b:
        mp_window_top(f.Tk, f.m, a, b, tops, dq + (b - a))
    for w in range(a, b):
        if f.tiny != NULL and f.tiny[w]:
            f.out[a + cnt] = w
            cnt += 1
            continue
        if not f.valid[w] or f.cst[w]:
            continue
        if f.tracked:
            top = tops[w - a]
            # (ssd <= 0: a non-constant window whose squares underflowed; its w would be inf)
            if f.ssd[w] <= 0.0 or f.ssd[w] < f.lim * top * top:
                f.out[a + cnt] = w
                cnt += 1
        elif f.ssd[w] < f.lim:  # (an underflowed ssd of 0 included)
            f.out[a + cnt] = w
            cnt += 1
    return cnt


cdef class _FlatPieces:
    """near_flat over pieces of the windows, for threads (the GIL released)."""
    cdef _flat_job f
    cdef object keep  # the arrays the job points into

    def windows(self, int64_t a, int64_t b):
        cdef int64_t *dq = <int64_t *> mp_take(max(2 * (b - a) + self.f.m, 1) * sizeof(int64_t))
        cdef int64_t cnt
        if dq == NULL:
            raise MemoryError()
        with nogil:
            cnt = _near_flat_windows(&self.f, a, b, dq)
        mp_give(dq)
        return cnt


def near_flat(const double[::1] Tk, int64_t m, const double[::1] ssd,
              const uint8_t[::1] valid, const uint8_t[::1] const_, double flat_ssd,
              bint tracked, const uint8_t[::1] tiny=None, n_threads=1):
    """The near-flat windows of mpcore._prepare.prepare_series, compiled: the finite,
    non-constant windows with ``ssd <= 0`` (squares that underflowed) or
    ``ssd < flat_ssd * m * top * top`` (``tracked``; ``top`` the
    largest |Tk| of the window, a sliding maximum) or ``ssd < flat_ssd * m``, plus those marked
    in ``tiny``; their indices, ascending.  The same comparisons, in the same order of
    operations, as the NumPy expressions there.  A long series is cut among up to
    ``n_threads`` threads (None: mpcore's setting)."""
    cdef int64_t l = ssd.shape[0], n = l + m - 1
    if valid.shape[0] != l or const_.shape[0] != l or Tk.shape[0] < n or m < 1 or \
            (tiny is not None and tiny.shape[0] != l):
        raise ValueError("near_flat: array shapes differ")
    out_arr = np.empty(max(l, 0), dtype=np.int64)
    if l == 0:
        return out_arr
    cdef int64_t[::1] out = out_arr
    cdef _flat_job f
    f.Tk, f.ssd, f.valid, f.cst = &Tk[0], &ssd[0], &valid[0], &const_[0]
    f.tiny = &tiny[0] if tiny is not None else NULL
    f.m, f.lim, f.tracked, f.out = m, flat_ssd * <double> m, tracked, &out[0]
    cdef int64_t *dq
    cdef int64_t cnt
    if l < 2 * SERIES_MIN_WINDOWS or n_threads == 1:
        dq = <int64_t *> mp_take((2 * l + m) * sizeof(int64_t))
        if dq == NULL:
            raise MemoryError()
        with nogil:
            cnt = _near_flat_windows(&f, 0, l, dq)
        mp_give(dq)
        return out_arr[:cnt].copy()
    cdef _FlatPieces run = _FlatPieces()
    run.f = f
    run.keep = (Tk, ssd, valid, const_, tiny, out_arr)
    cuts = _window_cuts(l, n_threads)
    counts = _each_piece(run.windows, cuts)
    return np.concatenate([out_arr[a : a + c] for (a, _), c in zip(cuts, counts)])
