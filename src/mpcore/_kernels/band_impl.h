/* One instruction set's build of the band kernel.  Included by band_<isa>.c with MP_ISA and
 * MP_SUFFIX defined; those files are compiled with the matching -m flags and chosen at run time
 * (dispatch.c), so a wheel runs everywhere and still uses the widest vectors the CPU has.
 *
 * SIMD lanes hold neighbouring diagonals at one row: row quantities are broadcasts, column
 * quantities are contiguous loads at c = r + d0 + lane.  Per vector of cells the fast path is two
 * FMAs (covariance recurrence), two multiplies (correlation) and one compare against the row's and
 * the columns' k-th best scores; only when a score could enter a top-k table do we leave the
 * vector path.  Improvements are rare after the first rows, so the index bookkeeping is nearly free.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "band.h"

#define MP_ISA_BASELINE 0
#define MP_ISA_AVX2 1
#define MP_ISA_AVX512 2

#if MP_ISA == MP_ISA_AVX512
#include <immintrin.h>
#define W 8
typedef __m512d vd;
#define VLD(p) _mm512_loadu_pd(p)
#define VST(p, v) _mm512_storeu_pd(p, v)
#define VSET1(x) _mm512_set1_pd(x)
#define VADD(a, b) _mm512_add_pd(a, b)
#define VSUB(a, b) _mm512_sub_pd(a, b)
#define VMUL(a, b) _mm512_mul_pd(a, b)
#define VFMA(a, b, c) _mm512_fmadd_pd(a, b, c)
#define VFNMA(a, b, c) _mm512_fnmadd_pd(a, b, c)
#define VABS(a) _mm512_abs_pd(a)
#define VMAXN(s, r) _mm512_max_pd(s, r)
#define VMASK_GE(s, t) ((unsigned)_mm512_cmp_pd_mask(s, t, _CMP_GE_OQ))
#define VANY_GE2(s, t1, t2) \
    ((_mm512_cmp_pd_mask(s, t1, _CMP_GE_OQ) | _mm512_cmp_pd_mask(s, t2, _CMP_GE_OQ)) != 0)
#define VSETLANE(v, q, x) _mm512_mask_mov_pd(v, (__mmask8)(1u << (q)), _mm512_set1_pd(x))
#elif MP_ISA == MP_ISA_AVX2
#include <immintrin.h>
#define W 4
typedef __m256d vd;
#define VLD(p) _mm256_loadu_pd(p)
#define VST(p, v) _mm256_storeu_pd(p, v)
#define VSET1(x) _mm256_set1_pd(x)
#define VADD(a, b) _mm256_add_pd(a, b)
#define VSUB(a, b) _mm256_sub_pd(a, b)
#define VMUL(a, b) _mm256_mul_pd(a, b)
#define VFMA(a, b, c) _mm256_fmadd_pd(a, b, c)
#define VFNMA(a, b, c) _mm256_fnmadd_pd(a, b, c)
#define VABS(a) _mm256_andnot_pd(_mm256_set1_pd(-0.0), a)
#define VMAXN(s, r) _mm256_max_pd(s, r)
#define VMASK_GE(s, t) ((unsigned)_mm256_movemask_pd(_mm256_cmp_pd(s, t, _CMP_GE_OQ)))
#define VANY_GE2(s, t1, t2) \
    (_mm256_movemask_pd(_mm256_or_pd(_mm256_cmp_pd(s, t1, _CMP_GE_OQ), \
                                     _mm256_cmp_pd(s, t2, _CMP_GE_OQ))) != 0)
#define VSETLANE(v, q, x)                                                                 \
    _mm256_blendv_pd(v, _mm256_set1_pd(x),                                                \
                     _mm256_castsi256_pd(_mm256_cmpeq_epi64(_mm256_setr_epi64x(0, 1, 2, 3), \
                                                            _mm256_set1_epi64x(q))))
#elif defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define W 2
typedef __m128d vd;
#define VLD(p) _mm_loadu_pd(p)
#define VST(p, v) _mm_storeu_pd(p, v)
#define VSET1(x) _mm_set1_pd(x)
#define VADD(a, b) _mm_add_pd(a, b)
#define VSUB(a, b) _mm_sub_pd(a, b)
#define VMUL(a, b) _mm_mul_pd(a, b)
#define VFMA(a, b, c) _mm_add_pd(_mm_mul_pd(a, b), c)
#define VFNMA(a, b, c) _mm_sub_pd(c, _mm_mul_pd(a, b))
#define VABS(a) _mm_andnot_pd(_mm_set1_pd(-0.0), a)
#define VMAXN(s, r) _mm_max_pd(s, r)
#define VMASK_GE(s, t) ((unsigned)_mm_movemask_pd(_mm_cmpge_pd(s, t)))
#define VANY_GE2(s, t1, t2) \
    (_mm_movemask_pd(_mm_or_pd(_mm_cmpge_pd(s, t1), _mm_cmpge_pd(s, t2))) != 0)
#define VSETLANE(v, q, x) ((q) ? _mm_unpacklo_pd(v, _mm_set_sd(x)) : _mm_move_sd(v, _mm_set_sd(x)))
#elif defined(__ARM_NEON) && defined(__aarch64__)
#include <arm_neon.h>
#define W 2
typedef float64x2_t vd;
#define VLD(p) vld1q_f64(p)
#define VST(p, v) vst1q_f64(p, v)
#define VSET1(x) vdupq_n_f64(x)
#define VADD(a, b) vaddq_f64(a, b)
#define VSUB(a, b) vsubq_f64(a, b)
#define VMUL(a, b) vmulq_f64(a, b)
#define VFMA(a, b, c) vfmaq_f64(c, a, b)
#define VFNMA(a, b, c) vfmsq_f64(c, a, b)
#define VABS(a) vabsq_f64(a)
#define VMAXN(s, r) vbslq_f64(vcgtq_f64(s, r), s, r)
#define VMASK_GE(s, t) \
    ((unsigned)(vgetq_lane_u64(vcgeq_f64(s, t), 0) & 1) | \
     ((unsigned)(vgetq_lane_u64(vcgeq_f64(s, t), 1) & 1) << 1))
#define VANY_GE2(s, t1, t2) \
    (vmaxvq_u32(vreinterpretq_u32_u64(vorrq_u64(vcgeq_f64(s, t1), vcgeq_f64(s, t2)))) != 0)
#define VSETLANE(v, q, x) ((q) ? vsetq_lane_f64(x, v, 1) : vsetq_lane_f64(x, v, 0))
#else /* plain C: one lane */
#define W 1
typedef double vd;
#define VLD(p) (*(p))
#define VST(p, v) (*(p) = (v))
#define VSET1(x) (x)
#define VADD(a, b) ((a) + (b))
#define VSUB(a, b) ((a) - (b))
#define VMUL(a, b) ((a) * (b))
#define VFMA(a, b, c) ((a) * (b) + (c))
#define VFNMA(a, b, c) ((c) - (a) * (b))
#define VABS(a) fabs(a)
#define VMAXN(s, r) ((s) > (r) ? (s) : (r))
#define VMASK_GE(s, t) ((unsigned)((s) >= (t)))
#define VANY_GE2(s, t1, t2) ((s) >= (t1) || (s) >= (t2))
#define VSETLANE(v, q, x) (x)
#endif

#if defined(__GNUC__)
#define MP_INLINE static inline __attribute__((always_inline))
#define MP_NOINLINE static __attribute__((noinline))
#define MP_LIKELY(x) __builtin_expect(!!(x), 1)
#define MP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define MP_INLINE static __forceinline
#define MP_NOINLINE static __declspec(noinline)
#define MP_LIKELY(x) (x)
#define MP_UNLIKELY(x) (x)
#endif

/* Index of the lowest set bit of x (x != 0), of 32 and of 64 bits. */
#if defined(__GNUC__)
#define MP_CTZ(x) __builtin_ctz(x)
#define MP_CTZ64(x) __builtin_ctzll(x)
#else
static __forceinline int MP_CTZ64(uint64_t x) {
    int n = 0;
    while (!(x & 1u)) {
        x >>= 1;
        n++;
    }
    return n;
}
#define MP_CTZ(x) MP_CTZ64((uint64_t)(x))
#endif

#define MP_CAT2(a, b) a##b
#define MP_CAT(a, b) MP_CAT2(a, b)
#define MP_NAME(x) MP_CAT(x, MP_SUFFIX)

/* Offer (s, idx) to row `row` of a table whose threshold s already reached.  k = 1 (the common
 * case, and the one a fresh table hits on almost every vector) is inlined: replace when better,
 * or equal and first in the table's order (s >= the threshold >= P here). */
static inline void MP_NAME(offer_)(mp_topk *tk, int64_t row, double s, int64_t idx) {
    if (tk->k == 1) {
        if (s > tk->P[row] || (tk->later ? idx > tk->I[row] : idx < tk->I[row])) {
            tk->P[row] = s;
            tk->I[row] = idx;
            MP_STORE_THR(tk->thr + row, s);
        }
    } else {
        mp_topk_insert(tk, row, s, idx);
    }
}

/* Lanes whose score may enter a table: the exact tests and insertions, in scalar code. */
static void MP_NAME(slow_lanes_)(const double *sv, int nl, int64_t r, int64_t c, mp_topk *rows,
                                 mp_topk *cols) {
    for (int q = 0; q < nl; q++) {
        const double s = sv[q];
        if (rows && s >= rows->thr[r]) MP_NAME(offer_)(rows, r, s, c + q);
        if (cols && s >= cols->thr[c + q]) MP_NAME(offer_)(cols, c + q, s, r);
    }
}

/* slow_lanes_ for a whole vector of scores s at row r, columns c .. c + W - 1, branching only
 * on the lanes that passed: each table's lanes at or above its threshold (as a bit mask, from
 * the thresholds at entry), visited in lane order and tested again exactly as slow_lanes_
 * tests them (thresholds only rise, so a lane below at entry stays below).  The same offers in
 * the same order, without slow_lanes_' 2W data-dependent branches, about half of them
 * mispredicted. */
static void MP_NAME(slow_vec_)(vd s, int64_t r, int64_t c, mp_topk *rows, mp_topk *cols) {
    double sv[W];
    VST(sv, s);
    const unsigned mr = rows ? VMASK_GE(s, VSET1(rows->thr[r])) : 0u;
    const unsigned mc = cols ? VMASK_GE(s, VLD(cols->thr + c)) : 0u;
    for (unsigned left = mr | mc; left; left &= left - 1) {
        const int q = MP_CTZ(left);
        if ((mr >> q & 1u) && sv[q] >= rows->thr[r]) MP_NAME(offer_)(rows, r, sv[q], c + q);
        if ((mc >> q & 1u) && sv[q] >= cols->thr[c + q]) MP_NAME(offer_)(cols, c + q, sv[q], r);
    }
}

#include "vpow.h"

/* out[i] = x[i]^p (x >= 0; out may be x) by this instruction set's vpow_, W at a time, the last
 * few in one vector padded with 1s: the powers of the band kernels, for the exact distances of
 * a general p elsewhere (streaming, distance profiles; mp_pow_kernel_get) and for tests. */
void MP_NAME(mp_pow_)(const double *x, int64_t n, double p, double *out) {
    int64_t i = 0;
    for (; i + W <= n; i += W) VST(out + i, MP_NAME(vpow_)(VLD(x + i), p));
    if (i < n) {
        double v[W];
        for (int q = 0; q < W; q++) v[q] = i + q < n ? x[i + q] : 1.0;
        VST(v, MP_NAME(vpow_)(VLD(v), p));
        for (int q = 0; i + q < n; q++) out[i + q] = v[q];
    }
}

/* A p-norm step's term |x|^p, in scalar code and (vterm_) W lanes at once: a general p by
 * vpow_, whose lanes have the same bits either way. */
static inline double MP_NAME(pnorm_term_)(double x, int mode, double p) {
    x = fabs(x);
    return mode == MP_AAMP_P2 ? x * x : (mode == MP_AAMP_P1 ? x : MP_NAME(vpow1_)(x, p));
}

MP_INLINE vd MP_NAME(vterm_)(vd x, const int mode, double p) {
    return mode == MP_AAMP_P2 ? VMUL(x, x)
                              : (mode == MP_AAMP_P1 ? VABS(x) : MP_NAME(vpow_)(VABS(x), p));
}

/* The exact co-moment of window r of X and window c of Y: the dot product of their deviations
 * (x - mu) - mulo (mp_series.mulo) along the window in vector code, W partial sums added in lane
 * order, then the scalar tail.  seed_'s path for a few lanes and reseed_vec_'s for a lane or a
 * few share it, so a lane recomputed by either gets the same bits. */
MP_INLINE double MP_NAME(dot1_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                int64_t r, int64_t c) {
    const int64_t m = pr->m;
    const double mr = X->mu[r], lr = X->mulo ? X->mulo[r] : 0.0;
    const double mc = Y->mu[c], lc = Y->mulo ? Y->mulo[c] : 0.0;
    const double *xt = X->T + r, *yt = Y->T + c;
    const vd vmr = VSET1(mr), vlr = VSET1(lr), vmc = VSET1(mc), vlc = VSET1(lc);
    vd sum = VSET1(0.0);
    double sv[W];
    int64_t t = 0;
    for (; t + W <= m; t += W)
        sum = VFMA(VSUB(VSUB(VLD(xt + t), vmr), vlr), VSUB(VSUB(VLD(yt + t), vmc), vlc), sum);
    VST(sv, sum);
    double tot = 0.0;
    for (int q = 0; q < W; q++) tot += sv[q];
    for (; t < m; t++) tot += ((xt[t] - mr) - lr) * ((yt[t] - mc) - lc);
    return tot;
}

/* Exact state of lanes [j0, j1) at row r: the centred co-moment, or the p-th power distance. */
static void MP_NAME(seed_)(const mp_params *pr, const mp_series *X, const mp_series *Y, int64_t r,
                           int64_t c0, int64_t j0, int64_t j1, double *acc) {
    const int64_t m = pr->m;
    for (int64_t j = j0; j < j1; j++) acc[j] = 0.0;
    if (pr->mode == MP_ZNORM) {
        /* the deviations (x - mu) - mulo of both windows (mp_series.mulo); in vector code, as
         * a plateau far above its noise reseeds often (acc may alias nothing here, but the
         * compiler cannot know it and kept this loop scalar) */
        const double mr = X->mu[r], lr = X->mulo ? X->mulo[r] : 0.0;
        const double *ym = Y->mu + c0, *yl = Y->mulo ? Y->mulo + c0 : 0;
        if (j1 - j0 < W) {
            /* a lane or a few (reseed_lane_: track_row_'s reseeds and the scalar tails'; the
             * diagonal lists' seeds): each a dot product of the two windows' deviations, in
             * vector code along the window (dot1_, which reseed_vec_ calls directly) */
            for (int64_t j = j0; j < j1; j++) acc[j] = MP_NAME(dot1_)(pr, X, Y, r, c0 + j);
            return;
        }
        for (int64_t t = 0; t < m; t++) {
            const double a = (X->T[r + t] - mr) - lr;
            const double *yt = Y->T + c0 + t;
            const vd va = VSET1(a);
            int64_t j = j0;
            if (yl) {
                for (; j + W <= j1; j += W)
                    VST(acc + j, VFMA(va, VSUB(VSUB(VLD(yt + j), VLD(ym + j)), VLD(yl + j)),
                                      VLD(acc + j)));
                for (; j < j1; j++) acc[j] += a * ((yt[j] - ym[j]) - yl[j]);
            } else {
                for (; j + W <= j1; j += W)
                    VST(acc + j, VFMA(va, VSUB(VLD(yt + j), VLD(ym + j)), VLD(acc + j)));
                for (; j < j1; j++) acc[j] += a * (yt[j] - ym[j]);
            }
        }
    } else {
        /* each lane's terms summed in window order; W lanes at once where a general p's
         * powers cost most (vterm_: the same bits as pnorm_term_'s, lane by lane) */
        for (int64_t t = 0; t < m; t++) {
            const double a = X->T[r + t];
            const double *yt = Y->T + c0 + t;
            int64_t j = j0;
            if (pr->mode == MP_AAMP_P)
                for (; j + W <= j1; j += W)
                    VST(acc + j, VADD(VLD(acc + j),
                                      MP_NAME(vterm_)(VSUB(VSET1(a), VLD(yt + j)), MP_AAMP_P,
                                                      pr->p)));
            for (; j < j1; j++) acc[j] += MP_NAME(pnorm_term_)(a - yt[j], pr->mode, pr->p);
        }
    }
}

