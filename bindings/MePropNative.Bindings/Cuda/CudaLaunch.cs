namespace MePropNative.Bindings.Cuda;

/// <summary>The mp_cuda_* activation functions (meprop.h, mp_activation).</summary>
public enum CudaActivation { Relu = 0, Sigmoid = 1, Tanh = 2, Cube = 3 }

/// <summary>
/// Every libmeprop CUDA launcher at the level of raw device addresses (a <see cref="CudaDeviceVariable{T}"/>'s
/// <see cref="CudaDeviceVariable{T}.DevicePointer"/> or <see cref="CudaDeviceVariable{T}.PointerAt"/>; 0 for an
/// optional NULL): what a backend needs whose tensors are views (an offset and a row stride into a larger
/// allocation), which <see cref="CudaKernels"/>' whole-variable checks cannot express. The caller checks shapes
/// against its own views; libmeprop still checks every size, leading dimension and k on the host and the launch
/// itself. Each call makes the stream's context current (the CUDA runtime inside libmeprop uses the thread's current
/// context), queues on the stream and returns without waiting; a failure throws <see cref="MePropNativeException"/>
/// with the native message. Semantics: see the functions of the same name in meprop.h and <see cref="CudaKernels"/>.
/// </summary>
public static unsafe class CudaLaunch
{
    // ---- workspace queries (bytes) ----

    public static long TopKAbsRowsWorkspaceSize(long rows, long n, long k) =>
        Loaded() ? Query(NativeMethods.mp_cuda_topk_abs_rows_workspace_size(rows, n, k, out long b), b) : 0;
    public static long TopKAbsUnifiedWorkspaceSize(long rows, long n, long k) =>
        Loaded() ? Query(NativeMethods.mp_cuda_topk_abs_unified_workspace_size(rows, n, k, out long b), b) : 0;
    public static long SparseBackwardDwWorkspaceSize(long batch, long n, long k, CudaDwAlgorithm algorithm) =>
        Loaded() ? Query(NativeMethods.mp_cuda_sparse_backward_dw_workspace_size(batch, n, k, (int)algorithm, out long b), b) : 0;
    public static long SoftmaxCrossEntropyWorkspaceSize(long rows) =>
        Loaded() ? Query(NativeMethods.mp_cuda_softmax_xent_workspace_size(rows, out long b), b) : 0;
    public static long ReductionWorkspaceSize() => Loaded() ? Query(NativeMethods.mp_cuda_reduction_workspace_size(out long b), b) : 0;

    // ---- libmeprop's meProp kernels (first CUDA section) ----

    public static void Fill(ulong x, long rows, long cols, long ldx, float value, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_fill_f32(F(x), rows, cols, ldx, value, S(stream)));

    public static void ColumnSums(ulong x, long rows, long cols, long ldx, ulong output, bool accumulate, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_col_sums_f32(F(x), rows, cols, ldx, F(output), accumulate ? 1 : 0, S(stream)));

    public static void ColumnAbsSums(ulong x, long rows, long cols, long ldx, ulong output, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_col_abs_sums_f32(F(x), rows, cols, ldx, F(output), S(stream)));

    public static void TopKAbsRows(ulong x, long rows, long n, long ldx, long k, ulong indices, long ldi, ulong values, long ldv,
        ulong workspace, long workspaceBytes, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_topk_abs_rows_f32(F(x), rows, n, ldx, k, I(indices), ldi, F(values), ldv,
            V(workspace), workspaceBytes, S(stream)));

    public static void TopKAbsUnified(ulong x, long rows, long n, long ldx, long k, ulong indices, ulong columnAbsSums,
        ulong workspace, long workspaceBytes, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_topk_abs_unified_f32(F(x), rows, n, ldx, k, I(indices), F(columnAbsSums),
            V(workspace), workspaceBytes, S(stream)));

    public static void RandomKRows(long rows, long n, long k, ulong seed, long firstRow, ulong indices, long ldi, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_randk_rows(rows, n, k, seed, firstRow, I(indices), ldi, null, 0, S(stream)));

    public static void RandomKUnified(long n, long k, ulong seed, ulong indices, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_randk_unified(n, k, seed, I(indices), null, 0, S(stream)));

