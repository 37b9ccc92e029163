/* Runtime CPU dispatch and the shared top-k insertion.
 *
 * Wheels are built for the baseline of their platform (never -march=native); the wider kernels
 * are separate translation units compiled with their own -m flags, and only the ones this CPU can
 * run are offered, best first.  The probe has no mutable state, so it is safe from any thread. */
#include "band.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) && defined(MPCORE_HAVE_X86_KERNELS)
#define MP_X86 1
static int mp_cpu_avx2(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
static int mp_cpu_avx512(void) { return __builtin_cpu_supports("avx512f"); }
#elif defined(_MSC_VER) && defined(_M_X64) && defined(MPCORE_HAVE_X86_KERNELS)
/* MSVC and clang-cl: no __builtin_cpu_supports, so ask CPUID, and XGETBV whether the OS saves
 * the YMM (AVX) and ZMM/opmask (AVX-512) state on context switches. */
#define MP_X86 1
#include <intrin.h>
#include <immintrin.h>
#if defined(__clang__)
__attribute__((target("xsave")))
#endif
static unsigned long long mp_xcr0(void) { return _xgetbv(0); }
static int mp_cpuid_bit(int leaf, int reg, int bit) {
    int r[4];
    __cpuid(r, 0);
    if (r[0] < leaf) return 0;
    __cpuidex(r, leaf, 0);
    return (r[reg] >> bit) & 1;
}
enum { MP_EBX = 1, MP_ECX = 2 };
static int mp_cpu_avx2(void) {
    if (!mp_cpuid_bit(1, MP_ECX, 27) || (mp_xcr0() & 0x6) != 0x6) return 0;  /* OSXSAVE, YMM */
    return mp_cpuid_bit(1, MP_ECX, 28) && mp_cpuid_bit(1, MP_ECX, 12)           /* AVX, FMA */
           && mp_cpuid_bit(7, MP_EBX, 5);                                       /* AVX2 */
}
static int mp_cpu_avx512(void) {
    return mp_cpu_avx2() && (mp_xcr0() & 0xe6) == 0xe6 && mp_cpuid_bit(7, MP_EBX, 16);
}
#else
#define MP_X86 0
#endif

typedef struct {
    const char *name;
    mp_band_fn fn;
    mp_diags_fn dfn;
    mp_bandmax_fn mfn;
    mp_pow_fn pfn;
} mp_kernel;

static int mp_supported(int i, mp_kernel *out) {
    int n = 0;
#if MP_X86
    const int avx512 = mp_cpu_avx512();
    const int avx2 = mp_cpu_avx2();
    /* The widest first, on every vendor.  (AVX2 once ranked first on AMD: an early kernel ran
     * 1.5x faster with it on Zen 4.  Today's kernel runs 6-11 % faster with AVX-512 there:
     * Zen 4 EPYC, n = 2^16, z-normalized and p = 2, 1 and 2 threads, each kernel forced with
     * MPCORE_KERNEL, medians.) */
    if (avx512) {
        if (n++ == i) { out->name = "avx512"; out->fn = mp_band_avx512; out->dfn = mp_diags_avx512;
            out->mfn = mp_band_max_avx512; out->pfn = mp_pow_avx512; return 1; }
    }
    if (avx2) {
        if (n++ == i) { out->name = "avx2"; out->fn = mp_band_avx2; out->dfn = mp_diags_avx2;
            out->mfn = mp_band_max_avx2; out->pfn = mp_pow_avx2; return 1; }
    }
#endif
    if (n++ == i) { out->name = "baseline"; out->fn = mp_band_baseline; out->dfn = mp_diags_baseline;
            out->mfn = mp_band_max_baseline; out->pfn = mp_pow_baseline; return 1; }
    return 0;
}

int mp_kernel_count(void) {
    mp_kernel k;
    int n = 0;
    while (mp_supported(n, &k)) n++;
    return n;
}

const char *mp_kernel_name(int i) {
    mp_kernel k;
    return mp_supported(i, &k) ? k.name : 0;
}

mp_band_fn mp_kernel_get(int i) {
    mp_kernel k;
    return mp_supported(i, &k) ? k.fn : 0;
}

mp_diags_fn mp_diags_kernel_get(int i) {
    mp_kernel k;
    return mp_supported(i, &k) ? k.dfn : 0;
}

mp_bandmax_fn mp_bandmax_kernel_get(int i) {
    mp_kernel k;
    return mp_supported(i, &k) ? k.mfn : 0;
}

mp_pow_fn mp_pow_kernel_get(int i) {
    mp_kernel k;
    return mp_supported(i, &k) ? k.pfn : 0;
}

void mp_topk_insert(mp_topk *tk, int64_t row, double s, int64_t idx) {
    const int64_t k = tk->k;
    double *P = tk->P + row * k;
    int64_t *I = tk->I + row * k;
    if (!MP_BEFORE(tk, s, idx, P[k - 1], I[k - 1])) return;
    int64_t q = k - 1;
    while (q > 0 && MP_BEFORE(tk, s, idx, P[q - 1], I[q - 1])) {
        P[q] = P[q - 1];
        I[q] = I[q - 1];
        q--;
    }
    P[q] = s;
    I[q] = idx;
    /* thr never falls: a seed (or a peer's threshold) above P[k - 1] stays a lower bound of
     * the row's final k-th best (only this worker writes its own thr) */
    if (P[k - 1] > tk->thr[row]) MP_STORE_THR(tk->thr + row, P[k - 1]);
}

#if defined(_MSC_VER)
#include <intrin.h>
static int64_t mp_fetch_add(int64_t *p, int64_t v) { return _InterlockedExchangeAdd64((volatile long long *)p, v); }
#else
static int64_t mp_fetch_add(int64_t *p, int64_t v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
#endif

#if defined(_MSC_VER)
static double *mp_load_slot(double **p) { return *(double *volatile *)p; }
static void mp_store_slot(double **p, double *v) { *(double *volatile *)p = v; }
#else
static double *mp_load_slot(double **p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void mp_store_slot(double **p, double *v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
#endif

/* Raise thresholds [a, b) of this worker's table t to its peers' (see mp_run_worker). */
static void mp_raise_thr(mp_peers *pe, int64_t me, int64_t t, double *own, int64_t a,
                         int64_t b) {
    for (int64_t w = 0; w < pe->nworkers; w++) {
        const double *src = w == me ? 0 : mp_load_slot(&pe->slots[w * pe->ntables + t]);
        if (!src) continue;
        for (int64_t i = a; i < b; i++) {
            const double v = MP_LOAD_THR(src + i);
            if (v > own[i]) MP_STORE_THR(own + i, v);
        }
    }
}

int mp_run_worker(mp_band_fn fn, const mp_params *pr, const mp_series *series,
                  const mp_pass *passes, const int64_t *bands, int64_t nbands, int64_t *next,
                  int64_t *done, mp_topk *tables, double *scratch, const volatile int *cancel,
                  mp_peers *peers, int64_t me) {
    if (peers) /* from here on this worker's thresholds change only through MP_STORE_THR */
        for (int64_t t = 0; t < peers->ntables; t++)
            mp_store_slot(&peers->slots[me * peers->ntables + t], tables[t].thr);
    for (;;) {
        if (cancel && *cancel) return -1;
        const int64_t b = mp_fetch_add(next, 1);
        if (b >= nbands) return 0;
        const mp_pass *ps = passes + bands[3 * b];
        if (peers) {
            const mp_series *X = series + ps->x, *Y = series + ps->y;
            const int64_t d0 = bands[3 * b + 1];
            const int64_t nr = X->l < Y->l - d0 ? X->l : Y->l - d0; /* the band's rows */
            if (ps->rows >= 0 && nr > 0)
                mp_raise_thr(peers, me, ps->rows, tables[ps->rows].thr, 0, nr);
            if (ps->cols >= 0 && d0 < Y->l)
                mp_raise_thr(peers, me, ps->cols, tables[ps->cols].thr, d0, Y->l);
        }
        const int64_t cells =
            fn(pr, series + ps->x, series + ps->y, bands[3 * b + 1], bands[3 * b + 2],
               ps->rows >= 0 ? tables + ps->rows : 0, ps->cols >= 0 ? tables + ps->cols : 0,
               ps->srows >= 0 ? tables + ps->srows : 0, ps->scols >= 0 ? tables + ps->scols : 0,
               scratch, cancel);
        if (cells < 0) return -1;
        mp_fetch_add(done, cells);
    }
}

int mp_run_worker_diags(mp_diags_fn fn, const mp_params *pr, const mp_series *series,
                        const mp_pass *passes, const int64_t *diags, const int64_t *groups,
                        int64_t ngroups, int64_t *next, int64_t *done, mp_topk *tables,
                        double *scratch, const volatile int *cancel) {
    for (;;) {
        if (cancel && *cancel) return -1;
        const int64_t g = mp_fetch_add(next, 1);
        if (g >= ngroups) return 0;
        const mp_pass *ps = passes + groups[3 * g];
        const int64_t cells =
            fn(pr, series + ps->x, series + ps->y, diags + groups[3 * g + 1],
               groups[3 * g + 2] - groups[3 * g + 1], ps->rows >= 0 ? tables + ps->rows : 0,
               ps->cols >= 0 ? tables + ps->cols : 0, scratch, cancel);
        if (cells < 0) return -1;
        mp_fetch_add(done, cells);
    }
}
