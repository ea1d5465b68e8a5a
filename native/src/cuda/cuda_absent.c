/* Built only when CUDA is off: the CUDA entry points exist in every build and say why they cannot run.
 * Generated from the CUDA section of meprop.h (keep in step when adding an mp_cuda_* function). */
#include "internal.h"

#define MP_NO_CUDA(fn) \
    return mp_fail(MP_ERR_UNSUPPORTED, "%s: this libmeprop was built without CUDA (build with MEPROP_CUDA=ON)", fn)

int32_t mp_cuda_device_count(void) { return 0; }

mp_status mp_cuda_set_device(int32_t device) {
    (void)device;
    MP_NO_CUDA("mp_cuda_set_device");
}

mp_status mp_cuda_device_info(int32_t device, char* name, int64_t name_bytes, int32_t* cc_major, int32_t* cc_minor, int64_t* total_bytes) {
    (void)device; (void)name; (void)name_bytes; (void)cc_major; (void)cc_minor; (void)total_bytes;
    MP_NO_CUDA("mp_cuda_device_info");
}

mp_status mp_cuda_versions(int32_t* runtime_version, int32_t* driver_version) {
    (void)runtime_version; (void)driver_version;
    MP_NO_CUDA("mp_cuda_versions");
}

mp_status mp_cuda_synchronize(void* stream) {
    (void)stream;
    MP_NO_CUDA("mp_cuda_synchronize");
}

mp_status mp_cuda_malloc(void** ptr, int64_t bytes) {
    (void)ptr; (void)bytes;
    MP_NO_CUDA("mp_cuda_malloc");
}

mp_status mp_cuda_free(void* ptr) {
    (void)ptr;
    MP_NO_CUDA("mp_cuda_free");
}

mp_status mp_cuda_memcpy_htod(void* dst_device, const void* src_host, int64_t bytes) {
    (void)dst_device; (void)src_host; (void)bytes;
    MP_NO_CUDA("mp_cuda_memcpy_htod");
}

mp_status mp_cuda_memcpy_dtoh(void* dst_host, const void* src_device, int64_t bytes) {
    (void)dst_host; (void)src_device; (void)bytes;
    MP_NO_CUDA("mp_cuda_memcpy_dtoh");
}

mp_status mp_cuda_fill_f32(float* x, int64_t rows, int64_t cols, int64_t ldx, float value, void* stream) {
    (void)x; (void)rows; (void)cols; (void)ldx; (void)value; (void)stream;
    MP_NO_CUDA("mp_cuda_fill_f32");
}

mp_status mp_cuda_col_sums_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* out, int32_t accumulate, void* stream) {
    (void)x; (void)rows; (void)cols; (void)ldx; (void)out; (void)accumulate; (void)stream;
    MP_NO_CUDA("mp_cuda_col_sums_f32");
}

mp_status mp_cuda_col_abs_sums_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* out, void* stream) {
    (void)x; (void)rows; (void)cols; (void)ldx; (void)out; (void)stream;
    MP_NO_CUDA("mp_cuda_col_abs_sums_f32");
}

mp_status mp_cuda_topk_abs_rows_workspace_size(int64_t rows, int64_t n, int64_t k, int64_t* bytes) {
    (void)rows; (void)n; (void)k; (void)bytes;
    MP_NO_CUDA("mp_cuda_topk_abs_rows_workspace_size");
}

mp_status mp_cuda_topk_abs_rows_f32(const float* x, int64_t rows, int64_t n, int64_t ldx, int64_t k, int32_t* idx, int64_t ldi, float* val, int64_t ldv, void* workspace, int64_t workspace_bytes, void* stream) {
    (void)x; (void)rows; (void)n; (void)ldx; (void)k; (void)idx; (void)ldi; (void)val; (void)ldv; (void)workspace; (void)workspace_bytes; (void)stream;
    MP_NO_CUDA("mp_cuda_topk_abs_rows_f32");
}

mp_status mp_cuda_topk_abs_unified_workspace_size(int64_t rows, int64_t n, int64_t k, int64_t* bytes) {
    (void)rows; (void)n; (void)k; (void)bytes;
    MP_NO_CUDA("mp_cuda_topk_abs_unified_workspace_size");
}

mp_status mp_cuda_topk_abs_unified_f32(const float* x, int64_t rows, int64_t n, int64_t ldx, int64_t k, int32_t* idx, float* col_abs_sums, void* workspace, int64_t workspace_bytes, void* stream) {
    (void)x; (void)rows; (void)n; (void)ldx; (void)k; (void)idx; (void)col_abs_sums; (void)workspace; (void)workspace_bytes; (void)stream;
    MP_NO_CUDA("mp_cuda_topk_abs_unified_f32");
}

mp_status mp_cuda_randk_workspace_size(int64_t rows, int64_t n, int64_t k, int64_t* bytes) {
    (void)rows; (void)n; (void)k; (void)bytes;
    MP_NO_CUDA("mp_cuda_randk_workspace_size");
}

mp_status mp_cuda_randk_rows(int64_t rows, int64_t n, int64_t k, uint64_t seed, int64_t first_row, int32_t* idx, int64_t ldi, void* workspace, int64_t workspace_bytes, void* stream) {
    (void)rows; (void)n; (void)k; (void)seed; (void)first_row; (void)idx; (void)ldi; (void)workspace; (void)workspace_bytes; (void)stream;
    MP_NO_CUDA("mp_cuda_randk_rows");
}

