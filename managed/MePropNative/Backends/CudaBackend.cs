using System.Diagnostics;
using MePropNative.Bindings;
using MePropNative.Bindings.Cuda;
using MePropNative.Tensors;

namespace MePropNative.Backends;

/// <summary>
/// The CUDA backend: the same operations as <see cref="CpuBackend"/> on device memory, all queued on one stream.
/// Dense GEMMs are cuBLAS (FP32, no TF32); top-k, random-k, gathers/scatters, sparse backward and column sums are
/// libmeprop's mp_cuda_* kernels; the element-wise work, loss, optimizer steps and bookkeeping are libmeprop's GPU
/// backend kernels (native/src/cuda/elementwise.cu, loss.cu, optimizer.cu, bookkeeping.cu, lstm.cu). The per-example
/// sparse backward runs as <see cref="SparseAlgorithm"/> says: libmeprop's ELL kernels (sorted or atomic dW) or
/// cuSPARSE SpMM on the pattern as CSR.
///
/// Operations return as soon as the work is queued; only those that return a host value (<see cref="Download(Tensor,
/// Span{float})"/>, <see cref="SumOfSquares"/>, <see cref="CountSubnormals"/>) and <see cref="Synchronize"/> wait.
/// Numerics agree with the CPU backend to rounding (cuBLAS and nvcc's FMA contraction sum in another order); the
/// dropout mask is bitwise the CPU's (same counter-based draw); random-k is libmeprop's GPU draw, reproducible but
/// not the CPU's sequence. Views (row and column slices) are device addresses with a leading dimension, as on the CPU.
/// </summary>
public sealed partial class CudaBackend : IBackend, ISparseBackwardAlgorithms, ITimedBackend
{
    private readonly CudaBlas blas;
    private CudaSparse? sparse;
    private CudaDeviceVariable<byte>? workspace;
    private readonly CudaDeviceVariable<byte> scalars; // 16 bytes: a double and an int64 read back by the host
    private readonly KernelClock clock;

    /// <summary>Opens device <paramref name="device"/> (its primary context), a stream, cuBLAS. Throws
    /// <see cref="InvalidOperationException"/> with the reason when CUDA cannot be used (see <see cref="IsAvailable"/>).</summary>
    public CudaBackend(int device = 0)
    {
        if (!IsAvailable(device, out string reason)) throw new InvalidOperationException("no CUDA device: " + reason);
        MePropLibrary.EnsureLoaded();
        Context = new CudaContext(device);
        Stream = new CudaStream(Context);
        blas = new CudaBlas(Context, Stream) { MathMode = BlasMathMode.Default };
        scalars = new CudaDeviceVariable<byte>(Context, 16);
        clock = new KernelClock(this);
        Device = device;
        Name = $"cuda:{device}";
        Description = $"cuda:{device} ({Context.DeviceName}, sm_{Context.ComputeCapability.Major}{Context.ComputeCapability.Minor}, " +
                      $"{Context.TotalMemoryBytes >> 20} MiB)";
    }

    /// <summary>True when device <paramref name="device"/> can run this backend: a driver with that device, and a
    /// libmeprop built with its CUDA kernels whose runtime sees the device. Otherwise false and why. Never throws.</summary>
    public static bool IsAvailable(int device, out string reason)
    {
        try
        {
            if (!CudaContext.IsAvailable(out reason)) return false;
            int count = CudaContext.DeviceCount;
            if (device < 0 || device >= count)
            {
                reason = $"device {device} does not exist ({count} visible to the driver).";
                return false;
            }
            if (!CudaKernels.BuiltWithCuda)
            {
                reason = $"libmeprop was built without its CUDA kernels ({MePropLibrary.BuildInfo}); build it with ./build.sh --cuda.";
                return false;
            }
            if (MePropLibrary.CudaDeviceCount <= device)
            {
                reason = $"libmeprop's CUDA runtime sees {MePropLibrary.CudaDeviceCount} device(s) (driver too old for its runtime?).";
                return false;
            }
            reason = "";
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            reason = $"CUDA probe failed: {e.GetType().Name}: {e.Message}";
            return false;
        }
    }

