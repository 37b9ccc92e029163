/* x^p (x >= 0, p > 0) a vector at a time, for the band kernel's general p-norm (band_impl.h
 * includes it after its vector macros, once per instruction set).
 *
 * A general p costs two powers per cell (the terms of the step |b|^p - |a|^p).  libm's pow is
 * scalar, ~13 ns here, and made aamp(p=3) no faster than STUMPY's; with AVX2 or AVX-512 (and so
 * FMA) the powers are computed here W lanes at once: an integer p up to MP_VPOW_IMAX by
 * products (vpow_int_, ~0.7 ns a value on AVX-512), any other p as exp(p ln x) (~3 ns):
 *
 *  - ln x = k ln2 + ln t, t in [sqrt(1/2), sqrt(2)): ln t = 2 atanh(s) with s = (t - 1)/(t + 1)
 *    carried as sh + sl (its division's residual, by FMA), the series' tail 2 s^3 (1/3 + s^2/5
 *    + ... + s^18/21) in doubles (|s| <= 0.172: the first omitted term is < 2^-62), and k ln2
 *    added in two parts (Cody and Waite), so ln x = Lh + Ll with an absolute error ~2^-58;
 *  - y = p ln x = yh + yl (p Lh exactly by FMA);
 *  - e^y = 2^n e^(r + rr), n = round(yh / ln2), r + rr = y - n ln2 exactly to ~2^-60,
 *    e^r - 1 by its Taylor series to r^13 (|r| <= 0.347: the rest is < 2^-57), the last
 *    addition 1 + (e^r - 1) rounded once; 2^n scales exactly.
 *
 * Relative error: below (0.05 p + 1.6) 2^-53 for exp(p ln x), (p - 1) 2^-53 for products,
 * wherever the fast path runs (measured against 40-digit decimals in tests/test_vpow.py),
 * inside what the kernels' rounding bookkeeping allows a term ((p + 1) eps with the
 * difference's own rounding, see aamp_lim_ and aamp_tlim_).  Lanes the
 * fast path does not cover (x = 0 gives 0; x subnormal, inf or NaN; |y| > 700, where e^y
 * would leave the normal range) take libm's pow.  Every lane's value depends on its x and p
 * alone, so a cell has the same bits in a vector, in a scalar tail (vpow1_ runs the same code
 * on a broadcast) and in a seed.  Other instruction sets (SSE2, NEON, plain C) call libm's pow
 * lane by lane, as the kernel always did. */
#ifndef MP_VPOW_FAST
#define MP_VPOW_FAST (MP_ISA == MP_ISA_AVX512 || MP_ISA == MP_ISA_AVX2)
#endif

#if MP_VPOW_FAST
#if MP_ISA == MP_ISA_AVX512
typedef __m512i vpi;
typedef __mmask8 vpm;
#define VP_CASTI(v) _mm512_castpd_si512(v)
#define VP_CASTD(i) _mm512_castsi512_pd(i)
#define VP_I1(x) _mm512_set1_epi64((long long)(x))
#define VP_IADD(a, b) _mm512_add_epi64(a, b)
#define VP_IAND(a, b) _mm512_and_si512(a, b)
#define VP_IOR(a, b) _mm512_or_si512(a, b)
#define VP_ISRL(a, n) _mm512_srli_epi64(a, n)
#define VP_ISLL(a, n) _mm512_slli_epi64(a, n)
#define VP_DIV(a, b) _mm512_div_pd(a, b)
#define VP_CMP(a, b, op) _mm512_cmp_pd_mask(a, b, op)
#define VP_SEL(m, a, b) _mm512_mask_blend_pd(m, b, a) /* m ? a : b, lane by lane */
#define VP_MAND(a, b) ((vpm)((a) & (b)))
#define VP_MOR(a, b) ((vpm)((a) | (b)))
#define VP_MBITS(m) ((unsigned)(m))
#else
typedef __m256i vpi;
typedef __m256d vpm;
#define VP_CASTI(v) _mm256_castpd_si256(v)
#define VP_CASTD(i) _mm256_castsi256_pd(i)
#define VP_I1(x) _mm256_set1_epi64x((long long)(x))
#define VP_IADD(a, b) _mm256_add_epi64(a, b)
#define VP_IAND(a, b) _mm256_and_si256(a, b)
#define VP_IOR(a, b) _mm256_or_si256(a, b)
#define VP_ISRL(a, n) _mm256_srli_epi64(a, n)
#define VP_ISLL(a, n) _mm256_slli_epi64(a, n)
#define VP_DIV(a, b) _mm256_div_pd(a, b)
#define VP_CMP(a, b, op) _mm256_cmp_pd(a, b, op)
#define VP_SEL(m, a, b) _mm256_blendv_pd(b, a, m)
#define VP_MAND(a, b) _mm256_and_pd(a, b)
#define VP_MOR(a, b) _mm256_or_pd(a, b)
#define VP_MBITS(m) ((unsigned)_mm256_movemask_pd(m))
#endif

