/* Top-k by |x|: per row (block-per-row radix select, select.cuh) and unified (column sums of |x|, then the same
 * select on the one row of sums). Contract: meprop.h (ties -> lower index, NaN above +-Inf, indices ascending). */
#include "select.cuh"

using namespace mpcuda;

namespace {

struct AbsKeys {
    const float* x;
    int64_t ldx;
    __device__ __forceinline__ uint32_t operator()(int64_t row, int64_t i) const { return abs_key(x[row * ldx + i]); }
};

} // namespace

extern "C" {

mp_status mp_cuda_topk_abs_rows_workspace_size(int64_t rows, int64_t n, int64_t k, int64_t* bytes) {
#define MP_FN "mp_cuda_topk_abs_rows_workspace_size"
    MP_CHECK_PTR(bytes);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_K(k, n);
    *bytes = 0;
    return mp_ok();
#undef MP_FN
}

mp_status mp_cuda_topk_abs_rows_f32(const float* x, int64_t rows, int64_t n, int64_t ldx, int64_t k,
                                    int32_t* idx, int64_t ldi, float* val, int64_t ldv,
                                    void* workspace, int64_t workspace_bytes, void* stream) {
#define MP_FN "mp_cuda_topk_abs_rows_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(idx);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_LD(ldx, n);
    MP_CHECK_K(k, n);
    MP_CHECK_LD(ldi, k);
    if (val != NULL) MP_CHECK_LD(ldv, k);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_INT32_RANGE(rows);
    MP_CHECK_WORKSPACE(workspace, workspace_bytes, 0);
    (void)workspace;
    clear_stale_error();
    launch_topk_rows(AbsKeys{x, ldx}, rows, n, k, idx, ldi, val, ldv, x, ldx, as_stream(stream));
    return check_launch(MP_FN);
#undef MP_FN
}

mp_status mp_cuda_topk_abs_unified_workspace_size(int64_t rows, int64_t n, int64_t k, int64_t* bytes) {
#define MP_FN "mp_cuda_topk_abs_unified_workspace_size"
    MP_CHECK_PTR(bytes);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_K(k, n);
    *bytes = n * (int64_t)sizeof(float);
    return mp_ok();
#undef MP_FN
}

mp_status mp_cuda_topk_abs_unified_f32(const float* x, int64_t rows, int64_t n, int64_t ldx, int64_t k,
                                       int32_t* idx, float* col_abs_sums,
                                       void* workspace, int64_t workspace_bytes, void* stream) {
#define MP_FN "mp_cuda_topk_abs_unified_f32"
    MP_CHECK_PTR(x);
    MP_CHECK_PTR(idx);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_LD(ldx, n);
    MP_CHECK_K(k, n);
    MP_CHECK_INT32_RANGE(n);
    float* sums = col_abs_sums;
    if (sums == NULL) {
        MP_CHECK_WORKSPACE(workspace, workspace_bytes, n * (int64_t)sizeof(float));
        sums = static_cast<float*>(workspace);
    }
    const mp_status st = mp_cuda_col_abs_sums_f32(x, rows, n, ldx, sums, stream);
    if (st != MP_OK) return st;
    clear_stale_error();
    /* Sums of |x| are >= 0 or NaN, so abs_key orders them (NaN highest) exactly as the per-row contract says. */
    launch_topk_rows(AbsKeys{sums, n}, 1, n, k, idx, k, static_cast<float*>(nullptr), 1,
                     static_cast<const float*>(nullptr), 0, as_stream(stream));
    return check_launch(MP_FN);
#undef MP_FN
}

} /* extern "C" */