    public string Name { get; }

    /// <summary>"cuda:0 (NVIDIA H100 80GB HBM3, sm_90, 81079 MiB)".</summary>
    public string Description { get; }
    public int Device { get; }
    public BackendCounters Counters { get; } = new();
    public CudaContext Context { get; }
    public CudaStream Stream { get; }
    public bool IsDisposed { get; private set; }

    /// <summary>Time the GEMMs and sparse kernels with events (<see cref="BackendCounters"/>); on by default.</summary>
    public bool TimeKernels { get; set; } = true;

    public IReadOnlyList<SparseBackwardAlgorithm> SupportedSparseAlgorithms { get; } =
        [SparseBackwardAlgorithm.EllSorted, SparseBackwardAlgorithm.EllAtomic, SparseBackwardAlgorithm.CuSparse];

    public SparseBackwardAlgorithm SparseAlgorithm { get; set; } = SparseBackwardAlgorithm.EllSorted;

    public IOperationTimer CreateTimer() => new CudaEventTimer(this);

    public void Dispose()
    {
        if (IsDisposed) return;
        try { Stream.Synchronize(); } catch (CudaException) { /* a faulted context: free what we can */ }
        IsDisposed = true;
        clock.Dispose();
        sparse?.Dispose();
        workspace?.Dispose();
        scalars.Dispose();
        DisposeSparseState();
        blas.Dispose();
        Stream.Dispose();
        Context.Dispose();
    }

    // ---- memory -------------------------------------------------------------------------------------------------------

    public DeviceBuffer AllocateBuffer(long length) => new CudaBuffer<float>(this, length);
    public DeviceBuffer AllocateIndexBuffer(long length) => new CudaBuffer<int>(this, length);

    public void Upload(ReadOnlySpan<float> source, Tensor destination)
    {
        CheckLength(source.Length, destination.Length, nameof(source));
        var v = FloatBuffer(destination).Variable;
        if (destination.IsContiguous) { v.CopyToDeviceAsync(source, Stream, destination.Offset); return; }
        for (int r = 0; r < destination.Rows; r++)
            v.CopyToDeviceAsync(source.Slice(r * destination.Cols, destination.Cols), Stream, destination.Offset + (long)r * destination.Stride);
    }

    public void Download(Tensor source, Span<float> destination)
    {
        CheckLength(destination.Length, source.Length, nameof(destination));
        var v = FloatBuffer(source).Variable;
        if (source.IsContiguous) v.CopyToHostAsync(destination, Stream, source.Offset);
        else
            for (int r = 0; r < source.Rows; r++)
                v.CopyToHostAsync(destination.Slice(r * source.Cols, source.Cols), Stream, source.Offset + (long)r * source.Stride);
        Synchronize();
    }

    public void Upload(ReadOnlySpan<int> source, IndexTensor destination)
    {
        CheckLength(source.Length, destination.Length, nameof(source));
        IntBuffer(destination).Variable.CopyToDeviceAsync(source, Stream, destination.Offset);
    }

    public void Download(IndexTensor source, Span<int> destination)
    {
        CheckLength(destination.Length, source.Length, nameof(destination));
        IntBuffer(source).Variable.CopyToHostAsync(destination, Stream, source.Offset);
        Synchronize();
    }

    public void Synchronize()
    {
        Stream.Synchronize();
        clock.Harvest();
    }

    // ---- element-wise -----------------------------------------------------------------------------------------------------

    public void Fill(Tensor x, float value)
    {
        if (Empty(x)) return;
        var (rows, cols, ld) = Layout(x);
        CudaLaunch.Fill(P(x), rows, cols, ld, value, Stream);
    }

    public void Copy(Tensor source, Tensor destination)
    {
        SameShape(source, destination);
        if (Empty(source)) return;
        var (rows, cols, lds, ldd) = Layout(source, destination);
        CudaLaunch.Copy(P(source), rows, cols, lds, P(destination), ldd, Stream);
    }