    public static void MsbpApply(ulong dy, long rows, long n, long lddy, ulong memory, long ldm, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_msbp_apply_f32(F(dy), rows, n, lddy, F(memory), ldm, S(stream)));

    public static void MsbpUpdate(ulong g, long rows, long n, long ldg, ulong indices, long ldi, long k, float ratio, ulong memory,
        long ldm, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_msbp_update_f32(F(g), rows, n, ldg, I(indices), ldi, k, ratio, F(memory), ldm, S(stream)));

    public static void GatherColumns(ulong src, long rows, long cols, long lds, ulong indices, long k, ulong dst, long ldd,
        CudaStream stream) =>
        Check(NativeMethods.mp_cuda_gather_cols_f32(F(src), rows, cols, lds, I(indices), k, F(dst), ldd, S(stream)));

    public static void GatherColumnsPerRow(ulong src, long rows, long cols, long lds, ulong indices, long ldi, long k, ulong dst,
        long ldd, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_gather_cols_rows_f32(F(src), rows, cols, lds, I(indices), ldi, k, F(dst), ldd, S(stream)));

    public static void GatherRows(ulong src, long srcRows, long cols, long lds, ulong indices, long k, ulong dst, long ldd,
        CudaStream stream) =>
        Check(NativeMethods.mp_cuda_gather_rows_f32(F(src), srcRows, cols, lds, I(indices), k, F(dst), ldd, S(stream)));

    public static void ScatterAddRows(ulong src, long k, long cols, long lds, ulong indices, float alpha, ulong dst, long dstRows,
        long ldd, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_scatter_add_rows_f32(F(src), k, cols, lds, I(indices), alpha, F(dst), dstRows, ldd, S(stream)));

    public static void ScatterColumns(ulong src, long rows, long k, long lds, ulong indices, ulong dst, long cols, long ldd,
        CudaStream stream) =>
        Check(NativeMethods.mp_cuda_scatter_cols_f32(F(src), rows, k, lds, I(indices), F(dst), cols, ldd, S(stream)));

    public static void SparseBackwardDx(long batch, long n, long m, long k, ulong indices, long ldi, ulong values, long ldv, ulong w,
        long ldw, ulong dx, long lddx, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_sparse_backward_dx_f32(batch, n, m, k, I(indices), ldi, F(values), ldv, F(w), ldw,
            F(dx), lddx, S(stream)));

    public static void SparseBackwardDw(long batch, long n, long m, long k, ulong indices, long ldi, ulong values, long ldv, ulong x,
        long ldx, ulong dw, long lddw, CudaDwAlgorithm algorithm, ulong workspace, long workspaceBytes, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_sparse_backward_dw_f32(batch, n, m, k, I(indices), ldi, F(values), ldv, F(x), ldx,
            F(dw), lddw, (int)algorithm, V(workspace), workspaceBytes, S(stream)));

    // ---- the GPU backend's kernels (second CUDA section) ----

    public static void Copy(ulong src, long rows, long cols, long lds, ulong dst, long ldd, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_copy_f32(F(src), rows, cols, lds, F(dst), ldd, S(stream)));

    public static void Scale(ulong x, long rows, long cols, long ldx, float alpha, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_scale_f32(F(x), rows, cols, ldx, alpha, S(stream)));

    public static void Axpy(long rows, long cols, float alpha, ulong x, long ldx, ulong y, long ldy, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_axpy_f32(rows, cols, alpha, F(x), ldx, F(y), ldy, S(stream)));

    public static void Add(long rows, long cols, ulong a, long lda, ulong b, long ldb, ulong c, long ldc, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_add_f32(rows, cols, F(a), lda, F(b), ldb, F(c), ldc, S(stream)));

    public static void Multiply(long rows, long cols, ulong a, long lda, ulong b, long ldb, ulong c, long ldc, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_mul_f32(rows, cols, F(a), lda, F(b), ldb, F(c), ldc, S(stream)));

    public static void AddRowVector(ulong x, long rows, long cols, long ldx, ulong bias, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_add_row_vector_f32(F(x), rows, cols, ldx, F(bias), S(stream)));

