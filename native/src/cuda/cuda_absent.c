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

/* ---- the GPU backend's element-wise, loss, optimizer and bookkeeping kernels ---- */

mp_status mp_cuda_copy_f32(const float* src, int64_t rows, int64_t cols, int64_t lds, float* dst, int64_t ldd, void* stream) {
    (void)src; (void)rows; (void)cols; (void)lds; (void)dst; (void)ldd; (void)stream;
    MP_NO_CUDA("mp_cuda_copy_f32");
}

mp_status mp_cuda_scale_f32(float* x, int64_t rows, int64_t cols, int64_t ldx, float alpha, void* stream) {
    (void)x; (void)rows; (void)cols; (void)ldx; (void)alpha; (void)stream;
    MP_NO_CUDA("mp_cuda_scale_f32");
}

mp_status mp_cuda_axpy_f32(int64_t rows, int64_t cols, float alpha, const float* x, int64_t ldx, float* y, int64_t ldy, void* stream) {
    (void)rows; (void)cols; (void)alpha; (void)x; (void)ldx; (void)y; (void)ldy; (void)stream;
    MP_NO_CUDA("mp_cuda_axpy_f32");
}

mp_status mp_cuda_add_f32(int64_t rows, int64_t cols, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, void* stream) {
    (void)rows; (void)cols; (void)a; (void)lda; (void)b; (void)ldb; (void)c; (void)ldc; (void)stream;
    MP_NO_CUDA("mp_cuda_add_f32");
}

mp_status mp_cuda_mul_f32(int64_t rows, int64_t cols, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, void* stream) {
    (void)rows; (void)cols; (void)a; (void)lda; (void)b; (void)ldb; (void)c; (void)ldc; (void)stream;
    MP_NO_CUDA("mp_cuda_mul_f32");
}

mp_status mp_cuda_add_row_vector_f32(float* x, int64_t rows, int64_t cols, int64_t ldx, const float* bias, void* stream) {
    (void)x; (void)rows; (void)cols; (void)ldx; (void)bias; (void)stream;
    MP_NO_CUDA("mp_cuda_add_row_vector_f32");
}

mp_status mp_cuda_activation_f32(int32_t act, const float* x, int64_t rows, int64_t cols, int64_t ldx, float* y, int64_t ldy, void* stream) {
    (void)act; (void)x; (void)rows; (void)cols; (void)ldx; (void)y; (void)ldy; (void)stream;
    MP_NO_CUDA("mp_cuda_activation_f32");
}

mp_status mp_cuda_activation_backward_f32(int32_t act, const float* saved, int64_t lds, const float* dy, int64_t lddy, float* dx, int64_t lddx, int64_t rows, int64_t cols, void* stream) {
    (void)act; (void)saved; (void)lds; (void)dy; (void)lddy; (void)dx; (void)lddx; (void)rows; (void)cols; (void)stream;
    MP_NO_CUDA("mp_cuda_activation_backward_f32");
}

mp_status mp_cuda_dropout_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* mask, int64_t ldm, float* y, int64_t ldy, float rate, uint64_t seed, uint64_t stream_id, void* stream) {
    (void)x; (void)rows; (void)cols; (void)ldx; (void)mask; (void)ldm; (void)y; (void)ldy; (void)rate; (void)seed; (void)stream_id; (void)stream;
    MP_NO_CUDA("mp_cuda_dropout_f32");
}

mp_status mp_cuda_relu_dropout_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* factor, int64_t ldf, float* y, int64_t ldy, float rate, uint64_t seed, uint64_t stream_id, void* stream) {
    (void)x; (void)rows; (void)cols; (void)ldx; (void)factor; (void)ldf; (void)y; (void)ldy; (void)rate; (void)seed; (void)stream_id; (void)stream;
    MP_NO_CUDA("mp_cuda_relu_dropout_f32");
}