    public void Scale(Tensor x, float alpha)
    {
        if (Empty(x)) return;
        var (rows, cols, ld) = Layout(x);
        CudaLaunch.Scale(P(x), rows, cols, ld, alpha, Stream);
    }

    public void Axpy(float alpha, Tensor x, Tensor y)
    {
        SameShape(x, y);
        if (Empty(x)) return;
        var (rows, cols, ldx, ldy) = Layout(x, y);
        CudaLaunch.Axpy(rows, cols, alpha, P(x), ldx, P(y), ldy, Stream);
    }

    public void Add(Tensor a, Tensor b, Tensor c)
    {
        SameShape(a, b); SameShape(a, c);
        if (Empty(a)) return;
        var (rows, cols, lda, ldb, ldc) = Layout(a, b, c);
        CudaLaunch.Add(rows, cols, P(a), lda, P(b), ldb, P(c), ldc, Stream);
    }

    public void Multiply(Tensor a, Tensor b, Tensor c)
    {
        SameShape(a, b); SameShape(a, c);
        if (Empty(a)) return;
        var (rows, cols, lda, ldb, ldc) = Layout(a, b, c);
        CudaLaunch.Multiply(rows, cols, P(a), lda, P(b), ldb, P(c), ldc, Stream);
    }

    public double SumOfSquares(Tensor x)
    {
        if (Empty(x)) return 0;
        var (rows, cols, ld) = Layout(x);
        long bytes = CudaLaunch.ReductionWorkspaceSize();
        CudaLaunch.SumOfSquares(P(x), rows, cols, ld, scalars.DevicePointer, Workspace(bytes), bytes, Stream);
        Span<double> result = stackalloc double[2];
        ReadScalars(result);
        return result[0];
    }

    public long CountSubnormals(Tensor x)
    {
        if (Empty(x)) return 0;
        var (rows, cols, ld) = Layout(x);
        long bytes = CudaLaunch.ReductionWorkspaceSize();
        CudaLaunch.CountSubnormals(P(x), rows, cols, ld, scalars.DevicePointer + 8, Workspace(bytes), bytes, Stream);
        Span<double> result = stackalloc double[2];
        ReadScalars(result);
        return BitConverter.DoubleToInt64Bits(result[1]);
    }

    // ---- dense linear algebra ---------------------------------------------------------------------------------------------

    public void Gemm(bool transposeA, bool transposeB, float alpha, Tensor a, Tensor b, float beta, Tensor c)
    {
        var (m, n, k) = GemmShape.Of(transposeA, transposeB, a, b, c);
        Own(a); Own(b); Own(c);
        if (m == 0 || n == 0) return;
        if (k == 0) { if (beta == 0) Fill(c, 0); else Scale(c, beta); return; }
        var g = ColumnMajorGemm.FromRowMajor(transposeA, transposeB, m, n, k, a.Stride, b.Stride, c.Stride);
        int mark = clock.Start();
        blas.Sgemm(g.OpFirst, g.OpSecond, g.M, g.N, g.K, alpha, P(b), g.LdFirst, P(a), g.LdSecond, beta, P(c), g.Ldc);
        clock.Stop(mark, KernelClock.Kind.Gemm);
    }

    public void AddRowVector(Tensor x, Tensor bias)
    {
        if (bias.Length != x.Cols) throw new ArgumentException($"bias has {bias.Length} elements, rows have {x.Cols}.");
        if (!bias.IsContiguous) throw new ArgumentException("bias must be contiguous.");
        if (Empty(x)) return;
        CudaLaunch.AddRowVector(P(x), x.Rows, x.Cols, x.Stride, P(bias), Stream);
    }

    public void ColumnSums(Tensor x, Tensor output, bool accumulate)
    {
        if (output.Length != x.Cols) throw new ArgumentException($"output has {output.Length} elements, x has {x.Cols} columns.");
        if (!output.IsContiguous) throw new ArgumentException("output must be contiguous.");
        if (x.Cols == 0) return;
        if (x.Rows == 0) { if (!accumulate) Fill(output, 0); return; }
        CudaLaunch.ColumnSums(P(x), x.Rows, x.Cols, x.Stride, P(output), accumulate, Stream);
    }

