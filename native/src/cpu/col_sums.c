/* Column sums: mp_col_sums_f32 (db of a linear layer) and mp_col_abs_sums_f32 (the unified top-k score).
 * Every column is reduced in row order from its start value, in both families, so scalar and AVX2 agree
 * bitwise (FTZ/DAZ on: denormal inputs count as 0). */
#include "kernels.h"

#include <math.h>

void mp_col_sums_scalar(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* out, int accumulate,
                        int absolute) {
    if (!accumulate)
        for (int64_t c = 0; c < cols; c++) out[c] = 0.0f;
    for (int64_t r = 0; r < rows; r++) {
        const float* row = x + r * ldx;
        if (absolute)
            for (int64_t c = 0; c < cols; c++) out[c] += fabsf(row[c]);
        else
            for (int64_t c = 0; c < cols; c++) out[c] += row[c];
    }
}

static mp_status col_sums(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* out, int accumulate,
                          int absolute) {
    const mp_fp_mode fp = mp_fp_enter();
    if (mp_use_avx2()) mp_col_sums_avx2(x, rows, cols, ldx, out, accumulate, absolute);
    else mp_col_sums_scalar(x, rows, cols, ldx, out, accumulate, absolute);
    mp_fp_leave(fp);
    return mp_ok();
}

#define MP_FN "mp_col_sums_f32"
mp_status mp_col_sums_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* out, int32_t accumulate) {
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(out);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_LD(ldx, cols);
    return col_sums(x, rows, cols, ldx, out, accumulate != 0, 0);
}
#undef MP_FN

#define MP_FN "mp_col_abs_sums_f32"
mp_status mp_col_abs_sums_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* out) {
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(out);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(cols);
    MP_CHECK_LD(ldx, cols);
    return col_sums(x, rows, cols, ldx, out, 0, 1);
}
#undef MP_FN