mp_status mp_cuda_relu_dropout_backward_f32(const float* factor, int64_t ldf, const float* dy, int64_t lddy, float* dx, int64_t lddx, int64_t rows, int64_t cols, void* stream) {
    (void)factor; (void)ldf; (void)dy; (void)lddy; (void)dx; (void)lddx; (void)rows; (void)cols; (void)stream;
    MP_NO_CUDA("mp_cuda_relu_dropout_backward_f32");
}

mp_status mp_cuda_softmax_xent_workspace_size(int64_t rows, int64_t* bytes) {
    (void)rows; (void)bytes;
    MP_NO_CUDA("mp_cuda_softmax_xent_workspace_size");
}

mp_status mp_cuda_softmax_xent_f32(const float* logits, int64_t rows, int64_t classes, int64_t ldl, const int32_t* labels, float* grad, int64_t ldg, float grad_scale, float* stats, void* workspace, int64_t workspace_bytes, void* stream) {
    (void)logits; (void)rows; (void)classes; (void)ldl; (void)labels; (void)grad; (void)ldg; (void)grad_scale; (void)stats; (void)workspace; (void)workspace_bytes; (void)stream;
    MP_NO_CUDA("mp_cuda_softmax_xent_f32");
}

mp_status mp_cuda_argmax_rows_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, int32_t* out, void* stream) {
    (void)x; (void)rows; (void)cols; (void)ldx; (void)out; (void)stream;
    MP_NO_CUDA("mp_cuda_argmax_rows_f32");
}

mp_status mp_cuda_adam_step_f32(float* w, float* g, float* m, float* v, int64_t n, float step_size, float beta1, float beta2, float eps, float grad_scale, float l2, float clip, void* stream) {
    (void)w; (void)g; (void)m; (void)v; (void)n; (void)step_size; (void)beta1; (void)beta2; (void)eps; (void)grad_scale; (void)l2; (void)clip; (void)stream;
    MP_NO_CUDA("mp_cuda_adam_step_f32");
}

mp_status mp_cuda_adagrad_step_f32(float* w, float* g, float* h, int64_t n, float lr, float eps, float grad_scale, float l2, float clip, void* stream) {
    (void)w; (void)g; (void)h; (void)n; (void)lr; (void)eps; (void)grad_scale; (void)l2; (void)clip; (void)stream;
    MP_NO_CUDA("mp_cuda_adagrad_step_f32");
}

mp_status mp_cuda_sgd_step_f32(float* w, float* g, float* velocity, int64_t n, float lr, float momentum, float grad_scale, float l2, float clip, void* stream) {
    (void)w; (void)g; (void)velocity; (void)n; (void)lr; (void)momentum; (void)grad_scale; (void)l2; (void)clip; (void)stream;
    MP_NO_CUDA("mp_cuda_sgd_step_f32");
}

mp_status mp_cuda_reduction_workspace_size(int64_t* bytes) {
    (void)bytes;
    MP_NO_CUDA("mp_cuda_reduction_workspace_size");
}

mp_status mp_cuda_sum_squares_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, double* out, void* workspace, int64_t workspace_bytes, void* stream) {
    (void)x; (void)rows; (void)cols; (void)ldx; (void)out; (void)workspace; (void)workspace_bytes; (void)stream;
    MP_NO_CUDA("mp_cuda_sum_squares_f32");
}

mp_status mp_cuda_count_subnormals_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, int64_t* out, void* workspace, int64_t workspace_bytes, void* stream) {
    (void)x; (void)rows; (void)cols; (void)ldx; (void)out; (void)workspace; (void)workspace_bytes; (void)stream;
    MP_NO_CUDA("mp_cuda_count_subnormals_f32");
}

mp_status mp_cuda_row_sums_f32(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* out, int32_t accumulate, void* stream) {
    (void)x; (void)rows; (void)cols; (void)ldx; (void)out; (void)accumulate; (void)stream;
    MP_NO_CUDA("mp_cuda_row_sums_f32");
}

