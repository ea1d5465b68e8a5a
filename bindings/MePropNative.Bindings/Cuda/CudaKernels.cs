namespace MePropNative.Bindings.Cuda;

/// <summary>How <see cref="CudaKernels.SparseBackwardDw"/> accumulates (mp_cuda_dw_algo).</summary>
public enum CudaDwAlgorithm
{
    /// <summary>Counting sort of the pattern by W row, one block per touched row, rows reduced in order of b:
    /// bitwise deterministic; needs <see cref="CudaKernels.SparseBackwardDwWorkspaceSize"/> bytes of workspace.</summary>
    Sorted = 0,
    /// <summary>atomicAdd per (b, t) entry: no workspace, one kernel, last bits vary run to run.</summary>
    Atomic = 1,
}

/// <summary>
/// libmeprop's CUDA kernels (mp_cuda_*) on device variables. Same contracts as <see cref="Kernels"/> (row-major
/// float32, explicit leading dimensions, top-k: largest |x|, ties to the lower index, NaN first, indices ascending).
/// Every method checks the shapes against the variables' lengths (ArgumentException naming the argument), makes
/// the variables' context current, queues the work on <paramref name="stream"/> (null: the legacy default stream)
/// and returns without waiting; a failed launch throws <see cref="MePropNativeException"/> with
/// <see cref="MePropStatus.Cuda"/> and the CUDA error name. Workspace is never allocated here: ask the
/// *WorkspaceSize method and pass a <c>CudaDeviceVariable&lt;byte&gt;</c> of at least that size.
/// </summary>
public static unsafe class CudaKernels
{
    // ---- library facts ----

    /// <summary>(runtime the library was built with, driver of this machine), e.g. (12040, 12080); (0, 0) in a
    /// CPU-only build.</summary>
    public static (int Runtime, int Driver) Versions
    {
        get
        {
            MePropLibrary.EnsureLoaded();
            return NativeMethods.mp_cuda_versions(out int runtime, out int driver) == 0 ? (runtime, driver) : (0, 0);
        }
    }

    /// <summary>True when libmeprop was built with its CUDA kernels (see <see cref="MePropLibrary.BuildInfo"/>).</summary>
    public static bool BuiltWithCuda => MePropLibrary.BuildInfo.Contains("cuda=on", StringComparison.Ordinal);

    // ---- element-wise and reductions ----

    public static void Fill(CudaDeviceVariable<float> x, int rows, int cols, int ldx, float value, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        CudaShapeCheck.Fits(x.Length, rows, cols, ldx, nameof(x));
        IntPtr s = Prepare(x.Context, stream);
        Check(NativeMethods.mp_cuda_fill_f32(x.Pointer, rows, cols, ldx, value, s));
    }

    /// <summary>output[c] = (accumulate ? output[c] : 0) + sum over rows of x[r, c] (db). Deterministic.</summary>
    public static void ColumnSums(CudaDeviceVariable<float> x, int rows, int cols, int ldx, CudaDeviceVariable<float> output,
        bool accumulate = false, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(output);
        CudaShapeCheck.Fits(x.Length, rows, cols, ldx, nameof(x));
        CudaShapeCheck.Length(output.Length, cols, nameof(output));
        IntPtr s = Prepare(x.Context, stream, output.Context);
        Check(NativeMethods.mp_cuda_col_sums_f32(x.Pointer, rows, cols, ldx, output.Pointer, accumulate ? 1 : 0, s));
    }

    /// <summary>output[c] = sum over rows of |x[r, c]|. Deterministic.</summary>
    public static void ColumnAbsSums(CudaDeviceVariable<float> x, int rows, int cols, int ldx, CudaDeviceVariable<float> output,
        CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(output);
        CudaShapeCheck.Fits(x.Length, rows, cols, ldx, nameof(x));
        CudaShapeCheck.Length(output.Length, cols, nameof(output));
        IntPtr s = Prepare(x.Context, stream, output.Context);
        Check(NativeMethods.mp_cuda_col_abs_sums_f32(x.Pointer, rows, cols, ldx, output.Pointer, s));
    }