/* A general p's terms, each computed once: the step at row r adds tb = |x_r+m - y_c+m|^p and
 * takes away ta = |x_r - y_c|^p, which is the tb of the step at row r - m on the same diagonal.
 * A band keeps its vector lanes' tb in a ring of m rows (slot r % m, MP_PAD lanes each) from
 * its seed on, which fills the first m slots with the seed's own terms; each step reads its ta
 * from its slot and leaves its tb there.  A cache only: the same values by the same code
 * (vpow_'s lanes depend on x alone), so the same bits as computing both.  Rows run otherwise
 * (tracked) leave the ring stale until the next seed.  Bands whose ring would pass
 * MP_RING_BYTES (m over ~1600) compute both terms. */
#ifndef MP_RING_BYTES
#define MP_RING_BYTES (4 << 20)
#endif

/* seed_ of lanes [0, nlanes) at row r for a general p, leaving the vector lanes' terms in the
 * ring (term t is the ta of the step at row r + t): seed_'s operations, so its bits. */
static void MP_NAME(seed_ring_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                int64_t r, int64_t c0, int64_t nlanes, double *acc,
                                double *ring) {
    const int64_t m = pr->m;
    for (int64_t j = 0; j < nlanes; j++) acc[j] = 0.0;
    for (int64_t t = 0; t < m; t++) {
        const double a = X->T[r + t];
        const double *yt = Y->T + c0 + t;
        double *slot = ring + ((r + t) % m) * MP_PAD;
        int64_t j = 0;
        for (; j + W <= nlanes; j += W) {
            const vd tv = MP_NAME(vterm_)(VSUB(VSET1(a), VLD(yt + j)), MP_AAMP_P, pr->p);
            VST(slot + j, tv);
            VST(acc + j, VADD(VLD(acc + j), tv));
        }
        for (; j < nlanes; j++) acc[j] += MP_NAME(pnorm_term_)(a - yt[j], MP_AAMP_P, pr->p);
    }
}

/* The step of W lanes of a p-norm band in rows_ and rows_skip_: cv plus tb less ta, the terms
 * of a = x_r - y_c and b = x_r+m - y_c+m; a general p's ta from its slot of the ring (NULL
 * without one), which then keeps tb (seed_ring_). */
MP_INLINE vd MP_NAME(pstep_)(vd cv, vd a, vd b, double *slot, const int mode, double p) {
    if (mode == MP_AAMP_P2) return VFMA(b, b, VFNMA(a, a, cv));
    if (mode == MP_AAMP_P && slot) {
        const vd ta = VLD(slot), tb = MP_NAME(vterm_)(b, mode, p);
        VST(slot, tb);
        return VADD(VSUB(cv, ta), tb);
    }
    return VADD(VSUB(cv, MP_NAME(vterm_)(a, mode, p)), MP_NAME(vterm_)(b, mode, p));
}

/* Rows per block: the band's state stays in a register across this many rows (no load/store of
 * it per cell); AVX-512 has the registers for four rows' broadcasts, narrower sets for two.
 * Measured on Zen 4 (AVX2, 2 threads, n = 2^16): 2 rows beat 1, 3 and 4.  -DMP_ROWS=N overrides,
 * for tuning on other CPUs. */
#if defined(MP_ROWS)
#elif W >= 8
#define MP_ROWS 4
#elif W >= 2
#define MP_ROWS 2
#else
#define MP_ROWS 1
#endif

/* Rows r .. r+nr-1 of the band (nr is a compile-time constant after inlining). */
MP_INLINE void MP_NAME(rows_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                              int64_t d0, int64_t nd, int64_t nvec, int64_t jtail, int64_t r,
                              mp_topk *rows, mp_topk *cols, double *acc, const int mode,
                              const int do_rows, const int do_cols, const int nr,
                              double *ring) {
    const int64_t m = pr->m;
    const double p = pr->p;
    const double inf = INFINITY;
    double *rg[MP_ROWS]; /* (a general p: each row's slot of the ring, see seed_ring_) */
    for (int q = 0; q < nr; q++) rg[q] = ring ? ring + ((r + q) % m) * MP_PAD : 0;
    const vd vinf = VSET1(inf);
    vd vw[MP_ROWS], va[MP_ROWS], vb[MP_ROWS], vrthr[MP_ROWS];
    double sv[W];
    /* The column arrays in locals, offset to row r's first column: read through the structs,
     * every vector would reload the pointers (the slow path's call might have changed the
     * structs), and with one index j for every array (row q's column is j + q, a constant
     * displacement) the loop keeps them all in registers instead of spilling. */
    const double *const Yw = Y->w + r + d0, *const Ydf = Y->df + r + d0;
    const double *const Ydg = Y->dg + r + d0, *const YT = Y->T + r + d0;
    const double *const cthr = do_cols ? cols->thr + r + d0 : 0;
    for (int q = 0; q < nr; q++) {
        if (mode == MP_ZNORM) {
            vw[q] = VSET1(X->w[r + q]);
            va[q] = VSET1(X->df[r + q]);
            vb[q] = VSET1(X->dg[r + q]);
        } else {
            vw[q] = VSET1(-X->w[r + q]);
            va[q] = VSET1(X->T[r + q]);
            vb[q] = VSET1(X->T[r + q + m]);
        }
        vrthr[q] = VSET1(do_rows ? rows->thr[r + q] : inf);
    }
    for (int64_t v = 0; v < nvec; v++) {
        const int64_t j = v * W;
        vd cv = VLD(acc + j);
        for (int q = 0; q < nr; q++) {
            const int64_t c = j + q; /* column r + d0 + c */
            const vd s = VMUL(VMUL(cv, VLD(Yw + c)), vw[q]);
            if (MP_UNLIKELY(VANY_GE2(s, do_cols ? VLD(cthr + c) : vinf, vrthr[q]))) {
                MP_NAME(slow_vec_)(s, r + q, r + d0 + c, do_rows ? rows : 0,
                                   do_cols ? cols : 0);
                if (do_rows) vrthr[q] = VSET1(rows->thr[r + q]);
            }
            if (mode == MP_ZNORM) {
                cv = VFMA(VLD(Ydf + c), vb[q], VFMA(VLD(Ydg + c), va[q], cv));
            } else {
                const vd a = VSUB(va[q], VLD(YT + c)), b = VSUB(vb[q], VLD(YT + c + m));
                cv = MP_NAME(pstep_)(cv, a, b, ring ? rg[q] + j : 0, mode, p);
            }
        }
        VST(acc + j, cv);
    }
    for (int64_t j = jtail; j < nd; j++) { /* the last partial vector, in scalar code */
        for (int q = 0; q < nr; q++) {
            const int64_t rr = r + q, c = rr + d0 + j;
            if (mode == MP_ZNORM) {
                sv[0] = acc[j] * Y->w[c] * X->w[rr];
                MP_NAME(slow_lanes_)(sv, 1, rr, c, do_rows ? rows : 0, do_cols ? cols : 0);
                acc[j] += Y->df[c] * X->dg[rr] + Y->dg[c] * X->df[rr];
            } else {
                sv[0] = -acc[j] * Y->w[c] * X->w[rr];
                MP_NAME(slow_lanes_)(sv, 1, rr, c, do_rows ? rows : 0, do_cols ? cols : 0);
                const double a = X->T[rr] - Y->T[c], b = X->T[rr + m] - Y->T[c + m];
                acc[j] += MP_NAME(pnorm_term_)(b, mode, p) - MP_NAME(pnorm_term_)(a, mode, p);
            }
        }
    }
}

/* Rows r .. r+nr-1 of the band when none of them can score (their windows are unusable: w is
 * NaN, so every score would be NaN and enter no table): the recurrence only, by the very
 * operations of rows_, so the co-moments of the rows after them are the same bits.  preSCRIMP
 * masks all windows but its samples this way. */
MP_INLINE void MP_NAME(rows_skip_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                   int64_t d0, int64_t nd, int64_t nvec, int64_t jtail, int64_t r,
                                   double *acc, const int mode, const int nr, double *ring) {
    const int64_t m = pr->m;
    const double p = pr->p;
    vd va[MP_ROWS], vb[MP_ROWS];
    double *rg[MP_ROWS];
    for (int q = 0; q < nr; q++) rg[q] = ring ? ring + ((r + q) % m) * MP_PAD : 0;
    for (int q = 0; q < nr; q++) {
        if (mode == MP_ZNORM) {
            va[q] = VSET1(X->df[r + q]);
            vb[q] = VSET1(X->dg[r + q]);
        } else {
            va[q] = VSET1(X->T[r + q]);
            vb[q] = VSET1(X->T[r + q + m]);
        }
    }
    for (int64_t v = 0; v < nvec; v++) {
        const int64_t j = v * W;
        vd cv = VLD(acc + j);
        for (int q = 0; q < nr; q++) {
            const int64_t c = r + q + d0 + j;
            if (mode == MP_ZNORM) {
                cv = VFMA(VLD(Y->df + c), vb[q], VFMA(VLD(Y->dg + c), va[q], cv));
            } else {
                const vd a = VSUB(va[q], VLD(Y->T + c)), b = VSUB(vb[q], VLD(Y->T + c + m));
                cv = MP_NAME(pstep_)(cv, a, b, ring ? rg[q] + j : 0, mode, p);
            }
        }
        VST(acc + j, cv);
    }
    for (int64_t j = jtail; j < nd; j++) {
        for (int q = 0; q < nr; q++) {
            const int64_t rr = r + q, c = rr + d0 + j;
            if (mode == MP_ZNORM) {
                acc[j] += Y->df[c] * X->dg[rr] + Y->dg[c] * X->df[rr];
            } else {
                const double a = X->T[rr] - Y->T[c], b = X->T[rr + m] - Y->T[c + m];
                acc[j] += MP_NAME(pnorm_term_)(b, mode, p) - MP_NAME(pnorm_term_)(a, mode, p);
            }
        }
    }
}

/* Largest value of a block-maximum array (eblk, wblk) over positions [a, b), b > a. */
static inline double MP_NAME(blkmax_)(const double *blk, int64_t a, int64_t b) {
    double mx = 0.0;
    for (int64_t i = a / MP_BAND; i <= (b - 1) / MP_BAND; i++) mx = blk[i] > mx ? blk[i] : mx;
    return mx;
}

/* Recompute the co-moment of lane j exactly at row r (its rounding error is then gone). */
static void MP_NAME(reseed_lane_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                  int64_t r, int64_t d0, int64_t j, double *acc, double *err) {
    MP_NAME(seed_)(pr, X, Y, r, r + d0, j, j + 1, acc);
    err[j] = 0.0;
}

/* One row of the band (z-normalized mode) with the rounding of every diagonal tracked: err[j]
 * bounds, in units of MP_ROUND, what the steps taken in tracked rows since the lane's last exact
 * value may have left in acc[j]; a lane is recomputed exactly before it is scored with more than
 * MP_SCORE_TOL of error.  Used only for rows where an outlier meets the band (see band_body_),
 * so the usual rows keep the lean loop of rows_. */
static void MP_NAME(track_row_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                int64_t d0, int64_t nd, int64_t nvec, int64_t jtail, int64_t r,
                                mp_topk *rows, mp_topk *cols, double *acc, double *err,
                                const int do_rows, const int do_cols) {
    const double lim = MP_SCORE_TOL / MP_ROUND;
    const double wr = X->w[r];
    const vd vwr = VSET1(wr), vdf = VSET1(X->df[r]), vdg = VSET1(X->dg[r]);
    const vd ver = VSET1(X->e[r]), vhr = VSET1(X->h[r]);
    const vd vlim = VSET1(lim), vinf = VSET1(INFINITY);
    vd vrthr = VSET1(do_rows ? rows->thr[r] : INFINITY);
    double sv[W];
    for (int64_t v = 0; v < nvec; v++) {
        const int64_t j = v * W, c = r + d0 + j;
        const vd wc = VLD(Y->w + c);
        vd cv = VLD(acc + j), ev = VLD(err + j);
        const vd bad = VMUL(VMUL(ev, wc), vwr);
        if (MP_UNLIKELY(VANY_GE2(bad, vlim, vlim))) {
            for (int q = 0; q < W; q++)
                if (err[j + q] * Y->w[c + q] * wr >= lim)
                    MP_NAME(reseed_lane_)(pr, X, Y, r, d0, j + q, acc, err);
            cv = VLD(acc + j);
            ev = VLD(err + j);
        }
        const vd sc = VMUL(VMUL(cv, wc), vwr);
        if (MP_UNLIKELY(VANY_GE2(sc, do_cols ? VLD(cols->thr + c) : vinf, vrthr))) {
            VST(sv, sc);
            MP_NAME(slow_lanes_)(sv, W, r, c, do_rows ? rows : 0, do_cols ? cols : 0);
            if (do_rows) vrthr = VSET1(rows->thr[r]);
        }
        VST(acc + j, VFMA(VLD(Y->df + c), vdg, VFMA(VLD(Y->dg + c), vdf, cv)));
        VST(err + j, VFMA(VLD(Y->e + c), vhr, VFMA(VLD(Y->h + c), ver, ev)));
    }
    for (int64_t j = jtail; j < nd; j++) {
        const int64_t c = r + d0 + j;
        if (err[j] * Y->w[c] * wr >= lim) MP_NAME(reseed_lane_)(pr, X, Y, r, d0, j, acc, err);
        sv[0] = acc[j] * Y->w[c] * wr;
        MP_NAME(slow_lanes_)(sv, 1, r, c, do_rows ? rows : 0, do_cols ? cols : 0);
        acc[j] += Y->df[c] * X->dg[r] + Y->dg[c] * X->df[r];
        err[j] += Y->e[c] * X->h[r] + Y->h[c] * X->e[r];
    }
}

/* One row of the band (z-normalized mode, rounding tracked as in track_row_) that scores no
 * lane here: every row window is unusable (NaN w), or the columns are sampled and their few
 * lanes were scored by score_sparse_.  The recurrence and the error bounds only, by the very
 * operations of track_row_; a lane whose bound grows too large is recomputed when it is next
 * scored. */
static void MP_NAME(track_skip_)(const mp_series *X, const mp_series *Y, int64_t d0, int64_t nd,
                                 int64_t nvec, int64_t jtail, int64_t r, double *acc,
                                 double *err) {
    const vd vdf = VSET1(X->df[r]), vdg = VSET1(X->dg[r]);
    const vd ver = VSET1(X->e[r]), vhr = VSET1(X->h[r]);
    for (int64_t v = 0; v < nvec; v++) {
        const int64_t j = v * W, c = r + d0 + j;
        const vd cv = VLD(acc + j), ev = VLD(err + j);
        VST(acc + j, VFMA(VLD(Y->df + c), vdg, VFMA(VLD(Y->dg + c), vdf, cv)));
        VST(err + j, VFMA(VLD(Y->e + c), vhr, VFMA(VLD(Y->h + c), ver, ev)));
    }
    for (int64_t j = jtail; j < nd; j++) {
        const int64_t c = r + d0 + j;
        acc[j] += Y->df[c] * X->dg[r] + Y->dg[c] * X->df[r];
        err[j] += Y->e[c] * X->h[r] + Y->h[c] * X->e[r];
    }
}

/* Row r's cells in the sampled columns of Y (see mp_series.sample), scored from the
 * band's state at row r exactly as rows_ (or, with err, track_row_) would score them; the
 * recurrence is left to rows_skip_ (track_skip_). */