mp_status mp_cuda_index_add_f32(const int32_t* idx, int64_t count, const float* values, float scale, float* target, int64_t n, void* stream) {
    (void)idx; (void)count; (void)values; (void)scale; (void)target; (void)n; (void)stream;
    MP_NO_CUDA("mp_cuda_index_add_f32");
}

mp_status mp_cuda_zero_selected_f32(float* x, int64_t rows, int64_t n, int64_t ldx, const int32_t* idx, int64_t ldi, int64_t k, void* stream) {
    (void)x; (void)rows; (void)n; (void)ldx; (void)idx; (void)ldi; (void)k; (void)stream;
    MP_NO_CUDA("mp_cuda_zero_selected_f32");
}

mp_status mp_cuda_place_index_cols_i32(const int32_t* src, int64_t rows, int64_t k, int64_t lds, int32_t* dst, int64_t ldd, int32_t offset, void* stream) {
    (void)src; (void)rows; (void)k; (void)lds; (void)dst; (void)ldd; (void)offset; (void)stream;
    MP_NO_CUDA("mp_cuda_place_index_cols_i32");
}

mp_status mp_cuda_iota_i32(int32_t* x, int64_t n, int32_t start, int32_t step, void* stream) {
    (void)x; (void)n; (void)start; (void)step; (void)stream;
    MP_NO_CUDA("mp_cuda_iota_i32");
}

mp_status mp_cuda_lstm_cell_forward_f32(float* gates, int64_t rows, int64_t hidden, int64_t ldg, const float* c_prev, int64_t ldp, float* c, int64_t ldc, float* tanh_c, int64_t ldt, float* h, int64_t ldh, void* stream) {
    (void)gates; (void)rows; (void)hidden; (void)ldg; (void)c_prev; (void)ldp; (void)c; (void)ldc; (void)tanh_c; (void)ldt; (void)h; (void)ldh; (void)stream;
    MP_NO_CUDA("mp_cuda_lstm_cell_forward_f32");
}

mp_status mp_cuda_lstm_cell_backward_f32(const float* gates, int64_t rows, int64_t hidden, int64_t ldg, const float* c_prev, int64_t ldp, const float* tanh_c, int64_t ldt, const float* dh, int64_t lddh, const float* dh_carry, int64_t ldhc, int64_t carried_rows, float* dc, int64_t lddc, float* d_gates, int64_t lddg, void* stream) {
    (void)gates; (void)rows; (void)hidden; (void)ldg; (void)c_prev; (void)ldp; (void)tanh_c; (void)ldt; (void)dh; (void)lddh; (void)dh_carry; (void)ldhc; (void)carried_rows; (void)dc; (void)lddc; (void)d_gates; (void)lddg; (void)stream;
    MP_NO_CUDA("mp_cuda_lstm_cell_backward_f32");
}

mp_status mp_cuda_im2col_f32(const mp_conv_geometry* geometry, int64_t batch, const float* x, int64_t ldx, float* cols, int64_t ldc, void* stream) {
    (void)geometry; (void)batch; (void)x; (void)ldx; (void)cols; (void)ldc; (void)stream;
    MP_NO_CUDA("mp_cuda_im2col_f32");
}

mp_status mp_cuda_col2im_f32(const mp_conv_geometry* geometry, int64_t batch, const float* cols, int64_t ldc, float* x, int64_t ldx, void* stream) {
    (void)geometry; (void)batch; (void)cols; (void)ldc; (void)x; (void)ldx; (void)stream;
    MP_NO_CUDA("mp_cuda_col2im_f32");
}

mp_status mp_cuda_maxpool2x2_f32(const float* x, int64_t batch, int64_t height, int64_t width, int64_t channels, int64_t ldx, float* y, int64_t ldy, void* stream) {
    (void)x; (void)batch; (void)height; (void)width; (void)channels; (void)ldx; (void)y; (void)ldy; (void)stream;
    MP_NO_CUDA("mp_cuda_maxpool2x2_f32");
}