    // ---- activations ------------------------------------------------------------------------------------------------------

    public void Relu(Tensor x, Tensor y) => Activation(CudaActivation.Relu, x, y);
    public void ReluBackward(Tensor y, Tensor dy, Tensor dx) => ActivationBackward(CudaActivation.Relu, y, dy, dx);
    public void Sigmoid(Tensor x, Tensor y) => Activation(CudaActivation.Sigmoid, x, y);
    public void SigmoidBackward(Tensor y, Tensor dy, Tensor dx) => ActivationBackward(CudaActivation.Sigmoid, y, dy, dx);
    public void Tanh(Tensor x, Tensor y) => Activation(CudaActivation.Tanh, x, y);
    public void TanhBackward(Tensor y, Tensor dy, Tensor dx) => ActivationBackward(CudaActivation.Tanh, y, dy, dx);

    private void Activation(CudaActivation act, Tensor x, Tensor y)
    {
        SameShape(x, y);
        if (Empty(x)) return;
        var (rows, cols, ldx, ldy) = Layout(x, y);
        CudaLaunch.Activation(act, P(x), rows, cols, ldx, P(y), ldy, Stream);
    }

    private void ActivationBackward(CudaActivation act, Tensor saved, Tensor dy, Tensor dx)
    {
        SameShape(saved, dy); SameShape(saved, dx);
        if (Empty(saved)) return;
        var (rows, cols, lds, lddy, lddx) = Layout(saved, dy, dx);
        CudaLaunch.ActivationBackward(act, P(saved), lds, P(dy), lddy, P(dx), lddx, rows, cols, Stream);
    }

    public void DropoutForward(Tensor x, Tensor mask, Tensor y, float rate, ulong seed, ulong stream)
    {
        SameShape(x, mask); SameShape(x, y);
        CounterRandom.CheckDropoutRate(rate);
        if (Empty(x)) return;
        // The draw of element (r, c) is indexed r * cols + c (the logical position), whatever the strides.
        CudaLaunch.Dropout(P(x), x.Rows, x.Cols, x.Stride, P(mask), mask.Stride, P(y), y.Stride, rate, seed, stream, Stream);
    }

    public void ReluDropoutForward(Tensor x, Tensor factor, Tensor y, float rate, ulong seed, ulong stream)
    {
        SameShape(x, factor); SameShape(x, y);
        if (factor.Overlaps(x)) throw new ArgumentException("ReLU + dropout: factor must not share elements with x.", nameof(factor));
        CounterRandom.CheckDropoutRate(rate);
        if (Empty(x)) return;
        CudaLaunch.ReluDropout(P(x), x.Rows, x.Cols, x.Stride, P(factor), factor.Stride, P(y), y.Stride, rate, seed, stream, Stream);
    }

    public void ReluDropoutBackward(Tensor factor, Tensor dy, Tensor dx)
    {
        SameShape(factor, dy); SameShape(factor, dx);
        if (Empty(factor)) return;
        CudaLaunch.ReluDropoutBackward(P(factor), factor.Stride, P(dy), dy.Stride, P(dx), dx.Stride, factor.Rows, factor.Cols, Stream);
    }

    // ---- loss -----------------------------------------------------------------------------------------------------------------

    public void SoftmaxCrossEntropy(Tensor logits, IndexTensor labels, Tensor? gradient, float gradientScale, Tensor stats)
    {
        if (labels.Length != logits.Rows) throw new ArgumentException($"{labels.Length} labels for {logits.Rows} rows.");
        if (gradient is not null) SameShape(logits, gradient);
        if (stats.Length < 2 || !stats.IsContiguous) throw new ArgumentException("stats needs two contiguous elements (loss sum, correct count).");
        if (logits.Rows == 0) return;
        long bytes = CudaLaunch.SoftmaxCrossEntropyWorkspaceSize(logits.Rows);
        CudaLaunch.SoftmaxCrossEntropy(P(logits), logits.Rows, logits.Cols, logits.Stride, P(labels),
            gradient is null ? 0 : P(gradient), gradient?.Stride ?? logits.Cols, gradientScale, P(stats), Workspace(bytes), bytes, Stream);
    }

