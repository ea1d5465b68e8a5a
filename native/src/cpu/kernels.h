/* Private to the top-k, random-k, compaction, column-sum and sparse-backward files of native/src/cpu.
 * Each public entry point (topk.c, randk.c, compaction.c, col_sums.c, sparse_backward.c) validates its
 * arguments, then calls one of the kernel families below: *_scalar (plain loops, the reference; built without
 * FMA contraction) or *_avx2 (built with -mavx2 -mfma, called only when mp_use_avx2()). Kernels assume valid
 * arguments and never fail. */
#ifndef MEPROP_CPU_KERNELS_H
#define MEPROP_CPU_KERNELS_H

#include "internal.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- index validation (index_check.c) ------------------------------------------------------------------
 * Each returns MP_OK or MP_ERR_INVALID_ARGUMENT with a message "fn: idx[...] = v ..." naming the position. */

/* Every idx[j], j < k, in [0, limit). limit_name is the size's name in the message ("cols"). */
mp_status mp_check_indices_1d(const char* fn, const int32_t* idx, int64_t k, int64_t limit, const char* limit_name);
/* Every idx[r*ldi + j], r < rows, j < k, in [0, limit). */
mp_status mp_check_indices_2d(const char* fn, const int32_t* idx, int64_t rows, int64_t ldi, int64_t k,
                              int64_t limit, const char* limit_name);
/* As mp_check_indices_2d, and the k indices of each row distinct (O(k) for ascending rows). */
mp_status mp_check_indices_2d_distinct(const char* fn, const int32_t* idx, int64_t rows, int64_t ldi, int64_t k,
                                       int64_t limit, const char* limit_name);

/* ---- top-k (topk_scalar.c, topk_avx2.c) ----------------------------------------------------------------
 * Key of an element: its IEEE bits with the sign cleared, as uint32. Keys order exactly like |x| with NaN
 * above +Inf (and -0 equal to +0); ties go to the lower index. */

/* Bytes of workspace one row of length n needs (both families; 64-byte alignment slack included). */
int64_t mp_topk_row_workspace_bytes(int64_t n);
/* The k (1 <= k <= n) selected indices of one row, ascending, into idx[0..k-1]; values into val[0..k-1]
 * if val != NULL. Nothing else is written. ws: mp_topk_row_workspace_bytes(n) bytes, any alignment.
 * next_x (AVX2 only, may be NULL): the row that comes next, whose first reads are prefetched. */
void mp_topk_row_scalar(const float* x, int64_t n, int64_t k, int32_t* idx, float* val, void* ws);
void mp_topk_row_avx2(const float* x, int64_t n, int64_t k, int32_t* idx, float* val, void* ws, const float* next_x);

/* Left-pack permutations: for an 8-bit mask m, lanes with their bit set first (in order), then the others. */
extern const int32_t mp_compress_lut[256][8];

/* ---- per-map top-k (topk_per_map.c, topk_per_map_avx2.c) ------------------------------------------------
 * The maps of channels [c0, c1) (row c - c0 = map c, P floats) from one example's channels-last block src (P x C,
 * contiguous): maps[(c - c0)*P + p] = src[p*C + c]; with running != NULL instead keep * running[c*P + p] + fresh *
 * |src[p*C + c]| (multiply, multiply, add: no FMA, so both families agree bitwise). */
void mp_maps_from_nhwc_scalar(const float* src, int64_t P, int64_t C, int64_t c0, int64_t c1, const float* running,
                              float keep, float fresh, float* maps);
void mp_maps_from_nhwc_avx2(const float* src, int64_t P, int64_t C, int64_t c0, int64_t c1, const float* running,
                            float keep, float fresh, float* maps);
/* Left-packs the elements of x[0..n) whose key (bits & 0x7fffffff) is not 0, in index order: pos[j] = index,
 * vals[j] = x[index]; returns their number. vals and pos need room for n + 8. */
int64_t mp_compact_nonzero_scalar(const float* x, int64_t n, float* vals, int32_t* pos);
int64_t mp_compact_nonzero_avx2(const float* x, int64_t n, float* vals, int32_t* pos);

/* ---- sparse conv backward (conv_sparse.c, conv_sparse_avx2.c) --------------------------------------------
 * One output channel's dW row (its nk = batch * k entries idx/val, entry j of example j / k, indices n*P + p,
 * already checked) and one example's dx.
 * dW: every element gets the entries' terms in entry order (scalar: multiply then add; AVX2: FMA).
 * dx: channels in order, then the channel's k entries of example n in order, then window rows. */
void mp_conv_dw_channel_scalar(const mp_conv_geometry* g, int64_t k, int64_t nk, const int32_t* idx, const float* val,
                               const float* x, int64_t ldx, float* dw, int accumulate);
void mp_conv_dw_channel_avx2(const mp_conv_geometry* g, int64_t k, int64_t nk, const int32_t* idx, const float* val,
                             const float* x, int64_t ldx, float* dw, int accumulate);