static void MP_NAME(score_sparse_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                   int64_t d0, int64_t nd, int64_t r, mp_topk *rows,
                                   mp_topk *cols, double *acc, double *err, const int mode) {
    const double lim = MP_SCORE_TOL / MP_ROUND;
    const int64_t c0 = r + d0, c1 = c0 + nd < Y->l ? c0 + nd : Y->l;
    const double wr = mode == MP_ZNORM ? X->w[r] : -X->w[r];
    const int64_t step = Y->sample;
    for (int64_t c = c0 + (step - c0 % step) % step; c < c1; c += step) {
        const int64_t j = c - c0;
        if (err && err[j] * Y->w[c] * X->w[r] >= lim)
            MP_NAME(reseed_lane_)(pr, X, Y, r, d0, j, acc, err);
        double sv[1];
        sv[0] = acc[j] * Y->w[c] * wr;
        MP_NAME(slow_lanes_)(sv, 1, r, c, rows, cols);
    }
}

/* An error bound below this (float64's least normal number) never calls for a recomputation:
 * two all-zero windows (q_r + q_c = 0, a zero-filled gap) score exactly 0 at every step, with a
 * bound of exactly 0, which a bare `err >= lim * (q_r + q_c)` took for too much: every such
 * cell was recomputed, O(m) each, and a series with zero-filled gaps cost ten times a random
 * walk. */
#ifndef MP_ERR_FLOOR
#define MP_ERR_FLOOR 2.2250738585072014e-308
#endif

/* The same for the p-norm modes: a step adds |b|^p - |a|^p with a = x_r - y_c, b = x_r+m - y_c+m,
 * so its rounding is at most MP_ROUND (p+2) 3^(p-1) / 4 (e_r + e_c + 2 |z_r - z_c|^p), the
 * magnitudes measured from the windows' block centres z (mp_series.zblk: e_i = |T_i - z|^p +
 * |T_i+m - z|^p); rows whose steps are that small run in the lean loop while the period's
 * steps stay within MP_SCORE_TOL of its smallest pair magnitude q_r + q_c (q = sum of
 * |T - z|^p over the window); other rows are tracked (track_row_aamp_, against each lane's
 * own value).  Measured from the kernel series' 0 instead, a period of windows all far from
 * it (a level 1e8 above the rest) held its rounding to 1e-8 of their level, not of their
 * spread: a bump of 1e6 inside it ran in the lean loop, and the rounding of its sums (~ulp of
 * m 1e12) outweighed the level's distances^p (~10) for the rest of the period. */
static double MP_NAME(aamp_lim_)(const mp_params *pr) {
    return MP_SCORE_TOL / (MP_ROUND * (pr->p + 2.0) * pow(3.0, pr->p - 1.0) / 4.0);
}

/* The largest |z_x - z_y| of a row block in [a, b) and a column block in [c, d) (b > a,
 * d > c): the centres' part of a step's bound (aamp_lim_). */
static inline double MP_NAME(blkdz_)(const double *zx, int64_t a, int64_t b, const double *zy,
                                     int64_t c, int64_t d) {
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int64_t i = a / MP_BAND; i <= (b - 1) / MP_BAND; i++) {
        xlo = zx[i] < xlo ? zx[i] : xlo;
        xhi = zx[i] > xhi ? zx[i] : xhi;
    }
    for (int64_t i = c / MP_BAND; i <= (d - 1) / MP_BAND; i++) {
        ylo = zy[i] < ylo ? zy[i] : ylo;
        yhi = zy[i] > yhi ? zy[i] : yhi;
    }
    return xhi - ylo > yhi - xlo ? xhi - ylo : yhi - xlo;
}

/* The smallest q_r + q_c of a period, from the minima qx of its rows and qy of its columns
 * (qblk); a side with no window counted (inf: unusable, or settled zeros) bounds nothing. */
static inline double MP_NAME(qpair_)(double qx, double qy) {
    if (qx == INFINITY && qy == INFINITY) return INFINITY;
    return (qx == INFINITY ? 0.0 : qx) + (qy == INFINITY ? 0.0 : qy);
}

/* Tracked rows keep a tighter bound, from the magnitudes the step really rounds: a step's
 * terms ta = |a|^p and tb = |b|^p are rounded relative to themselves ((p + 1) eps, a's rounding
 * raised to the p-th power and the power's own), the sums relative to |acc| + ta + tb, so the
 * step leaves at most MP_ROUND (p + 3) / 4 (ta + tb + |acc|), and err sums ta + tb + |acc|.
 * A lane is recomputed before it is scored with err >= tlim |acc|: MP_SCORE_TOL of its own
 * value, not of q_r + q_c.  The pair's magnitude is no measure of its distance where both
 * windows lie far from the kernel series' 0 (a level 1e8 above the rest, which no one shift
 * centres): a diagonal that ran through cells of the two levels (acc ~ m 1e16) and on into
 * cells of the upper level alone kept ~ulp(1e17) of rounding in distances^2 of ~10, far
 * below MP_SCORE_TOL of q_r + q_c ~ m 1e16, and ranked the upper level's neighbours by noise. */
static double MP_NAME(aamp_tlim_)(const mp_params *pr) {
    return MP_SCORE_TOL / (MP_ROUND * (pr->p + 3.0) / 4.0);
}

static void MP_NAME(track_row_aamp_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                     int64_t d0, int64_t nd, int64_t nvec, int64_t jtail,
                                     int64_t r, mp_topk *rows, mp_topk *cols, double *acc,
                                     double *err, const int mode, const int do_rows,
                                     const int do_cols) {
    const int64_t m = pr->m;
    const double lim = MP_NAME(aamp_tlim_)(pr), p = pr->p;
    const vd vnw = VSET1(-X->w[r]), va = VSET1(X->T[r]), vb = VSET1(X->T[r + m]);
    const vd vlim = VSET1(lim), vinf = VSET1(INFINITY);
    const vd vfloor = VSET1(MP_ERR_FLOOR);
    vd vrthr = VSET1(do_rows ? rows->thr[r] : INFINITY);
    double sv[W];
    for (int64_t v = 0; v < nvec; v++) {
        const int64_t j = v * W, c = r + d0 + j;
        vd cv = VLD(acc + j), ev = VLD(err + j);
        const vd cap = VFMA(vlim, VABS(cv), vfloor);
        if (MP_UNLIKELY(VANY_GE2(ev, cap, cap))) {
            for (int q = 0; q < W; q++)
                if (err[j + q] >= lim * fabs(acc[j + q]) + MP_ERR_FLOOR)
                    MP_NAME(reseed_lane_)(pr, X, Y, r, d0, j + q, acc, err);
            cv = VLD(acc + j);
            ev = VLD(err + j);
        }
        const vd sc = VMUL(VMUL(cv, VLD(Y->w + c)), vnw);
        if (MP_UNLIKELY(VANY_GE2(sc, do_cols ? VLD(cols->thr + c) : vinf, vrthr))) {
            VST(sv, sc);
            MP_NAME(slow_lanes_)(sv, W, r, c, do_rows ? rows : 0, do_cols ? cols : 0);
            if (do_rows) vrthr = VSET1(rows->thr[r]);
        }
        const vd a = VSUB(va, VLD(Y->T + c)), b = VSUB(vb, VLD(Y->T + c + m));
        vd terms;
        if (mode == MP_AAMP_P2) { /* (the state by the very operations of rows_) */
            terms = VFMA(a, a, VMUL(b, b));
            ev = VADD(ev, VADD(terms, VABS(cv)));
            cv = VFMA(b, b, VFNMA(a, a, cv));
        } else {
            const vd ta = MP_NAME(vterm_)(a, mode, p), tb = MP_NAME(vterm_)(b, mode, p);
            terms = VADD(ta, tb);
            ev = VADD(ev, VADD(terms, VABS(cv)));
            cv = VADD(VSUB(cv, ta), tb);
        }
        VST(acc + j, cv);
        VST(err + j, ev);
    }
    for (int64_t j = jtail; j < nd; j++) {
        const int64_t c = r + d0 + j;
        if (err[j] >= lim * fabs(acc[j]) + MP_ERR_FLOOR)
            MP_NAME(reseed_lane_)(pr, X, Y, r, d0, j, acc, err);
        sv[0] = -acc[j] * Y->w[c] * X->w[r];
        MP_NAME(slow_lanes_)(sv, 1, r, c, do_rows ? rows : 0, do_cols ? cols : 0);
        const double a = X->T[r] - Y->T[c], b = X->T[r + m] - Y->T[c + m];
        const double ta = MP_NAME(pnorm_term_)(a, mode, p), tb = MP_NAME(pnorm_term_)(b, mode, p);
        err[j] += (ta + tb) + fabs(acc[j]);
        acc[j] += tb - ta;
    }
}

/* Whether a p-norm state leaving tracked rows for the lean loop must be recomputed: its error
 * bound err (track_row_aamp_'s units) is over MP_SCORE_TOL of its own value, or of the
 * period's smallest pair magnitude wmax, to which the lean loop's own rounding is held. */
static inline int MP_NAME(aamp_stale_)(const mp_params *pr, double err, double acc, double wmax) {
    const double ref = fabs(acc) < wmax ? fabs(acc) : wmax;
    return err >= MP_NAME(aamp_tlim_)(pr) * ref + MP_ERR_FLOOR;
}

/* Lanes j .. j + W - 1 at row r whose bound calls for their recomputation, recomputed: each
 * lane by track_row_aamp_'s test or, with `leave` (the lanes leave tracking), by aamp_stale_
 * (band_body_'s), lane by lane by their very operations.  Where several are due (a row
 * leaving an edge: most lanes of the band at once), all W are computed in one call of seed_,
 * which runs each lane by the same operations as the one-lane call of reseed_lane_ (seed_'s
 * p-norm loop is the same statement for every lane, only vectorized across them), and the
 * due ones kept: one chain of m dependent additions per lane cost a recomputation about W
 * times its vector code.  Out of line: the rare path of track_band_aamp_'s loop. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void MP_NAME(reseed_due_aamp_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                      int64_t r, int64_t d0, int64_t j, double *acc, double *err,
                                      int leave, double wmax) {
    const double lim = MP_NAME(aamp_tlim_)(pr);
    unsigned due = 0;
    for (int q = 0; q < W; q++)
        if (leave ? MP_NAME(aamp_stale_)(pr, err[j + q], acc[j + q], wmax)
                  : err[j + q] >= lim * fabs(acc[j + q]) + MP_ERR_FLOOR)
            due |= 1u << q;
    if (!due) return;
    if (!(due & (due - 1u))) {
        for (; due; due &= due - 1u)
            MP_NAME(reseed_lane_)(pr, X, Y, r, d0, j + MP_CTZ(due), acc, err);
        return;
    }
    double fresh[W];
    MP_NAME(seed_)(pr, X, Y, r, r + d0 + j, 0, W, fresh);
    for (int q = 0; q < W; q++)
        if (due >> q & 1u) {
            acc[j + q] = fresh[q];
            err[j + q] = 0.0;
        }
}

/* track_band_aamp_'s block test: MP_VMIN_KEEP(a, b), the smaller of a and b lane by lane,
 * where a lane of a is NaN b's (or NaN: either way no lane's smallest is lost), and
 * MP_VANY_NLT(s, t), whether some lane has s >= t or s or t NaN (not s < t). */
#if MP_ISA == MP_ISA_AVX512
#define MP_VMIN_KEEP(a, b) _mm512_min_pd(a, b)
#define MP_VANY_NLT(s, t) (_mm512_cmp_pd_mask(s, t, _CMP_NLT_UQ) != 0)
#elif MP_ISA == MP_ISA_AVX2
#define MP_VMIN_KEEP(a, b) _mm256_min_pd(a, b)
#define MP_VANY_NLT(s, t) (_mm256_movemask_pd(_mm256_cmp_pd(s, t, _CMP_NLT_UQ)) != 0)
#elif W == 2 && (defined(__SSE2__) || defined(_M_X64))
#define MP_VMIN_KEEP(a, b) _mm_min_pd(a, b)
#define MP_VANY_NLT(s, t) (_mm_movemask_pd(_mm_cmpnlt_pd(s, t)) != 0)
#elif W == 2
#define MP_VMIN_KEEP(a, b) vminq_f64(a, b) /* (NaN if either is) */
#define MP_VANY_NLT(s, t) (vminvq_u32(vreinterpretq_u32_u64(vcltq_f64(s, t))) == 0)
#else
#define MP_VMIN_KEEP(a, b) ((a) < (b) ? (a) : (b))
#define MP_VANY_NLT(s, t) (!((s) < (t)))
#endif
/* Rows per block of track_band_aamp_: each row's four broadcasts (-w, T_r, T_r+m and the
 * row's threshold) stay in registers across the block. */
#if W >= 8
#define MP_ATROWS 4
#else
#define MP_ATROWS 2
#endif

/* Rows r .. r+nr-1 of a band (p-norms, every row tracked, scored into rows and cols) as nr
 * calls of track_row_aamp_: each lane tested and recomputed, scored, and its acc and err
 * stepped, by the very operations of track_row_aamp_, so the same bits; but nr rows at a time
 * with acc and err in registers, the mode and the tables' sides fixed at compile time, and
 * only the vectors that reach a real column.  A series of plateaus far apart against their
 * noise tracks every row of every band (each row's band reaches columns of other levels),
 * which row by row cost about twice the lean loop.  Offers come in another order than row by
 * row; a table's content does not depend on it (ties go by index). */