    public static void Activation(CudaActivation act, ulong x, long rows, long cols, long ldx, ulong y, long ldy, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_activation_f32((int)act, F(x), rows, cols, ldx, F(y), ldy, S(stream)));

    /// <summary>dx from the forward output (Relu, Sigmoid, Tanh) or the forward input (Cube), and dy.</summary>
    public static void ActivationBackward(CudaActivation act, ulong saved, long lds, ulong dy, long lddy, ulong dx, long lddx,
        long rows, long cols, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_activation_backward_f32((int)act, F(saved), lds, F(dy), lddy, F(dx), lddx, rows, cols, S(stream)));

    /// <summary>Inverted dropout with the CPU backend's counter-based draw (bitwise the same mask).</summary>
    public static void Dropout(ulong x, long rows, long cols, long ldx, ulong mask, long ldm, ulong y, long ldy, float rate, ulong seed,
        ulong streamId, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_dropout_f32(F(x), rows, cols, ldx, F(mask), ldm, F(y), ldy, rate, seed, streamId, S(stream)));

    /// <summary>ReLU then that dropout in one pass: y = x &gt; 0 ? x * mask : 0, factor = x &gt; 0 ? mask : 0.</summary>
    public static void ReluDropout(ulong x, long rows, long cols, long ldx, ulong factor, long ldf, ulong y, long ldy, float rate,
        ulong seed, ulong streamId, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_relu_dropout_f32(F(x), rows, cols, ldx, F(factor), ldf, F(y), ldy, rate, seed, streamId, S(stream)));

    /// <summary>The backward of <see cref="ReluDropout"/>: dx = factor &gt; 0 ? dy * factor : 0.</summary>
    public static void ReluDropoutBackward(ulong factor, long ldf, ulong dy, long lddy, ulong dx, long lddx, long rows, long cols,
        CudaStream stream) =>
        Check(NativeMethods.mp_cuda_relu_dropout_backward_f32(F(factor), ldf, F(dy), lddy, F(dx), lddx, rows, cols, S(stream)));

    public static void SoftmaxCrossEntropy(ulong logits, long rows, long classes, long ldl, ulong labels, ulong gradient, long ldg,
        float gradientScale, ulong stats, ulong workspace, long workspaceBytes, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_softmax_xent_f32(F(logits), rows, classes, ldl, I(labels), F(gradient), ldg,
            gradientScale, F(stats), V(workspace), workspaceBytes, S(stream)));

    public static void ArgmaxRows(ulong x, long rows, long cols, long ldx, ulong output, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_argmax_rows_f32(F(x), rows, cols, ldx, I(output), S(stream)));

    public static void AdamStep(ulong w, ulong g, ulong m, ulong v, long n, float stepSize, float beta1, float beta2, float epsilon,
        float gradientScale, float l2, float clip, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_adam_step_f32(F(w), F(g), F(m), F(v), n, stepSize, beta1, beta2, epsilon,
            gradientScale, l2, clip, S(stream)));

    public static void AdaGradStep(ulong w, ulong g, ulong h, long n, float learningRate, float epsilon, float gradientScale, float l2,
        float clip, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_adagrad_step_f32(F(w), F(g), F(h), n, learningRate, epsilon, gradientScale, l2, clip, S(stream)));

    /// <summary>velocity 0: plain SGD.</summary>
    public static void SgdStep(ulong w, ulong g, ulong velocity, long n, float learningRate, float momentum, float gradientScale,
        float l2, float clip, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_sgd_step_f32(F(w), F(g), F(velocity), n, learningRate, momentum, gradientScale, l2,
            clip, S(stream)));

    /// <summary>*output (a device double) = sum of x^2, deterministic.</summary>
    public static void SumOfSquares(ulong x, long rows, long cols, long ldx, ulong output, ulong workspace, long workspaceBytes,
        CudaStream stream) =>
        Check(NativeMethods.mp_cuda_sum_squares_f32(F(x), rows, cols, ldx, (double*)(nint)output, V(workspace),
            workspaceBytes, S(stream)));