    // ---- top-k ----

    public static long TopKAbsRowsWorkspaceSize(int rows, int n, int k)
    {
        MePropLibrary.EnsureLoaded();
        Check(NativeMethods.mp_cuda_topk_abs_rows_workspace_size(rows, n, k, out long bytes));
        return bytes;
    }

    /// <summary>Per row of x, the k indices of largest |x| into indices[r*ldi ..]; when <paramref name="values"/> is
    /// given, the same kernel also writes the signed values (the ELL form, fused).</summary>
    public static void TopKAbsRows(CudaDeviceVariable<float> x, int rows, int n, int ldx, int k,
        CudaDeviceVariable<int> indices, int ldi, CudaDeviceVariable<float>? values = null, int ldv = 0,
        CudaDeviceVariable<byte>? workspace = null, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(indices);
        CudaShapeCheck.Fits(x.Length, rows, n, ldx, nameof(x));
        CudaShapeCheck.K(k, n);
        CudaShapeCheck.Fits(indices.Length, rows, k, ldi, nameof(indices));
        if (values is not null) CudaShapeCheck.Fits(values.Length, rows, k, ldv, nameof(values));
        long need = TopKAbsRowsWorkspaceSize(rows, n, k);
        CudaShapeCheck.Workspace(workspace?.Length, need, nameof(TopKAbsRows));
        IntPtr s = Prepare(x.Context, stream, indices.Context, values?.Context, workspace?.Context);
        Check(NativeMethods.mp_cuda_topk_abs_rows_f32(x.Pointer, rows, n, ldx, k, indices.Pointer, ldi,
            values is null ? null : values.Pointer, values is null ? k : ldv,
            workspace is null ? null : workspace.Pointer, workspace?.Length ?? 0, s));
    }

    /// <summary>Workspace of <see cref="TopKAbsUnified"/> when it is not given a columnAbsSums output (n floats).</summary>
    public static long TopKAbsUnifiedWorkspaceSize(int rows, int n, int k)
    {
        MePropLibrary.EnsureLoaded();
        Check(NativeMethods.mp_cuda_topk_abs_unified_workspace_size(rows, n, k, out long bytes));
        return bytes;
    }

    /// <summary>The k columns with the largest sum of |x| over the rows, ascending, into indices[0..k).
    /// The n column sums go to <paramref name="columnAbsSums"/> (then no workspace is needed) or to the workspace.</summary>
    public static void TopKAbsUnified(CudaDeviceVariable<float> x, int rows, int n, int ldx, int k, CudaDeviceVariable<int> indices,
        CudaDeviceVariable<float>? columnAbsSums = null, CudaDeviceVariable<byte>? workspace = null, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(indices);
        CudaShapeCheck.Fits(x.Length, rows, n, ldx, nameof(x));
        CudaShapeCheck.K(k, n);
        CudaShapeCheck.Length(indices.Length, k, nameof(indices));
        if (columnAbsSums is not null) CudaShapeCheck.Length(columnAbsSums.Length, n, nameof(columnAbsSums));
        else CudaShapeCheck.Workspace(workspace?.Length, TopKAbsUnifiedWorkspaceSize(rows, n, k), nameof(TopKAbsUnified));
        IntPtr s = Prepare(x.Context, stream, indices.Context, columnAbsSums?.Context, workspace?.Context);
        Check(NativeMethods.mp_cuda_topk_abs_unified_f32(x.Pointer, rows, n, ldx, k, indices.Pointer,
            columnAbsSums is null ? null : columnAbsSums.Pointer, workspace is null ? null : workspace.Pointer,
            workspace?.Length ?? 0, s));
    }

    // ---- random-k ----