MP_INLINE void MP_NAME(track_band_aamp_)(const mp_params *pr, const mp_series *X,
                                         const mp_series *Y, int64_t d0, int64_t nd,
                                         int64_t nvec, int64_t jtail, int64_t r, mp_topk *rows,
                                         mp_topk *cols, double *acc, double *err, const int mode,
                                         const int do_rows, const int do_cols, const int nr,
                                         double *ring) {
    const int64_t m = pr->m;
    /* a general p: each row's slot of the ring (seed_ring_), and the block's terms, kept for
     * the tested loop's rerun and stored once the block is done (a row q >= m takes its ta
     * from row q - m's tb, not yet stored) */
    double *rg[MP_ATROWS];
    vd tas[MP_ATROWS], tbs[MP_ATROWS];
    for (int q = 0; q < nr; q++) rg[q] = ring ? ring + ((r + q) % m) * MP_PAD : 0;
    const vd vlim = VSET1(MP_NAME(aamp_tlim_)(pr)), vfloor = VSET1(MP_ERR_FLOOR);
    const vd vinf = VSET1(INFINITY);
    vd vnw[MP_ATROWS], va[MP_ATROWS], vb[MP_ATROWS], vrthr[MP_ATROWS];
    /* (column arrays in locals, offset to row r's first column, as in rows_) */
    const double *const Yw = Y->w + r + d0, *const YT = Y->T + r + d0;
    const double *const cthr = do_cols ? cols->thr + r + d0 : 0;
    for (int q = 0; q < nr; q++) {
        vnw[q] = VSET1(-X->w[r + q]);
        va[q] = VSET1(X->T[r + q]);
        vb[q] = VSET1(X->T[r + q + m]);
        vrthr[q] = VSET1(do_rows ? rows->thr[r + q] : INFINITY);
    }
    for (int64_t v = 0; v < nvec; v++) {
        const int64_t j = v * W;
        const vd cv0 = VLD(acc + j), ev0 = VLD(err + j);
        /* The block's steps first, untested: err only grows (it adds terms and |acc|, both
         * >= 0), and lim |acc| + floor grows with |acc|, so where err after the block is
         * below lim mn + floor, mn the smallest |acc| the block's rows start from, no row's
         * test fires and these are the very steps of the tested loop below.  Else (a row may
         * fire; NaN anywhere) the tested loop runs the block again from its start. */
        vd cv = cv0, ev = ev0, mn = vinf, cs[MP_ATROWS];
        for (int q = 0; q < nr; q++) {
            const int64_t c = j + q; /* column r + d0 + c */
            const vd acv = VABS(cv);
            cs[q] = cv;
            mn = MP_VMIN_KEEP(acv, mn);
            const vd a = VSUB(va[q], VLD(YT + c)), b = VSUB(vb[q], VLD(YT + c + m));
            if (mode == MP_AAMP_P2) {
                ev = VADD(ev, VADD(VFMA(a, a, VMUL(b, b)), acv));
                cv = VFMA(b, b, VFNMA(a, a, cv));
            } else {
                vd ta;
                if (mode == MP_AAMP_P && ring)
                    ta = q >= m ? tbs[q - m] : VLD(rg[q] + j);
                else
                    ta = MP_NAME(vterm_)(a, mode, pr->p);
                const vd tb = MP_NAME(vterm_)(b, mode, pr->p);
                if (mode == MP_AAMP_P) {
                    tas[q] = ta;
                    tbs[q] = tb;
                }
                ev = VADD(ev, VADD(VADD(ta, tb), acv));
                cv = VADD(VSUB(cv, ta), tb);
            }
        }
        if (MP_LIKELY(!MP_VANY_NLT(ev, VFMA(vlim, mn, vfloor)))) {
            for (int q = 0; q < nr; q++) {
                const int64_t c = j + q;
                const vd sc = VMUL(VMUL(cs[q], VLD(Yw + c)), vnw[q]);
                if (MP_UNLIKELY(VANY_GE2(sc, do_cols ? VLD(cthr + c) : vinf, vrthr[q]))) {
                    MP_NAME(slow_vec_)(sc, r + q, r + d0 + c, do_rows ? rows : 0,
                                       do_cols ? cols : 0);
                    if (do_rows) vrthr[q] = VSET1(rows->thr[r + q]);
                }
            }
            VST(acc + j, cv);
            VST(err + j, ev);
            if (mode == MP_AAMP_P && ring)
                for (int q = 0; q < nr; q++) VST(rg[q] + j, tbs[q]);
            continue;
        }
        cv = cv0;
        ev = ev0;
        for (int q = 0; q < nr; q++) {
            const int64_t c = j + q; /* column r + d0 + c */
            const vd cap = VFMA(vlim, VABS(cv), vfloor);
            if (VANY_GE2(ev, cap, cap)) {
                VST(acc + j, cv);
                VST(err + j, ev);
                MP_NAME(reseed_due_aamp_)(pr, X, Y, r + q, d0, j, acc, err, 0, 0.0);
                cv = VLD(acc + j);
                ev = VLD(err + j);
            }
            const vd sc = VMUL(VMUL(cv, VLD(Yw + c)), vnw[q]);
            if (VANY_GE2(sc, do_cols ? VLD(cthr + c) : vinf, vrthr[q])) {
                MP_NAME(slow_vec_)(sc, r + q, r + d0 + c, do_rows ? rows : 0, do_cols ? cols : 0);
                if (do_rows) vrthr[q] = VSET1(rows->thr[r + q]);
            }
            const vd a = VSUB(va[q], VLD(YT + c)), b = VSUB(vb[q], VLD(YT + c + m));
            if (mode == MP_AAMP_P2) {
                ev = VADD(ev, VADD(VFMA(a, a, VMUL(b, b)), VABS(cv)));
                cv = VFMA(b, b, VFNMA(a, a, cv));
            } else {
                const vd ta = mode == MP_AAMP_P ? tas[q] : MP_NAME(vterm_)(a, mode, pr->p);
                const vd tb = mode == MP_AAMP_P ? tbs[q] : MP_NAME(vterm_)(b, mode, pr->p);
                ev = VADD(ev, VADD(VADD(ta, tb), VABS(cv)));
                cv = VADD(VSUB(cv, ta), tb);
            }
        }
        VST(acc + j, cv);
        VST(err + j, ev);
        if (mode == MP_AAMP_P && ring)
            for (int q = 0; q < nr; q++) VST(rg[q] + j, tbs[q]);
    }
    /* the last partial vector (track_row_aamp_'s scalar code; its lanes are apart from the
     * vectors', so a row's tail may follow the block's vectors) */
    if (jtail < nd) {
        const double lim = MP_NAME(aamp_tlim_)(pr);
        for (int q = 0; q < nr; q++) {
            const int64_t rr = r + q;
            for (int64_t j = jtail; j < nd; j++) {
                const int64_t c = rr + d0 + j;
                if (err[j] >= lim * fabs(acc[j]) + MP_ERR_FLOOR)
                    MP_NAME(reseed_lane_)(pr, X, Y, rr, d0, j, acc, err);
                double sv[1];
                sv[0] = -acc[j] * Y->w[c] * X->w[rr];
                MP_NAME(slow_lanes_)(sv, 1, rr, c, do_rows ? rows : 0, do_cols ? cols : 0);
                const double a = X->T[rr] - Y->T[c], b = X->T[rr + m] - Y->T[c + m];
                const double ta = MP_NAME(pnorm_term_)(a, mode, pr->p);
                const double tb = MP_NAME(pnorm_term_)(b, mode, pr->p);
                err[j] += (ta + tb) + fabs(acc[j]);
                acc[j] += tb - ta;
            }
        }
    }
}

/* The bound on the steps of rows r .. r + nr - 1 of a band (p-norms; see aamp_lim_): the
 * rows' largest e plus the centres' part, the columns' ec + 2 |z_r - z_c|^p, which is
 * recomputed only where the rows or columns enter another block (*cstep, its blocks in ckey). */
static inline double MP_NAME(aamp_step_)(const mp_params *pr, const mp_series *X,
                                         const mp_series *Y, int64_t d0, int64_t nlanes,
                                         int64_t r, int64_t nr, double *cstep, int64_t *ckey,
                                         const int mode) {
    double er = 0.0;
    for (int64_t q = 0; q < nr; q++) er = X->e[r + q] > er ? X->e[r + q] : er;
    const int64_t c1 = r + nr - 1 + d0 + nlanes;
    if (r / MP_BAND != ckey[0] || (r + nr - 1) / MP_BAND != ckey[1] ||
        (r + d0) / MP_BAND != ckey[2] || (c1 - 1) / MP_BAND != ckey[3]) {
        const double dz = MP_NAME(blkdz_)(X->zblk, r, r + nr, Y->zblk, r + d0, c1);
        *cstep = MP_NAME(blkmax_)(Y->eblk, r + d0, c1) +
                 2.0 * MP_NAME(pnorm_term_)(dz, mode, pr->p);
        ckey[0] = r / MP_BAND;
        ckey[1] = (r + nr - 1) / MP_BAND;
        ckey[2] = (r + d0) / MP_BAND;
        ckey[3] = (c1 - 1) / MP_BAND;
    }
    return er + *cstep;
}

/* The rows band_body_'s loop can take together at row r: up to the next exact re-seed or the
 * end of the band's rows. */
static inline int64_t MP_NAME(rows_left_)(int64_t r, int64_t nrows, int64_t reseed) {
    const int64_t left = nrows - r, to_seed = reseed - r % reseed;
    return left < to_seed ? left : to_seed;
}

/* Smallest value of a block-minimum array (qblk) over positions [a, b), b > a. */
static inline double MP_NAME(blkmin_)(const double *blk, int64_t a, int64_t b) {
    double mn = INFINITY;
    for (int64_t i = a / MP_BAND; i <= (b - 1) / MP_BAND; i++) mn = blk[i] < mn ? blk[i] : mn;
    return mn;
}

/* score_sparse_ for rows r and r + 1 of the lean z-normalized loop, so that the recurrence
 * keeps its MP_ROWS = 2 blocking (rows_skip_): row r + 1's state of a sampled lane is row r's
 * stepped by the very vector operations rows_skip_ uses, on one lane.  Only for bands without
 * a scalar tail (jtail == nd). */
static void MP_NAME(score_sparse2_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                    int64_t d0, int64_t nd, int64_t r, mp_topk *rows,
                                    mp_topk *cols, double *acc) {
    MP_NAME(score_sparse_)(pr, X, Y, d0, nd, r, rows, cols, acc, 0, MP_ZNORM);
    const int64_t step = Y->sample, c0 = r + 1 + d0, c1 = c0 + nd < Y->l ? c0 + nd : Y->l;
    const double wr = X->w[r + 1];
    const vd vdf = VSET1(X->df[r]), vdg = VSET1(X->dg[r]);
    double sv[W];
    for (int64_t c = c0 + (step - c0 % step) % step; c < c1; c += step) {
        const int64_t j = c - c0; /* lane j: column c - 1 at row r, c at row r + 1 */
        VST(sv, VFMA(VSET1(Y->df[c - 1]), vdg, VFMA(VSET1(Y->dg[c - 1]), vdf, VSET1(acc[j]))));
        sv[0] = sv[0] * Y->w[c] * wr;
        MP_NAME(slow_lanes_)(sv, 1, r + 1, c, rows, cols);
    }
}

/* Whether row r is scored in full (into rows and cols): its window is usable and, where X is
 * sparse (z-normalized mode), sampled. */
MP_INLINE int MP_NAME(full_row_)(const mp_series *X, int64_t r, const int mode) {
    return X->w[r] == X->w[r] && (mode != MP_ZNORM || !X->sample || r % X->sample == 0);
}

/* (the columns a vector of lanes meets in a block of rows are within one entry of eslide) */
typedef char MP_NAME(slide_covers_block_)[W + MP_ROWS - 1 <= MP_SLIDE ? 1 : -1];

/* The exact co-moments of the W lanes j .. j + W - 1 at row r (z-normalized mode; err reset),
 * each by the very operations of seed_'s path for a few lanes (a dot product along the window,
 * W partial sums, then the scalar tail), so the same bits as W calls of reseed_lane_; but the
 * row's deviations are formed once for all W, and the W sums are independent chains, where one
 * lane's dot product waits on its own chain of m / W FMAs.  A row leaving a plateau's edge
 * recomputes every lane of the band at once.  (Both arrays are written as whole vectors, which
 * the caller's vector loads then read without waiting on W scalar stores.) */
static void MP_NAME(seed_vec_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                               int64_t r, int64_t d0, int64_t j, double *acc, double *err) {
    const int64_t m = pr->m, c0 = r + d0 + j;
    const double mr = X->mu[r], lr = X->mulo ? X->mulo[r] : 0.0;
    const vd vmr = VSET1(mr), vlr = VSET1(lr);
    const double *const xt = X->T + r, *const yt = Y->T + c0;
    vd vmc[W], vlc[W], sum[W];
    double sv[W], mc[W], lc[W], out[W];
    for (int l = 0; l < W; l++) {
        mc[l] = Y->mu[c0 + l];
        lc[l] = Y->mulo ? Y->mulo[c0 + l] : 0.0;
        vmc[l] = VSET1(mc[l]);
        vlc[l] = VSET1(lc[l]);
        sum[l] = VSET1(0.0);
    }
    int64_t t = 0;
    for (; t + W <= m; t += W) {
        const vd a = VSUB(VSUB(VLD(xt + t), vmr), vlr);
        for (int l = 0; l < W; l++)
            sum[l] = VFMA(a, VSUB(VSUB(VLD(yt + l + t), vmc[l]), vlc[l]), sum[l]);
    }
    for (int l = 0; l < W; l++) {
        VST(sv, sum[l]);
        double tot = 0.0;
        for (int q = 0; q < W; q++) tot += sv[q];
        for (int64_t u = t; u < m; u++) tot += ((xt[u] - mr) - lr) * ((yt[l + u] - mc[l]) - lc[l]);
        out[l] = tot;
    }
    VST(acc + j, VLD(out));
    VST(err + j, VSET1(0.0));
}

/* Exact co-moments of one column window against MP_MEMO_ROWS consecutive row windows, kept for
 * the rows to come.  In tracked rows a lane is recomputed when its column leaves a plateau's
 * edge (its window turns near-flat, its bound suddenly large): column c = E leaves at row r in
 * lane E - r - d0, so a band meets the very same column E at rows r, r + 1, r + 2 ... in lanes
 * j, j - 1, j - 2 ... one lane a row, each lane alone a dot product (dot1_) whose chain of m / W
 * FMAs nothing else overlapped: on a series of plateaus those single lanes were ~15% of the
 * time.  Once a column is recomputed at two consecutive rows, the next MP_MEMO_ROWS rows' values
 * are computed at once (col_batch_: independent chains, the column's deviations formed once) and
 * looked up as the lanes fall due.  A lookup only ever returns dot1_(r, c)'s bits, so which
 * lanes fall due, and when, is unchanged. */
#define MP_MEMO_ROWS 8
#define MP_MEMO_SLOTS 4
typedef struct {
    int64_t c[MP_MEMO_SLOTS], r0[MP_MEMO_SLOTS]; /* slot s: dot1_(r0 + i, c) for i < n[s] */
    int n[MP_MEMO_SLOTS], next;
    double v[MP_MEMO_SLOTS][MP_MEMO_ROWS];
    int64_t lastc[2], lastr[2]; /* the last two lanes computed alone, or batches' last rows */
} MP_NAME(memo_);

static void MP_NAME(memo_reset_)(MP_NAME(memo_) *mo) {
    for (int s = 0; s < MP_MEMO_SLOTS; s++) { /* (every field memo_find_ reads, set) */
        mo->c[s] = -1;
        mo->r0[s] = 0;
        mo->n[s] = 0;
    }
    mo->next = 0;
    mo->lastc[0] = mo->lastc[1] = mo->lastr[0] = mo->lastr[1] = -2;
}

/* dot1_(r + i, c) for i < nb (nb <= MP_MEMO_ROWS), into out: for each row, dot1_'s operations in
 * its order (its W partial sums, added in lane order, then the scalar tail), so the same bits. */
static void MP_NAME(col_batch_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                int64_t r, int64_t c, int nb, double *out) {
    const int64_t m = pr->m;
    const double mc = Y->mu[c], lc = Y->mulo ? Y->mulo[c] : 0.0;
    const double *const xt = X->T + r, *const yt = Y->T + c;
    const vd vmc = VSET1(mc), vlc = VSET1(lc);
    vd vmr[MP_MEMO_ROWS], vlr[MP_MEMO_ROWS], sum[MP_MEMO_ROWS];
    double sv[W], mr[MP_MEMO_ROWS], lr[MP_MEMO_ROWS];
    const double *xl[MP_MEMO_ROWS];
    for (int l = 0; l < MP_MEMO_ROWS; l++) {
        const int64_t i = l < nb ? l : 0; /* (rows past nb: row r again, never read) */
        xl[l] = xt + i;
        mr[l] = X->mu[r + i];
        lr[l] = X->mulo ? X->mulo[r + i] : 0.0;
        vmr[l] = VSET1(mr[l]);
        vlr[l] = VSET1(lr[l]);
        sum[l] = VSET1(0.0);
    }
    int64_t t = 0;
    for (; t + W <= m; t += W) {
        const vd b = VSUB(VSUB(VLD(yt + t), vmc), vlc);
        for (int l = 0; l < MP_MEMO_ROWS; l++)
            sum[l] = VFMA(VSUB(VSUB(VLD(xl[l] + t), vmr[l]), vlr[l]), b, sum[l]);
    }
    for (int l = 0; l < nb; l++) {
        VST(sv, sum[l]);
        double tot = 0.0;
        for (int q = 0; q < W; q++) tot += sv[q];
        for (int64_t u = t; u < m; u++) tot += ((xt[l + u] - mr[l]) - lr[l]) * ((yt[u] - mc) - lc);
        out[l] = tot;
    }
}

/* Whether the memo holds dot1_(r, c) (then in *out). */
MP_INLINE int MP_NAME(memo_find_)(const MP_NAME(memo_) *mo, int64_t r, int64_t c, double *out) {
    for (int s = 0; s < MP_MEMO_SLOTS; s++)
        if (mo->c[s] == c && r >= mo->r0[s] && r - mo->r0[s] < mo->n[s]) {
            *out = mo->v[s][r - mo->r0[s]];
            return 1;
        }
    return 0;
}

/* dot1_(r, c), from the memo where it holds it (see MP_MEMO_ROWS). */
static double MP_NAME(memo_dot_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                 MP_NAME(memo_) *mo, int64_t r, int64_t c) {
    double x;
    if (!mo) return MP_NAME(dot1_)(pr, X, Y, r, c);
    if (MP_NAME(memo_find_)(mo, r, c, &x)) return x;
    /* a run: the column's row before was the last computed (two runs may interleave: two
     * edges in one band) */
    const int t = mo->lastc[1] == c && mo->lastr[1] == r - 1;
    if (!t && (mo->lastc[0] != c || mo->lastr[0] != r - 1)) { /* no run seen: this lane alone */
        mo->lastc[1] = mo->lastc[0];
        mo->lastr[1] = mo->lastr[0];
        mo->lastc[0] = c;
        mo->lastr[0] = r;
        return MP_NAME(dot1_)(pr, X, Y, r, c);
    }
    const int s = mo->next;
    const int64_t left = X->l - r;
    mo->next = (s + 1) % MP_MEMO_SLOTS;
    mo->c[s] = c;
    mo->r0[s] = r;
    mo->n[s] = left < MP_MEMO_ROWS ? (int)left : MP_MEMO_ROWS;
    MP_NAME(col_batch_)(pr, X, Y, r, c, mo->n[s], mo->v[s]);
    mo->lastr[t] = r + mo->n[s] - 1; /* (the run goes on: its next row takes the next batch) */
    return mo->v[s][0];
}

