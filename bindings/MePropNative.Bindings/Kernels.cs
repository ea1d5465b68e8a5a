namespace MePropNative.Bindings;

/// <summary>
/// The libmeprop kernels over spans. Matrices are row-major float32 with explicit leading dimensions; every
/// method checks that the spans hold the shapes it is given (ArgumentException naming the argument) and turns a
/// native failure into <see cref="MePropNativeException"/>. Contracts are those of native/include/meprop.h.
/// </summary>
public static unsafe class Kernels
{
    // ---- top-k ------------------------------------------------------------------------------------------

    public static long TopKAbsRowsWorkspaceSize(int n, int k)
    {
        MePropLibrary.EnsureLoaded();
        MePropNativeException.ThrowIfFailed(NativeMethods.mp_topk_abs_rows_workspace_size(n, k, out long bytes));
        return bytes;
    }

    /// <summary>Per row of x, the k indices of largest |x| (ascending; ties: lower index; NaN ranks highest),
    /// and their signed values when <paramref name="values"/> is not empty.</summary>
    public static void TopKAbsRows(ReadOnlySpan<float> x, int rows, int n, int ldx, int k,
        Span<int> indices, int ldi, Span<float> values, int ldv, Span<byte> workspace = default)
    {
        ShapeCheck.Matrix(x.Length, rows, n, ldx, nameof(x));
        ShapeCheck.K(k, n);
        ShapeCheck.Matrix(indices.Length, rows, k, ldi, nameof(indices));
        if (!values.IsEmpty) ShapeCheck.Matrix(values.Length, rows, k, ldv, nameof(values));
        long wsBytes = TopKAbsRowsWorkspaceSize(n, k);
        if (workspace.IsEmpty) workspace = Workspace.Get(wsBytes);
        fixed (float* px = x) fixed (int* pi = indices) fixed (float* pv = values) fixed (byte* pw = workspace)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_topk_abs_rows_f32(px, rows, n, ldx, k, pi, ldi,
                values.IsEmpty ? null : pv, values.IsEmpty ? k : ldv, pw, workspace.Length));
    }

    public static long TopKAbsUnifiedWorkspaceSize(int rows, int n, int k)
    {
        MePropLibrary.EnsureLoaded();
        MePropNativeException.ThrowIfFailed(NativeMethods.mp_topk_abs_unified_workspace_size(rows, n, k, out long bytes));
        return bytes;
    }

    /// <summary>The k columns of x with the largest sum of |x| over all rows (ascending), one pattern for the batch.
    /// <paramref name="columnAbsSums"/>, when not empty, receives the n column sums.</summary>
    public static void TopKAbsUnified(ReadOnlySpan<float> x, int rows, int n, int ldx, int k, Span<int> indices,
        Span<float> columnAbsSums = default, Span<byte> workspace = default)
    {
        ShapeCheck.Matrix(x.Length, rows, n, ldx, nameof(x));
        ShapeCheck.K(k, n);
        ShapeCheck.Length(indices.Length, k, nameof(indices));
        if (!columnAbsSums.IsEmpty) ShapeCheck.Length(columnAbsSums.Length, n, nameof(columnAbsSums));
        long wsBytes = TopKAbsUnifiedWorkspaceSize(rows, n, k);
        if (workspace.IsEmpty) workspace = Workspace.Get(wsBytes);
        fixed (float* px = x) fixed (int* pi = indices) fixed (float* ps = columnAbsSums) fixed (byte* pw = workspace)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_topk_abs_unified_f32(px, rows, n, ldx, k, pi,
                columnAbsSums.IsEmpty ? null : ps, pw, workspace.Length));
    }

    public static long TopKAbsPerMapWorkspaceSize(int batch, int positions, int channels, int k)
    {
        MePropLibrary.EnsureLoaded();
        MePropNativeException.ThrowIfFailed(NativeMethods.mp_topk_abs_per_map_workspace_size(batch, positions, channels, k, out long bytes));
        return bytes;
    }

    /// <summary>
    /// meProp-CNN's per-map top-k of a channels-last gradient: <paramref name="dy"/> holds <paramref name="batch"/> rows
    /// (stride <paramref name="lddy"/>) of positions x channels floats, element (p, c) at p * channels + c. For every
    /// map (example n, channel c) the k positions of largest |dy| (ties: lower position; NaN highest), or with
    /// <paramref name="decay"/> &gt; 0 of decay * running[c, p] + (1 - decay) * |dy|; written channel-major:
    /// indices[c * ldi + n * k + t] = n * positions + p (ascending p), values[c * ldv + n * k + t] = dy[n, p, c]. With
    /// decay &gt; 0 <paramref name="running"/> (channels x positions) is then updated to decay * running + (1 - decay) *
    /// mean_n |dy|; with decay 0 it is ignored (may be empty). See mp_topk_abs_per_map_f32 in meprop.h.
    /// </summary>
    public static void TopKAbsPerMap(ReadOnlySpan<float> dy, int batch, int positions, int channels, int lddy, int k,
        Span<float> running, float decay, Span<int> indices, int ldi, Span<float> values, int ldv, Span<byte> workspace = default)
    {
        ShapeCheck.Positive(positions, nameof(positions));
        ShapeCheck.Positive(channels, nameof(channels));
        ShapeCheck.Matrix(dy.Length, batch, (long)positions * channels, lddy, nameof(dy));
        ShapeCheck.K(k, positions, nameof(positions));
        ShapeCheck.Matrix(indices.Length, channels, (long)batch * k, ldi, nameof(indices));
        ShapeCheck.Matrix(values.Length, channels, (long)batch * k, ldv, nameof(values));
        if (!(decay >= 0f && decay < 1f)) throw new ArgumentOutOfRangeException(nameof(decay), decay, $"decay = {decay} must be in [0, 1).");
        if (decay > 0f) ShapeCheck.Length(running.Length, (long)channels * positions, nameof(running));
        long wsBytes = TopKAbsPerMapWorkspaceSize(batch, positions, channels, k);
        if (workspace.IsEmpty) workspace = Workspace.Get(wsBytes);
        fixed (float* pd = dy) fixed (float* pr = running) fixed (int* pi = indices) fixed (float* pv = values) fixed (byte* pw = workspace)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_topk_abs_per_map_f32(pd, batch, positions, channels, lddy, k,
                decay > 0f ? pr : null, decay, pi, ldi, pv, ldv, pw, workspace.Length));
    }

    /// <summary>
    /// Sparse weight gradient of a convolution from the input images (no im2col matrix): for every output channel c,
    /// dW[c, :] = (accumulate ? dW[c, :] : 0) + sum over c's selected entries (in order) of value * the window of
    /// <paramref name="x"/> at the entry's position. The selection is <see cref="TopKAbsPerMap"/>'s channel-major
    /// layout (indices n * P + p, k per example); entries with value 0 are skipped. See mp_conv_sparse_dw_f32.
    /// </summary>
    public static void ConvSparseWeightGradient(in ConvShape geometry, int batch, int channels, int k,
        ReadOnlySpan<int> indices, int ldi, ReadOnlySpan<float> values, int ldv, ReadOnlySpan<float> x, int ldx,
        Span<float> weightGradient, int lddw, bool accumulate)
    {
        CheckConvSelection(geometry, batch, channels, k, indices, ldi, values, ldv);
        ShapeCheck.Matrix(x.Length, batch, geometry.InputSize, ldx, nameof(x));
        ShapeCheck.Matrix(weightGradient.Length, channels, geometry.PatchSize, lddw, nameof(weightGradient));
        var g = geometry;
        fixed (int* pi = indices) fixed (float* pv = values) fixed (float* px = x) fixed (float* pw = weightGradient)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_conv_sparse_dw_f32(&g, batch, channels, k, pi, ldi, pv, ldv,
                px, ldx, pw, lddw, accumulate ? 1 : 0));
    }

    /// <summary>
    /// Sparse input gradient of a convolution (overwrites <paramref name="inputGradient"/>, batch x H W C): every
    /// selected entry adds value * W[c, :] onto its window's input pixels, channels in order. See mp_conv_sparse_dx_f32.
    /// </summary>
    public static void ConvSparseInputGradient(in ConvShape geometry, int batch, int channels, int k,
        ReadOnlySpan<int> indices, int ldi, ReadOnlySpan<float> values, int ldv, ReadOnlySpan<float> weights, int ldw,
        Span<float> inputGradient, int lddx)
    {
        CheckConvSelection(geometry, batch, channels, k, indices, ldi, values, ldv);
        ShapeCheck.Matrix(weights.Length, channels, geometry.PatchSize, ldw, nameof(weights));
        ShapeCheck.Matrix(inputGradient.Length, batch, geometry.InputSize, lddx, nameof(inputGradient));
        var g = geometry;
        fixed (int* pi = indices) fixed (float* pv = values) fixed (float* pw = weights) fixed (float* pd = inputGradient)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_conv_sparse_dx_f32(&g, batch, channels, k, pi, ldi, pv, ldv,
                pw, ldw, pd, lddx));
    }

    private static void CheckConvSelection(in ConvShape g, int batch, int channels, int k, ReadOnlySpan<int> indices, int ldi,
        ReadOnlySpan<float> values, int ldv)
    {
        ShapeCheck.Positive(batch, nameof(batch));
        ShapeCheck.Positive(channels, nameof(channels));
        g.Check("geometry");
        ShapeCheck.K(k, g.Positions, "positions");
        ShapeCheck.Matrix(indices.Length, channels, (long)batch * k, ldi, nameof(indices));
        ShapeCheck.Matrix(values.Length, channels, (long)batch * k, ldv, nameof(values));
    }

    // ---- random-k ---------------------------------------------------------------------------------------

    public static long RandomKWorkspaceSize(int n, int k)
    {
        MePropLibrary.EnsureLoaded();
        MePropNativeException.ThrowIfFailed(NativeMethods.mp_randk_workspace_size(n, k, out long bytes));
        return bytes;
    }

    /// <summary>k distinct random columns per row (ascending); row r's draw depends only on (seed, firstRow + r).</summary>
    public static void RandomKRows(int rows, int n, int k, ulong seed, long firstRow, Span<int> indices, int ldi,
        Span<byte> workspace = default)
    {
        ShapeCheck.K(k, n);
        ShapeCheck.Matrix(indices.Length, rows, k, ldi, nameof(indices));
        long wsBytes = RandomKWorkspaceSize(n, k);
        if (workspace.IsEmpty) workspace = Workspace.Get(wsBytes);
        fixed (int* pi = indices) fixed (byte* pw = workspace)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_randk_rows(rows, n, k, seed, firstRow, pi, ldi, pw, workspace.Length));
    }

    /// <summary>k distinct random columns for the whole batch (ascending), a pure function of seed.</summary>
    public static void RandomKUnified(int n, int k, ulong seed, Span<int> indices, Span<byte> workspace = default)
    {
        ShapeCheck.K(k, n);
        ShapeCheck.Length(indices.Length, k, nameof(indices));
        long wsBytes = RandomKWorkspaceSize(n, k);
        if (workspace.IsEmpty) workspace = Workspace.Get(wsBytes);
        fixed (int* pi = indices) fixed (byte* pw = workspace)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_randk_unified(n, k, seed, pi, pw, workspace.Length));
    }

    // ---- compaction -------------------------------------------------------------------------------------

    /// <summary>dst[r, j] = src[r, indices[j]].</summary>
    public static void GatherColumns(ReadOnlySpan<float> src, int rows, int cols, int lds, ReadOnlySpan<int> indices,
        int k, Span<float> dst, int ldd)
    {
        ShapeCheck.Matrix(src.Length, rows, cols, lds, nameof(src));
        ShapeCheck.Length(indices.Length, k, nameof(indices));
        ShapeCheck.Matrix(dst.Length, rows, k, ldd, nameof(dst));
        fixed (float* ps = src) fixed (int* pi = indices) fixed (float* pd = dst)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_gather_cols_f32(ps, rows, cols, lds, pi, k, pd, ldd));
    }

    /// <summary>Per-row pattern: dst[r, j] = src[r, indices[r * ldi + j]].</summary>
    public static void GatherColumnsPerRow(ReadOnlySpan<float> src, int rows, int cols, int lds,
        ReadOnlySpan<int> indices, int ldi, int k, Span<float> dst, int ldd)
    {
        ShapeCheck.Matrix(src.Length, rows, cols, lds, nameof(src));
        ShapeCheck.Matrix(indices.Length, rows, k, ldi, nameof(indices));
        ShapeCheck.Matrix(dst.Length, rows, k, ldd, nameof(dst));
        fixed (float* ps = src) fixed (int* pi = indices) fixed (float* pd = dst)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_gather_cols_rows_f32(ps, rows, cols, lds, pi, ldi, k, pd, ldd));
    }

    /// <summary>dst[j, :] = src[indices[j], :].</summary>
    public static void GatherRows(ReadOnlySpan<float> src, int srcRows, int cols, int lds, ReadOnlySpan<int> indices,
        int k, Span<float> dst, int ldd)
    {
        ShapeCheck.Matrix(src.Length, srcRows, cols, lds, nameof(src));
        ShapeCheck.Length(indices.Length, k, nameof(indices));
        ShapeCheck.Matrix(dst.Length, k, cols, ldd, nameof(dst));
        fixed (float* ps = src) fixed (int* pi = indices) fixed (float* pd = dst)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_gather_rows_f32(ps, srcRows, cols, lds, pi, k, pd, ldd));
    }

    /// <summary>dst[indices[j], :] += alpha * src[j, :], in order of j.</summary>
    public static void ScatterAddRows(ReadOnlySpan<float> src, int k, int cols, int lds, ReadOnlySpan<int> indices,
        float alpha, Span<float> dst, int dstRows, int ldd)
    {
        ShapeCheck.Matrix(src.Length, k, cols, lds, nameof(src));
        ShapeCheck.Length(indices.Length, k, nameof(indices));
        ShapeCheck.Matrix(dst.Length, dstRows, cols, ldd, nameof(dst));
        fixed (float* ps = src) fixed (int* pi = indices) fixed (float* pd = dst)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_scatter_add_rows_f32(ps, k, cols, lds, pi, alpha, pd, dstRows, ldd));
    }

    /// <summary>Zeroes dst (rows x cols) and writes dst[r, indices[j]] = src[r, j].</summary>
    public static void ScatterColumns(ReadOnlySpan<float> src, int rows, int k, int lds, ReadOnlySpan<int> indices,
        Span<float> dst, int cols, int ldd)
    {
        ShapeCheck.Matrix(src.Length, rows, k, lds, nameof(src));
        ShapeCheck.Length(indices.Length, k, nameof(indices));
        ShapeCheck.Matrix(dst.Length, rows, cols, ldd, nameof(dst));
        fixed (float* ps = src) fixed (int* pi = indices) fixed (float* pd = dst)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_scatter_cols_f32(ps, rows, k, lds, pi, pd, cols, ldd));
    }

    /// <summary>output[c] = (accumulate ? output[c] : 0) + sum over rows of x[r, c].</summary>
    public static void ColumnSums(ReadOnlySpan<float> x, int rows, int cols, int ldx, Span<float> output, bool accumulate)
    {
        ShapeCheck.Matrix(x.Length, rows, cols, ldx, nameof(x));
        ShapeCheck.Length(output.Length, cols, nameof(output));
        fixed (float* px = x) fixed (float* po = output)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_col_sums_f32(px, rows, cols, ldx, po, accumulate ? 1 : 0));
    }

    /// <summary>output[c] = sum over rows of |x[r, c]|.</summary>
    public static void ColumnAbsSums(ReadOnlySpan<float> x, int rows, int cols, int ldx, Span<float> output)
    {
        ShapeCheck.Matrix(x.Length, rows, cols, ldx, nameof(x));
        ShapeCheck.Length(output.Length, cols, nameof(output));
        fixed (float* px = x) fixed (float* po = output)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_col_abs_sums_f32(px, rows, cols, ldx, po));
    }

    // ---- sparse backward of y = x W^T + b (W: n x m, x: batch x m) -----------------------------------------

    /// <summary>dx[b, :] = sum_t values[b, t] * W[indices[b, t], :] (overwrites dx).</summary>
    public static void SparseBackwardDx(int batch, int n, int m, int k, ReadOnlySpan<int> indices, int ldi,
        ReadOnlySpan<float> values, int ldv, ReadOnlySpan<float> w, int ldw, Span<float> dx, int lddx)
    {
        ShapeCheck.K(k, n);
        ShapeCheck.Matrix(indices.Length, batch, k, ldi, nameof(indices));
        ShapeCheck.Matrix(values.Length, batch, k, ldv, nameof(values));
        ShapeCheck.Matrix(w.Length, n, m, ldw, nameof(w));
        ShapeCheck.Matrix(dx.Length, batch, m, lddx, nameof(dx));
        fixed (int* pi = indices) fixed (float* pv = values) fixed (float* pw = w) fixed (float* pd = dx)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_sparse_backward_dx_f32(batch, n, m, k, pi, ldi, pv, ldv, pw, ldw, pd, lddx));
    }

    /// <summary>Bytes of workspace <see cref="SparseBackwardDw"/> needs to group the pairs of a whole batch at once.</summary>
    public static long SparseBackwardDwWorkspaceSize(int batch, int n, int k)
    {
        MePropLibrary.EnsureLoaded();
        MePropNativeException.ThrowIfFailed(NativeMethods.mp_sparse_backward_dw_workspace_size(batch, n, k, out long bytes));
        return bytes;
    }

    /// <summary>dW[indices[b, t], :] += values[b, t] * x[b, :] for every selected (b, t) (accumulates; each dW row is
    /// reduced in order of b). The pairs are grouped by row in <paramref name="workspace"/> (a per-thread buffer when
    /// empty), so every touched dW row is read and written once.</summary>
    public static void SparseBackwardDw(int batch, int n, int m, int k, ReadOnlySpan<int> indices, int ldi,
        ReadOnlySpan<float> values, int ldv, ReadOnlySpan<float> x, int ldx, Span<float> dw, int lddw, Span<byte> workspace = default) =>
        SparseBackward(batch, n, m, k, indices, ldi, values, ldv, default, 0, default, 0, x, ldx, dw, lddw, workspace);

    /// <summary>Both products of one pattern in one call: dx as <see cref="SparseBackwardDx"/> (skipped when
    /// <paramref name="dx"/> is empty; <paramref name="w"/> is then not read) and dW as <see cref="SparseBackwardDw"/>,
    /// with one index check and the column tasks of both sharing the threads. Same results as the two calls.</summary>
    public static void SparseBackward(int batch, int n, int m, int k, ReadOnlySpan<int> indices, int ldi, ReadOnlySpan<float> values, int ldv,
        ReadOnlySpan<float> w, int ldw, Span<float> dx, int lddx, ReadOnlySpan<float> x, int ldx, Span<float> dw, int lddw,
        Span<byte> workspace = default)
    {
        ShapeCheck.K(k, n);
        ShapeCheck.Matrix(indices.Length, batch, k, ldi, nameof(indices));
        ShapeCheck.Matrix(values.Length, batch, k, ldv, nameof(values));
        ShapeCheck.Matrix(x.Length, batch, m, ldx, nameof(x));
        ShapeCheck.Matrix(dw.Length, n, m, lddw, nameof(dw));
        if (!dx.IsEmpty)
        {
            ShapeCheck.Matrix(w.Length, n, m, ldw, nameof(w));
            ShapeCheck.Matrix(dx.Length, batch, m, lddx, nameof(dx));
        }
        if (workspace.IsEmpty) workspace = Workspace.Get(SparseBackwardDwWorkspaceSize(batch, n, k));
        fixed (int* pi = indices) fixed (float* pv = values) fixed (float* pw = w) fixed (float* pdx = dx) fixed (float* px = x)
        fixed (float* pd = dw) fixed (byte* pws = workspace)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_sparse_backward_f32(batch, n, m, k, pi, ldi, pv, ldv,
                dx.IsEmpty ? null : pw, dx.IsEmpty ? m : ldw, dx.IsEmpty ? null : pdx, dx.IsEmpty ? m : lddx, px, ldx, pd, lddw, pws, workspace.Length));
    }

    // ---- optimizer steps (each consumes the gradient: g = 0 afterwards; the transform is applied to g first) ---

    /// <summary>Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= stepSize m / (sqrt(v) + eps). The gradient transform
    /// first: g *= gradScale (if != 1), g += l2 w (if != 0), g = clamp(g, -clip, clip) (if clip > 0).</summary>
    public static void AdamStep(Span<float> w, Span<float> g, Span<float> m, Span<float> v, float stepSize, float beta1,
        float beta2, float eps, float gradScale, float l2, float clip)
    {
        ShapeCheck.ParameterAndGradient(w, g);
        ShapeCheck.OptimizerState(w, g, m, nameof(m));
        ShapeCheck.OptimizerState(w, g, v, nameof(v), m);
        fixed (float* pw = w) fixed (float* pg = g) fixed (float* pm = m) fixed (float* pv = v)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_adam_step_f32(pw, pg, pm, pv, w.Length, stepSize, beta1, beta2, eps,
                gradScale, l2, clip));
    }

    /// <summary>AdaGrad: h += g^2; w -= lr g / sqrt(h + eps), after the gradient transform (see <see cref="AdamStep"/>).</summary>
    public static void AdaGradStep(Span<float> w, Span<float> g, Span<float> h, float lr, float eps, float gradScale, float l2, float clip)
    {
        ShapeCheck.ParameterAndGradient(w, g);
        ShapeCheck.OptimizerState(w, g, h, nameof(h));
        fixed (float* pw = w) fixed (float* pg = g) fixed (float* ph = h)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_adagrad_step_f32(pw, pg, ph, w.Length, lr, eps, gradScale, l2, clip));
    }

    /// <summary>SGD: with an empty <paramref name="velocity"/> w -= lr g; else velocity = momentum velocity + g and
    /// w -= lr velocity; after the gradient transform (see <see cref="AdamStep"/>).</summary>
    public static void SgdStep(Span<float> w, Span<float> g, Span<float> velocity, float lr, float momentum, float gradScale, float l2, float clip)
    {
        ShapeCheck.ParameterAndGradient(w, g);
        if (!velocity.IsEmpty) ShapeCheck.OptimizerState(w, g, velocity, nameof(velocity));
        fixed (float* pw = w) fixed (float* pg = g) fixed (float* pvel = velocity)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_sgd_step_f32(pw, pg, velocity.IsEmpty ? null : pvel, w.Length, lr, momentum,
                gradScale, l2, clip));
    }

    // ---- dense SGEMM --------------------------------------------------------------------------------------

    /// <summary>C (m x n) = alpha * op(A) * op(B) + beta * C; op(A) is m x k, op(B) is k x n. beta = 0 ignores C's contents.</summary>
    public static void Sgemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (transA == Transpose.No) ShapeCheck.Matrix(a.Length, m, k, lda, nameof(a));
        else ShapeCheck.Matrix(a.Length, k, m, lda, nameof(a));
        if (transB == Transpose.No) ShapeCheck.Matrix(b.Length, k, n, ldb, nameof(b));
        else ShapeCheck.Matrix(b.Length, n, k, ldb, nameof(b));
        ShapeCheck.Matrix(c.Length, m, n, ldc, nameof(c));
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_sgemm_f32((int)transA, (int)transB, m, n, k, alpha,
                pa, lda, pb, ldb, beta, pc, ldc));
    }

    /// <summary>Floats that <see cref="SgemmPackB"/> needs for an op(B) of k x n, with the kernels active now.</summary>
    public static long SgemmPackedBSize(int n, int k)
    {
        long floats;
        MePropNativeException.ThrowIfFailed(NativeMethods.mp_sgemm_pack_b_size(n, k, &floats));
        return floats;
    }

    /// <summary>Packs op(B) (k x n) once for many <see cref="SgemmPacked"/> products, e.g. an LSTM's weights over its
    /// time steps. <paramref name="packed"/> must be 64-byte aligned and hold <see cref="SgemmPackedBSize"/> floats.</summary>
    public static void SgemmPackB(Transpose transB, int n, int k, ReadOnlySpan<float> b, int ldb, Span<float> packed)
    {
        if (transB == Transpose.No) ShapeCheck.Matrix(b.Length, k, n, ldb, nameof(b));
        else ShapeCheck.Matrix(b.Length, n, k, ldb, nameof(b));
        fixed (float* pb = b) fixed (float* pp = packed)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_sgemm_pack_b_f32((int)transB, n, k, pb, ldb, pp, packed.Length));
    }

    /// <summary>C (m x n) = alpha * op(A) * op(B) + beta * C from an op(B) packed by <see cref="SgemmPackB"/>: the same
    /// bits as <see cref="Sgemm"/>. Refused (with the reason) when <paramref name="packed"/> was not packed for these
    /// k and n or for the kernels active now.</summary>
    public static void SgemmPacked(Transpose transA, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> packed, float beta, Span<float> c, int ldc)
    {
        if (transA == Transpose.No) ShapeCheck.Matrix(a.Length, m, k, lda, nameof(a));
        else ShapeCheck.Matrix(a.Length, k, m, lda, nameof(a));
        ShapeCheck.Matrix(c.Length, m, n, ldc, nameof(c));
        fixed (float* pa = a) fixed (float* pp = packed) fixed (float* pc = c)
            MePropNativeException.ThrowIfFailed(NativeMethods.mp_sgemm_packed_f32((int)transA, m, n, k, alpha, pa, lda, pp,
                packed.Length, beta, pc, ldc));
    }
}