    /// <summary>k distinct random columns per row, ascending; a pure function of (seed, firstRow + r). Not the CPU's
    /// stream (reproducible per seed on any GPU).</summary>
    public static void RandomKRows(int rows, int n, int k, ulong seed, long firstRow, CudaDeviceVariable<int> indices, int ldi,
        CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        CudaShapeCheck.Positive(rows, nameof(rows));
        CudaShapeCheck.K(k, n);
        CudaShapeCheck.Fits(indices.Length, rows, k, ldi, nameof(indices));
        IntPtr s = Prepare(indices.Context, stream);
        Check(NativeMethods.mp_cuda_randk_rows(rows, n, k, seed, firstRow, indices.Pointer, ldi, null, 0, s));
    }

    public static void RandomKUnified(int n, int k, ulong seed, CudaDeviceVariable<int> indices, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        CudaShapeCheck.K(k, n);
        CudaShapeCheck.Length(indices.Length, k, nameof(indices));
        IntPtr s = Prepare(indices.Context, stream);
        Check(NativeMethods.mp_cuda_randk_unified(n, k, seed, indices.Pointer, null, 0, s));
    }

    // ---- MSBP ----

    /// <summary>dy += memory (g = dy + M, in place): what top-k then selects from and what is propagated.</summary>
    public static void MsbpApply(CudaDeviceVariable<float> dy, int rows, int n, int lddy, CudaDeviceVariable<float> memory, int ldm,
        CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(dy);
        ArgumentNullException.ThrowIfNull(memory);
        CudaShapeCheck.Fits(dy.Length, rows, n, lddy, nameof(dy));
        CudaShapeCheck.Fits(memory.Length, rows, n, ldm, nameof(memory));
        IntPtr s = Prepare(dy.Context, stream, memory.Context);
        Check(NativeMethods.mp_cuda_msbp_apply_f32(dy.Pointer, rows, n, lddy, memory.Pointer, ldm, s));
    }

    /// <summary>memory = ratio * (g - kept(g)): ratio * g with the selected entries of each row zeroed. The pattern is
    /// per row (ldi &gt;= k) or, with <paramref name="ldi"/> = 0, indices[0..k) for every row. memory may be g itself.</summary>
    public static void MsbpUpdate(CudaDeviceVariable<float> g, int rows, int n, int ldg, CudaDeviceVariable<int> indices, int ldi,
        int k, float ratio, CudaDeviceVariable<float> memory, int ldm, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(memory);
        CudaShapeCheck.Fits(g.Length, rows, n, ldg, nameof(g));
        CudaShapeCheck.K(k, n);
        if (ldi == 0) CudaShapeCheck.Length(indices.Length, k, nameof(indices));
        else CudaShapeCheck.Fits(indices.Length, rows, k, ldi, nameof(indices));
        CudaShapeCheck.Fits(memory.Length, rows, n, ldm, nameof(memory));
        IntPtr s = Prepare(g.Context, stream, indices.Context, memory.Context);
        Check(NativeMethods.mp_cuda_msbp_update_f32(g.Pointer, rows, n, ldg, indices.Pointer, ldi, k, ratio, memory.Pointer, ldm, s));
    }

    // ---- compaction ----

    /// <summary>dst[r, j] = src[r, indices[j]] (the unified pattern; an out-of-range index yields NaN).</summary>
    public static void GatherColumns(CudaDeviceVariable<float> src, int rows, int cols, int lds, CudaDeviceVariable<int> indices,
        int k, CudaDeviceVariable<float> dst, int ldd, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(dst);
        CudaShapeCheck.Fits(src.Length, rows, cols, lds, nameof(src));
        CudaShapeCheck.Positive(k, nameof(k));
        CudaShapeCheck.Length(indices.Length, k, nameof(indices));
        CudaShapeCheck.Fits(dst.Length, rows, k, ldd, nameof(dst));
        IntPtr s = Prepare(src.Context, stream, indices.Context, dst.Context);
        Check(NativeMethods.mp_cuda_gather_cols_f32(src.Pointer, rows, cols, lds, indices.Pointer, k, dst.Pointer, ldd, s));
    }

