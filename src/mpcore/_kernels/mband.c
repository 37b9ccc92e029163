/* Multi-dimensional matrix profile kernel; see mband.h for what it computes.
 *
 * Written as plain loops over MPM_L lanes that the compiler turns into vector code; on x86-64
 * Linux with GCC the strip function is cloned for AVX-512 and AVX2 and the widest one the CPU
 * runs is picked at load time (the clones differ only in vector width and rounding of
 * contracted multiply-adds, which the exact refinement removes from the reported distances).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "mband.h"

#define L MPM_L
/* Rounding of a p-norm running sum per unit of its error bound (mpm_strip_generic's err): eps,
 * with room for the terms' own rounding (pow's included) */
#define MPM_ROUND (8.0 * 2.220446049250313e-16)
/* Relative precision of a p-norm running sum when it is ranked (as MP_SCORE_TOL in band.h),
 * and, z-normalized, the absolute precision of a correlation where near-flat windows exist */
#define MPM_TOL 1e-8

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define MPM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MPM_CLONES
#endif

#if defined(_MSC_VER)
#include <intrin.h>
static int64_t mpm_fetch_add(int64_t *p, int64_t v) {
    return _InterlockedExchangeAdd64((volatile long long *)p, v);
}
#else
static int64_t mpm_fetch_add(int64_t *p, int64_t v) {
    return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}
#endif

/* Exact running sum of one channel for the pair (i, j): the co-moment of the centred windows
 * (z-norm) or sum |a - b|^p. */
static double mpm_exact_sum(const mpm_params *pr, int64_t c, int64_t i, int64_t j) {
    const double *T = pr->T + c * pr->stride;
    const int64_t m = pr->m;
    double s = 0.0;
    if (pr->mode == MPM_ZNORM) {
        const double mi = pr->mu[c * pr->stride + i], mj = pr->mu[c * pr->stride + j];
        for (int64_t t = 0; t < m; t++) s += (T[i + t] - mi) * (T[j + t] - mj);
    } else {
        for (int64_t t = 0; t < m; t++) {
            const double a = fabs(T[i + t] - T[j + t]);
            s += pr->mode == MPM_P2 ? a * a : pr->mode == MPM_P1 ? a : pow(a, pr->p);
        }
    }
    return s;
}

/* Offer the sum s of cell (i, j) to rows i and j of one k's table: strictly better wins, an
 * equal sum goes to the lower index (so the visiting order does not matter). */
static inline void mpm_offer_pair(double *b, int64_t *ix, int64_t i, int64_t j, int64_t l,
                                  double s) {
    if (j >= l || !(s < INFINITY)) return;
    if (s < b[i] || (s == b[i] && j < ix[i])) {
        b[i] = s;
        ix[i] = j;
    }
    if (s < b[j] || (s == b[j] && i < ix[j])) {
        b[j] = s;
        ix[j] = i;
    }
}

