/* Private to the SGEMM files (sgemm.c, sgemm_scalar.c, sgemm_avx2.c).
 *
 * The blocked driver in sgemm.c is shared by every ISA; an ISA supplies a kernel family:
 *
 *  pack_a  op(A)[i0 .. i0+mc, k0 .. k0+kc] into MR-row slivers, sliver s at dst + s*MR*kc, k-major:
 *          dst[s*MR*kc + k*MR + r] = op(A)[i0 + s*MR + r, k0 + k]; rows past mc are written as 0.
 *          op(A)[i, k] = trans_a ? a[k*lda + i] : a[i*lda + k].
 *  pack_b  op(B)[k0 .. k0+kc, j0 .. j0+nc] into NR-column slivers, sliver s at dst + s*NR*kc:
 *          dst[s*NR*kc + k*NR + c] = op(B)[k0 + k, j0 + s*NR + c]; columns past nc are written as 0.
 *          op(B)[k, j] = trans_b ? b[j*ldb + k] : b[k*ldb + j].
 *          Either routine may write up to MP_SGEMM_PACK_SLACK floats past its last sliver.
 *  kernel  One full MR x NR tile of C from a packed A sliver and a packed B sliver:
 *          acc[r][c] = sum over k = 0 .. kc-1, in order of k, of a[k*MR + r] * b[k*NR + c] (one rounding
 *          per step: FMA in the AVX2 family, multiply-then-add in the scalar one), then
 *          C[r][c] = alpha * acc[r][c] + beta * C[r][c]; with beta == 0, C is not read.
 *          The same arithmetic for every tile position is what makes results independent of the thread count.
 *  kernel_a_rows (optional, may be NULL)  The same tile with A read in place instead of packed: op(A) = A
 *          (trans_a = 0) and a[r*lda + k] is the A element of tile row r at step k. The arithmetic is that of
 *          `kernel`, so the driver may pick either one per block without changing a bit of the result.
 */
#ifndef MEPROP_SGEMM_INTERNAL_H
#define MEPROP_SGEMM_INTERNAL_H

#include <stdint.h>

enum { MP_SGEMM_PACK_SLACK = 16 };

typedef void (*mp_sgemm_pack_a_fn)(int trans_a, const float* a, int64_t lda, int64_t i0, int64_t mc, int64_t k0,
                                   int64_t kc, float* dst);
typedef void (*mp_sgemm_pack_b_fn)(int trans_b, const float* b, int64_t ldb, int64_t k0, int64_t kc, int64_t j0,
                                   int64_t nc, float* dst);
typedef void (*mp_sgemm_kernel_fn)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                                   float beta);

typedef void (*mp_sgemm_kernel_a_rows_fn)(int64_t kc, const float* a, int64_t lda, const float* b, float* c,
                                          int64_t ldc, float alpha, float beta);

typedef struct {
    int mr, nr;         /* register tile, at most 16 x 16 */
    int64_t mc, kc, nc; /* cache blocks: A block mc x kc (L2), B panel kc x nc (L3), B sliver kc x nr (L1);
                           kc <= 512 (the out-of-memory path packs one sliver pair on the stack) */
    mp_sgemm_pack_a_fn pack_a;
    mp_sgemm_pack_b_fn pack_b;
    mp_sgemm_kernel_fn kernel;
    mp_sgemm_kernel_a_rows_fn kernel_a_rows;
} mp_sgemm_family;

extern const mp_sgemm_family mp_sgemm_scalar_family;
extern const mp_sgemm_family mp_sgemm_avx2_family;

#endif