/* Lanes j .. j + W - 1 at row r whose bound calls for their recomputation: each lane whose
 * err w_c w_r >= lim (track_row_'s test), or with `leave` (the lanes leave tracking)
 * err wmax >= lim (band_body_'s), all W at once where all are (seed_vec_: the same bits).
 * Out of line: the rare path of track_rows_' loop, which inlined would cost that loop the
 * registers it keeps. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void MP_NAME(reseed_vec_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                 int64_t r, int64_t d0, int64_t j, double *acc, double *err,
                                 int leave, double wmax, MP_NAME(memo_) *mo) {
    const vd vlim = VSET1(MP_SCORE_TOL / MP_ROUND), ev = VLD(err + j);
    const int64_t c = r + d0 + j;
    /* (each lane's test by the very operations of the scalar ones it stands for) */
    const unsigned due = VMASK_GE(leave ? VMUL(ev, VSET1(wmax))
                                        : VMUL(VMUL(ev, VLD(Y->w + c)), VSET1(X->w[r])), vlim);
    if (W > 1 && due == (1u << W) - 1u) { /* (W = 1: seed_ has no path for a few lanes) */
        MP_NAME(seed_vec_)(pr, X, Y, r, d0, j, acc, err);
        return;
    }
    if (!due) return;
    /* A lane or a few (in tracked rows, nearly always one: the lane whose column just left an
     * edge), each by seed_'s dot product (dot1_), set into the vectors in registers and both
     * stored whole, as seed_vec_ stores them: through reseed_lane_, a call of seed_ and two
     * scalar stores per lane, which the caller's vector loads then waited on, a lane cost
     * about twice its dot product. */
    vd cv = VLD(acc + j), nev = ev;
    for (unsigned left = due; left; left &= left - 1u) {
        const int q = MP_CTZ(left);
        cv = VSETLANE(cv, q, MP_NAME(memo_dot_)(pr, X, Y, mo, r, c + q));
        nev = VSETLANE(nev, q, 0.0);
    }
    VST(acc + j, cv);
    VST(err + j, nev);
}

/* Rows per block of track_rows_: each row's six broadcasts (w, df, dg, e, h and the row's
 * threshold) stay in registers across the block; AVX-512's 32 registers hold two rows' (four
 * rows' spilled to the stack and cost more than the block saved), AVX2's 16 one row's. */
#if defined(MP_TROWS)
#elif W >= 8
#define MP_TROWS 2
#else
#define MP_TROWS 1
#endif

/* Rows r .. r+nr-1 of the lanes [0, nvec W) of a band (z-normalized mode, every row scored in
 * full) with the rounding tracked as track_row_ tracks it: each lane tested (err w_c w_r >=
 * lim: recomputed first) and scored at every row, its acc and err stepped by track_row_'s
 * operations, but nr rows at a time with acc and err in registers (no scalar tail: called on
 * whole vectors). */
MP_INLINE void MP_NAME(track_rows_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                    int64_t d0, int64_t nvec, int64_t r, mp_topk *rows,
                                    mp_topk *cols, double *acc, double *err, MP_NAME(memo_) *mo,
                                    const int do_rows, const int do_cols, const int nr) {
    const vd vlim = VSET1(MP_SCORE_TOL / MP_ROUND), vinf = VSET1(INFINITY);
    vd vw[MP_TROWS], va[MP_TROWS], vb[MP_TROWS], ve[MP_TROWS], vh[MP_TROWS], vrthr[MP_TROWS];
    /* (column arrays in locals, offset to row r's first column, as in rows_) */
    const double *const Yw = Y->w + r + d0, *const Ydf = Y->df + r + d0;
    const double *const Ydg = Y->dg + r + d0, *const Ye = Y->e + r + d0;
    const double *const Yh = Y->h + r + d0;
    const double *const cthr = do_cols ? cols->thr + r + d0 : 0;
    for (int q = 0; q < nr; q++) {
        vw[q] = VSET1(X->w[r + q]);
        va[q] = VSET1(X->df[r + q]);
        vb[q] = VSET1(X->dg[r + q]);
        ve[q] = VSET1(X->e[r + q]);
        vh[q] = VSET1(X->h[r + q]);
        vrthr[q] = VSET1(do_rows ? rows->thr[r + q] : INFINITY);
    }
    for (int64_t v = 0; v < nvec; v++) {
        const int64_t j = v * W;
        vd cv = VLD(acc + j), ev = VLD(err + j);
        for (int q = 0; q < nr; q++) {
            const int64_t c = j + q; /* column r + d0 + c */
            const vd wc = VLD(Yw + c), bad = VMUL(VMUL(ev, wc), vw[q]);
            if (MP_UNLIKELY(VANY_GE2(bad, vlim, vlim))) {
                /* (reseed_vec_'s test, by the same operations) */
                const unsigned due = VMASK_GE(bad, vlim);
                double x;
                if (W > 1 && !(due & (due - 1u)) &&
                    MP_NAME(memo_find_)(mo, r + q, r + d0 + c + MP_CTZ(due), &x)) {
                    /* one lane, its value at hand (a column leaving an edge): set in the
                     * registers, without reseed_vec_'s call (a call clobbers every vector
                     * register: the loop's were spilled and reloaded around each) */
                    cv = VSETLANE(cv, MP_CTZ(due), x);
                    ev = VSETLANE(ev, MP_CTZ(due), 0.0);
                } else {
                    VST(acc + j, cv);
                    VST(err + j, ev);
                    MP_NAME(reseed_vec_)(pr, X, Y, r + q, d0, j, acc, err, 0, 0.0, mo);
                    cv = VLD(acc + j);
                    ev = VLD(err + j);
                }
            }
            const vd sc = VMUL(VMUL(cv, wc), vw[q]);
            if (MP_UNLIKELY(VANY_GE2(sc, do_cols ? VLD(cthr + c) : vinf, vrthr[q]))) {
                MP_NAME(slow_vec_)(sc, r + q, r + d0 + c, do_rows ? rows : 0, do_cols ? cols : 0);
                if (do_rows) vrthr[q] = VSET1(rows->thr[r + q]);
            }
            cv = VFMA(VLD(Ydf + c), vb[q], VFMA(VLD(Ydg + c), va[q], cv));
            ev = VFMA(VLD(Ye + c), vh[q], VFMA(VLD(Yh + c), ve[q], ev));
        }
        VST(acc + j, cv);
        VST(err + j, ev);
    }
}

/* Sets of vectors of a band (mixed_rows_' tracked ones, and those tracked since they last left
 * tracking), a bit per vector: a row block walks them a word at a time, where a byte per vector
 * cost a load and a test of every vector of every untracked run (on a series of plateaus, 4% of
 * the band's time went to finding the few vectors that had left tracking). */
#define MP_VWORDS ((MP_BAND + 64) / 64)

/* The first vector of [v, nv) whose bit in `bits` is not t, or nv. */
static inline int64_t MP_NAME(run_end_)(const uint64_t *bits, int64_t v, int64_t nv, int t) {
    for (int64_t i = v >> 6; i << 6 < nv; i++) {
        const uint64_t x = (t ? ~bits[i] : bits[i]) & (~(uint64_t)0 << (i == v >> 6 ? v & 63 : 0));
        if (x) {
            const int64_t e = (i << 6) + MP_CTZ64(x);
            return e < nv ? e : nv;
        }
    }
    return nv;
}

/* The bits of [v, v1) in word i (v < v1). */
static inline uint64_t MP_NAME(run_bits_)(int64_t i, int64_t v, int64_t v1) {
    const int64_t a = i << 6 > v ? 0 : v - (i << 6), b = v1 - (i << 6) >= 64 ? 64 : v1 - (i << 6);
    return (b == 64 ? ~(uint64_t)0 : ((uint64_t)1 << b) - 1u) & (~(uint64_t)0 << a);
}

/* Rows r .. r+nr-1 of the band (z-normalized mode, every row scored in full) where some steps of
 * the band exceed `quiet` (band_body_), with the tracking decided per vector of lanes instead of
 * for the whole band: a vector whose own steps stay within quiet over the block runs as in
 * rows_, the others as in track_row_ (track_rows_).  Runs of neighbouring vectors alike are
 * handed to those loops whole (an edge's columns make one run), each loop with its own
 * registers.
 *
 * Why this is sound (band_body_'s argument, one vector at a time): the step at (r', c) leaves at
 * most MP_ROUND (e_r' h_c + h_r' e_c) in acc; over the block, lane l of the vector at lane j
 * meets rows r .. r + nr - 1 and columns r + d0 + j + l + q (l < W, q < nr), all within
 * [r + d0 + j, r + d0 + j + MP_SLIDE), so every step of the vector is at most
 *     step_v = max(e_r') hslide[r + d0 + j] + max(h_r') eslide[r + d0 + j].
 * Where step_v <= quiet the vector runs untracked, and an untracked step leaves at most quiet:
 * the period's untracked steps leave less than MP_ROUND reseed quiet = MP_SCORE_TOL / wmax,
 * as in band_body_.  Where step_v > quiet the steps are summed into err and each lane is
 * tested at every row as track_row_ tests it.  A vector that leaves tracking first has its
 * lanes with err wmax >= lim recomputed (reseed_vec_), as band_body_ does for the whole band,
 * so in an untracked row every lane's err (which such rows leave as it is) stays below
 * lim / wmax <= lim / (w_r w_c).  vtrk's bit v marks the vectors tracked since they last left.
 * On a series of plateaus far above their noise (steps), nearly every row meets an edge
 * somewhere in its band, but a vector only for the edge's m rows or columns: tracking all of
 * them cost twice a random walk. */
MP_INLINE void MP_NAME(mixed_rows_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                    int64_t d0, int64_t nd, int64_t nvec, int64_t jtail,
                                    int64_t r, mp_topk *rows, mp_topk *cols, double *acc,
                                    double *err, uint64_t *vtrk, double quiet, double wmax,
                                    MP_NAME(memo_) *mo, const int do_rows, const int do_cols,
                                    const int nr) {
    const double lim = MP_SCORE_TOL / MP_ROUND;
    const double *const Yes = Y->eslide + r + d0, *const Yhs = Y->hslide + r + d0;
    double sv[W], er = 0.0, hr = 0.0;
    for (int q = 0; q < nr; q++) {
        er = X->e[r + q] > er ? X->e[r + q] : er;
        hr = X->h[r + q] > hr ? X->h[r + q] : hr;
    }
    /* which vectors' steps exceed quiet, all at once (no branch per vector), then their runs */
    uint64_t loud[MP_VWORDS];
    for (int64_t i = 0; i << 6 < nvec; i++) {
        /* a word in a register, shifted in from its last vector down (x or-ed in memory cost a
         * store and a reload per vector; or-ed in with a shift per bit, GCC vectorized it into
         * permutes of the strided loads, slower still) */
        const int64_t v0 = i << 6;
        uint64_t x = 0;
        for (int64_t v = (nvec - v0 < 64 ? nvec : v0 + 64) - 1; v >= v0; v--)
            x = 2u * x + (uint64_t)(er * Yhs[v * W] + hr * Yes[v * W] > quiet);
        loud[i] = x;
    }
    for (int64_t v = 0, v1; v < nvec; v = v1) {
        const int t = (int)(loud[v >> 6] >> (v & 63) & 1u);
        v1 = MP_NAME(run_end_)(loud, v + 1, nvec, t);
        const int64_t j = v * W, n = v1 - v; /* vectors [v, v1): lanes [j, j + n W) */
        if (t) {
            for (int64_t i = v >> 6; i << 6 < v1; i++) vtrk[i] |= MP_NAME(run_bits_)(i, v, v1);
            if (nr % MP_TROWS == 0)
                for (int q = 0; q < nr; q += MP_TROWS)
                    MP_NAME(track_rows_)(pr, X, Y, d0 + j, n, r + q, rows, cols, acc + j,
                                         err + j, mo, do_rows, do_cols, MP_TROWS);
            else
                for (int q = 0; q < nr; q++)
                    MP_NAME(track_rows_)(pr, X, Y, d0 + j, n, r + q, rows, cols, acc + j,
                                         err + j, mo, do_rows, do_cols, 1);
        } else {
            for (int64_t i = v >> 6; i << 6 < v1; i++) { /* (in order of u, as they were) */
                const uint64_t in = MP_NAME(run_bits_)(i, v, v1);
                for (uint64_t b = vtrk[i] & in; b; b &= b - 1u)
                    MP_NAME(reseed_vec_)(pr, X, Y, r, d0, ((i << 6) + MP_CTZ64(b)) * W, acc, err,
                                         1, wmax, 0);
                vtrk[i] &= ~in;
            }
            MP_NAME(rows_)(pr, X, Y, d0 + j, n * W, n, n * W, r, rows, cols, acc + j, MP_ZNORM,
                           do_rows, do_cols, nr, 0);
        }
    }
    for (int64_t j = jtail; j < nd; j++) { /* the last partial vector: tracked (track_row_) */
        for (int q = 0; q < nr; q++) {
            const int64_t rr = r + q, c = rr + d0 + j;
            const double wr = X->w[rr];
            if (err[j] * Y->w[c] * wr >= lim) MP_NAME(reseed_lane_)(pr, X, Y, rr, d0, j, acc, err);
            sv[0] = acc[j] * Y->w[c] * wr;
            MP_NAME(slow_lanes_)(sv, 1, rr, c, do_rows ? rows : 0, do_cols ? cols : 0);
            acc[j] += Y->df[c] * X->dg[rr] + Y->dg[c] * X->df[rr];
            err[j] += Y->e[c] * X->h[rr] + Y->h[c] * X->e[rr];
        }
    }
}