MPM_CLONES
static int64_t mpm_strip_generic(const mpm_params *pr, int64_t g0, double *best, int64_t *idx,
                                 const volatile int *cancel) {
    const int64_t d = pr->d, m = pr->m, l = pr->l, S = pr->stride, nfix = pr->nfix;
    const int mode = pr->mode;
    const double p = pr->p, inv_p = 1.0 / pr->p, two_m = 2.0 * (double)m, snap = pr->snap;
    if (g0 >= l) return 0;
    const int64_t rows = l - g0;
    /* acc: running sums, dist: distances then their running sums, err (p-norms): each running
     * sum's rounding bound since its exact start; d * L each */
    double *acc = (double *)malloc(3 * (size_t)d * L * sizeof(double));
    if (!acc) return -2;
    double *dist = acc + d * L;
    double *err = dist + d * L;
    int64_t cells = 0;
    for (int q = 0; q < L; q++) cells += (g0 + q < l) ? l - g0 - q : 0;

    for (int64_t i = 0, until_seed = 0; i < rows; i++, until_seed--) {
        const int64_t j0 = i + g0;
        if (until_seed == 0) {  /* (a countdown: see mpm_s4) */
            until_seed = pr->reseed;
            if (cancel && *cancel) {
                free(acc);
                return -1;
            }
            for (int64_t c = 0; c < d; c++)
                for (int q = 0; q < L; q++) {
                    acc[c * L + q] = j0 + q < l ? mpm_exact_sum(pr, c, i, j0 + q) : 0.0;
                    err[c * L + q] = 0.0;
                }
        } else if (mode == MPM_ZNORM) {
            for (int64_t c = 0; c < d; c++) {
                const double fi = pr->df[c * S + i - 1], gi = pr->dg[c * S + i - 1];
                const double *restrict fj = pr->df + c * S + j0 - 1;
                const double *restrict gj = pr->dg + c * S + j0 - 1;
                double *restrict a = acc + c * L;
                double *restrict e = err + c * L;
                for (int q = 0; q < L; q++) a[q] += fi * gj[q] + fj[q] * gi;
                if (pr->flat)  /* (each step's rounding: see the test below) */
                    for (int q = 0; q < L; q++)
                        e[q] += fabs(fi * gj[q]) + fabs(fj[q] * gi) + fabs(a[q]);
            }
        } else {
            for (int64_t c = 0; c < d; c++) {
                const double *T = pr->T + c * S;
                const double xo = T[i - 1], xi = T[i + m - 1];
                const double *restrict yo = T + j0 - 1;
                const double *restrict yi = T + j0 + m - 1;
                double *restrict a = acc + c * L;
                double *restrict e = err + c * L;
                /* each step's rounding is within a few eps of its terms and of the new sum */
                if (mode == MPM_P2) {
                    for (int q = 0; q < L; q++) {
                        const double u = xi - yi[q], v = xo - yo[q];
                        a[q] += u * u - v * v;
                        e[q] += (u * u + v * v) + fabs(a[q]);
                    }
                } else if (mode == MPM_P1) {
                    for (int q = 0; q < L; q++) {
                        const double u = fabs(xi - yi[q]), v = fabs(xo - yo[q]);
                        a[q] += u - v;
                        e[q] += (u + v) + fabs(a[q]);
                    }
                } else { /* the lanes' 2 L powers in one call of vector code */
                    double uv[2 * L];
                    for (int q = 0; q < L; q++) {
                        uv[q] = fabs(xi - yi[q]);
                        uv[L + q] = fabs(xo - yo[q]);
                    }
                    pr->pw(uv, 2 * L, p, uv);
                    for (int q = 0; q < L; q++) {
                        const double u = uv[q], v = uv[L + q];
                        a[q] += u - v;
                        e[q] += (u + v) + fabs(a[q]);
                    }
                }
            }
        }
        if (mode == MPM_ZNORM && pr->flat)
            /* Near-flat windows beside larger ones: a step of the recurrence rounds by a few
             * eps of its terms, and what the larger windows' steps leave can swamp a near-flat
             * pair's co-moment (1.5 + 1e-9 noise beside a random walk: wrong neighbours).  So
             * each lane's rounding bound since its exact start is kept, and a co-moment whose
             * bound, as a correlation (times both inverse norms), could exceed MPM_TOL is
             * recomputed exactly; a near-flat stretch's own steps are tiny, so this happens
             * about once where a diagonal enters it. */
            for (int64_t c = 0; c < d; c++) {
                double *restrict a = acc + c * L, *restrict e = err + c * L;
                const double wi = pr->w[c * S + i], *restrict wj = pr->w + c * S + j0;
                int redo = 0;
                for (int q = 0; q < L; q++)
                    redo |= MPM_ROUND * e[q] * wi * wj[q] > MPM_TOL;
                if (redo)
                    for (int q = 0; q < L; q++)
                        if (MPM_ROUND * e[q] * wi * wj[q] > MPM_TOL && j0 + q < l) {
                            a[q] = mpm_exact_sum(pr, c, i, j0 + q);
                            e[q] = 0.0;
                        }
            }
        /* per-channel distances; a non-finite window (or a lane past the end) adds +inf */
        for (int64_t c = 0; c < d; c++) {
            double *restrict a = acc + c * L;
            const double *restrict badj = pr->bad + c * S + j0;
            const double badi = pr->bad[c * S + i];
            double *restrict out = dist + c * L;
            if (mode == MPM_ZNORM) {
                const double wi = pr->w[c * S + i], hi = pr->half[c * S + i];
                const double *restrict wj = pr->w + c * S + j0;
                const double *restrict hj = pr->half + c * S + j0;
                for (int q = 0; q < L; q++) {
                    /* constant windows: w = 0, and half gives STUMPY's fixed correlations */
                    const double rho = a[q] * wi * wj[q] + (hi + hj[q]);
                    double d2 = two_m * (1.0 - rho);
                    d2 = d2 > snap ? d2 : 0.0;
                    out[q] = sqrt(d2) + (badi + badj[q]);
                }
            } else {
                /* A sum whose rounding bound exceeds MPM_TOL of it is recomputed exactly: so
                 * every sum ranks to within MPM_TOL of its true value, repeats tie at exactly 0
                 * (the lowest index wins), and a spike's rounding, left in the sums of its
                 * diagonals, is gone once it has passed.  A bound of 0 is exact already (a
                 * repeat's steps add 0).  (A fixed cut, 1e-11 m on the scaled series, had
                 * zeroed every distance of a series whose spikes took its scale, and their
                 * rounding had misranked the rest: with spikes of 1e4 sd, 949 rows of 951
                 * wrong at p = 3.) */
                double *restrict e = err + c * L;
                int redo = 0;  /* (the test in one vector pass, the rare fix lane by lane) */
                for (int q = 0; q < L; q++)
                    redo |= (e[q] > 0.0) & !(a[q] * MPM_TOL >= MPM_ROUND * e[q]);
                if (redo)
                    for (int q = 0; q < L; q++)
                        if (e[q] > 0.0 && !(a[q] * MPM_TOL >= MPM_ROUND * e[q]) && j0 + q < l) {
                            a[q] = mpm_exact_sum(pr, c, i, j0 + q);
                            e[q] = 0.0;
                        }
                if (mode == MPM_P) { /* the lanes' roots in one call, as the steps */
                    double rt[L];
                    for (int q = 0; q < L; q++) rt[q] = a[q] > 0.0 ? a[q] : 0.0;
                    pr->pw(rt, L, inv_p, rt);
                    for (int q = 0; q < L; q++) out[q] = rt[q] + (badi + badj[q]);
                } else {
                    for (int q = 0; q < L; q++) {
                        const double s = a[q] > 0.0 ? a[q] : 0.0;
                        const double r = mode == MPM_P2 ? sqrt(s) : s;
                        out[q] = r + (badi + badj[q]);
                    }
                }
            }
        }
        /* order the channels nfix..d-1: ascending, or descending for discords */
        for (int64_t t = 0; t < pr->nnet; t++) {
            double *restrict x = dist + (int64_t)pr->net[2 * t] * L;
            double *restrict y = dist + (int64_t)pr->net[2 * t + 1] * L;
            if (pr->discords) {
                for (int q = 0; q < L; q++) {
                    const double a = x[q], b = y[q];
                    x[q] = a > b ? a : b;
                    y[q] = a > b ? b : a;
                }
            } else {
                for (int q = 0; q < L; q++) {
                    const double a = x[q], b = y[q];
                    x[q] = a < b ? a : b;
                    y[q] = a < b ? b : a;
                }
            }
        }
        (void)nfix;
        /* running sums, and one test for the whole row: could any sum enter a table? */
        int hit = 0;
        for (int64_t k = 0; k < d; k++) {
            double *restrict s = dist + k * L;
            if (k) {
                const double *restrict prev = dist + (k - 1) * L;
                for (int q = 0; q < L; q++) s[q] += prev[q];
            }
            const double rb = best[k * S + i];
            const double *restrict cb = best + k * S + j0;
            int h = 0;
            for (int q = 0; q < L; q++)
                h |= ((s[q] <= rb) | (s[q] <= cb[q])) & (s[q] < INFINITY);
            hit |= h;
        }
        if (hit) {  /* rare after the first rows: exact tie rules, lane by lane */
            for (int64_t k = 0; k < d; k++) {
                const double *s = dist + k * L;
                for (int q = 0; q < L; q++)
                    mpm_offer_pair(best + k * S, idx + k * S, i, j0 + q, l, s[q]);
            }
        }
    }
    free(acc);
    return cells;
}