    public void ArgmaxRows(Tensor x, IndexTensor output)
    {
        if (output.Length != x.Rows) throw new ArgumentException($"output has {output.Length} elements for {x.Rows} rows.");
        if (Empty(x)) return;
        CudaLaunch.ArgmaxRows(P(x), x.Rows, x.Cols, x.Stride, P(output), Stream);
    }

    // ---- meProp selection -----------------------------------------------------------------------------------------------------

    public void TopKAbsRows(Tensor x, int k, IndexTensor indices, Tensor? values)
    {
        SelectionCheck.K(k, x.Cols);
        if (indices.Rows != x.Rows || indices.Cols != k) throw new ArgumentException($"indices must be {x.Rows} x {k}, not {indices.Rows} x {indices.Cols}.");
        if (values is not null && (values.Rows != x.Rows || values.Cols != k)) throw new ArgumentException($"values must be {x.Rows} x {k}.");
        if (x.Rows == 0) return;
        long bytes = CudaLaunch.TopKAbsRowsWorkspaceSize(x.Rows, x.Cols, k);
        int mark = clock.Start();
        CudaLaunch.TopKAbsRows(P(x), x.Rows, x.Cols, x.Stride, k, P(indices), k, values is null ? 0 : P(values), values?.Stride ?? k,
            Workspace(bytes), bytes, Stream);
        clock.Stop(mark, KernelClock.Kind.Selection);
    }

    public void TopKAbsUnified(Tensor x, int k, IndexTensor indices)
    {
        SelectionCheck.K(k, x.Cols);
        if (indices.Length != k) throw new ArgumentException($"indices must hold {k} elements, not {indices.Length}.");
        if (x.Rows == 0) throw new ArgumentException("unified top-k of an empty batch.");
        long bytes = CudaLaunch.TopKAbsUnifiedWorkspaceSize(x.Rows, x.Cols, k);
        int mark = clock.Start();
        CudaLaunch.TopKAbsUnified(P(x), x.Rows, x.Cols, x.Stride, k, P(indices), 0, Workspace(bytes), bytes, Stream);
        clock.Stop(mark, KernelClock.Kind.Selection);
    }

    public void RandomKRows(int n, int k, ulong seed, long firstRow, IndexTensor indices)
    {
        SelectionCheck.K(k, n);
        if (indices.Cols != k) throw new ArgumentException($"indices must have {k} columns, not {indices.Cols}.");
        if (indices.Rows == 0) return;
        int mark = clock.Start();
        CudaLaunch.RandomKRows(indices.Rows, n, k, seed, firstRow, P(indices), k, Stream);
        clock.Stop(mark, KernelClock.Kind.Selection);
    }

    public void RandomKUnified(int n, int k, ulong seed, IndexTensor indices)
    {
        SelectionCheck.K(k, n);
        if (indices.Length != k) throw new ArgumentException($"indices must hold {k} elements, not {indices.Length}.");
        int mark = clock.Start();
        CudaLaunch.RandomKUnified(n, k, seed, P(indices), Stream);
        clock.Stop(mark, KernelClock.Kind.Selection);
    }

    // ---- compaction -------------------------------------------------------------------------------------------------------------

    public void GatherColumns(Tensor source, IndexTensor indices, Tensor destination)
    {
        int k = (int)indices.Length;
        if (destination.Rows != source.Rows || destination.Cols != k) throw new ArgumentException($"destination must be {source.Rows} x {k}.");
        if (source.Rows == 0 || k == 0) return;
        CudaLaunch.GatherColumns(P(source), source.Rows, source.Cols, source.Stride, P(indices), k, P(destination), destination.Stride, Stream);
    }

