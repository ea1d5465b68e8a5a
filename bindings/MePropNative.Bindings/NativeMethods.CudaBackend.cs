using System.Runtime.InteropServices;

namespace MePropNative.Bindings;

/// <summary>The GPU backend's kernels (the second mp_cuda_* section of meprop.h: element-wise, loss, optimizer,
/// bookkeeping, LSTM, the CNN image operations), one-to-one. Pointers are device pointers. Use <see cref="Cuda.CudaLaunch"/> instead.</summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_copy_f32(float* src, long rows, long cols, long lds, float* dst, long ldd, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_scale_f32(float* x, long rows, long cols, long ldx, float alpha, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_axpy_f32(long rows, long cols, float alpha, float* x, long ldx, float* y, long ldy, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_add_f32(long rows, long cols, float* a, long lda, float* b, long ldb, float* c, long ldc, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_mul_f32(long rows, long cols, float* a, long lda, float* b, long ldb, float* c, long ldc, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_add_row_vector_f32(float* x, long rows, long cols, long ldx, float* bias, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_activation_f32(int act, float* x, long rows, long cols, long ldx, float* y, long ldy, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_activation_backward_f32(int act, float* saved, long lds, float* dy, long lddy, float* dx,
        long lddx, long rows, long cols, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_dropout_f32(float* x, long rows, long cols, long ldx, float* mask, long ldm, float* y, long ldy,
        float rate, ulong seed, ulong streamId, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_relu_dropout_f32(float* x, long rows, long cols, long ldx, float* factor, long ldf, float* y,
        long ldy, float rate, ulong seed, ulong streamId, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_relu_dropout_backward_f32(float* factor, long ldf, float* dy, long lddy, float* dx, long lddx,
        long rows, long cols, IntPtr stream);

    [LibraryImport(Lib)] internal static partial int mp_cuda_softmax_xent_workspace_size(long rows, out long bytes);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_softmax_xent_f32(float* logits, long rows, long classes, long ldl, int* labels, float* grad,
        long ldg, float gradScale, float* stats, void* workspace, long workspaceBytes, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_argmax_rows_f32(float* x, long rows, long cols, long ldx, int* output, IntPtr stream);

    [LibraryImport(Lib)]
    internal static partial int mp_cuda_adam_step_f32(float* w, float* g, float* m, float* v, long n, float stepSize, float beta1,
        float beta2, float eps, float gradScale, float l2, float clip, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_adagrad_step_f32(float* w, float* g, float* h, long n, float lr, float eps, float gradScale,
        float l2, float clip, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_sgd_step_f32(float* w, float* g, float* velocity, long n, float lr, float momentum,
        float gradScale, float l2, float clip, IntPtr stream);

    [LibraryImport(Lib)] internal static partial int mp_cuda_reduction_workspace_size(out long bytes);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_sum_squares_f32(float* x, long rows, long cols, long ldx, double* output, void* workspace,
        long workspaceBytes, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_count_subnormals_f32(float* x, long rows, long cols, long ldx, long* output, void* workspace,
        long workspaceBytes, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_row_sums_f32(float* x, long rows, long cols, long ldx, float* output, int accumulate, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_index_add_f32(int* idx, long count, float* values, float scale, float* target, long n, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_zero_selected_f32(float* x, long rows, long n, long ldx, int* idx, long ldi, long k, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_place_index_cols_i32(int* src, long rows, long k, long lds, int* dst, long ldd, int offset,
        IntPtr stream);
    [LibraryImport(Lib)] internal static partial int mp_cuda_iota_i32(int* x, long n, int start, int step, IntPtr stream);

    [LibraryImport(Lib)]
    internal static partial int mp_cuda_lstm_cell_forward_f32(float* gates, long rows, long hidden, long ldg, float* cPrev, long ldp,
        float* c, long ldc, float* tanhC, long ldt, float* h, long ldh, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_lstm_cell_backward_f32(float* gates, long rows, long hidden, long ldg, float* cPrev, long ldp,
        float* tanhC, long ldt, float* dh, long lddh, float* dhCarry, long ldhc, long carriedRows, float* dc, long lddc, float* dGates,
        long lddg, IntPtr stream);

    [LibraryImport(Lib)]
    internal static partial int mp_cuda_im2col_f32(ConvShape* geometry, long batch, float* x, long ldx, float* cols, long ldc, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_col2im_f32(ConvShape* geometry, long batch, float* cols, long ldc, float* x, long ldx, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_maxpool2x2_f32(float* x, long batch, long height, long width, long channels, long ldx, float* y,
        long ldy, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_maxpool2x2_backward_f32(float* x, long ldx, float* y, long ldy, float* dy, long lddy, long batch,
        long height, long width, long channels, float* dx, long lddx, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_batchnorm_forward_training_f32(float* x, long rows, long channels, float* gamma, float* beta,
        float epsilon, float momentum, float* runningMean, float* runningVar, float* xhat, float* invStd, float* y, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_batchnorm_forward_inference_f32(float* x, long rows, long channels, float* gamma, float* beta,
        float epsilon, float* runningMean, float* runningVar, float* y, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_batchnorm_backward_f32(float* dy, float* xhat, long rows, long channels, float* gamma,
        float* invStd, float* dgamma, float* dbeta, int accumulate, float* dx, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_topk_abs_per_map_f32(float* dy, long batch, long positions, long channels, long lddy, long k,
        float* running, float decay, int* idx, long ldi, float* val, long ldv, float* scores, int* mapIdx, long ldm, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_conv_sparse_dw_f32(ConvShape* geometry, long batch, long channels, long k, int* idx, long ldi,
        float* val, long ldv, float* x, long ldx, float* dw, long lddw, int accumulate, IntPtr stream);
    [LibraryImport(Lib)]
    internal static partial int mp_cuda_conv_sparse_dx_f32(ConvShape* geometry, long batch, long channels, long k, int* idx, long ldi,
        float* val, long ldv, float* w, long ldw, float* dx, long lddx, IntPtr stream);
}