MP_INLINE int64_t MP_NAME(band_body_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                      int64_t d0, int64_t d1, mp_topk *rows, mp_topk *cols,
                                      mp_topk *srows, mp_topk *scols, double *acc,
                                      const volatile int *cancel, const int mode,
                                      const int do_rows, const int do_cols, double *ring) {
    const int64_t nd = d1 - d0;
    /* Y's sampled lanes, scored apart (mp_series.sample); rows scored in full only where some
     * table wants them */
    const int sparse = Y->sample > 0 && (srows || scols);
    const int full = do_rows || do_cols;
    const int64_t nrows = (X->l < Y->l - d0) ? X->l : Y->l - d0;
    /* Vector lanes may read past d1 only where no real diagonal lies (c >= Y->l, the padding);
     * otherwise the last partial vector is done in scalar code. */
    const int64_t nvec = (d1 >= Y->l) ? (nd + W - 1) / W : nd / W;
    const int64_t jtail = nvec * W < nd ? nvec * W : nd;
    const int64_t nlanes = nvec * W > nd ? nvec * W : nd;
    const int64_t reseed = pr->reseed > 0 ? pr->reseed : 4096;
    /* Rounding bookkeeping (see mp_series.e): between two reseeds, rows whose steps are bounded
     * by e_r max(h_c) + h_r max(e_c) <= quiet (p-norms: e_r + max(e_c)) add at most
     * MP_ROUND * reseed * quiet to any co-moment, which is MP_SCORE_TOL of the quietest pair of
     * windows the period reaches (wmax); rows above it (an outlier in the row or in the band's
     * columns) run in track_row_, which tracks each diagonal's error. */
    const int track = X->e && Y->e && (mode == MP_ZNORM || (X->q && Y->q && X->zblk && Y->zblk));
    const double lim = mode == MP_ZNORM ? MP_SCORE_TOL / MP_ROUND : MP_NAME(aamp_lim_)(pr);
    double *err = acc + nlanes + W; /* the scratch holds both (MP_PAD entries each) */
    double quiet = INFINITY, wmax = 0.0;
    /* p-norms: the columns' part of a step's bound, ec + 2 |z_r - z_c|^p, for the blocks it
     * was taken over (it changes only where the rows or columns enter another block) */
    double cstep = 0.0;
    int64_t ckey[4] = {-1, -1, -1, -1};
    int tracking = 0;
    /* mixed_rows_: the vectors of lanes tracked since they last left tracking (all, once a
     * row ran track_row_) */
    uint64_t vtrk[MP_VWORDS];
    MP_NAME(memo_) memo; /* (see MP_MEMO_ROWS) */
    MP_NAME(memo_reset_)(&memo);
    const int mixed = mode == MP_ZNORM && track && Y->eslide && Y->hslide && !sparse && full;
    int64_t cells = 0;
    double *live_ring = 0; /* the ring while it holds the next steps' ta (seed_ring_) */

    for (int64_t r = 0; r < nrows;) {
        if (r % reseed == 0) {
            if (cancel && *cancel) return -1;
            if (mode == MP_AAMP_P && ring) {
                MP_NAME(seed_ring_)(pr, X, Y, r, r + d0, nlanes, acc, ring);
                live_ring = ring;
            } else {
                MP_NAME(seed_)(pr, X, Y, r, r + d0, 0, nlanes, acc);
            }
            if (track) {
                const int64_t r1 = (r + reseed < nrows ? r + reseed : nrows);
                for (int64_t j = 0; j < nlanes; j++) err[j] = 0.0;
                memset(vtrk, 0, sizeof vtrk);
                if (mode == MP_ZNORM) {
                    wmax = MP_NAME(blkmax_)(X->wblk, r, r1) *
                           MP_NAME(blkmax_)(Y->wblk, r + d0, r1 - 1 + d0 + nlanes);
                    quiet = wmax > 0.0 ? lim / ((double)(r1 - r) * wmax) : INFINITY;
                } else { /* wmax: here the smallest q_r + q_c of the period */
                    const double qx = MP_NAME(blkmin_)(X->qblk, r, r1);
                    const double qy = MP_NAME(blkmin_)(Y->qblk, r + d0, r1 - 1 + d0 + nlanes);
                    wmax = MP_NAME(qpair_)(qx, qy);
                    quiet = lim * wmax / (double)(r1 - r);
                }
                tracking = 0;
            }
        }
        const int64_t left = MP_NAME(rows_left_)(r, nrows, reseed);
        int64_t nr = left >= MP_ROWS ? MP_ROWS : 1;
        if (track) {
            double step;
            if (mode == MP_ZNORM) {
                double er = 0.0, hr = 0.0;
                for (int64_t q = 0; q < nr; q++) er = X->e[r + q] > er ? X->e[r + q] : er;
                const double ec = MP_NAME(blkmax_)(Y->eblk, r + d0, r + nr - 1 + d0 + nlanes);
                for (int64_t q = 0; q < nr; q++) hr = X->h[r + q] > hr ? X->h[r + q] : hr;
                step = er * MP_NAME(blkmax_)(Y->hblk, r + d0, r + nr - 1 + d0 + nlanes) + hr * ec;
            } else {
                step = MP_NAME(aamp_step_)(pr, X, Y, d0, nlanes, r, nr, &cstep, ckey, mode);
            }
            if (step > quiet) {
                int inrows = mixed;
                for (int64_t q = 0; inrows && q < nr; q++)
                    inrows = MP_NAME(full_row_)(X, r + q, MP_ZNORM);
                if (inrows) { /* (only z-normalized mode here) */
                    int64_t nv = nvec, jt = jtail;
                    const int64_t live = Y->l - (r + d0); /* (dead lanes: as for rows_ below) */
                    if (live < nvec * W) {
                        nv = (live + W - 1) / W;
                        jt = nd;
                    }
                    if (nr == MP_ROWS)
                        MP_NAME(mixed_rows_)(pr, X, Y, d0, nd, nv, jt, r, rows, cols, acc, err,
                                             vtrk, quiet, wmax, &memo, do_rows, do_cols, MP_ROWS);
                    else
                        MP_NAME(mixed_rows_)(pr, X, Y, d0, nd, nv, jt, r, rows, cols, acc, err,
                                             vtrk, quiet, wmax, &memo, do_rows, do_cols, 1);
                    tracking = 1;
                    for (int64_t q = 0; q < nr; q++) {
                        const int64_t valid = Y->l - (r + q + d0);
                        cells += valid < nd ? valid : nd;
                    }
                    r += nr;
                    continue;
                }
                memset(vtrk, 0xff, sizeof vtrk); /* (track_row_, track_skip_: every lane) */
                if (mode == MP_ZNORM) {
                    if (sparse)
                        MP_NAME(score_sparse_)(pr, X, Y, d0, nd, r, srows, scols, acc, err,
                                               MP_ZNORM);
                    if (full && MP_NAME(full_row_)(X, r, MP_ZNORM))
                        MP_NAME(track_row_)(pr, X, Y, d0, nd, nvec, jtail, r, rows, cols, acc,
                                            err, do_rows, do_cols);
                    else /* nothing (more) scores in this row: step, and track */
                        MP_NAME(track_skip_)(X, Y, d0, nd, nvec, jtail, r, acc, err);
                } else if (full) {
                    /* the rows after r that are tracked too (each by its own test, as the
                     * loop would take it), up to a block, run together */
                    int64_t nt = 1;
                    for (; nt < MP_ATROWS && nt < left; nt++) {
                        const int64_t r2 = r + nt;
                        const int64_t nr2 =
                            MP_NAME(rows_left_)(r2, nrows, reseed) >= MP_ROWS ? MP_ROWS : 1;
                        if (!(MP_NAME(aamp_step_)(pr, X, Y, d0, nlanes, r2, nr2, &cstep, ckey,
                                                  mode) > quiet))
                            break;
                    }
                    int64_t nv = nvec, jt = jtail; /* (dead lanes: as for rows_ below) */
                    const int64_t live = Y->l - (r + d0);
                    if (live < nvec * W) {
                        nv = (live + W - 1) / W;
                        jt = nd;
                    }
                    if (nt == MP_ATROWS)
                        MP_NAME(track_band_aamp_)(pr, X, Y, d0, nd, nv, jt, r, rows, cols, acc,
                                                  err, mode, do_rows, do_cols, MP_ATROWS,
                                                  live_ring);
                    else
                        for (int64_t q = 0; q < nt; q++)
                            MP_NAME(track_band_aamp_)(pr, X, Y, d0, nd, nv, jt, r + q, rows,
                                                      cols, acc, err, mode, do_rows, do_cols, 1,
                                                      live_ring);
                    tracking = 1;
                    for (int64_t q = 0; q < nt; q++) {
                        const int64_t valid = Y->l - (r + q + d0);
                        cells += valid < nd ? valid : nd;
                    }
                    r += nt;
                    continue;
                } else { /* p-norm passes are never sparse and full at once: Y's other
                          * windows are masked (NaN w), so scoring every lane scores the
                          * sparse ones */
                    MP_NAME(track_row_aamp_)(pr, X, Y, d0, nd, nvec, jtail, r, srows, scols,
                                             acc, err, mode, srows != 0, scols != 0);
                    live_ring = 0; /* (it steps the lanes without the ring) */
                }
                tracking = 1;
                const int64_t valid = Y->l - (r + d0);
                cells += valid < nd ? valid : nd;
                r += 1;
                continue;
            }
            if (tracking) { /* back to the lean loop: leave no lane with error that could matter */
                int64_t j = 0;
                if (mode == MP_ZNORM) /* (a vector at a time: the same bits, see reseed_vec_) */
                    for (; j + W <= nd; j += W)
                        MP_NAME(reseed_vec_)(pr, X, Y, r, d0, j, acc, err, 1, wmax, 0);
                else /* (the same bits: see reseed_due_aamp_) */
                    for (; j + W <= nd; j += W)
                        MP_NAME(reseed_due_aamp_)(pr, X, Y, r, d0, j, acc, err, 1, wmax);
                for (; j < nd; j++)
                    if (mode == MP_ZNORM ? err[j] * wmax >= lim
                                         : MP_NAME(aamp_stale_)(pr, err[j], acc[j], wmax))
                        MP_NAME(reseed_lane_)(pr, X, Y, r, d0, j, acc, err);
                tracking = 0;
            }
        }
        int skip = 1;
        if (sparse && mode == MP_ZNORM && nr == 2 && jtail == nd &&
            !(full && (MP_NAME(full_row_)(X, r, mode) || MP_NAME(full_row_)(X, r + 1, mode)))) {
            /* two rows that only step: their sampled lanes, then the recurrence */
            MP_NAME(score_sparse2_)(pr, X, Y, d0, nd, r, srows, scols, acc);
        } else if (sparse) { /* a row at a time: its sampled lanes, then its full row or step */
            nr = 1;
            MP_NAME(score_sparse_)(pr, X, Y, d0, nd, r, srows, scols, acc, 0, mode);
            skip = !(full && MP_NAME(full_row_)(X, r, mode));
        } else if (full) {
            for (int64_t q = 0; q < nr; q++) skip &= !MP_NAME(full_row_)(X, r + q, mode);
        }
        /* Lanes past Y's last window (c >= Y->l) hold no cell, at this row or any later one
         * (c grows with r): run only the vectors that reach a real column of row r (and so of
         * row r + 1's too), which near the end of a band is the triangle's half; a dead lane's
         * state is never read for a real cell again. */
        int64_t nv = nvec, jt = jtail;
        const int64_t live = Y->l - (r + d0);
        if (live < nvec * W) {
            nv = (live + W - 1) / W;
            jt = nd; /* and the scalar tail, past the vectors, is dead too */
        }
        if (skip) {
            if (nr == MP_ROWS)
                MP_NAME(rows_skip_)(pr, X, Y, d0, nd, nv, jt, r, acc, mode, MP_ROWS, live_ring);
            else
                MP_NAME(rows_skip_)(pr, X, Y, d0, nd, nv, jt, r, acc, mode, 1, live_ring);
        } else if (nr == MP_ROWS) {
            MP_NAME(rows_)(pr, X, Y, d0, nd, nv, jt, r, rows, cols, acc, mode, do_rows, do_cols,
                           MP_ROWS, live_ring);
        } else {
            MP_NAME(rows_)(pr, X, Y, d0, nd, nv, jt, r, rows, cols, acc, mode, do_rows, do_cols,
                           1, live_ring);
        }
        for (int64_t q = 0; q < nr; q++) {
            const int64_t valid = Y->l - (r + q + d0);
            cells += valid < nd ? valid : nd;
        }
        r += nr;
    }
    return cells;
}

/* band_body_ for one mode, its four variants of the tables' sides: one function per mode.  (In
 * one function, the sixteen copies of the band's loops outgrew what GCC allocates registers
 * for loop by loop (--param ira-max-loops-num): once aamp's tracked blocks were added, the
 * lean loop's row values went to the stack and a clean series' stump took 1.6x its time with
 * the AVX-512 kernel.) */
#define MP_BODY(mode, r, c)                                                                     \
    return MP_NAME(band_body_)(pr, X, Y, d0, d1, r ? rows : 0, c ? cols : 0, srows, scols,      \
                               scratch, cancel, mode, r, c, ring);
#define MP_MODE_FN(name, mode)                                                                  \
    MP_NOINLINE int64_t MP_NAME(name)(const mp_params *pr, const mp_series *X,                 \
                                      const mp_series *Y, int64_t d0, int64_t d1,              \
                                      mp_topk *rows, mp_topk *cols, mp_topk *srows,            \
                                      mp_topk *scols, double *scratch,                         \
                                      const volatile int *cancel, double *ring) {              \
        if (rows && cols) MP_BODY(mode, 1, 1)                                                   \
        if (rows) MP_BODY(mode, 1, 0)                                                           \
        if (cols) MP_BODY(mode, 0, 1)                                                           \
        MP_BODY(mode, 0, 0)                                                                     \
    }
MP_MODE_FN(band_znorm_, MP_ZNORM)
MP_MODE_FN(band_p2_, MP_AAMP_P2)
MP_MODE_FN(band_p1_, MP_AAMP_P1)
MP_MODE_FN(band_p_, MP_AAMP_P)
#undef MP_MODE_FN
#undef MP_BODY

int64_t MP_NAME(mp_band_)(const mp_params *pr, const mp_series *X, const mp_series *Y, int64_t d0,
                          int64_t d1, mp_topk *rows, mp_topk *cols, mp_topk *srows,
                          mp_topk *scols, double *scratch, const volatile int *cancel) {
    if (d1 <= d0 || d0 >= Y->l) return 0;
    switch (pr->mode) {
        case MP_ZNORM:
            return MP_NAME(band_znorm_)(pr, X, Y, d0, d1, rows, cols, srows, scols, scratch,
                                        cancel, 0);
        case MP_AAMP_P2:
            return MP_NAME(band_p2_)(pr, X, Y, d0, d1, rows, cols, srows, scols, scratch, cancel,
                                     0);
        case MP_AAMP_P1:
            return MP_NAME(band_p1_)(pr, X, Y, d0, d1, rows, cols, srows, scols, scratch, cancel,
                                     0);
        default: { /* (the ring: see seed_ring_; without memory for it, both terms) */
            const size_t bytes = (size_t)pr->m * MP_PAD * sizeof(double);
            double *ring = bytes <= MP_RING_BYTES ? (double *)malloc(bytes) : 0;
            const int64_t cells = MP_NAME(band_p_)(pr, X, Y, d0, d1, rows, cols, srows, scols,
                                                   scratch, cancel, ring);
            free(ring);
            return cells;
        }
    }
}

/* ---- Diagonal-list entry (scrump: a chosen, scattered subset of diagonals) ----
 *
 * A band runs neighbouring diagonals in the vector lanes; a random subset of diagonals has no
 * neighbours, so here the lanes hold W consecutive rows of one diagonal instead.  The recurrence
 * state(r + 1) = state(r) + delta(r) is then a prefix sum along the vector: the W deltas are
 * independent loads, summed in log2(W) shift-and-add steps, and only one add per vector (the
 * carry) depends on the previous vector.  Rows are taken in blocks of MP_DIAG_ROWS: each block's
 * row-side arrays stay in L1 while every diagonal of the list streams its own columns. */

/* Rows per block (a multiple of every W): 4 row arrays of 512 doubles are 16 KiB. */
#define MP_DIAG_ROWS 512

/* Inclusive prefix sum across the lanes, and the last lane broadcast to all. */
#if MP_ISA == MP_ISA_AVX512
MP_INLINE vd MP_NAME(vscan_)(vd x) {
    x = _mm512_add_pd(x, _mm512_maskz_permutexvar_pd(0xFE, _mm512_set_epi64(6, 5, 4, 3, 2, 1, 0, 0), x));
    x = _mm512_add_pd(x, _mm512_maskz_permutexvar_pd(0xFC, _mm512_set_epi64(5, 4, 3, 2, 1, 0, 0, 0), x));
    return _mm512_add_pd(x, _mm512_maskz_permutexvar_pd(0xF0, _mm512_set_epi64(3, 2, 1, 0, 0, 0, 0, 0), x));
}
#define VLAST(x) _mm512_permutexvar_pd(_mm512_set1_epi64(7), x)
#elif MP_ISA == MP_ISA_AVX2
/* No vpermpd: it costs 2 uops and 6 cycles on Zen 2/3, and this loop is bound by each vector's
 * chain.  The same sums in the same lanes (so the same scores), from a 128-bit lane swap (3
 * cycles) and in-lane shuffles (1 cycle). */
MP_INLINE vd MP_NAME(vscan_)(vd x) {
    /* [0, x0, x1, x2]: the low half moved up, then each lane's pick */
    const vd up = _mm256_permute2f128_pd(x, x, 0x08); /* [0, 0, x0, x1] */
    x = _mm256_add_pd(x, _mm256_shuffle_pd(up, x, 0x4));
    /* [0, 0, y0, y1] */
    return _mm256_add_pd(x, _mm256_permute2f128_pd(x, x, 0x08));
}
#define VLAST(x) _mm256_permute_pd(_mm256_permute2f128_pd(x, x, 0x11), 0xF)
#elif W == 2 && (defined(__SSE2__) || defined(_M_X64))
MP_INLINE vd MP_NAME(vscan_)(vd x) { return _mm_add_pd(x, _mm_unpacklo_pd(_mm_setzero_pd(), x)); }
#define VLAST(x) _mm_unpackhi_pd(x, x)
#elif W == 2
MP_INLINE vd MP_NAME(vscan_)(vd x) { return vaddq_f64(x, vextq_f64(vdupq_n_f64(0.0), x, 1)); }
#define VLAST(x) vdupq_laneq_f64(x, 1)
#else
MP_INLINE vd MP_NAME(vscan_)(vd x) { return x; }
#define VLAST(x) (x)
#endif