    public void GatherColumnsPerRow(Tensor source, IndexTensor indices, Tensor destination)
    {
        if (indices.Rows != source.Rows || destination.Rows != source.Rows || destination.Cols != indices.Cols)
            throw new ArgumentException($"indices and destination must be {source.Rows} x k.");
        if (source.Rows == 0 || indices.Cols == 0) return;
        CudaLaunch.GatherColumnsPerRow(P(source), source.Rows, source.Cols, source.Stride, P(indices), indices.Cols, indices.Cols,
            P(destination), destination.Stride, Stream);
    }

    public void GatherRows(Tensor source, IndexTensor indices, Tensor destination)
    {
        int k = (int)indices.Length;
        if (destination.Rows != k || destination.Cols != source.Cols) throw new ArgumentException($"destination must be {k} x {source.Cols}.");
        if (k == 0 || source.Cols == 0) return;
        CudaLaunch.GatherRows(P(source), source.Rows, source.Cols, source.Stride, P(indices), k, P(destination), destination.Stride, Stream);
    }

    public void ScatterAddRows(Tensor source, IndexTensor indices, float alpha, Tensor destination)
    {
        int k = (int)indices.Length;
        if (source.Rows != k || source.Cols != destination.Cols) throw new ArgumentException($"source must be {k} x {destination.Cols}.");
        if (k == 0 || source.Cols == 0) return;
        CudaLaunch.ScatterAddRows(P(source), k, source.Cols, source.Stride, P(indices), alpha, P(destination), destination.Rows,
            destination.Stride, Stream);
    }

    public void ScatterColumns(Tensor source, IndexTensor indices, Tensor destination)
    {
        int k = (int)indices.Length;
        if (source.Rows != destination.Rows || source.Cols != k) throw new ArgumentException($"source must be {destination.Rows} x {k}.");
        if (source.Rows == 0) return;
        if (k == 0) { Fill(destination, 0); return; }
        CudaLaunch.ScatterColumns(P(source), source.Rows, k, source.Stride, P(indices), P(destination), destination.Cols,
            destination.Stride, Stream);
    }

    public void ZeroSelected(Tensor x, IndexTensor indices, bool perRow)
    {
        if (perRow && indices.Rows != x.Rows) throw new ArgumentException($"per-row indices must have {x.Rows} rows, not {indices.Rows}.");
        int k = perRow ? indices.Cols : (int)indices.Length;
        if (Empty(x) || k == 0) return;
        CudaLaunch.ZeroSelected(P(x), x.Rows, x.Cols, x.Stride, P(indices), perRow ? indices.Cols : 0, k, Stream);
    }

    public void IndexAdd(IndexTensor indices, Tensor? values, float scale, Tensor target)
    {
        if (target.Rows != 1 && target.Cols != 1) throw new ArgumentException("target must be a vector.");
        if (!target.IsContiguous) throw new ArgumentException("target must be contiguous.");
        int count = (int)indices.Length;
        if (count == 0) return;
        if (values is not null && (values.Length != count || !values.IsContiguous))
            throw new ArgumentException($"values must be contiguous with {count} elements.");
        CudaLaunch.IndexAdd(P(indices), count, values is null ? 0 : P(values), scale, P(target), target.Length, Stream);
    }

    // ---- optimizer steps -----------------------------------------------------------------------------------------------------------

    public void AdamStep(Tensor weights, Tensor gradient, Tensor firstMoment, Tensor secondMoment, in AdamStepArguments args)
    {
        CheckParameter(weights, gradient, firstMoment, secondMoment);
        if (weights.Length == 0) return;
        var t = args.Transform;
        CudaLaunch.AdamStep(P(weights), P(gradient), P(firstMoment), P(secondMoment), weights.Length, args.StepSize, args.Beta1,
            args.Beta2, args.Epsilon, t.GradientScale, t.L2, t.ClipValue, Stream);
    }

    public void AdaGradStep(Tensor weights, Tensor gradient, Tensor squaredSum, in AdaGradStepArguments args)
    {
        CheckParameter(weights, gradient, squaredSum, squaredSum);
        if (weights.Length == 0) return;
        var t = args.Transform;
        CudaLaunch.AdaGradStep(P(weights), P(gradient), P(squaredSum), weights.Length, args.LearningRate, args.Epsilon,
            t.GradientScale, t.L2, t.ClipValue, Stream);
    }