    /// <summary>*output (a device int64) = number of subnormal values in x.</summary>
    public static void CountSubnormals(ulong x, long rows, long cols, long ldx, ulong output, ulong workspace, long workspaceBytes,
        CudaStream stream) =>
        Check(NativeMethods.mp_cuda_count_subnormals_f32(F(x), rows, cols, ldx, (long*)(nint)output, V(workspace),
            workspaceBytes, S(stream)));

    public static void RowSums(ulong x, long rows, long cols, long ldx, ulong output, bool accumulate, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_row_sums_f32(F(x), rows, cols, ldx, F(output), accumulate ? 1 : 0, S(stream)));

    /// <summary>target[indices[i]] += scale * (values == 0 ? 1 : values[i]).</summary>
    public static void IndexAdd(ulong indices, long count, ulong values, float scale, ulong target, long n, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_index_add_f32(I(indices), count, F(values), scale, F(target), n, S(stream)));

    /// <summary>x[r, indices[r*ldi + j]] = 0 (ldi = 0: one pattern for every row).</summary>
    public static void ZeroSelected(ulong x, long rows, long n, long ldx, ulong indices, long ldi, long k, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_zero_selected_f32(F(x), rows, n, ldx, I(indices), ldi, k, S(stream)));

    public static void PlaceIndexColumns(ulong src, long rows, long k, long lds, ulong dst, long ldd, int offset, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_place_index_cols_i32(I(src), rows, k, lds, I(dst), ldd, offset, S(stream)));

    public static void Iota(ulong x, long n, int start, int step, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_iota_i32(I(x), n, start, step, S(stream)));

    public static void LstmCellForward(ulong gates, long rows, long hidden, long ldg, ulong cPrev, long ldp, ulong c, long ldc,
        ulong tanhC, long ldt, ulong h, long ldh, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_lstm_cell_forward_f32(F(gates), rows, hidden, ldg, F(cPrev), ldp, F(c), ldc, F(tanhC),
            ldt, F(h), ldh, S(stream)));

    public static void LstmCellBackward(ulong gates, long rows, long hidden, long ldg, ulong cPrev, long ldp, ulong tanhC, long ldt,
        ulong dh, long lddh, ulong dhCarry, long ldhc, long carriedRows, ulong dc, long lddc, ulong dGates, long lddg, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_lstm_cell_backward_f32(F(gates), rows, hidden, ldg, F(cPrev), ldp, F(tanhC), ldt, F(dh),
            lddh, F(dhCarry), ldhc, carriedRows, F(dc), lddc, F(dGates), lddg, S(stream)));

    // ---- the CNN image operations (meProp-CNN) ----

    public static void Im2Col(in ConvShape geometry, long batch, ulong x, long ldx, ulong columns, long ldc, CudaStream stream)
    {
        geometry.Check(nameof(geometry));
        var g = geometry;
        Check(NativeMethods.mp_cuda_im2col_f32(&g, batch, F(x), ldx, F(columns), ldc, S(stream)));
    }

    /// <summary>The adjoint of <see cref="Im2Col"/> (overwrites x), a deterministic gather.</summary>
    public static void Col2Im(in ConvShape geometry, long batch, ulong columns, long ldc, ulong x, long ldx, CudaStream stream)
    {
        geometry.Check(nameof(geometry));
        var g = geometry;
        Check(NativeMethods.mp_cuda_col2im_f32(&g, batch, F(columns), ldc, F(x), ldx, S(stream)));
    }

    public static void MaxPool2x2(ulong x, long batch, long height, long width, long channels, long ldx, ulong y, long ldy,
        CudaStream stream) =>
        Check(NativeMethods.mp_cuda_maxpool2x2_f32(F(x), batch, height, width, channels, ldx, F(y), ldy, S(stream)));

    public static void MaxPool2x2Backward(ulong x, long ldx, ulong y, long ldy, ulong dy, long lddy, long batch, long height, long width,
        long channels, ulong dx, long lddx, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_maxpool2x2_backward_f32(F(x), ldx, F(y), ldy, F(dy), lddy, batch, height, width, channels, F(dx),
            lddx, S(stream)));