mp_status mp_cuda_randk_unified(int64_t n, int64_t k, uint64_t seed, int32_t* idx, void* workspace, int64_t workspace_bytes, void* stream) {
    (void)n; (void)k; (void)seed; (void)idx; (void)workspace; (void)workspace_bytes; (void)stream;
    MP_NO_CUDA("mp_cuda_randk_unified");
}

mp_status mp_cuda_msbp_apply_f32(float* dy, int64_t rows, int64_t n, int64_t lddy, const float* mem, int64_t ldm, void* stream) {
    (void)dy; (void)rows; (void)n; (void)lddy; (void)mem; (void)ldm; (void)stream;
    MP_NO_CUDA("mp_cuda_msbp_apply_f32");
}

mp_status mp_cuda_msbp_update_f32(const float* g, int64_t rows, int64_t n, int64_t ldg, const int32_t* idx, int64_t ldi, int64_t k, float ratio, float* mem, int64_t ldm, void* stream) {
    (void)g; (void)rows; (void)n; (void)ldg; (void)idx; (void)ldi; (void)k; (void)ratio; (void)mem; (void)ldm; (void)stream;
    MP_NO_CUDA("mp_cuda_msbp_update_f32");
}

mp_status mp_cuda_gather_cols_f32(const float* src, int64_t rows, int64_t cols, int64_t lds, const int32_t* idx, int64_t k, float* dst, int64_t ldd, void* stream) {
    (void)src; (void)rows; (void)cols; (void)lds; (void)idx; (void)k; (void)dst; (void)ldd; (void)stream;
    MP_NO_CUDA("mp_cuda_gather_cols_f32");
}

mp_status mp_cuda_gather_cols_rows_f32(const float* src, int64_t rows, int64_t cols, int64_t lds, const int32_t* idx, int64_t ldi, int64_t k, float* dst, int64_t ldd, void* stream) {
    (void)src; (void)rows; (void)cols; (void)lds; (void)idx; (void)ldi; (void)k; (void)dst; (void)ldd; (void)stream;
    MP_NO_CUDA("mp_cuda_gather_cols_rows_f32");
}

mp_status mp_cuda_gather_rows_f32(const float* src, int64_t src_rows, int64_t cols, int64_t lds, const int32_t* idx, int64_t k, float* dst, int64_t ldd, void* stream) {
    (void)src; (void)src_rows; (void)cols; (void)lds; (void)idx; (void)k; (void)dst; (void)ldd; (void)stream;
    MP_NO_CUDA("mp_cuda_gather_rows_f32");
}

mp_status mp_cuda_scatter_add_rows_f32(const float* src, int64_t k, int64_t cols, int64_t lds, const int32_t* idx, float alpha, float* dst, int64_t dst_rows, int64_t ldd, void* stream) {
    (void)src; (void)k; (void)cols; (void)lds; (void)idx; (void)alpha; (void)dst; (void)dst_rows; (void)ldd; (void)stream;
    MP_NO_CUDA("mp_cuda_scatter_add_rows_f32");
}

mp_status mp_cuda_scatter_cols_f32(const float* src, int64_t rows, int64_t k, int64_t lds, const int32_t* idx, float* dst, int64_t cols, int64_t ldd, void* stream) {
    (void)src; (void)rows; (void)k; (void)lds; (void)idx; (void)dst; (void)cols; (void)ldd; (void)stream;
    MP_NO_CUDA("mp_cuda_scatter_cols_f32");
}

mp_status mp_cuda_sparse_backward_dx_f32(int64_t batch, int64_t n, int64_t m, int64_t k, const int32_t* idx, int64_t ldi, const float* val, int64_t ldv, const float* w, int64_t ldw, float* dx, int64_t lddx, void* stream) {
    (void)batch; (void)n; (void)m; (void)k; (void)idx; (void)ldi; (void)val; (void)ldv; (void)w; (void)ldw; (void)dx; (void)lddx; (void)stream;
    MP_NO_CUDA("mp_cuda_sparse_backward_dx_f32");
}

mp_status mp_cuda_sparse_backward_dw_workspace_size(int64_t batch, int64_t n, int64_t k, int32_t algo, int64_t* bytes) {
    (void)batch; (void)n; (void)k; (void)algo; (void)bytes;
    MP_NO_CUDA("mp_cuda_sparse_backward_dw_workspace_size");
}

mp_status mp_cuda_sparse_backward_dw_f32(int64_t batch, int64_t n, int64_t m, int64_t k, const int32_t* idx, int64_t ldi, const float* val, int64_t ldv, const float* x, int64_t ldx, float* dw, int64_t lddw, int32_t algo, void* workspace, int64_t workspace_bytes, void* stream) {
    (void)batch; (void)n; (void)m; (void)k; (void)idx; (void)ldi; (void)val; (void)ldv; (void)x; (void)ldx; (void)dw; (void)lddw; (void)algo; (void)workspace; (void)workspace_bytes; (void)stream;
    MP_NO_CUDA("mp_cuda_sparse_backward_dw_f32");
}
