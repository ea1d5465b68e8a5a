/* Top-k entry points: argument checks, workspace layout and ISA dispatch. The row kernels live in
 * topk_scalar.c (reference) and topk_avx2.c; both return exactly the same indices. */
#include "kernels.h"

static int64_t unified_sums_bytes(int64_t n) { return (n * 4 + 63) / 64 * 64 + 64; }

static void topk_row(const float* x, int64_t n, int64_t k, int32_t* idx, float* val, void* ws, int avx2,
                     const float* next_x) {
    if (avx2) mp_topk_row_avx2(x, n, k, idx, val, ws, next_x);
    else mp_topk_row_scalar(x, n, k, idx, val, ws);
}

#define MP_FN "mp_topk_abs_rows_workspace_size"
mp_status mp_topk_abs_rows_workspace_size(int64_t n, int64_t k, int64_t* bytes) {
    MP_CHECK_PTR(bytes);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_K(k, n);
    *bytes = mp_topk_row_workspace_bytes(n);
    return mp_ok();
}
#undef MP_FN

#define MP_FN "mp_topk_abs_rows_f32"
mp_status mp_topk_abs_rows_f32(const float* x, int64_t rows, int64_t n, int64_t ldx, int64_t k, int32_t* idx,
                               int64_t ldi, float* val, int64_t ldv, void* workspace, int64_t workspace_bytes) {
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(idx);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_LD(ldx, n);
    MP_CHECK_K(k, n);
    MP_CHECK_LD(ldi, k);
    if (val != NULL) MP_CHECK_LD(ldv, k);
    const int64_t need = mp_topk_row_workspace_bytes(n);
    MP_CHECK_WORKSPACE(workspace, workspace_bytes, need);

    const mp_fp_mode fp = mp_fp_enter();
    const int avx2 = mp_use_avx2();
    for (int64_t r = 0; r < rows; r++)
        topk_row(x + r * ldx, n, k, idx + r * ldi, val != NULL ? val + r * ldv : NULL, workspace, avx2,
                 r + 1 < rows ? x + (r + 1) * ldx : NULL);
    mp_fp_leave(fp);
    return mp_ok();
}
#undef MP_FN

#define MP_FN "mp_topk_abs_unified_workspace_size"
mp_status mp_topk_abs_unified_workspace_size(int64_t rows, int64_t n, int64_t k, int64_t* bytes) {
    MP_CHECK_PTR(bytes);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_K(k, n);
    *bytes = unified_sums_bytes(n) + mp_topk_row_workspace_bytes(n);
    return mp_ok();
}
#undef MP_FN

#define MP_FN "mp_topk_abs_unified_f32"
mp_status mp_topk_abs_unified_f32(const float* x, int64_t rows, int64_t n, int64_t ldx, int64_t k, int32_t* idx,
                                  float* col_abs_sums, void* workspace, int64_t workspace_bytes) {
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(idx);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_LD(ldx, n);
    MP_CHECK_K(k, n);
    const int64_t need = unified_sums_bytes(n) + mp_topk_row_workspace_bytes(n);
    MP_CHECK_WORKSPACE(workspace, workspace_bytes, need);

    float* sums = col_abs_sums;
    if (sums == NULL) sums = (float*)(((uintptr_t)workspace + 63) & ~(uintptr_t)63);
    void* row_ws = (char*)workspace + unified_sums_bytes(n);

    const mp_fp_mode fp = mp_fp_enter();
    const int avx2 = mp_use_avx2();
    if (avx2) mp_col_sums_avx2(x, rows, n, ldx, sums, 0, 1);
    else mp_col_sums_scalar(x, rows, n, ldx, sums, 0, 1);
    topk_row(sums, n, k, idx, NULL, row_ws, avx2, NULL);
    mp_fp_leave(fp);
    return mp_ok();
}
#undef MP_FN