/* ------------------------------------------------------------------ AVX2 fast path (z-norm)
 *
 * The generic strip above keeps its lanes in memory and loops over the channels and the
 * sorting network at run time, so the compiler scalarizes most of it (about 400 cycles a cell
 * at d = 10).  Here, for profiles without `include` (the common case), z-normalized or p-norms
 * with p = 1 or 2, and d <= 16, the strip is compiled once per d (and per mode): the d running
 * sums and the d distances are arrays of 4-lane vectors with constant indices, the sorting
 * network is unrolled at compile time, so they all live in registers.  Every value is computed with the same
 * operations in the same order as the generic code (no FMA there either), and a sorting
 * network's output does not depend on the network (the distances are never NaN or -0), so the
 * sums, and hence P and I, are bitwise identical.  A strip of MPM_L = 8 diagonals runs as two
 * strips of 4: the tables keep the lexicographic minimum of (sum, index), which does not depend
 * on the order in which pairs are offered. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(MPM_NO_AVX2)
#include <immintrin.h>
#define MPM_HAVE_AVX2 1
#define MPM_AVX2_INLINE static inline __attribute__((always_inline, target("avx2")))
#define MPM_AVX2_FN __attribute__((target("avx2")))
#define MPM_FAST_DMAX 16

/* compare-exchange: x' = a < b ? a : b and y' = a < b ? b : a exactly (minpd and maxpd return
 * their second operand unless the comparison holds) */
#define MPM_CX(v, a, b)                                         \
    do {                                                        \
        const __m256d x_ = (v)[a], y_ = (v)[b];                 \
        (v)[a] = _mm256_min_pd(x_, y_);                         \
        (v)[b] = _mm256_max_pd(y_, x_);                         \
    } while (0)

/* Batcher's odd-even merge sort over n = 0..16 channels: the pairs of sorting_network(0, n) in
 * _algos/multidim.py are mpm_net[mpm_net_end[n - 1] .. mpm_net_end[n] - 1].  Written out here
 * so that, with n a compile-time constant, the network unrolls into register operations (GCC
 * does not unroll the construction loops completely).  Any sorting network gives the same
 * output; the test of the fast path against the generic one checks every n. */