    public void SgdStep(Tensor weights, Tensor gradient, Tensor? velocity, in SgdStepArguments args)
    {
        bool momentum = velocity is not null && args.Momentum != 0;
        CheckParameter(weights, gradient, momentum ? velocity! : weights, weights);
        if (weights.Length == 0) return;
        var t = args.Transform;
        CudaLaunch.SgdStep(P(weights), P(gradient), momentum ? P(velocity!) : 0, weights.Length, args.LearningRate, args.Momentum,
            t.GradientScale, t.L2, t.ClipValue, Stream);
    }

    // ---- device addresses, layouts, checks -----------------------------------------------------------------------------------------

    internal CudaBuffer<float> FloatBuffer(Tensor t)
    {
        if (t.Buffer is not CudaBuffer<float> b || !ReferenceEquals(b.Backend, this))
            throw new ArgumentException($"{t} does not live on this CUDA backend.");
        return b;
    }

    internal CudaBuffer<int> IntBuffer(IndexTensor t)
    {
        if (t.Buffer is not CudaBuffer<int> b || !ReferenceEquals(b.Backend, this))
            throw new ArgumentException($"{t} does not live on this CUDA backend.");
        return b;
    }

    private void Own(Tensor t) => FloatBuffer(t);

    /// <summary>The device address of a tensor view's first element.</summary>
    internal ulong P(Tensor t) => FloatBuffer(t).Address + (ulong)t.Offset * sizeof(float);

    internal ulong P(IndexTensor t) => IntBuffer(t).Address + (ulong)t.Offset * sizeof(int);

    private static bool Empty(Tensor t) => t.Rows == 0 || t.Cols == 0;

    // Element-wise kernels see a contiguous tensor (or a set of them) as one long row: one launch, full blocks.
    private static (long Rows, long Cols, long Ld) Layout(Tensor x) =>
        x.IsContiguous ? (1, x.Length, x.Length) : (x.Rows, x.Cols, x.Stride);

    private static (long Rows, long Cols, long LdA, long LdB) Layout(Tensor a, Tensor b) =>
        a.IsContiguous && b.IsContiguous ? (1, a.Length, a.Length, a.Length) : (a.Rows, a.Cols, a.Stride, b.Stride);

    private static (long Rows, long Cols, long LdA, long LdB, long LdC) Layout(Tensor a, Tensor b, Tensor c) =>
        a.IsContiguous && b.IsContiguous && c.IsContiguous
            ? (1, a.Length, a.Length, a.Length, a.Length)
            : (a.Rows, a.Cols, a.Stride, b.Stride, c.Stride);

    private static void SameShape(Tensor a, Tensor b)
    {
        if (a.Rows != b.Rows || a.Cols != b.Cols)
            throw new ArgumentException($"shapes differ: {a.Rows} x {a.Cols} and {b.Rows} x {b.Cols}.");
    }

    private static void CheckLength(int have, long need, string name)
    {
        if (have != need) throw new ArgumentException($"{name} has {have} elements; the tensor has {need}.", name);
    }

    private static void CheckParameter(Tensor w, Tensor g, Tensor s1, Tensor s2)
    {
        foreach (var t in (ReadOnlySpan<Tensor>)[w, g, s1, s2])
            if (!t.IsContiguous) throw new ArgumentException($"{t} must be contiguous.");
        if (g.Length != w.Length || s1.Length != w.Length || s2.Length != w.Length)
            throw new ArgumentException($"parameter, gradient and optimizer state differ in length ({w.Length}, {g.Length}, {s1.Length}, {s2.Length}).");
    }