    /// <summary>dst[r, j] = src[r, indices[r*ldi + j]] (per-row pattern: the unfused gather of the ELL values).</summary>
    public static void GatherColumnsPerRow(CudaDeviceVariable<float> src, int rows, int cols, int lds, CudaDeviceVariable<int> indices,
        int ldi, int k, CudaDeviceVariable<float> dst, int ldd, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(dst);
        CudaShapeCheck.Fits(src.Length, rows, cols, lds, nameof(src));
        CudaShapeCheck.Positive(k, nameof(k));
        CudaShapeCheck.Fits(indices.Length, rows, k, ldi, nameof(indices));
        CudaShapeCheck.Fits(dst.Length, rows, k, ldd, nameof(dst));
        IntPtr s = Prepare(src.Context, stream, indices.Context, dst.Context);
        Check(NativeMethods.mp_cuda_gather_cols_rows_f32(src.Pointer, rows, cols, lds, indices.Pointer, ldi, k, dst.Pointer, ldd, s));
    }

    /// <summary>dst[j, :] = src[indices[j], :] (e.g. the k rows of W a unified pattern selects).</summary>
    public static void GatherRows(CudaDeviceVariable<float> src, int srcRows, int cols, int lds, CudaDeviceVariable<int> indices,
        int k, CudaDeviceVariable<float> dst, int ldd, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(dst);
        CudaShapeCheck.Fits(src.Length, srcRows, cols, lds, nameof(src));
        CudaShapeCheck.Positive(k, nameof(k));
        CudaShapeCheck.Length(indices.Length, k, nameof(indices));
        CudaShapeCheck.Fits(dst.Length, k, cols, ldd, nameof(dst));
        IntPtr s = Prepare(src.Context, stream, indices.Context, dst.Context);
        Check(NativeMethods.mp_cuda_gather_rows_f32(src.Pointer, srcRows, cols, lds, indices.Pointer, k, dst.Pointer, ldd, s));
    }

    /// <summary>dst[indices[j], :] += alpha * src[j, :] (atomic adds: deterministic when the indices are distinct).</summary>
    public static void ScatterAddRows(CudaDeviceVariable<float> src, int k, int cols, int lds, CudaDeviceVariable<int> indices,
        float alpha, CudaDeviceVariable<float> dst, int dstRows, int ldd, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(dst);
        CudaShapeCheck.Fits(src.Length, k, cols, lds, nameof(src));
        CudaShapeCheck.Length(indices.Length, k, nameof(indices));
        CudaShapeCheck.Fits(dst.Length, dstRows, cols, ldd, nameof(dst));
        IntPtr s = Prepare(src.Context, stream, indices.Context, dst.Context);
        Check(NativeMethods.mp_cuda_scatter_add_rows_f32(src.Pointer, k, cols, lds, indices.Pointer, alpha, dst.Pointer, dstRows, ldd, s));
    }

    /// <summary>Zeroes dst (rows x cols) and writes dst[r, indices[j]] = src[r, j].</summary>
    public static void ScatterColumns(CudaDeviceVariable<float> src, int rows, int k, int lds, CudaDeviceVariable<int> indices,
        CudaDeviceVariable<float> dst, int cols, int ldd, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(dst);
        CudaShapeCheck.Fits(src.Length, rows, k, lds, nameof(src));
        CudaShapeCheck.Length(indices.Length, k, nameof(indices));
        CudaShapeCheck.Fits(dst.Length, rows, cols, ldd, nameof(dst));
        IntPtr s = Prepare(src.Context, stream, indices.Context, dst.Context);
        Check(NativeMethods.mp_cuda_scatter_cols_f32(src.Pointer, rows, k, lds, indices.Pointer, dst.Pointer, cols, ldd, s));
    }

    // ---- sparse backward (ELL pattern: k (index, value) pairs per row of dy) ----

