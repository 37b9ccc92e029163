/* Scratch blocks kept between calls (header-only: each module that includes it has its own).
 *
 * A small call (n = 4,096) mallocs and frees about 1.5 MB of scratch.  glibc gives freed memory
 * at the top of its heap back to the system (it trims beyond a threshold of a few hundred kB),
 * so the next call faults the same pages in again: about 116 page faults per call, which cost
 * 0.1-0.5 ms in a virtual machine (15 % of the call) and made its time vary from call to call.
 * mp_take/mp_give keep up to MP_REUSE_KEEP freed blocks of each power-of-two size from 4 kB to
 * MP_REUSE_MAX, taken and given back with one atomic exchange each (any thread, no lock), so
 * a series of calls reuses warm pages.  What is kept is bounded (at most 2 * MP_REUSE_KEEP *
 * MP_REUSE_MAX bytes) and stays until the process exits; larger blocks go back to malloc. */
#ifndef MP_REUSE_H
#define MP_REUSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define MP_REUSE_MIN_LOG 12 /* 4 kB: smaller requests are left to malloc */
#define MP_REUSE_MAX_LOG 21 /* 2 MB */
#define MP_REUSE_KEEP 2

/* A block's header: its size class (16 bytes, so the memory after it stays 16-byte aligned) */
typedef struct {
    int64_t cls;
    int64_t pad;
} mp_reuse_head;

static void *volatile mp_reuse_kept_[MP_REUSE_MAX_LOG + 1][MP_REUSE_KEEP];

#if defined(_MSC_VER)
#include <intrin.h>
static void *mp_reuse_xchg_(void *volatile *p, void *v) {
    return _InterlockedExchangePointer(p, v);
}
static int mp_reuse_cas_(void *volatile *p, void *v) {
    return _InterlockedCompareExchangePointer(p, v, NULL) == NULL;
}
#else
static void *mp_reuse_xchg_(void *volatile *p, void *v) {
    return __atomic_exchange_n(p, v, __ATOMIC_ACQ_REL);
}
static int mp_reuse_cas_(void *volatile *p, void *v) {
    void *expected = NULL;
    return __atomic_compare_exchange_n(p, &expected, v, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
#endif

/* At least `bytes` bytes (uninitialized, 16-byte aligned), or NULL when out of memory; give it
 * back with mp_give, never with free. */
static void *mp_take(size_t bytes) {
    int64_t cls = MP_REUSE_MIN_LOG;
    while (cls <= MP_REUSE_MAX_LOG && ((size_t)1 << cls) < bytes) cls++;
    mp_reuse_head *h = NULL;
    if (cls <= MP_REUSE_MAX_LOG) {
        for (int i = 0; i < MP_REUSE_KEEP && !h; i++)
            if (mp_reuse_kept_[cls][i])
                h = (mp_reuse_head *)mp_reuse_xchg_(&mp_reuse_kept_[cls][i], NULL);
        if (!h) h = (mp_reuse_head *)malloc(sizeof(mp_reuse_head) + ((size_t)1 << cls));
    } else {
        h = (mp_reuse_head *)malloc(sizeof(mp_reuse_head) + bytes);
    }
    if (!h) return NULL;
    h->cls = cls;
    return h + 1;
}

/* Give back a block of mp_take (NULL: nothing). */
static void mp_give(void *p) {
    if (!p) return;
    mp_reuse_head *h = (mp_reuse_head *)p - 1;
    if (h->cls <= MP_REUSE_MAX_LOG)
        for (int i = 0; i < MP_REUSE_KEEP; i++)
            if (!mp_reuse_kept_[h->cls][i] && mp_reuse_cas_(&mp_reuse_kept_[h->cls][i], h))
                return;
    free(h);
}

#endif