/* Lanes of one vector that may enter a table: cells (r + q, c + q). */
static void MP_NAME(slow_rows_)(const double *sv, int nl, int64_t r, int64_t c, mp_topk *rows,
                                mp_topk *cols) {
    for (int q = 0; q < nl; q++) {
        const double s = sv[q];
        if (rows && s >= rows->thr[r + q]) MP_NAME(offer_)(rows, r + q, s, c + q);
        if (cols && s >= cols->thr[c + q]) MP_NAME(offer_)(cols, c + q, s, r + q);
    }
}

/* The recurrence's step from cell (r, c) to (r + 1, c + 1), in scalar code. */
MP_INLINE double MP_NAME(delta1_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                  int64_t r, int64_t c, const int mode) {
    if (mode == MP_ZNORM) return Y->df[c] * X->dg[r] + Y->dg[c] * X->df[r];
    const double a = X->T[r] - Y->T[c], b = X->T[r + pr->m] - Y->T[c + pr->m];
    return MP_NAME(pnorm_term_)(b, mode, pr->p) - MP_NAME(pnorm_term_)(a, mode, pr->p);
}

/* One cell in scalar code: score it from the state and offer it. */
MP_INLINE void MP_NAME(cell1_)(const mp_series *X, const mp_series *Y, int64_t r, int64_t c,
                               double state, mp_topk *rows, mp_topk *cols, const int mode) {
    double sv[1];
    sv[0] = (mode == MP_ZNORM ? state : -state) * Y->w[c] * X->w[r];
    MP_NAME(slow_rows_)(sv, 1, r, c, rows, cols);
}

/* One row in scalar code with the rounding tracked (see diag_rows_): step into row r from
 * r - 1, recompute the state exactly if its error bound could matter, score the cell. */
MP_INLINE void MP_NAME(track1_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                int64_t r, int64_t c, double *cur, double *e, mp_topk *rows,
                                mp_topk *cols) {
    *cur += MP_NAME(delta1_)(pr, X, Y, r - 1, c - 1, MP_ZNORM);
    *e += X->e[r - 1] * Y->h[c - 1] + X->h[r - 1] * Y->e[c - 1];
    if (*e * Y->w[c] * X->w[r] >= MP_SCORE_TOL / MP_ROUND) {
        MP_NAME(seed_)(pr, X, Y, r, c, 0, 1, cur);
        *e = 0.0;
    }
    MP_NAME(cell1_)(X, Y, r, c, *cur, rows, cols, MP_ZNORM);
}

/* The start of rows [r0, ...) of diagonal d: with `seed`, the exact state of row r0 (its error
 * bound *e reset) and its cell scored, returning r0 + 1; otherwise the state carried in *state,
 * returning r0. */
MP_INLINE int64_t MP_NAME(diag_start_)(const mp_params *pr, const mp_series *X,
                                       const mp_series *Y, int64_t d, int64_t r0, int seed,
                                       const double *state, double *cur, double *e,
                                       mp_topk *rows, mp_topk *cols, const int mode) {
    if (!seed) {
        *cur = *state;
        return r0;
    }
    MP_NAME(seed_)(pr, X, Y, r0, r0 + d, 0, 1, cur);
    *e = 0.0;
    MP_NAME(cell1_)(X, Y, r0, r0 + d, *cur, rows, cols, mode);
    return r0 + 1;
}

/* The steps into rows r .. r + W - 1 of the diagonal through (r, c): delta(r - 1 .. r + W - 2). */
MP_INLINE vd MP_NAME(vdelta_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                              int64_t r, int64_t c, const int mode) {
    if (mode == MP_ZNORM)
        return VFMA(VLD(Y->df + c - 1), VLD(X->dg + r - 1),
                    VMUL(VLD(Y->dg + c - 1), VLD(X->df + r - 1)));
    const int64_t m = pr->m;
    const vd a = VSUB(VLD(X->T + r - 1), VLD(Y->T + c - 1));
    const vd b = VSUB(VLD(X->T + r - 1 + m), VLD(Y->T + c - 1 + m));
    if (mode == MP_AAMP_P2) return VFNMA(a, a, VMUL(b, b));
    return VSUB(MP_NAME(vterm_)(b, mode, pr->p), MP_NAME(vterm_)(a, mode, pr->p));
}

/* Rows [r, r1) of diagonal d in scalar code, untracked, from the state `cur` of row r - 1;
 * returns the state of row r1 - 1. */
MP_INLINE double MP_NAME(diag_tail_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                     int64_t d, int64_t r, int64_t r1, double cur, mp_topk *rt,
                                     mp_topk *ct, const int mode) {
    for (; r < r1; r++) {
        cur += MP_NAME(delta1_)(pr, X, Y, r - 1, r - 1 + d, mode);
        MP_NAME(cell1_)(X, Y, r, r + d, cur, rt, ct, mode);
    }
    return cur;
}

/* Rows [r0, r1) of diagonal d; *state holds the state of row r0 - 1 (unless r0 starts a seed
 * segment) and is left holding that of row r1 - 1.  With `trk` (z-normalized rows an outlier
 * reaches) the error bound *err of the state is summed along the vector as well, and a vector
 * where it could matter is redone in scalar code, recomputing the state exactly (track1_). */
MP_INLINE void MP_NAME(diag_rows_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                   int64_t d, int64_t r0, int64_t r1, int seed, double *state,
                                   double *err, mp_topk *rows, mp_topk *cols, const int mode,
                                   const int do_rows, const int do_cols, const int trk) {
    const vd vinf = VSET1(INFINITY);
    const vd vsign = VSET1(mode == MP_ZNORM ? 1.0 : -1.0);
    const vd vlim = VSET1(MP_SCORE_TOL / MP_ROUND);
    mp_topk *rt = do_rows ? rows : 0, *ct = do_cols ? cols : 0;
    double cur, e = trk ? *err : 0.0, sv[W];
    int64_t r = MP_NAME(diag_start_)(pr, X, Y, d, r0, seed, state, &cur, &e, rt, ct, mode);
    /* the series' and thresholds' pointers in locals: read through the structs, each vector's
     * loads would wait on a reload of the pointers (the slow path's stores might alias them),
     * lengthening the chain that bounds this loop */
    const mp_series Xv = *X, Yv = *Y;
    const double *rthr = do_rows ? rows->thr : 0, *cthr = do_cols ? cols->thr : 0;
    X = &Xv;
    Y = &Yv;
    /* lanes q = 0 .. W-1 hold rows r + q: state(r + q) = state(r - 1) + sum of delta(r - 1 .. r + q - 1) */
    vd carry = VSET1(cur), ecarry = VSET1(e);
    for (; r + W <= r1; r += W) {
        const int64_t c = r + d;
        const vd ps = MP_NAME(vscan_)(MP_NAME(vdelta_)(pr, X, Y, r, c, mode));
        const vd yw = VLD(Y->w + c), xw = VMUL(VLD(X->w + r), vsign);
        if (trk) {
            const vd es = MP_NAME(vscan_)(VFMA(VLD(X->e + r - 1), VLD(Y->h + c - 1),
                                               VMUL(VLD(X->h + r - 1), VLD(Y->e + c - 1))));
            const vd bad = VMUL(VMUL(VADD(ecarry, es), yw), xw);
            if (MP_UNLIKELY(VANY_GE2(bad, vlim, vlim))) {
                VST(sv, carry);
                cur = sv[0];
                VST(sv, ecarry);
                e = sv[0];
                for (int q = 0; q < W; q++) MP_NAME(track1_)(pr, X, Y, r + q, c + q, &cur, &e, rt, ct);
                carry = VSET1(cur);
                ecarry = VSET1(e);
                continue;
            }
            ecarry = VADD(ecarry, VLAST(es));
        }
        const vd cv = VADD(carry, ps);
        carry = VADD(carry, VLAST(ps));
        const vd sc = VMUL(VMUL(cv, yw), xw);
        if (MP_UNLIKELY(VANY_GE2(sc, do_cols ? VLD(cthr + c) : vinf,
                                 do_rows ? VLD(rthr + r) : vinf))) {
            VST(sv, sc);
            MP_NAME(slow_rows_)(sv, W, r, c, rt, ct);
        }
    }
    VST(sv, carry);
    cur = sv[0];
    VST(sv, ecarry);
    e = sv[0];
    if (trk) {
        for (; r < r1; r++) MP_NAME(track1_)(pr, X, Y, r, r + d, &cur, &e, rt, ct);
        *err = e;
    } else {
        cur = MP_NAME(diag_tail_)(pr, X, Y, d, r, r1, cur, rt, ct, mode);
    }
    *state = cur;
}

/* Rows [r, r1) of diagonal d in a p-norm mode, in scalar code with the rounding tracked as
 * track_row_aamp_ tracks it in a band, from the state *cur of row r - 1 and its bound *e: the
 * state is recomputed exactly before a cell is scored with an error bound above MP_SCORE_TOL
 * of its own value (aamp_tlim_). */
MP_INLINE void MP_NAME(aamp_steps_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                    int64_t d, int64_t r, int64_t r1, double *cur, double *e,
                                    mp_topk *rows, mp_topk *cols, const int mode) {
    const double lim = MP_NAME(aamp_tlim_)(pr);
    for (; r < r1; r++) {
        /* (delta1_'s operations, with the terms kept for the bound) */
        const double a = X->T[r - 1] - Y->T[r - 1 + d];
        const double b = X->T[r - 1 + pr->m] - Y->T[r - 1 + d + pr->m];
        const double ta = MP_NAME(pnorm_term_)(a, mode, pr->p);
        const double tb = MP_NAME(pnorm_term_)(b, mode, pr->p);
        *e += (ta + tb) + fabs(*cur);
        *cur += tb - ta;
        if (*e >= lim * fabs(*cur) + MP_ERR_FLOOR) {
            MP_NAME(seed_)(pr, X, Y, r, r + d, 0, 1, cur);
            *e = 0.0;
        }
        /* cell1_, its tests first (slow_rows_ tests again, and offers) */
        double sv[1];
        sv[0] = -*cur * Y->w[r + d] * X->w[r];
        if ((rows && sv[0] >= rows->thr[r]) || (cols && sv[0] >= cols->thr[r + d]))
            MP_NAME(slow_rows_)(sv, 1, r, r + d, rows, cols);
    }
}

/* Rows [r0, r1) of diagonal d in a p-norm mode with the rounding tracked (aamp_steps_), W rows
 * at a time in vector code as diag_rows_ runs them (lanes q = 0 .. W-1 hold
 * rows r + q: the carried state plus the prefix sum of the steps), each lane's bound from the
 * operations that made it: the terms ta, tb of the steps into rows r .. r + q and their
 * differences ((p + 2) eps of their sum S_q = the prefix sum of ta + tb), the prefix sum's
 * log2(W) <= 3 levels (eps S_q each), the carried state's one addition (eps (|carry| + S_q)):
 * at most (p + 6) eps S_q + eps |carry|, less than 3 S_q + |carry| in aamp_steps_' units of
 * (p + 3) eps.  A block where some lane's bound reaches MP_SCORE_TOL of its state (a diagonal
 * leaving an edge's steps for a plateau's pairs) is run again by aamp_steps_ from the carried
 * state, recomputing what must be.  A series of plateaus far apart against their noise
 * tracks every diagonal, which one row at a time cost three times a random walk's. */
static void MP_NAME(track_rows_aamp_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                      int64_t d, int64_t r0, int64_t r1, int seed, double *state,
                                      double *err, mp_topk *rows, mp_topk *cols, const int mode) {
    double cur, e = *err;
    int64_t r = MP_NAME(diag_start_)(pr, X, Y, d, r0, seed, state, &cur, &e, rows, cols, mode);
    const int64_t m = pr->m;
    const vd vinf = VSET1(INFINITY), vneg = VSET1(-1.0), vthree = VSET1(3.0);
    const vd vlim = VSET1(MP_NAME(aamp_tlim_)(pr)), vfloor = VSET1(MP_ERR_FLOOR);
    double sv[W];
    for (;;) {
        int64_t r2 = r1; /* aamp_steps_ runs rows [r, r2): a block to redo, or the rest */
        if (r + W <= r1) {
            vd carry = VSET1(cur), ecarry = VSET1(e);
            for (; r + W <= r1; r += W) {
                const int64_t c = r + d;
                /* the steps into rows r .. r + W - 1 (vdelta_'s operands) */
                const vd a = VSUB(VLD(X->T + r - 1), VLD(Y->T + c - 1));
                const vd b = VSUB(VLD(X->T + r - 1 + m), VLD(Y->T + c - 1 + m));
                const vd ta = MP_NAME(vterm_)(a, mode, pr->p);
                const vd tb = MP_NAME(vterm_)(b, mode, pr->p);
                const vd cv = VADD(carry, MP_NAME(vscan_)(VSUB(tb, ta)));
                const vd ev =
                    VADD(ecarry, VFMA(vthree, MP_NAME(vscan_)(VADD(ta, tb)), VABS(carry)));
                const vd cap = VFMA(vlim, VABS(cv), vfloor);
                if (MP_UNLIKELY(VANY_GE2(ev, cap, cap))) {
                    r2 = r + W;
                    break;
                }
                carry = VLAST(cv);
                ecarry = VLAST(ev);
                /* cell1_'s scores, (-state w_c) w_r (x (-1) is -x, exactly) */
                const vd sc = VMUL(VMUL(VMUL(cv, vneg), VLD(Y->w + c)), VLD(X->w + r));
                if (MP_UNLIKELY(VANY_GE2(sc, cols ? VLD(cols->thr + c) : vinf,
                                         rows ? VLD(rows->thr + r) : vinf))) {
                    VST(sv, sc);
                    MP_NAME(slow_rows_)(sv, W, r, c, rows, cols);
                }
            }
            VST(sv, carry); /* (the state of row r - 1) */
            cur = sv[0];
            VST(sv, ecarry);
            e = sv[0];
        }
        MP_NAME(aamp_steps_)(pr, X, Y, d, r, r2, &cur, &e, rows, cols, mode);
        r = r2;
        if (r2 == r1) break;
    }
    *state = cur;
    *err = e;
}

/* Two untracked diagonals d and g over the same rows [r0, r1), started alike (`seed`): as two
 * calls of diag_rows_ (the same sums, so the same scores), but each vector of rows is loaded and
 * tested against its row thresholds once for both.  The loop is bound by the latency of each
 * vector's chain (loads, products, scan, scoring, test), which a second independent chain per
 * iteration hides.  (Four chains spill registers on AVX2 and cost more.) */