static const unsigned char mpm_net[][2] = {
    {0, 1}, {0, 1}, {0, 2}, {1, 2}, {0, 1}, {2, 3}, {0, 2}, {1, 3}, {1, 2}, {0, 1}, {2, 3}, {0,
    2}, {1, 3}, {1, 2}, {0, 4}, {2, 4}, {1, 2}, {3, 4}, {0, 1}, {2, 3}, {4, 5}, {0, 2}, {1, 3},
    {1, 2}, {0, 4}, {1, 5}, {2, 4}, {3, 5}, {1, 2}, {3, 4}, {0, 1}, {2, 3}, {4, 5}, {0, 2}, {1,
    3}, {4, 6}, {1, 2}, {5, 6}, {0, 4}, {1, 5}, {2, 6}, {2, 4}, {3, 5}, {1, 2}, {3, 4}, {5, 6},
    {0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 2}, {1, 3}, {4, 6}, {5, 7}, {1, 2}, {5, 6}, {0, 4}, {1,
    5}, {2, 6}, {3, 7}, {2, 4}, {3, 5}, {1, 2}, {3, 4}, {5, 6}, {0, 1}, {2, 3}, {4, 5}, {6, 7},
    {0, 2}, {1, 3}, {4, 6}, {5, 7}, {1, 2}, {5, 6}, {0, 4}, {1, 5}, {2, 6}, {3, 7}, {2, 4}, {3,
    5}, {1, 2}, {3, 4}, {5, 6}, {0, 8}, {4, 8}, {2, 4}, {3, 5}, {6, 8}, {1, 2}, {3, 4}, {5, 6},
    {7, 8}, {0, 1}, {2, 3}, {4, 5}, {6, 7}, {8, 9}, {0, 2}, {1, 3}, {4, 6}, {5, 7}, {1, 2}, {5,
    6}, {0, 4}, {1, 5}, {2, 6}, {3, 7}, {2, 4}, {3, 5}, {1, 2}, {3, 4}, {5, 6}, {0, 8}, {1, 9},
    {4, 8}, {5, 9}, {2, 4}, {3, 5}, {6, 8}, {7, 9}, {1, 2}, {3, 4}, {5, 6}, {7, 8}, {0, 1}, {2,
    3}, {4, 5}, {6, 7}, {8, 9}, {0, 2}, {1, 3}, {4, 6}, {5, 7}, {8, 10}, {1, 2}, {5, 6}, {9,
    10}, {0, 4}, {1, 5}, {2, 6}, {3, 7}, {2, 4}, {3, 5}, {1, 2}, {3, 4}, {5, 6}, {9, 10}, {0,
    8}, {1, 9}, {2, 10}, {4, 8}, {5, 9}, {6, 10}, {2, 4}, {3, 5}, {6, 8}, {7, 9}, {1, 2}, {3,
    4}, {5, 6}, {7, 8}, {9, 10}, {0, 1}, {2, 3}, {4, 5}, {6, 7}, {8, 9}, {10, 11}, {0, 2}, {1,
    3}, {4, 6}, {5, 7}, {8, 10}, {9, 11}, {1, 2}, {5, 6}, {9, 10}, {0, 4}, {1, 5}, {2, 6}, {3,
    7}, {2, 4}, {3, 5}, {1, 2}, {3, 4}, {5, 6}, {9, 10}, {0, 8}, {1, 9}, {2, 10}, {3, 11}, {4,
    8}, {5, 9}, {6, 10}, {7, 11}, {2, 4}, {3, 5}, {6, 8}, {7, 9}, {1, 2}, {3, 4}, {5, 6}, {7,
    8}, {9, 10}, {0, 1}, {2, 3}, {4, 5}, {6, 7}, {8, 9}, {10, 11}, {0, 2}, {1, 3}, {4, 6}, {5,
    7}, {8, 10}, {9, 11}, {1, 2}, {5, 6}, {9, 10}, {0, 4}, {1, 5}, {2, 6}, {3, 7}, {8, 12}, {2,
    4}, {3, 5}, {10, 12}, {1, 2}, {3, 4}, {5, 6}, {9, 10}, {11, 12}, {0, 8}, {1, 9}, {2, 10},
    {3, 11}, {4, 12}, {4, 8}, {5, 9}, {6, 10}, {7, 11}, {2, 4}, {3, 5}, {6, 8}, {7, 9}, {10,
    12}, {1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}, {0, 1}, {2, 3}, {4, 5}, {6, 7}, {8,
    9}, {10, 11}, {12, 13}, {0, 2}, {1, 3}, {4, 6}, {5, 7}, {8, 10}, {9, 11}, {1, 2}, {5, 6},
    {9, 10}, {0, 4}, {1, 5}, {2, 6}, {3, 7}, {8, 12}, {9, 13}, {2, 4}, {3, 5}, {10, 12}, {11,
    13}, {1, 2}, {3, 4}, {5, 6}, {9, 10}, {11, 12}, {0, 8}, {1, 9}, {2, 10}, {3, 11}, {4, 12},
    {5, 13}, {4, 8}, {5, 9}, {6, 10}, {7, 11}, {2, 4}, {3, 5}, {6, 8}, {7, 9}, {10, 12}, {11,
    13}, {1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}, {0, 1}, {2, 3}, {4, 5}, {6, 7}, {8,
    9}, {10, 11}, {12, 13}, {0, 2}, {1, 3}, {4, 6}, {5, 7}, {8, 10}, {9, 11}, {12, 14}, {1, 2},
    {5, 6}, {9, 10}, {13, 14}, {0, 4}, {1, 5}, {2, 6}, {3, 7}, {8, 12}, {9, 13}, {10, 14}, {2,
    4}, {3, 5}, {10, 12}, {11, 13}, {1, 2}, {3, 4}, {5, 6}, {9, 10}, {11, 12}, {13, 14}, {0, 8},
    {1, 9}, {2, 10}, {3, 11}, {4, 12}, {5, 13}, {6, 14}, {4, 8}, {5, 9}, {6, 10}, {7, 11}, {2,
    4}, {3, 5}, {6, 8}, {7, 9}, {10, 12}, {11, 13}, {1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10},
    {11, 12}, {13, 14}, {0, 1}, {2, 3}, {4, 5}, {6, 7}, {8, 9}, {10, 11}, {12, 13}, {14, 15},
    {0, 2}, {1, 3}, {4, 6}, {5, 7}, {8, 10}, {9, 11}, {12, 14}, {13, 15}, {1, 2}, {5, 6}, {9,
    10}, {13, 14}, {0, 4}, {1, 5}, {2, 6}, {3, 7}, {8, 12}, {9, 13}, {10, 14}, {11, 15}, {2, 4},
    {3, 5}, {10, 12}, {11, 13}, {1, 2}, {3, 4}, {5, 6}, {9, 10}, {11, 12}, {13, 14}, {0, 8}, {1,
    9}, {2, 10}, {3, 11}, {4, 12}, {5, 13}, {6, 14}, {7, 15}, {4, 8}, {5, 9}, {6, 10}, {7, 11},
    {2, 4}, {3, 5}, {6, 8}, {7, 9}, {10, 12}, {11, 13}, {1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10},
    {11, 12}, {13, 14}};
static const short mpm_net_end[17] = {
    0, 0, 1, 4, 9, 18, 30, 46, 65, 93, 125, 163, 205, 253, 306, 365, 428};

/* The exact fix of mpm_strip_generic: the lanes q of channel c set in `redo` (and before the
 * end) take their exact running sums, and a rounding bound of 0. */
MPM_AVX2_INLINE void mpm_fix4(const mpm_params *pr, int c, int64_t i, int64_t j0, int redo,
                              __m256d *acc, __m256d *err) {
    double t[4], e[4];
    _mm256_storeu_pd(t, *acc);
    _mm256_storeu_pd(e, *err);
    for (int q = 0; q < 4; q++)
        if ((redo >> q & 1) && j0 + q < pr->l) {
            t[q] = mpm_exact_sum(pr, c, i, j0 + q);
            e[q] = 0.0;
        }
    *acc = _mm256_loadu_pd(t);
    *err = _mm256_loadu_pd(e);
}

MPM_AVX2_INLINE void mpm_sort4(__m256d *v, const int n) {
    if (n < 2) return;
#pragma GCC unroll 128
    for (int t = mpm_net_end[n - 1]; t < mpm_net_end[n]; t++)
        MPM_CX(v, mpm_net[t][0], mpm_net[t][1]);
}