/* ln 2 = MP_LN2HI + MP_LN2LO, MP_LN2HI with 32 significant bits, so k MP_LN2HI is exact for
 * |k| < 2^21 (fdlibm's split) */
#define MP_LN2HI 6.93147180369123816490e-01
#define MP_LN2LO 1.90821492927058770002e-10

/* res, with the lanes not in `ok` replaced by libm's pow of their x (rare: vpow_) */
static vd MP_NAME(vpow_fix_)(vd x, vd res, unsigned ok, double p) {
    double xv[W], rv[W];
    VST(xv, x);
    VST(rv, res);
    for (unsigned b = ~ok & ((1u << W) - 1u); b; b &= b - 1u) {
        const int lane = MP_CTZ(b);
        rv[lane] = pow(xv[lane], p);
    }
    return VLD(rv);
}

/* x^n for an integer 2 <= n <= MP_VPOW_IMAX by binary powering: at most 2 log2(n) products,
 * a tenth of the exponential's cost, with a relative error within (n - 1) u (first order; the
 * terms' bookkeeping allows (2 n + 2) u with the difference's own rounding).  A lane whose x^n
 * would leave [2^-1000, 2^1000] (as would no square on the way, 2^i <= n) takes libm's pow;
 * x = 0 gives 0. */
#define MP_VPOW_IMAX 32
static inline double MP_NAME(exp2i_)(int k) { /* 2^k, -1022 <= k <= 1023 */
    const uint64_t u = (uint64_t)(k + 1023) << 52;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}
MP_INLINE vd MP_NAME(vpow_int_)(vd x, int n) {
    vd r = (n & 1) ? x : VSET1(1.0), b = x; /* (1 times a square: exact) */
    for (int e = n >> 1; e; e >>= 1) {
        b = VMUL(b, b);
        if (e & 1) r = VMUL(r, b);
    }
    const vpm ok = VP_MOR(VP_MAND(VP_CMP(x, VSET1(MP_NAME(exp2i_)(-1000 / n)), _CMP_GE_OQ),
                                  VP_CMP(x, VSET1(MP_NAME(exp2i_)(1000 / n)), _CMP_LE_OQ)),
                          VP_CMP(x, VSET1(0.0), _CMP_EQ_OQ));
    const unsigned all = (1u << W) - 1u;
    if (MP_UNLIKELY(VP_MBITS(ok) != all)) r = MP_NAME(vpow_fix_)(x, r, VP_MBITS(ok), (double)n);
    return r;
}