MP_INLINE void MP_NAME(diag_rows2_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                    int64_t d, int64_t g, int64_t r0, int64_t r1, int seed,
                                    double *state_d, double *state_g, mp_topk *rows,
                                    mp_topk *cols, const int mode, const int do_rows,
                                    const int do_cols) {
    const vd vinf = VSET1(INFINITY);
    const vd vsign = VSET1(mode == MP_ZNORM ? 1.0 : -1.0);
    mp_topk *rt = do_rows ? rows : 0, *ct = do_cols ? cols : 0;
    double cd, cg, e = 0.0, sv[W];
    int64_t r = MP_NAME(diag_start_)(pr, X, Y, d, r0, seed, state_d, &cd, &e, rt, ct, mode);
    MP_NAME(diag_start_)(pr, X, Y, g, r0, seed, state_g, &cg, &e, rt, ct, mode);
    vd carry_d = VSET1(cd), carry_g = VSET1(cg);
    const mp_series Xv = *X, Yv = *Y; /* pointers in locals, as in diag_rows_ */
    const double *rthr = do_rows ? rows->thr : 0, *cthr = do_cols ? cols->thr : 0;
    X = &Xv;
    Y = &Yv;
    for (; r + W <= r1; r += W) {
        const int64_t c = r + d, h = r + g;
        const vd ps_d = MP_NAME(vscan_)(MP_NAME(vdelta_)(pr, X, Y, r, c, mode));
        const vd ps_g = MP_NAME(vscan_)(MP_NAME(vdelta_)(pr, X, Y, r, h, mode));
        const vd xw = VMUL(VLD(X->w + r), vsign);
        const vd rtv = do_rows ? VLD(rthr + r) : vinf;
        const vd cv_d = VADD(carry_d, ps_d), cv_g = VADD(carry_g, ps_g);
        carry_d = VADD(carry_d, VLAST(ps_d));
        carry_g = VADD(carry_g, VLAST(ps_g));
        const vd sc_d = VMUL(VMUL(cv_d, VLD(Y->w + c)), xw);
        const vd sc_g = VMUL(VMUL(cv_g, VLD(Y->w + h)), xw);
        if (MP_UNLIKELY(VANY_GE2(sc_d, do_cols ? VLD(cthr + c) : vinf, rtv) |
                        VANY_GE2(sc_g, do_cols ? VLD(cthr + h) : vinf, rtv))) {
            VST(sv, sc_d);
            MP_NAME(slow_rows_)(sv, W, r, c, rt, ct);
            VST(sv, sc_g);
            MP_NAME(slow_rows_)(sv, W, r, h, rt, ct);
        }
    }
    VST(sv, carry_d);
    *state_d = MP_NAME(diag_tail_)(pr, X, Y, d, r, r1, sv[0], rt, ct, mode);
    VST(sv, carry_g);
    *state_g = MP_NAME(diag_tail_)(pr, X, Y, g, r, r1, sv[0], rt, ct, mode);
}

/* The untracked diagonal diags[j] left waiting for a partner (none when j < 0), run alone. */
MP_INLINE void MP_NAME(diags_flush_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                                     const int64_t *diags, int64_t j, int64_t r0, int64_t r1,
                                     int seed, double *state, double *err, mp_topk *rows,
                                     mp_topk *cols, const int mode, const int do_rows,
                                     const int do_cols) {
    if (j >= 0)
        MP_NAME(diag_rows_)(pr, X, Y, diags[j], r0, r1, seed, state + j, err + j, rows, cols,
                            mode, do_rows, do_cols, 0);
}

MP_INLINE int64_t MP_NAME(diags_body_)(const mp_params *pr, const mp_series *X,
                                       const mp_series *Y, const int64_t *diags, int64_t nd,
                                       mp_topk *rows, mp_topk *cols, double *scratch,
                                       const volatile int *cancel, const int mode,
                                       const int do_rows, const int do_cols) {
    const int64_t reseed = pr->reseed > 0 ? pr->reseed : 4096;
    /* per diagonal: its state, and for the rounding bookkeeping (as band_body_ keeps it per
     * lane) its error bound, its segment's quiet level and largest w product, whether the
     * previous block was tracked */
    double *state = scratch, *err = scratch + nd, *quiet = scratch + 2 * nd;
    double *wmax = scratch + 3 * nd, *tracking = scratch + 4 * nd;
    const int track = X->e && Y->e && (mode == MP_ZNORM || (X->q && Y->q && X->zblk && Y->zblk));
    const double lim = mode == MP_ZNORM ? MP_SCORE_TOL / MP_ROUND : MP_NAME(aamp_lim_)(pr);
    int64_t maxrows = 0, cells = 0;
    for (int64_t j = 0; j < nd; j++) {
        const int64_t nr = (X->l < Y->l - diags[j]) ? X->l : Y->l - diags[j];
        if (nr > maxrows) maxrows = nr;
    }
    for (int64_t r0 = 0, r1; r0 < maxrows; r0 = r1) {
        if (cancel && *cancel) return -1;
        /* blocks end at multiples of MP_DIAG_ROWS and of reseed, so every diagonal is cut, and
         * its sums grouped, the same way whatever list it came in */
        const int64_t to_block = MP_DIAG_ROWS - r0 % MP_DIAG_ROWS, to_seed = reseed - r0 % reseed;
        r1 = r0 + (to_block < to_seed ? to_block : to_seed);
        if (r1 > maxrows) r1 = maxrows;
        const int seed_row = r0 % reseed == 0;
        int64_t pend = -1; /* an untracked diagonal of this block waiting for a partner */
        int pend_seed = 0;
        for (int64_t j = 0; j < nd; j++) {
            const int64_t d = diags[j];
            const int64_t nr = (X->l < Y->l - d) ? X->l : Y->l - d;
            const int64_t end = nr < r1 ? nr : r1;
            if (end <= r0) continue;
            int seed = seed_row;
            if (track) {
                if (seed_row) { /* as band_body_ keeps them per period */
                    const int64_t s1 = r0 + reseed < nr ? r0 + reseed : nr;
                    if (mode == MP_ZNORM) {
                        wmax[j] = MP_NAME(blkmax_)(X->wblk, r0, s1) *
                                  MP_NAME(blkmax_)(Y->wblk, r0 + d, s1 + d);
                        quiet[j] = wmax[j] > 0.0 ? lim / ((double)(s1 - r0) * wmax[j]) : INFINITY;
                    } else { /* wmax: here the smallest q_r + q_c of the period */
                        const double qx = MP_NAME(blkmin_)(X->qblk, r0, s1);
                        const double qy = MP_NAME(blkmin_)(Y->qblk, r0 + d, s1 + d);
                        wmax[j] = MP_NAME(qpair_)(qx, qy);
                        quiet[j] = lim * wmax[j] / (double)(s1 - r0);
                    }
                    err[j] = 0.0;
                    tracking[j] = 0.0;
                }
                /* the steps into rows r0 .. end - 1 are taken at rows r0 - 1 .. end - 2 */
                const int64_t a0 = r0 > 0 ? r0 - 1 : 0;
                const double ex = MP_NAME(blkmax_)(X->eblk, a0, end);
                const double ey = MP_NAME(blkmax_)(Y->eblk, a0 + d, end + d);
                const double step = mode == MP_ZNORM ?
                    ex * MP_NAME(blkmax_)(Y->hblk, a0 + d, end + d) +
                        MP_NAME(blkmax_)(X->hblk, a0, end) * ey :
                    ex + ey + 2.0 * MP_NAME(pnorm_term_)(
                        MP_NAME(blkdz_)(X->zblk, a0, end, Y->zblk, a0 + d, end + d), mode, pr->p);
                if (step > quiet[j]) {
                    if (mode == MP_ZNORM)
                        MP_NAME(diag_rows_)(pr, X, Y, d, r0, end, seed, state + j, err + j,
                                            rows, cols, MP_ZNORM, do_rows, do_cols, 1);
                    else
                        MP_NAME(track_rows_aamp_)(pr, X, Y, d, r0, end, seed, state + j,
                                                  err + j, do_rows ? rows : 0,
                                                  do_cols ? cols : 0, mode);
                    tracking[j] = 1.0;
                    cells += end - r0;
                    continue;
                }
                if (tracking[j] != 0.0) { /* back to the lean loop, with no error that matters */
                    if (mode == MP_ZNORM ? err[j] * wmax[j] >= lim
                                         : MP_NAME(aamp_stale_)(pr, err[j], state[j], wmax[j]))
                        seed = 1;
                    err[j] = 0.0;
                    tracking[j] = 0.0;
                }
            }
            cells += end - r0;
            /* untracked diagonals that fill the block run in pairs (diag_rows2_) */
            if (end == r1) {
                if (pend >= 0 && pend_seed == seed) {
                    MP_NAME(diag_rows2_)(pr, X, Y, diags[pend], d, r0, r1, seed, state + pend,
                                         state + j, rows, cols, mode, do_rows, do_cols);
                    pend = -1;
                    continue;
                }
                MP_NAME(diags_flush_)(pr, X, Y, diags, pend, r0, r1, pend_seed, state, err, rows,
                                      cols, mode, do_rows, do_cols);
                pend = j;
                pend_seed = seed;
                continue;
            }
            MP_NAME(diag_rows_)(pr, X, Y, d, r0, end, seed, state + j, err + j, rows, cols, mode,
                                do_rows, do_cols, 0);
        }
        MP_NAME(diags_flush_)(pr, X, Y, diags, pend, r0, r1, pend_seed, state, err, rows, cols,
                              mode, do_rows, do_cols);
    }
    return cells;
}

int64_t MP_NAME(mp_diags_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                           const int64_t *diags, int64_t nd, mp_topk *rows, mp_topk *cols,
                           double *scratch, const volatile int *cancel) {
#define MP_DSIDES(mode)                                                                      \
    if (rows && cols)                                                                        \
        return MP_NAME(diags_body_)(pr, X, Y, diags, nd, rows, cols, scratch, cancel, mode, 1, 1); \
    if (rows)                                                                                \
        return MP_NAME(diags_body_)(pr, X, Y, diags, nd, rows, 0, scratch, cancel, mode, 1, 0); \
    return MP_NAME(diags_body_)(pr, X, Y, diags, nd, 0, cols, scratch, cancel, mode, 0, 1);
    for (int64_t j = 0; j < nd; j++)
        if (diags[j] < 0) return 0; /* the caller checks; never read before the series */
    switch (pr->mode) {
        case MP_ZNORM: MP_DSIDES(MP_ZNORM)
        case MP_AAMP_P2: MP_DSIDES(MP_AAMP_P2)
        case MP_AAMP_P1: MP_DSIDES(MP_AAMP_P1)
        default: MP_DSIDES(MP_AAMP_P)
    }
#undef MP_DSIDES
}

/* The seeds' score of W pairs of one row (the kernels' score lowered by the margin of
 * mp_band_max_; NaN where a window is unusable), and the step of their recurrence to the next
 * row. */
static inline vd MP_NAME(seed_score_)(const double *acc, const double *gs, const double *base,
                                      const double *Yw, const double *Yt, vd vwr, vd vmt,
                                      vd vg38, vd vtol) {
    const vd wrc = VMUL(VLD(Yw), vwr);
    const vd margin = VFMA(VFMA(vg38, VADD(VLD(base), VLD(gs)), VMUL(vmt, VLD(Yt))), wrc, vtol);
    return VSUB(VMUL(VLD(acc), wrc), margin);
}

static inline void MP_NAME(seed_step_)(double *acc, double *gs, const double *Ydf,
                                       const double *Ydg, const double *Ye, vd vdf, vd vdg,
                                       vd ver) {
    const vd cv = VLD(acc);
    VST(acc, VFMA(VLD(Ydf), vdg, VFMA(VLD(Ydg), vdf, cv)));
    VST(gs, VFMA(VLD(Ye), ver, VLD(gs)));
}

/* ---- Seeds: lower bounds of each row's and column's best score over one band ----
 *
 * A fresh top-1 table takes every score above its threshold, and near the exclusion zone a
 * self-join's scores climb and fall along each row and column: most of a small join's rare
 * path (a mispredicted branch and scalar code, ~100 cycles) is spent there, on insertions that
 * are overtaken a few diagonals later.  This pass runs the first band's recurrence without
 * tables (the kernels' very operations, row by row) and keeps the largest score of each row
 * and each column, lowered by a margin that covers the rounding of this pass and the kernels'
 * own: 1e-9 + 3e-8 + (1e-11 m t_r t_c + 2^-38 g) w_r w_c, with g the bound of the steps'
 * operands since the exact restart (|ex| + the sum of e_r e_c, as in _exact.diagonal_scores)
 * and t_i the largest |T| of window i.  (diagonal_scores takes t = 1, the series' scale; the
 * rounding of a co-moment's exact value and of its sum, 1e-11 m in all, is relative to the
 * two windows' own values, and with t = 1 one spike of 1e5 in noise of 1e-3 made every
 * noise window's margin larger than any score.)  A table started there takes only what can
 * still be its row's best.  Z-normalized mode only. */
void MP_NAME(mp_band_max_)(const mp_params *pr, const mp_series *X, const mp_series *Y,
                           int64_t d0, int64_t d1, int64_t r0, int64_t r1, int64_t ng,
                           double *rowmax, double *colmax, const double *ex, const double *ey,
                           const double *tx, const double *ty, double *scratch) {
    const int64_t nd = d1 - d0, m = pr->m;
    int64_t nrows = (X->l < Y->l - d0) ? X->l : Y->l - d0;
    if (r1 < nrows) nrows = r1;
    const int64_t nvec = (nd + W - 1) / W, nlanes = nvec * W;
    const int64_t reseed = pr->reseed > 0 ? pr->reseed : 4096;
    double *acc = scratch, *gs = scratch + nlanes, *base = scratch + 2 * nlanes;
    const vd vtol = VSET1(1e-9 + 3e-8), vmterm = VSET1(1e-11 * (double)m);
    const vd vg38 = VSET1(ldexp(1.0, -38));
    double sv[W];
    const int64_t rstride = X->l, cstride = Y->l + MP_PAD; /* between groups' maxima */
    if (nd <= 0 || r0 < 0 || r0 >= nrows || ng < 1) return;
    for (int64_t r = r0; r < nrows; r++) {
        if (r % reseed == 0 || r == r0) { /* (r0 off the period: a correct, other start) */
            MP_NAME(seed_)(pr, X, Y, r, r + d0, 0, nlanes, acc);
            for (int64_t j = 0; j < nlanes; j++) {
                gs[j] = 0.0;
                base[j] = fabs(acc[j]);
            }
        }
        const double *const Yw = Y->w + r + d0, *const Ydf = Y->df + r + d0;
        const double *const Ydg = Y->dg + r + d0, *const Ye = ey + r + d0, *const Yt = ty + r + d0;
        double *const cm = colmax + r + d0;
        const vd vwr = VSET1(X->w[r]), vdf = VSET1(X->df[r]), vdg = VSET1(X->dg[r]);
        const vd ver = VSET1(ex[r]), vmt = VMUL(vmterm, VSET1(tx[r]));
        const int64_t live = Y->l - (r + d0); /* lanes that reach a real column (band_body_) */
        const int64_t nv = live < nlanes ? (live + W - 1) / W : nvec;
        if (ng == 1) { /* the top-1 seeds: one maximum per row */
            vd rm = VSET1(-INFINITY);
            for (int64_t v = 0; v < nv; v++) {
                const int64_t j = v * W;
                const vd sc = MP_NAME(seed_score_)(acc + j, gs + j, base + j, Yw + j, Yt + j,
                                                   vwr, vmt, vg38, vtol);
                rm = VMAXN(sc, rm);
                VST(cm + j, VMAXN(sc, VLD(cm + j)));
                MP_NAME(seed_step_)(acc + j, gs + j, Ydf + j, Ydg + j, Ye + j, vdf, vdg, ver);
            }
            VST(sv, rm);
            for (int q = 0; q < W; q++) rowmax[r] = sv[q] > rowmax[r] ? sv[q] : rowmax[r];
            continue;
        }
        /* top-k seeds: diagonal j of the band belongs to group j % ng, so that near a row's
         * (a column's) best in the band lie pairs of every group; lane by lane, in scalar code
         * (the pass stays a small part of a top-k search) */
        double rmax[MP_SEED_GROUPS];
        for (int64_t q = 0; q < ng; q++) rmax[q] = -INFINITY;
        int64_t grp = 0; /* the group of the next lane */
        for (int64_t v = 0; v < nv; v++) {
            const int64_t j = v * W;
            VST(sv, MP_NAME(seed_score_)(acc + j, gs + j, base + j, Yw + j, Yt + j, vwr, vmt,
                                         vg38, vtol));
            for (int q = 0; q < W; q++) {
                const double x = sv[q]; /* NaN (an unusable window) never compares above */
                double *const pc = cm + grp * cstride + j + q;
                if (x > *pc) *pc = x;
                if (x > rmax[grp]) rmax[grp] = x;
                grp = grp + 1 == ng ? 0 : grp + 1;
            }
            MP_NAME(seed_step_)(acc + j, gs + j, Ydf + j, Ydg + j, Ye + j, vdf, vdg, ver);
        }
        for (int64_t q = 0; q < ng; q++) {
            double *const rg = rowmax + q * rstride + r;
            if (rmax[q] > *rg) *rg = rmax[q];
        }
    }
}