/* One strip of 4 diagonals g..g+3; D channels; clean: pr->clean.  Returns the cells, or -1.
 * Discords: the channels are sorted ascending and summed from the largest down, which gives
 * the generic code's descending order and sums exactly. */
MPM_AVX2_INLINE int64_t mpm_s4(const mpm_params *pr, int64_t g, double *best, int64_t *idx,
                               const volatile int *cancel, const int D, const int mode,
                               const int clean, const int track) {
    const int64_t l = pr->l, S = pr->stride, m = pr->m;
    if (g >= l) return 0;
    const int64_t rows = l - g;
    const __m256d two_m = _mm256_set1_pd(2.0 * (double)pr->m), one = _mm256_set1_pd(1.0);
    const __m256d snap = _mm256_set1_pd(pr->snap);
    const int desc = pr->discords;
    __m256d acc[MPM_FAST_DMAX] = {0}, dist[MPM_FAST_DMAX], sum[MPM_FAST_DMAX];
    /* track: near-flat windows exist; each lane's rounding bound, as mpm_strip_generic's */
    __m256d err[MPM_FAST_DMAX] = {0};
    const __m256d nosign = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    /* (a countdown, not i % reseed: a division per row cost as much as a channel's step) */
    for (int64_t i = 0, until_seed = 0; i < rows; i++, until_seed--) {
        const int64_t j0 = i + g;
        if (until_seed == 0) {
            until_seed = pr->reseed;
            if (cancel && *cancel) return -1;
            for (int c = 0; c < D; c++) {
                double t[4];
                for (int q = 0; q < 4; q++)
                    t[q] = j0 + q < l ? mpm_exact_sum(pr, c, i, j0 + q) : 0.0;
                acc[c] = _mm256_loadu_pd(t);
                err[c] = _mm256_setzero_pd();
            }
        } else if (mode != MPM_ZNORM) {
            /* p-norms: mpm_strip_generic's running sums and rounding bounds, the same
             * operations in the same order */
            for (int c = 0; c < D; c++) {
                const double *T = pr->T + c * S;
                const __m256d xo = _mm256_set1_pd(T[i - 1]), xi = _mm256_set1_pd(T[i + m - 1]);
                __m256d u = _mm256_sub_pd(xi, _mm256_loadu_pd(T + j0 + m - 1));
                __m256d v = _mm256_sub_pd(xo, _mm256_loadu_pd(T + j0 - 1));
                if (mode == MPM_P2) {
                    u = _mm256_mul_pd(u, u);
                    v = _mm256_mul_pd(v, v);
                } else {
                    u = _mm256_and_pd(u, nosign);
                    v = _mm256_and_pd(v, nosign);
                }
                acc[c] = _mm256_add_pd(acc[c], _mm256_sub_pd(u, v));
                err[c] = _mm256_add_pd(err[c], _mm256_add_pd(_mm256_add_pd(u, v),
                                                             _mm256_and_pd(acc[c], nosign)));
            }
        } else {
            for (int c = 0; c < D; c++) {
                const __m256d fi = _mm256_set1_pd(pr->df[c * S + i - 1]);
                const __m256d gi = _mm256_set1_pd(pr->dg[c * S + i - 1]);
                const __m256d fj = _mm256_loadu_pd(pr->df + c * S + j0 - 1);
                const __m256d gj = _mm256_loadu_pd(pr->dg + c * S + j0 - 1);
                const __m256d u = _mm256_mul_pd(fi, gj), v = _mm256_mul_pd(fj, gi);
                acc[c] = _mm256_add_pd(acc[c], _mm256_add_pd(u, v));
                if (track)
                    err[c] = _mm256_add_pd(
                        err[c], _mm256_add_pd(_mm256_add_pd(_mm256_and_pd(u, nosign),
                                                            _mm256_and_pd(v, nosign)),
                                              _mm256_and_pd(acc[c], nosign)));
            }
        }
        if (mode == MPM_ZNORM && track)  /* (mpm_strip_generic's test and exact fix) */
            for (int c = 0; c < D; c++) {
                const __m256d wi = _mm256_set1_pd(pr->w[c * S + i]);
                const __m256d wj = _mm256_loadu_pd(pr->w + c * S + j0);
                const __m256d b = _mm256_mul_pd(
                    _mm256_mul_pd(_mm256_mul_pd(_mm256_set1_pd(MPM_ROUND), err[c]), wi), wj);
                const int redo = _mm256_movemask_pd(
                    _mm256_cmp_pd(b, _mm256_set1_pd(MPM_TOL), _CMP_GT_OQ));
                if (redo) mpm_fix4(pr, c, i, j0, redo, &acc[c], &err[c]);
            }
        for (int c = 0; c < D; c++) {
            if (mode != MPM_ZNORM) {
                /* mpm_strip_generic's test: a sum whose rounding bound exceeds MPM_TOL of it
                 * (NaN included) is recomputed exactly */
                const __m256d redo_v = _mm256_and_pd(
                    _mm256_cmp_pd(err[c], _mm256_setzero_pd(), _CMP_GT_OQ),
                    _mm256_cmp_pd(_mm256_mul_pd(acc[c], _mm256_set1_pd(MPM_TOL)),
                                  _mm256_mul_pd(_mm256_set1_pd(MPM_ROUND), err[c]),
                                  _CMP_NGE_UQ));
                const int redo = _mm256_movemask_pd(redo_v);
                if (redo) mpm_fix4(pr, c, i, j0, redo, &acc[c], &err[c]);
                /* a > 0 ? a : +0, its root for p = 2, and +inf for a non-finite window */
                __m256d s = _mm256_and_pd(_mm256_cmp_pd(acc[c], _mm256_setzero_pd(),
                                                        _CMP_GT_OQ), acc[c]);
                if (mode == MPM_P2) s = _mm256_sqrt_pd(s);
                dist[c] = _mm256_add_pd(s, _mm256_add_pd(_mm256_set1_pd(pr->bad[c * S + i]),
                                                         _mm256_loadu_pd(pr->bad + c * S + j0)));
                continue;
            }
            const __m256d wi = _mm256_set1_pd(pr->w[c * S + i]);
            const __m256d wj = _mm256_loadu_pd(pr->w + c * S + j0);
            __m256d rho = _mm256_mul_pd(_mm256_mul_pd(acc[c], wi), wj);
            /* clean: half is 0, and rho + 0 only turns -0 into +0, which 1 - rho cannot tell */
            if (!clean)
                rho = _mm256_add_pd(rho, _mm256_add_pd(_mm256_set1_pd(pr->half[c * S + i]),
                                                       _mm256_loadu_pd(pr->half + c * S + j0)));
            __m256d d2 = _mm256_mul_pd(two_m, _mm256_sub_pd(one, rho));
            d2 = _mm256_and_pd(_mm256_cmp_pd(d2, snap, _CMP_GT_OQ), d2);
            dist[c] = _mm256_sqrt_pd(d2);
            /* clean: bad is 0 (sqrt is never -0); lanes past the end then get finite sums,
             * which the exact update below skips */
            if (!clean)
                dist[c] = _mm256_add_pd(dist[c], _mm256_add_pd(_mm256_set1_pd(pr->bad[c * S + i]),
                                                               _mm256_loadu_pd(pr->bad + c * S + j0)));
        }
        mpm_sort4(dist, D);
        /* running sums; a lane can enter a table only if its sum is <= the row's or the
         * column's best: one compare against max(row, column) (the exact update below also
         * drops infinite sums) */
        __m256d hit = _mm256_setzero_pd();
        if (desc) {
            sum[0] = dist[D - 1];
            for (int k = 1; k < D; k++) sum[k] = _mm256_add_pd(dist[D - 1 - k], sum[k - 1]);
        } else {
            sum[0] = dist[0];
            for (int k = 1; k < D; k++) sum[k] = _mm256_add_pd(dist[k], sum[k - 1]);
        }
        for (int k = 0; k < D; k++) {
            const __m256d thr = _mm256_max_pd(_mm256_set1_pd(best[k * S + i]),
                                              _mm256_loadu_pd(best + k * S + j0));
            hit = _mm256_or_pd(hit, _mm256_cmp_pd(sum[k], thr, _CMP_LE_OQ));
        }
        if (_mm256_movemask_pd(hit)) {  /* rare after the first rows: exact tie rules */
            /* mpm_offer_pair's rules, the columns' side in vectors: rows of identical
             * (constant or periodic) windows tie on almost every cell, and each column's best
             * moves to every lower index as g grows (a 90%-constant mstump took 3.5x a walk's
             * time in the scalar offers) */
            const __m256i iv = _mm256_set1_epi64x(i);
            const __m256i jv = _mm256_add_epi64(_mm256_set1_epi64x(j0),
                                                _mm256_setr_epi64x(0, 1, 2, 3));
            const __m256d live = _mm256_castsi256_pd(_mm256_cmpgt_epi64(_mm256_set1_epi64x(l), jv));
            for (int k = 0; k < D; k++) {
                const __m256d s = sum[k];
                const __m256d ok = _mm256_and_pd(live, _mm256_cmp_pd(s, _mm256_set1_pd(INFINITY),
                                                                     _CMP_LT_OQ));
                double *bj = best + k * S + j0;
                int64_t *xj = idx + k * S + j0;
                const __m256d b = _mm256_loadu_pd(bj);
                const __m256i x = _mm256_loadu_si256((const __m256i *)xj);
                const __m256d earlier = _mm256_castsi256_pd(_mm256_cmpgt_epi64(x, iv));
                const __m256d cwin = _mm256_and_pd(
                    ok, _mm256_or_pd(_mm256_cmp_pd(s, b, _CMP_LT_OQ),
                                     _mm256_and_pd(_mm256_cmp_pd(s, b, _CMP_EQ_OQ), earlier)));
                if (_mm256_movemask_pd(cwin)) {
                    _mm256_storeu_pd(bj, _mm256_blendv_pd(b, s, cwin));
                    _mm256_storeu_si256((__m256i *)xj,
                                        _mm256_castpd_si256(_mm256_blendv_pd(
                                            _mm256_castsi256_pd(x), _mm256_castsi256_pd(iv),
                                            cwin)));
                }
                /* row i: the lexicographic least (sum, j) of its lanes, if below its best */
                const __m256d bi = _mm256_set1_pd(best[k * S + i]);
                const __m256d jlow = _mm256_castsi256_pd(
                    _mm256_cmpgt_epi64(_mm256_set1_epi64x(idx[k * S + i]), jv));
                const __m256d rwin = _mm256_and_pd(
                    ok, _mm256_or_pd(_mm256_cmp_pd(s, bi, _CMP_LT_OQ),
                                     _mm256_and_pd(_mm256_cmp_pd(s, bi, _CMP_EQ_OQ), jlow)));
                if (_mm256_movemask_pd(rwin)) {
                    double sv[4];
                    _mm256_storeu_pd(sv, s);
                    double *b = best + k * S;
                    int64_t *ix = idx + k * S;
                    for (int q = 0; q < 4; q++) {
                        const int64_t j = j0 + q;
                        if (j >= l || !(sv[q] < INFINITY)) continue;
                        if (sv[q] < b[i] || (sv[q] == b[i] && j < ix[i])) {
                            b[i] = sv[q];
                            ix[i] = j;
                        }
                    }
                }
            }
        }
    }
    int64_t cells = 0;
    for (int q = 0; q < 4; q++) cells += g + q < l ? l - g - q : 0;
    return cells;
}