void mp_conv_dx_example_scalar(const mp_conv_geometry* g, int64_t n, int64_t channels, int64_t k, const int32_t* idx,
                               int64_t ldi, const float* val, int64_t ldv, const float* w, int64_t ldw, float* dxn);
void mp_conv_dx_example_avx2(const mp_conv_geometry* g, int64_t n, int64_t channels, int64_t k, const int32_t* idx,
                             int64_t ldi, const float* val, int64_t ldv, const float* w, int64_t ldw, float* dxn);

/* ---- column sums (col_sums.c, col_sums_avx2.c) ----------------------------------------------------------
 * out[c] starts at (accumulate ? out[c] : +0) and gets x[r, c] (or |x[r, c]|) added for r = 0, 1, ... in order,
 * so both families give bitwise equal results. */
void mp_col_sums_scalar(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* out, int accumulate,
                        int absolute);
void mp_col_sums_avx2(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* out, int accumulate,
                      int absolute);

/* ---- optimizer steps (optimizer.c, optimizer_avx2.c) ---------------------------------------------------
 * Elements [i0, i1) of one step; every element gets the same rounded operations in both families (no FMA). */
typedef struct {
    float* w;
    float* g;
    float* s1; /* Adam m, AdaGrad h, SGD velocity (NULL: plain SGD) */
    float* s2; /* Adam v */
    float rate; /* Adam step size, AdaGrad and SGD learning rate */
    float beta1, beta2, eps, momentum;
    float grad_scale, l2, clip;
} mp_optimizer_step;

void mp_adam_scalar(const mp_optimizer_step* s, int64_t i0, int64_t i1);
void mp_adam_avx2(const mp_optimizer_step* s, int64_t i0, int64_t i1);
void mp_adagrad_scalar(const mp_optimizer_step* s, int64_t i0, int64_t i1);
void mp_adagrad_avx2(const mp_optimizer_step* s, int64_t i0, int64_t i1);
void mp_sgd_scalar(const mp_optimizer_step* s, int64_t i0, int64_t i1);
void mp_sgd_avx2(const mp_optimizer_step* s, int64_t i0, int64_t i1);

/* ---- compaction (compaction.c, compaction_avx2.c) -------------------------------------------------------- */

/* dst[idx[j], :] += alpha * src[j, :], j = 0, 1, ... in order. Scalar: multiply then add; AVX2: one FMA. */
void mp_scatter_add_rows_scalar(const float* src, int64_t k, int64_t cols, int64_t lds, const int32_t* idx,
                                float alpha, float* dst, int64_t ldd);
void mp_scatter_add_rows_avx2(const float* src, int64_t k, int64_t cols, int64_t lds, const int32_t* idx,
                              float alpha, float* dst, int64_t ldd);

/* ---- sparse backward (sparse_backward.c, sparse_backward_avx2.c) -----------------------------------------
 * Column ranges [c0, c1) of the public kernels, so that sparse_backward.c can hand disjoint pieces to threads.
 * dx: dx[b, c] = sum over t in order of val[b,t] * w[idx[b,t], c], from +0, for every b.
 * dW: dw[idx[b,t], c] += val[b,t] * x[b, c] for b in order, then t in order. */
void mp_sparse_dx_scalar(int64_t c0, int64_t c1, int64_t batch, int64_t k, const int32_t* idx, int64_t ldi,
                         const float* val, int64_t ldv, const float* w, int64_t ldw, float* dx, int64_t lddx);
void mp_sparse_dx_avx2(int64_t c0, int64_t c1, int64_t batch, int64_t k, const int32_t* idx, int64_t ldi,
                       const float* val, int64_t ldv, const float* w, int64_t ldw, float* dx, int64_t lddx);
void mp_sparse_dw_scalar(int64_t c0, int64_t c1, int64_t batch, int64_t k, const int32_t* idx, int64_t ldi,
                         const float* val, int64_t ldv, const float* x, int64_t ldx, float* dw, int64_t lddw);
void mp_sparse_dw_avx2(int64_t c0, int64_t c1, int64_t batch, int64_t k, const int32_t* idx, int64_t ldi,
                       const float* val, int64_t ldv, const float* x, int64_t ldx, float* dw, int64_t lddw);
/* The same dW update from the pairs grouped by row: pairs start[i] .. start[i+1]-1 belong to row i (i < n), in order
 * of b; pair p adds pv[p] * x[px[p] + c], px[p] being b * ldx (the row's element offset, so the kernel multiplies
 * nothing per pair). Each dW row block is read and written once per call. */
void mp_sparse_dw_grouped_avx2(int64_t c0, int64_t c1, int64_t n, const int32_t* start, const int32_t* px,
                               const float* pv, const float* x, float* dw, int64_t lddw);

#ifdef __cplusplus
}
#endif

#endif