mp_status mp_cuda_maxpool2x2_backward_f32(const float* x, int64_t ldx, const float* y, int64_t ldy, const float* dy, int64_t lddy, int64_t batch, int64_t height, int64_t width, int64_t channels, float* dx, int64_t lddx, void* stream) {
    (void)x; (void)ldx; (void)y; (void)ldy; (void)dy; (void)lddy; (void)batch; (void)height; (void)width; (void)channels; (void)dx; (void)lddx; (void)stream;
    MP_NO_CUDA("mp_cuda_maxpool2x2_backward_f32");
}

mp_status mp_cuda_batchnorm_forward_training_f32(const float* x, int64_t rows, int64_t channels, const float* gamma, const float* beta, float epsilon, float momentum, float* running_mean, float* running_var, float* xhat, float* inv_std, float* y, void* stream) {
    (void)x; (void)rows; (void)channels; (void)gamma; (void)beta; (void)epsilon; (void)momentum; (void)running_mean; (void)running_var; (void)xhat; (void)inv_std; (void)y; (void)stream;
    MP_NO_CUDA("mp_cuda_batchnorm_forward_training_f32");
}

mp_status mp_cuda_batchnorm_forward_inference_f32(const float* x, int64_t rows, int64_t channels, const float* gamma, const float* beta, float epsilon, const float* running_mean, const float* running_var, float* y, void* stream) {
    (void)x; (void)rows; (void)channels; (void)gamma; (void)beta; (void)epsilon; (void)running_mean; (void)running_var; (void)y; (void)stream;
    MP_NO_CUDA("mp_cuda_batchnorm_forward_inference_f32");
}

mp_status mp_cuda_batchnorm_backward_f32(const float* dy, const float* xhat, int64_t rows, int64_t channels, const float* gamma, const float* inv_std, float* dgamma, float* dbeta, int32_t accumulate, float* dx, void* stream) {
    (void)dy; (void)xhat; (void)rows; (void)channels; (void)gamma; (void)inv_std; (void)dgamma; (void)dbeta; (void)accumulate; (void)dx; (void)stream;
    MP_NO_CUDA("mp_cuda_batchnorm_backward_f32");
}

mp_status mp_cuda_topk_abs_per_map_f32(const float* dy, int64_t batch, int64_t positions, int64_t channels, int64_t lddy, int64_t k, float* running, float decay, int32_t* idx, int64_t ldi, float* val, int64_t ldv, float* scores, int32_t* map_idx, int64_t ldm, void* stream) {
    (void)dy; (void)batch; (void)positions; (void)channels; (void)lddy; (void)k; (void)running; (void)decay; (void)idx; (void)ldi; (void)val; (void)ldv; (void)scores; (void)map_idx; (void)ldm; (void)stream;
    MP_NO_CUDA("mp_cuda_topk_abs_per_map_f32");
}

mp_status mp_cuda_conv_sparse_dw_f32(const mp_conv_geometry* geometry, int64_t batch, int64_t channels, int64_t k, const int32_t* idx, int64_t ldi, const float* val, int64_t ldv, const float* x, int64_t ldx, float* dw, int64_t lddw, int32_t accumulate, void* stream) {
    (void)geometry; (void)batch; (void)channels; (void)k; (void)idx; (void)ldi; (void)val; (void)ldv; (void)x; (void)ldx; (void)dw; (void)lddw; (void)accumulate; (void)stream;
    MP_NO_CUDA("mp_cuda_conv_sparse_dw_f32");
}

mp_status mp_cuda_conv_sparse_dx_f32(const mp_conv_geometry* geometry, int64_t batch, int64_t channels, int64_t k, const int32_t* idx, int64_t ldi, const float* val, int64_t ldv, const float* w, int64_t ldw, float* dx, int64_t lddx, void* stream) {
    (void)geometry; (void)batch; (void)channels; (void)k; (void)idx; (void)ldi; (void)val; (void)ldv; (void)w; (void)ldw; (void)dx; (void)lddx; (void)stream;
    MP_NO_CUDA("mp_cuda_conv_sparse_dx_f32");
}