#define MPM_S4_DEF(D)                                                                        \
    MPM_AVX2_FN static int64_t mpm_s4_##D(const mpm_params *pr, int64_t g, double *best,     \
                                          int64_t *idx, const volatile int *cancel) {        \
        return pr->mode == MPM_P2 ? mpm_s4(pr, g, best, idx, cancel, D, MPM_P2, 0, 1)        \
               : pr->mode == MPM_P1 ? mpm_s4(pr, g, best, idx, cancel, D, MPM_P1, 0, 1)      \
               : pr->flat  ? mpm_s4(pr, g, best, idx, cancel, D, MPM_ZNORM, 0, 1)            \
               : pr->clean ? mpm_s4(pr, g, best, idx, cancel, D, MPM_ZNORM, 1, 0)            \
                           : mpm_s4(pr, g, best, idx, cancel, D, MPM_ZNORM, 0, 0);           \
    }
MPM_S4_DEF(1) MPM_S4_DEF(2) MPM_S4_DEF(3) MPM_S4_DEF(4) MPM_S4_DEF(5) MPM_S4_DEF(6)
MPM_S4_DEF(7) MPM_S4_DEF(8) MPM_S4_DEF(9) MPM_S4_DEF(10) MPM_S4_DEF(11) MPM_S4_DEF(12)
MPM_S4_DEF(13) MPM_S4_DEF(14) MPM_S4_DEF(15) MPM_S4_DEF(16)

