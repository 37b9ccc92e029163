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
static int mp_cpu_amd(void) { return __builtin_cpu_is("amd"); }
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
static int mp_cpu_amd(void) {
    int r[4];
    __cpuid(r, 0);  /* vendor "AuthenticAMD" in EBX, EDX, ECX */
    return r[1] == 0x68747541 && r[3] == 0x69746e65 && r[2] == 0x444d4163;
}
#else
#define MP_X86 0
#endif

typedef struct {
    const char *name;
    mp_band_fn fn;
    mp_diags_fn dfn;
    mp_bandmax_fn mfn;
} mp_kernel;

static int mp_supported(int i, mp_kernel *out) {
    int n = 0;
#if MP_X86
    const int avx512 = mp_cpu_avx512();
    const int avx2 = mp_cpu_avx2();
    /* AMD's Zen 4 splits 512-bit operations in two, and the band's unaligned 64-byte column
     * loads cross a cache line 7 times in 8: measured there, the AVX2 kernel is 1.5x faster, so
     * AVX-512 ranks first only on other vendors. */
    const int avx512_first = avx512 && !mp_cpu_amd();
    if (avx512_first) {
        if (n++ == i) { out->name = "avx512"; out->fn = mp_band_avx512; out->dfn = mp_diags_avx512;
            out->mfn = mp_band_max_avx512; return 1; }
    }
    if (avx2) {
        if (n++ == i) { out->name = "avx2"; out->fn = mp_band_avx2; out->dfn = mp_diags_avx2;
            out->mfn = mp_band_max_avx2; return 1; }
    }
    if (avx512 && !avx512_first) {
        if (n++ == i) { out->name = "avx512"; out->fn = mp_band_avx512; out->dfn = mp_diags_avx512;
            out->mfn = mp_band_max_avx512; return 1; }
    }
#endif
    if (n++ == i) { out->name = "baseline"; out->fn = mp_band_baseline; out->dfn = mp_diags_baseline;
            out->mfn = mp_band_max_baseline; return 1; }
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

void mp_topk_insert(mp_topk *tk, int64_t row, double s, int64_t idx) {
    const int64_t k = tk->k;
    double *P = tk->P + row * k;
    int64_t *I = tk->I + row * k;
    if (!(s > P[k - 1] || (s == P[k - 1] && idx < I[k - 1]))) return;
    int64_t q = k - 1;
    while (q > 0 && (s > P[q - 1] || (s == P[q - 1] && idx < I[q - 1]))) {
        P[q] = P[q - 1];
        I[q] = I[q - 1];
        q--;
    }
    P[q] = s;
    I[q] = idx;
    tk->thr[row] = P[k - 1];
}

#if defined(_MSC_VER)
#include <intrin.h>
static int64_t mp_fetch_add(int64_t *p, int64_t v) { return _InterlockedExchangeAdd64((volatile long long *)p, v); }
#else
static int64_t mp_fetch_add(int64_t *p, int64_t v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
#endif

int mp_run_worker(mp_band_fn fn, const mp_params *pr, const mp_series *series,
                  const mp_pass *passes, const int64_t *bands, int64_t nbands, int64_t *next,
                  int64_t *done, mp_topk *tables, double *scratch, const volatile int *cancel) {
    for (;;) {
        if (cancel && *cancel) return -1;
        const int64_t b = mp_fetch_add(next, 1);
        if (b >= nbands) return 0;
        const mp_pass *ps = passes + bands[3 * b];
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
