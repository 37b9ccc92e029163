/* C ABI of the mpcore CUDA kernels (loaded from Python with ctypes).
 *
 * All pointers are HOST pointers; each call copies its inputs to the device,
 * runs one "pass" and copies the merged profiles back.  See mpcore_cuda.cu
 * for the exact contract (modes, score definition, merge order).
 */
#ifndef MPCORE_CUDA_H
#define MPCORE_CUDA_H

#include <stdint.h>

#if defined(_WIN32)
#define MPCORE_CUDA_API __declspec(dllexport)
#else
#define MPCORE_CUDA_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Number of usable CUDA devices; 0 if there is no driver or no GPU. Never fails. */
MPCORE_CUDA_API int mpcore_cuda_device_count(void);

/* One pass over the diagonals [d_start, d_stop) of X (rows) against Y (columns).
 * row_* / col_* may be NULL (side not wanted).  row_score/row_idx hold k entries
 * per window (best first, empty = -inf/-1) and are merged into in place;
 * row_hint/col_hint (may be NULL) give a lower bound of each window's final
 * k-th best score, which lets the kernel skip cells that cannot enter.
 * Equal scores keep the lower index, or the higher where row_later/col_later
 * is nonzero (a self-join's left table).  MPCORE_CUDA_TIMING=1 in the
 * environment prints the copies' and the kernel's times to stderr.
 * Returns 0 on success, else a nonzero code with a NUL-terminated message in
 * err[0:errlen]. */
MPCORE_CUDA_API int mpcore_cuda_pass(
    int device, int mode, int64_t m, double p, int64_t k,
    int64_t lX, const double *X_T, const double *X_mu, const double *X_df,
    const double *X_dg, const double *X_w,
    int64_t lY, const double *Y_T, const double *Y_mu, const double *Y_df,
    const double *Y_dg, const double *Y_w,
    int64_t d_start, int64_t d_stop,
    double *row_score, int64_t *row_idx, const double *row_hint, int row_later,
    double *col_score, int64_t *col_idx, const double *col_hint, int col_later,
    char *err, int errlen);

/* The kernel's compile-time shape: diagonals per thread, threads per block,
 * rows per work item. */
MPCORE_CUDA_API int mpcore_cuda_config(int *dpt, int *threads, int *rows_per_item);

#ifdef __cplusplus
}
#endif

#endif /* MPCORE_CUDA_H */