    /// <summary>Device workspace of at least <paramref name="bytes"/> (grow-only, shared by the operations of this
    /// backend: they are ordered on one stream). 0 when none is needed.</summary>
    internal ulong Workspace(long bytes)
    {
        if (bytes <= 0) return 0;
        if (workspace is null || workspace.Length < bytes)
        {
            if (workspace is not null) { Stream.Synchronize(); workspace.Dispose(); }
            workspace = new CudaDeviceVariable<byte>(Context, Math.Max(bytes, 1 << 16));
        }
        return workspace.DevicePointer;
    }

    private void ReadScalars(Span<double> result)
    {
        scalars.CopyToHostAsync(System.Runtime.InteropServices.MemoryMarshal.AsBytes(result), Stream);
        Synchronize();
    }

    internal CudaSparse SparseHandle => sparse ??= new CudaSparse(Context, Stream);

    public override string ToString() => Description;

    /// <summary>Event pairs around the GEMMs, sparse kernels and selection kernels, read back into <see cref="Counters"/> at the next
    /// synchronization (so timing never adds a wait of its own).</summary>
    private sealed class KernelClock(CudaBackend backend) : IDisposable
    {
        public enum Kind { Gemm, Sparse, Selection }

        private readonly List<(CudaEvent Start, CudaEvent End)> free = [];
        private readonly List<(CudaEvent Start, CudaEvent End, Kind Kind)> pending = [];
        private const int MaxPending = 1024;

        /// <summary>Records a start event (when timing) and returns a mark for <see cref="Stop"/>; -1 when not timing.</summary>
        public int Start()
        {
            if (!backend.TimeKernels) return -1;
            if (pending.Count >= MaxPending) backend.Synchronize();
            var pair = free.Count > 0 ? free[^1] : (new CudaEvent(backend.Context), new CudaEvent(backend.Context));
            if (free.Count > 0) free.RemoveAt(free.Count - 1);
            pair.Item1.Record(backend.Stream);
            pending.Add((pair.Item1, pair.Item2, Kind.Gemm));
            return pending.Count - 1;
        }

        public void Stop(int mark, Kind kind)
        {
            var c = backend.Counters;
            switch (kind)
            {
                case Kind.Gemm: c.GemmCalls++; break;
                case Kind.Sparse: c.SparseCalls++; break;
                default: c.SelectionCalls++; break;
            }
            if (mark < 0) return;
            var p = pending[mark];
            p.End.Record(backend.Stream);
            pending[mark] = (p.Start, p.End, kind);
        }

        /// <summary>After the stream was synchronized: adds the recorded intervals to the counters.</summary>
        public void Harvest()
        {
            if (pending.Count == 0) return;
            var c = backend.Counters;
            foreach (var (start, end, kind) in pending)
            {
                // an operation that threw between Start and Stop left its end event unrecorded: skip that interval
                try
                {
                    long ticks = (long)(CudaEvent.ElapsedMilliseconds(start, end) * 1e-3 * Stopwatch.Frequency);
                    switch (kind)
                    {
                        case Kind.Gemm: c.GemmTicks += ticks; break;
                        case Kind.Sparse: c.SparseTicks += ticks; break;
                        default: c.SelectionTicks += ticks; break;
                    }
                }
                catch (CudaException) { }
                free.Add((start, end));
            }
            pending.Clear();
        }

        public void Dispose()
        {
            foreach (var (s, e) in free) { s.Dispose(); e.Dispose(); }
            foreach (var (s, e, _) in pending) { s.Dispose(); e.Dispose(); }
            free.Clear();
            pending.Clear();
        }
    }

    /// <summary>CUDA events on the backend's stream around the repetitions: the device's own time for the work.</summary>
    private sealed class CudaEventTimer(CudaBackend backend) : IOperationTimer
    {
        public double SecondsPerRun(Action work, int repetitions)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(repetitions, 1);
            using var start = new CudaEvent(backend.Context);
            using var end = new CudaEvent(backend.Context);
            start.Record(backend.Stream);
            for (int i = 0; i < repetitions; i++) work();
            end.Record(backend.Stream);
            end.Synchronize();
            backend.clock.Harvest();
            return CudaEvent.ElapsedMilliseconds(start, end) * 1e-3 / repetitions;
        }
    }
}