    /// <summary>dx[b, :] = sum_t values[b, t] * W[indices[b, t], :] (overwrites dx, batch x m). Deterministic.</summary>
    public static void SparseBackwardDx(int batch, int n, int m, int k, CudaDeviceVariable<int> indices, int ldi,
        CudaDeviceVariable<float> values, int ldv, CudaDeviceVariable<float> w, int ldw, CudaDeviceVariable<float> dx, int lddx,
        CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(dx);
        CudaShapeCheck.K(k, n);
        CudaShapeCheck.Fits(indices.Length, batch, k, ldi, nameof(indices));
        CudaShapeCheck.Fits(values.Length, batch, k, ldv, nameof(values));
        CudaShapeCheck.Fits(w.Length, n, m, ldw, nameof(w));
        CudaShapeCheck.Fits(dx.Length, batch, m, lddx, nameof(dx));
        IntPtr s = Prepare(w.Context, stream, indices.Context, values.Context, dx.Context);
        Check(NativeMethods.mp_cuda_sparse_backward_dx_f32(batch, n, m, k, indices.Pointer, ldi, values.Pointer, ldv,
            w.Pointer, ldw, dx.Pointer, lddx, s));
    }

    public static long SparseBackwardDwWorkspaceSize(int batch, int n, int k, CudaDwAlgorithm algorithm)
    {
        MePropLibrary.EnsureLoaded();
        Check(NativeMethods.mp_cuda_sparse_backward_dw_workspace_size(batch, n, k, (int)algorithm, out long bytes));
        return bytes;
    }

    /// <summary>dW[indices[b, t], :] += values[b, t] * x[b, :] (accumulates into dW, n x m).</summary>
    public static void SparseBackwardDw(int batch, int n, int m, int k, CudaDeviceVariable<int> indices, int ldi,
        CudaDeviceVariable<float> values, int ldv, CudaDeviceVariable<float> x, int ldx, CudaDeviceVariable<float> dw, int lddw,
        CudaDwAlgorithm algorithm = CudaDwAlgorithm.Sorted, CudaDeviceVariable<byte>? workspace = null, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(dw);
        CudaShapeCheck.K(k, n);
        CudaShapeCheck.Fits(indices.Length, batch, k, ldi, nameof(indices));
        CudaShapeCheck.Fits(values.Length, batch, k, ldv, nameof(values));
        CudaShapeCheck.Fits(x.Length, batch, m, ldx, nameof(x));
        CudaShapeCheck.Fits(dw.Length, n, m, lddw, nameof(dw));
        CudaShapeCheck.Workspace(workspace?.Length, SparseBackwardDwWorkspaceSize(batch, n, k, algorithm), nameof(SparseBackwardDw));
        IntPtr s = Prepare(dw.Context, stream, indices.Context, values.Context, x.Context, workspace?.Context);
        Check(NativeMethods.mp_cuda_sparse_backward_dw_f32(batch, n, m, k, indices.Pointer, ldi, values.Pointer, ldv,
            x.Pointer, ldx, dw.Pointer, lddw, (int)algorithm, workspace is null ? null : workspace.Pointer,
            workspace?.Length ?? 0, s));
    }

    // ---- plumbing ----

    /// <summary>Loads libmeprop, checks every operand lives in the same context as the first, makes that context
    /// current (the CUDA runtime inside libmeprop uses the thread's current context) and returns the stream handle.</summary>
    private static IntPtr Prepare(CudaContext context, CudaStream? stream, params CudaContext?[] others)
    {
        MePropLibrary.EnsureLoaded();
        foreach (CudaContext? other in others)
            if (other is not null && !ReferenceEquals(other, context) && other.DeviceId != context.DeviceId)
                throw new ArgumentException($"operands live on different devices ({context.DeviceId} and {other.DeviceId}).");
        if (stream is not null && stream.Context.DeviceId != context.DeviceId)
            throw new ArgumentException($"the stream belongs to device {stream.Context.DeviceId}, the operands to {context.DeviceId}.");
        context.MakeCurrent();
        return stream?.Handle ?? IntPtr.Zero;
    }

    private static void Check(int status) => MePropNativeException.ThrowIfFailed(status);
}
