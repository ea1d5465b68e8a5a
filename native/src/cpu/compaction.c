/* Compaction: gathers of columns/rows into a compact matrix and the scatters back. Every index is checked before
 * anything is written. Only mp_scatter_add_rows_f32 does arithmetic and has an AVX2 path (an FMA axpy); the
 * others are data movement, the same code for both ISAs. */
#include "kernels.h"

#include <string.h>

void mp_scatter_add_rows_scalar(const float* src, int64_t k, int64_t cols, int64_t lds, const int32_t* idx,
                                float alpha, float* dst, int64_t ldd) {
    for (int64_t j = 0; j < k; j++) {
        const float* s = src + j * lds;
        float* d = dst + (int64_t)idx[j] * ldd;
        for (int64_t c = 0; c < cols; c++) d[c] += alpha * s[c];
    }
}

#define MP_FN "mp_gather_cols_f32"
mp_status mp_gather_cols_f32(const float* src, int64_t rows, int64_t cols, int64_t lds, const int32_t* idx, int64_t k,
                             float* dst, int64_t ldd) {
    MP_CHECK_PTR(src);
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(dst);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_LD(lds, cols);
    MP_CHECK_POSITIVE(k);
    MP_CHECK_LD(ldd, k);
    const mp_status st = mp_check_indices_1d(MP_FN, idx, k, cols, "cols");
    if (st != MP_OK) return st;
    const mp_fp_mode fp = mp_fp_enter();
    for (int64_t r = 0; r < rows; r++) {
        const float* s = src + r * lds;
        float* d = dst + r * ldd;
        for (int64_t j = 0; j < k; j++) d[j] = s[idx[j]];
    }
    mp_fp_leave(fp);
    return mp_ok();
}
#undef MP_FN

#define MP_FN "mp_gather_cols_rows_f32"
mp_status mp_gather_cols_rows_f32(const float* src, int64_t rows, int64_t cols, int64_t lds, const int32_t* idx,
                                  int64_t ldi, int64_t k, float* dst, int64_t ldd) {
    MP_CHECK_PTR(src);
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(dst);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_LD(lds, cols);
    MP_CHECK_POSITIVE(k);
    MP_CHECK_LD(ldi, k);
    MP_CHECK_LD(ldd, k);
    const mp_status st = mp_check_indices_2d(MP_FN, idx, rows, ldi, k, cols, "cols");
    if (st != MP_OK) return st;
    const mp_fp_mode fp = mp_fp_enter();
    for (int64_t r = 0; r < rows; r++) {
        const float* s = src + r * lds;
        const int32_t* ix = idx + r * ldi;
        float* d = dst + r * ldd;
        for (int64_t j = 0; j < k; j++) d[j] = s[ix[j]];
    }
    mp_fp_leave(fp);
    return mp_ok();
}
#undef MP_FN

#define MP_FN "mp_gather_rows_f32"
mp_status mp_gather_rows_f32(const float* src, int64_t src_rows, int64_t cols, int64_t lds, const int32_t* idx,
                             int64_t k, float* dst, int64_t ldd) {
    MP_CHECK_PTR(src);
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(dst);
    MP_CHECK_POSITIVE(src_rows);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_LD(lds, cols);
    MP_CHECK_POSITIVE(k);
    MP_CHECK_LD(ldd, cols);
    const mp_status st = mp_check_indices_1d(MP_FN, idx, k, src_rows, "src_rows");
    if (st != MP_OK) return st;
    const mp_fp_mode fp = mp_fp_enter();
    for (int64_t j = 0; j < k; j++) memcpy(dst + j * ldd, src + (int64_t)idx[j] * lds, (size_t)cols * sizeof(float));
    mp_fp_leave(fp);
    return mp_ok();
}
#undef MP_FN

#define MP_FN "mp_scatter_add_rows_f32"
mp_status mp_scatter_add_rows_f32(const float* src, int64_t k, int64_t cols, int64_t lds, const int32_t* idx,
                                  float alpha, float* dst, int64_t dst_rows, int64_t ldd) {
    MP_CHECK_PTR(src);
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(dst);
    MP_CHECK_POSITIVE(k);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_LD(lds, cols);
    MP_CHECK_POSITIVE(dst_rows);
    MP_CHECK_LD(ldd, cols);
    const mp_status st = mp_check_indices_1d(MP_FN, idx, k, dst_rows, "dst_rows");
    if (st != MP_OK) return st;
    const mp_fp_mode fp = mp_fp_enter();
    if (mp_use_avx2()) mp_scatter_add_rows_avx2(src, k, cols, lds, idx, alpha, dst, ldd);
    else mp_scatter_add_rows_scalar(src, k, cols, lds, idx, alpha, dst, ldd);
    mp_fp_leave(fp);
    return mp_ok();
}
#undef MP_FN

#define MP_FN "mp_scatter_cols_f32"
mp_status mp_scatter_cols_f32(const float* src, int64_t rows, int64_t k, int64_t lds, const int32_t* idx, float* dst,
                              int64_t cols, int64_t ldd) {
    MP_CHECK_PTR(src);
    MP_CHECK_PTR(idx);
    MP_CHECK_PTR(dst);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(k);
    MP_CHECK_LD(lds, k);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_LD(ldd, cols);
    const mp_status st = mp_check_indices_1d(MP_FN, idx, k, cols, "cols");
    if (st != MP_OK) return st;
    const mp_fp_mode fp = mp_fp_enter();
    for (int64_t r = 0; r < rows; r++) {
        const float* s = src + r * lds;
        float* d = dst + r * ldd;
        memset(d, 0, (size_t)cols * sizeof(float));
        for (int64_t j = 0; j < k; j++) d[idx[j]] = s[j];
    }
    mp_fp_leave(fp);
    return mp_ok();
}
#undef MP_FN