    /// <summary>Batch norm over the rows of contiguous rows x channels matrices; per-channel tensors hold channels floats.</summary>
    public static void BatchNormForwardTraining(ulong x, long rows, long channels, ulong gamma, ulong beta, float epsilon, float momentum,
        ulong runningMean, ulong runningVariance, ulong xhat, ulong invStd, ulong y, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_batchnorm_forward_training_f32(F(x), rows, channels, F(gamma), F(beta), epsilon, momentum,
            F(runningMean), F(runningVariance), F(xhat), F(invStd), F(y), S(stream)));

    public static void BatchNormForwardInference(ulong x, long rows, long channels, ulong gamma, ulong beta, float epsilon,
        ulong runningMean, ulong runningVariance, ulong y, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_batchnorm_forward_inference_f32(F(x), rows, channels, F(gamma), F(beta), epsilon, F(runningMean),
            F(runningVariance), F(y), S(stream)));

    public static void BatchNormBackward(ulong dy, ulong xhat, long rows, long channels, ulong gamma, ulong invStd, ulong dgamma,
        ulong dbeta, bool accumulate, ulong dx, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_batchnorm_backward_f32(F(dy), F(xhat), rows, channels, F(gamma), F(invStd), F(dgamma), F(dbeta),
            accumulate ? 1 : 0, F(dx), S(stream)));

    /// <summary>Per-map top-k (running 0: no decay); scores ((batch * channels) x positions, contiguous) and mapIndices
    /// ((batch * channels) x k, leading dimension ldm) are device workspace.</summary>
    public static void TopKAbsPerMap(ulong dy, long batch, long positions, long channels, long lddy, long k, ulong running, float decay,
        ulong indices, long ldi, ulong values, long ldv, ulong scores, ulong mapIndices, long ldm, CudaStream stream) =>
        Check(NativeMethods.mp_cuda_topk_abs_per_map_f32(F(dy), batch, positions, channels, lddy, k, F(running), decay, I(indices), ldi,
            F(values), ldv, F(scores), I(mapIndices), ldm, S(stream)));

    /// <summary>Sparse conv dW from the input images (deterministic).</summary>
    public static void ConvSparseWeightGradient(in ConvShape geometry, long batch, long channels, long k, ulong indices, long ldi,
        ulong values, long ldv, ulong x, long ldx, ulong dw, long lddw, bool accumulate, CudaStream stream)
    {
        geometry.Check(nameof(geometry));
        var g = geometry;
        Check(NativeMethods.mp_cuda_conv_sparse_dw_f32(&g, batch, channels, k, I(indices), ldi, F(values), ldv, F(x), ldx, F(dw), lddw,
            accumulate ? 1 : 0, S(stream)));
    }

    /// <summary>Sparse conv dx (overwrites dx; atomic adds, so the order of additions is not fixed).</summary>
    public static void ConvSparseInputGradient(in ConvShape geometry, long batch, long channels, long k, ulong indices, long ldi,
        ulong values, long ldv, ulong w, long ldw, ulong dx, long lddx, CudaStream stream)
    {
        geometry.Check(nameof(geometry));
        var g = geometry;
        Check(NativeMethods.mp_cuda_conv_sparse_dx_f32(&g, batch, channels, k, I(indices), ldi, F(values), ldv, F(w), ldw, F(dx), lddx,
            S(stream)));
    }

    // ---- plumbing ----

    private static float* F(ulong p) => (float*)(nint)p;
    private static int* I(ulong p) => (int*)(nint)p;
    private static void* V(ulong p) => (void*)(nint)p;

    /// <summary>The stream's handle, with libmeprop loaded and the stream's context current on this thread. Evaluated as
    /// the last argument of each launch, i.e. right before the call.</summary>
    private static IntPtr S(CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        MePropLibrary.EnsureLoaded();
        stream.Context.MakeCurrent();
        return stream.Handle;
    }

    private static void Check(int status) => MePropNativeException.ThrowIfFailed(status);

    private static long Query(int status, long bytes)
    {
        MePropNativeException.ThrowIfFailed(status);
        return bytes;
    }

    private static bool Loaded()
    {
        MePropLibrary.EnsureLoaded();
        return true;
    }
}