typedef int64_t (*mpm_s4_fn)(const mpm_params *, int64_t, double *, int64_t *,
                             const volatile int *);
static const mpm_s4_fn mpm_s4_table[MPM_FAST_DMAX + 1] = {
    NULL, mpm_s4_1, mpm_s4_2, mpm_s4_3, mpm_s4_4, mpm_s4_5, mpm_s4_6, mpm_s4_7, mpm_s4_8,
    mpm_s4_9, mpm_s4_10, mpm_s4_11, mpm_s4_12, mpm_s4_13, mpm_s4_14, mpm_s4_15, mpm_s4_16};

static int mpm_cpu_avx2(void) {
    static int known = -1;  /* benign race: every thread stores the same value */
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return known;
}
#endif

int64_t mpm_strip(const mpm_params *pr, int64_t g0, double *best, int64_t *idx,
                  const volatile int *cancel) {
#ifdef MPM_HAVE_AVX2
    if (pr->mode != MPM_P && pr->nfix == 0 && pr->d >= 1 && pr->d <= MPM_FAST_DMAX &&
        !getenv("MPCORE_MBAND_GENERIC") && mpm_cpu_avx2()) {
        const mpm_s4_fn f = mpm_s4_table[pr->d];
        int64_t cells = 0;
        for (int h = 0; h < L; h += 4) {
            const int64_t c = f(pr, g0 + h, best, idx, cancel);
            if (c < 0) return c;
            cells += c;
        }
        return cells;
    }
#endif
    return mpm_strip_generic(pr, g0, best, idx, cancel);
}

int mpm_run_worker(const mpm_params *pr, const int64_t *strips, int64_t nstrips, int64_t *next,
                   int64_t *done, double *best, int64_t *idx, const volatile int *cancel) {
    for (;;) {
        if (cancel && *cancel) return -1;
        const int64_t b = mpm_fetch_add(next, 1);
        if (b >= nstrips) return 0;
        const int64_t cells = mpm_strip(pr, strips[b], best, idx, cancel);
        if (cells == -2) return -2;
        if (cells < 0) return -1;
        mpm_fetch_add(done, cells);
    }
}

/* Exact distance of windows i and j of channel c. */
static double mpm_exact_dist(const mpm_params *pr, const double *E, const uint8_t *cst,
                             int64_t c, int64_t i, int64_t j) {
    const int64_t S = pr->stride, m = pr->m;
    if (pr->bad[c * S + i] != 0.0 || pr->bad[c * S + j] != 0.0) return INFINITY;
    const double *x = E + c * S + i, *y = E + c * S + j;
    if (pr->mode != MPM_ZNORM) {
        double s = 0.0;
        for (int64_t t = 0; t < m; t++) {
            const double a = fabs(x[t] - y[t]);
            s += pr->mode == MPM_P2 ? a * a : pr->mode == MPM_P1 ? a : pow(a, pr->p);
        }
        return pr->mode == MPM_P2 ? sqrt(s) : pr->mode == MPM_P1 ? s : pow(s, 1.0 / pr->p);
    }
    const int ci = cst[c * S + i] != 0, cj = cst[c * S + j] != 0;
    if (ci && cj) return 0.0;
    if (ci || cj) return sqrt((double)m);
    double mx = 0.0, my = 0.0, cx = 0.0, cy = 0.0, sx = 0.0, sy = 0.0;
    for (int64_t t = 0; t < m; t++) {
        mx += x[t];
        my += y[t];
    }
    mx /= (double)m;
    my /= (double)m;
    /* the first mean's residual, kept apart (mpm_window_stats): on a near-flat window (1.5 +
     * 1e-9 noise) the mean's rounding is ~1e-7 of the spread, and left in it cost 1e-11 of
     * the distance */
    for (int64_t t = 0; t < m; t++) {
        cx += x[t] - mx;
        cy += y[t] - my;
    }
    cx /= (double)m;
    cy /= (double)m;
    for (int64_t t = 0; t < m; t++) {
        sx += ((x[t] - mx) - cx) * ((x[t] - mx) - cx);
        sy += ((y[t] - my) - cy) * ((y[t] - my) - cy);
    }
    if (!(sx > 0.0) || !(sy > 0.0)) return sqrt((double)m);  /* all equal after rounding */
    /* z-normalize both windows and take the plain Euclidean distance: never negative, and
     * identical windows are exactly 0 apart */
    sx = 1.0 / sqrt(sx / (double)m);
    sy = 1.0 / sqrt(sy / (double)m);
    double d2 = 0.0;
    for (int64_t t = 0; t < m; t++) {
        const double u = ((x[t] - mx) - cx) * sx - ((y[t] - my) - cy) * sy;
        d2 += u * u;
    }
    return sqrt(d2);
}