MP_INLINE vd MP_NAME(vpow_el_)(vd x, double p) {
    const vd one = VSET1(1.0);
    const vpi bits = VP_CASTI(x);
    /* x = 2^k t, t in [1, 2) (x normal and >= 0); k from the biased exponent's bits placed in
     * the mantissa of 2^52 */
    vd t = VP_CASTD(VP_IOR(VP_IAND(bits, VP_I1(0x000FFFFFFFFFFFFFLL)), VP_I1(0x3FF0000000000000LL)));
    vd k = VSUB(VP_CASTD(VP_IADD(VP_ISRL(bits, 52), VP_I1(0x4330000000000000LL))),
                VSET1(4503599627370496.0 + 1023.0));
    const vpm top = VP_CMP(t, VSET1(1.4142135623730951), _CMP_GT_OQ);
    t = VP_SEL(top, VMUL(t, VSET1(0.5)), t);
    k = VP_SEL(top, VADD(k, one), k);
    /* s = f / (t + 1) = sh + sl, f = t - 1 exactly, t + 1 = dh + dl exactly (Fast2Sum: 1 is
     * the larger in exponent); sl from the residual f - sh d */
    const vd f = VSUB(t, one);
    const vd dh = VADD(t, one);
    const vd dl = VSUB(t, VSUB(dh, one));
    const vd rcp = VP_DIV(one, dh);
    const vd sh = VMUL(f, rcp);
    const vd sl = VMUL(VFNMA(sh, dl, VFNMA(sh, dh, f)), rcp);
    /* ln t = 2 s + 2 s^3 (1/3 + s^2/5 + ...): 2 sh, and the rest (the tail from sh: its
     * error sl moves the tail by < 2^-60), added into a double-double */
    static const double lnc[] = {2.0 / 19.0, 2.0 / 17.0, 2.0 / 15.0, 2.0 / 13.0, 2.0 / 11.0,
                                 2.0 / 9.0,  2.0 / 7.0,  2.0 / 5.0,  2.0 / 3.0};
    const vd s2 = VMUL(sh, sh);
    vd q = VSET1(2.0 / 21.0);
    for (int i = 0; i < 9; i++) q = VFMA(q, s2, VSET1(lnc[i])); /* (Horner's scheme) */
    const vd s2l = VADD(sh, sh);
    const vd tail = VFMA(VMUL(s2, sh), q, VADD(sl, sl));
    /* ln t = lh + ll by Fast2Sum (|2 sh| > |tail|) */
    const vd lh = VADD(s2l, tail);
    const vd ll = VADD(VSUB(s2l, lh), tail);
    /* ln x = Lh + Ll: k ln2hi exact, plus lh by Fast2Sum (|k ln2hi| >= 0.69 > |lh| unless
     * k = 0, where the sum is exact) */
    const vd kh = VMUL(k, VSET1(MP_LN2HI));
    const vd Lh = VADD(kh, lh);
    const vd Ll = VADD(VADD(VSUB(kh, Lh), lh), VFMA(k, VSET1(MP_LN2LO), ll));
    /* y = p ln x = yh + yl, p Lh's rounding recovered exactly by FMA */
    const vd vp = VSET1(p);
    const vd yh = VMUL(vp, Lh);
    const vd yl = VSUB(VMUL(vp, Ll), VFNMA(vp, Lh, yh));
    /* y = n ln2 + r + rr: n rounded by the 1.5 2^52 shifter (whose low bits then hold n), yh -
     * n ln2hi exact by FMA, r + rr = that + (yl - n ln2lo) by 2Sum */
    const vd shifter = VSET1(6755399441055744.0);
    const vd kn = VFMA(yh, VSET1(1.4426950408889634), shifter);
    const vd n = VSUB(kn, shifter);
    const vd rh = VFNMA(n, VSET1(MP_LN2HI), yh);
    const vd rl = VFNMA(n, VSET1(MP_LN2LO), yl);
    const vd r = VADD(rh, rl);
    const vd bb = VSUB(r, rh);
    const vd rr = VADD(VSUB(rh, VSUB(r, bb)), VSUB(rl, bb));
    /* e^r - 1 = r + r^2 (1/2! + r/3! + ... + r^11/13!) */
    static const double expc[] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
                                  1.0 / 362880.0,    1.0 / 40320.0,    1.0 / 5040.0,
                                  1.0 / 720.0,       1.0 / 120.0,      1.0 / 24.0,
                                  1.0 / 6.0,         0.5};
    vd e = VSET1(1.0 / 6227020800.0);
    for (int i = 0; i < 11; i++) e = VFMA(e, r, VSET1(expc[i]));
    const vd em1 = VFMA(VMUL(r, r), e, r);
    /* e^(r + rr) = (1 + em1)(1 + rr): 1 + (em1 + rr (1 + em1)), rounded once at the end */
    const vd ex = VADD(one, VFMA(rr, VADD(one, em1), em1));
    /* 2^n: (n + 1023) << 52, from the shifter's low bits */
    const vd scale = VP_CASTD(VP_ISLL(VP_IADD(VP_CASTI(kn), VP_I1(1023)), 52));
    vd res = VMUL(ex, scale);
    /* the lanes this covers: x normal and finite, |y| <= 700; x = 0 gives 0 */
    const vpm zero = VP_CMP(x, VSET1(0.0), _CMP_EQ_OQ);
    const vpm ok = VP_MOR(VP_MAND(VP_MAND(VP_CMP(x, VSET1(2.2250738585072014e-308), _CMP_GE_OQ),
                                          VP_CMP(x, VSET1(1.7976931348623157e308), _CMP_LE_OQ)),
                                  VP_CMP(VABS(yh), VSET1(700.0), _CMP_LE_OQ)),
                          zero);
    res = VP_SEL(zero, VSET1(0.0), res);
    const unsigned all = (1u << W) - 1u;
    if (MP_UNLIKELY(VP_MBITS(ok) != all)) res = MP_NAME(vpow_fix_)(x, res, VP_MBITS(ok), p);
    return res;
}

/* x^p: an integer p up to MP_VPOW_IMAX by products, any other by exp(p ln x) */
MP_INLINE vd MP_NAME(vpow_)(vd x, double p) {
    if (p >= 2.0 && p <= MP_VPOW_IMAX && p == (double)(int)p) return MP_NAME(vpow_int_)(x, (int)p);
    return MP_NAME(vpow_el_)(x, p);
}

#undef MP_LN2HI
#undef MP_LN2LO
#else
/* libm's pow lane by lane */
MP_INLINE vd MP_NAME(vpow_)(vd x, double p) {
    double xv[W];
    VST(xv, x);
    for (int lane = 0; lane < W; lane++) xv[lane] = pow(xv[lane], p);
    return VLD(xv);
}
#endif

/* x^p for one x >= 0: the vector code's bits for that x (see above) */
MP_INLINE double MP_NAME(vpow1_)(double x, double p) {
#if MP_VPOW_FAST
    double v[W];
    VST(v, MP_NAME(vpow_)(VSET1(x), p));
    return v[0];
#else
    return pow(x, p);
#endif
}