void mpm_window_stats(const mpm_params *pr, const double *E, const uint8_t *cst, double *mean,
                      double *corr, double *isd, int64_t r0, int64_t r1) {
    const int64_t S = pr->stride, m = pr->m;
    for (int64_t c = 0; c < pr->d; c++) {
        for (int64_t i = r0; i < r1; i++) {
            mean[c * S + i] = 0.0;
            corr[c * S + i] = 0.0;
            isd[c * S + i] = 0.0;
            if (pr->bad[c * S + i] != 0.0 || cst[c * S + i]) continue;
            /* the same operations, in the same order, as mpm_exact_dist */
            const double *x = E + c * S + i;
            double mx = 0.0, cx = 0.0, sx = 0.0;
            for (int64_t t = 0; t < m; t++) mx += x[t];
            mx /= (double)m;
            for (int64_t t = 0; t < m; t++) cx += x[t] - mx;
            cx /= (double)m;
            for (int64_t t = 0; t < m; t++) sx += ((x[t] - mx) - cx) * ((x[t] - mx) - cx);
            mean[c * S + i] = mx;
            corr[c * S + i] = cx;
            isd[c * S + i] = sx > 0.0 ? 1.0 / sqrt(sx / (double)m) : 0.0;
        }
    }
}

/* The d exact distances of (i, j) from the window statistics: mpm_exact_dist's result, with
 * the channels' sums run side by side (four independent chains; each in the same order). */
static void mpm_zdist_all(const mpm_params *pr, const double *E, const uint8_t *cst,
                          const double *mean, const double *corr, const double *isd, int64_t i,
                          int64_t j, double *dist, int64_t *todo) {
    const int64_t d = pr->d, S = pr->stride, m = pr->m;
    int64_t nt = 0;
    for (int64_t c = 0; c < d; c++) {
        if (pr->bad[c * S + i] != 0.0 || pr->bad[c * S + j] != 0.0) {
            dist[c] = INFINITY;
            continue;
        }
        const int ci = cst[c * S + i] != 0, cj = cst[c * S + j] != 0;
        if (ci && cj) {
            dist[c] = 0.0;
        } else if (ci || cj || !(isd[c * S + i] > 0.0) || !(isd[c * S + j] > 0.0)) {
            dist[c] = sqrt((double)m);
        } else {
            todo[nt++] = c;
        }
    }
    int64_t a = 0;
    for (; a + 4 <= nt; a += 4) {
        const double *x[4], *y[4];
        double mx[4], my[4], cx[4], cy[4], sx[4], sy[4], d2[4] = {0.0, 0.0, 0.0, 0.0};
        for (int q = 0; q < 4; q++) {
            const int64_t c = todo[a + q];
            x[q] = E + c * S + i;
            y[q] = E + c * S + j;
            mx[q] = mean[c * S + i];
            my[q] = mean[c * S + j];
            cx[q] = corr[c * S + i];
            cy[q] = corr[c * S + j];
            sx[q] = isd[c * S + i];
            sy[q] = isd[c * S + j];
        }
        for (int64_t t = 0; t < m; t++) {
            for (int q = 0; q < 4; q++) {
                const double u = ((x[q][t] - mx[q]) - cx[q]) * sx[q] -
                                 ((y[q][t] - my[q]) - cy[q]) * sy[q];
                d2[q] += u * u;
            }
        }
        for (int q = 0; q < 4; q++) dist[todo[a + q]] = sqrt(d2[q]);
    }
    for (; a < nt; a++) {
        const int64_t c = todo[a];
        const double *x = E + c * S + i, *y = E + c * S + j;
        const double mx = mean[c * S + i], my = mean[c * S + j];
        const double cx = corr[c * S + i], cy = corr[c * S + j];
        const double sx = isd[c * S + i], sy = isd[c * S + j];
        double d2 = 0.0;
        for (int64_t t = 0; t < m; t++) {
            const double u = ((x[t] - mx) - cx) * sx - ((y[t] - my) - cy) * sy;
            d2 += u * u;
        }
        dist[c] = sqrt(d2);
    }
}

void mpm_refine(const mpm_params *pr, const double *E, const uint8_t *cst, const int64_t *I,
                double *P, int64_t r0, int64_t r1, double *scratch, const double *mean,
                const double *corr, const double *isd) {
    const int64_t d = pr->d, l = pr->l;
    double *dist = scratch;
    int64_t *todo = (int64_t *)(scratch + d);
    const int fast = pr->mode == MPM_ZNORM && mean && corr && isd;
    for (int64_t i = r0; i < r1; i++) {
        int64_t last = -2;
        for (int64_t k = 0; k < d; k++) {
            const int64_t j = I[k * l + i];
            if (j < 0) {
                P[k * l + i] = INFINITY;
                continue;
            }
            if (j != last) {
                if (fast) {
                    mpm_zdist_all(pr, E, cst, mean, corr, isd, i, j, dist, todo);
                } else {
                    for (int64_t c = 0; c < d; c++) dist[c] = mpm_exact_dist(pr, E, cst, c, i, j);
                }
                /* insertion sort of the channels past the included ones */
                for (int64_t a = pr->nfix + 1; a < d; a++) {
                    const double v = dist[a];
                    int64_t b = a;
                    while (b > pr->nfix && (pr->discords ? dist[b - 1] < v : dist[b - 1] > v)) {
                        dist[b] = dist[b - 1];
                        b--;
                    }
                    dist[b] = v;
                }
                for (int64_t c = 1; c < d; c++) dist[c] += dist[c - 1];
                last = j;
            }
            P[k * l + i] = dist[k] / (double)(k + 1);
        }
    }
}
