using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MePropNative.Bindings;
using MePropNative.Tensors;

namespace MePropNative.Backends;

/// <summary>
/// The CPU backend: the heavy math (SGEMM, top-k, random-k, gathers and scatters, sparse backward, column sums) runs in
/// libmeprop through <see cref="Kernels"/>; the cheap element-wise work (activations, loss, optimizer steps) is
/// vectorized C# (<see cref="Vector{T}"/>). libmeprop kernels run with flush-to-zero; the C# optimizer steps and the
/// softmax flush subnormal results to zero themselves, so no subnormal ever reaches an arithmetic unit in training.
/// </summary>
public sealed partial class CpuBackend : IBackend
{
    private const float SmallestNormal = 1.17549435e-38f;

    /// <param name="threads">libmeprop threads for the multi-threaded kernels, a setting of the whole process (every
    /// backend shares it); 0 leaves it as it is. Negative is an <see cref="ArgumentOutOfRangeException"/>.</param>
    public CpuBackend(int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        MePropLibrary.EnsureLoaded();
        if (threads > 0) MePropLibrary.NumThreads = threads;
    }

    public string Name => "cpu";
    public BackendCounters Counters { get; } = new();

    public void Dispose() { }

    // ---- memory -------------------------------------------------------------------------------------------------------

    public DeviceBuffer AllocateBuffer(long length) => new CpuBuffer<float>(this, length);
    public DeviceBuffer AllocateIndexBuffer(long length) => new CpuBuffer<int>(this, length);

    public void Upload(ReadOnlySpan<float> source, Tensor destination)
    {
        CheckLength(source.Length, destination.Length, nameof(source));
        for (int r = 0; r < destination.Rows; r++)
            source.Slice(r * destination.Cols, destination.Cols).CopyTo(Row(destination, r));
    }

    public void Download(Tensor source, Span<float> destination)
    {
        CheckLength(destination.Length, source.Length, nameof(destination));
        for (int r = 0; r < source.Rows; r++)
            Row(source, r).CopyTo(destination.Slice(r * source.Cols, source.Cols));
    }

    public void Upload(ReadOnlySpan<int> source, IndexTensor destination)
    {
        CheckLength(source.Length, destination.Length, nameof(source));
        source.CopyTo(Ints(destination));
    }

    public void Download(IndexTensor source, Span<int> destination)
    {
        CheckLength(destination.Length, source.Length, nameof(destination));
        Ints(source).CopyTo(destination);
    }

    public void Synchronize() { }

    // ---- element-wise -----------------------------------------------------------------------------------------------------

    public void Fill(Tensor x, float value)
    {
        for (int r = 0, nb = RowBlocks(x); r < nb; r++) Block(x, r, nb).Fill(value);
    }

    public void Copy(Tensor source, Tensor destination)
    {
        SameShape(source, destination);
        for (int r = 0, nb = RowBlocks(source, destination); r < nb; r++) Block(source, r, nb).CopyTo(Block(destination, r, nb));
    }

    public void Scale(Tensor x, float alpha)
    {
        for (int r = 0, nb = RowBlocks(x); r < nb; r++)
        {
            var s = Block(x, r, nb);
            int i = 0;
            var va = new Vector<float>(alpha);
            for (; i <= s.Length - Vector<float>.Count; i += Vector<float>.Count)
                (VectorSpan.LoadAt(s, i) * va).StoreAt(s, i);
            for (; i < s.Length; i++) s[i] *= alpha;
        }
    }

    public void Axpy(float alpha, Tensor x, Tensor y)
    {
        SameShape(x, y);
        var va = new Vector<float>(alpha);
        for (int r = 0, nb = RowBlocks(x, y); r < nb; r++)
        {
            var sx = Block(x, r, nb);
            var sy = Block(y, r, nb);
            int i = 0;
            for (; i <= sx.Length - Vector<float>.Count; i += Vector<float>.Count)
                (VectorSpan.LoadAt(sy, i) + va * VectorSpan.LoadAt(sx, i)).StoreAt(sy, i);
            for (; i < sx.Length; i++) sy[i] += alpha * sx[i];
        }
    }

    public void Add(Tensor a, Tensor b, Tensor c)
    {
        SameShape(a, b); SameShape(a, c);
        for (int r = 0, nb = RowBlocks(a, b, c); r < nb; r++)
        {
            var sa = Block(a, r, nb); var sb = Block(b, r, nb); var sc = Block(c, r, nb);
            int i = 0;
            for (; i <= sa.Length - Vector<float>.Count; i += Vector<float>.Count)
                (VectorSpan.LoadAt(sa, i) + VectorSpan.LoadAt(sb, i)).StoreAt(sc, i);
            for (; i < sa.Length; i++) sc[i] = sa[i] + sb[i];
        }
    }

    public void Multiply(Tensor a, Tensor b, Tensor c)
    {
        SameShape(a, b); SameShape(a, c);
        for (int r = 0, nb = RowBlocks(a, b, c); r < nb; r++)
        {
            var sa = Block(a, r, nb); var sb = Block(b, r, nb); var sc = Block(c, r, nb);
            int i = 0;
            for (; i <= sa.Length - Vector<float>.Count; i += Vector<float>.Count)
                (VectorSpan.LoadAt(sa, i) * VectorSpan.LoadAt(sb, i)).StoreAt(sc, i);
            for (; i < sa.Length; i++) sc[i] = sa[i] * sb[i];
        }
    }

    public double SumOfSquares(Tensor x)
    {
        double total = 0;
        for (int r = 0, nb = RowBlocks(x); r < nb; r++)
        {
            var s = Block(x, r, nb);
            var acc = Vector<float>.Zero;
            int i = 0;
            for (; i <= s.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = VectorSpan.LoadAt(s, i);
                acc += v * v;
            }
            total += Vector.Sum(acc);
            for (; i < s.Length; i++) total += (double)s[i] * s[i];
        }
        return total;
    }

    public long CountSubnormals(Tensor x)
    {
        long count = 0;
        for (int r = 0, nb = RowBlocks(x); r < nb; r++)
            foreach (float v in Block(x, r, nb))
                if (float.IsSubnormal(v)) count++;
        return count;
    }

    // ---- dense linear algebra ---------------------------------------------------------------------------------------------

    public void Gemm(bool transposeA, bool transposeB, float alpha, Tensor a, Tensor b, float beta, Tensor c)
    {
        var (m, n, k) = GemmShape.Of(transposeA, transposeB, a, b, c);
        if (IsEmptyGemm(m, n, k, beta, c)) return;
        long t0 = Stopwatch.GetTimestamp();
        Kernels.Sgemm(transposeA ? Transpose.Yes : Transpose.No, transposeB ? Transpose.Yes : Transpose.No, m, n, k, alpha,
            Floats(a), a.Stride, Floats(b), b.Stride, beta, Floats(c), c.Stride);
        CountGemm(t0);
    }

    /// <summary>A product with nothing to multiply (m, n or k = 0): c = beta * c (or 0) when k = 0; true when c is final.</summary>
    private bool IsEmptyGemm(int m, int n, int k, float beta, Tensor c)
    {
        if (m == 0 || n == 0) return true;
        if (k != 0) return false;
        if (beta == 0) Fill(c, 0); else Scale(c, beta);
        return true;
    }

    private void CountGemm(long startTicks)
    {
        Counters.GemmTicks += Stopwatch.GetTimestamp() - startTicks;
        Counters.GemmCalls++;
    }

    public void PackGemmB(bool transposeB, Tensor b, PackedGemmB packed)
    {
        packed.Describe(transposeB, b);
        if (packed.N == 0 || packed.K == 0) { packed.Data = null; return; }
        long floats = Kernels.SgemmPackedBSize(packed.N, packed.K);
        if (floats > int.MaxValue) throw new ArgumentException($"a packed GEMM operand of {packed.K} x {packed.N} is too large.");
        if (packed.Data is null || packed.Data.Length != floats || !ReferenceEquals(packed.Data.Backend, this)) packed.Data = this.Allocate(1, (int)floats);
        long t0 = Stopwatch.GetTimestamp();
        Kernels.SgemmPackB(transposeB ? Transpose.Yes : Transpose.No, packed.N, packed.K, Floats(b), b.Stride, Floats(packed.Data));
        Counters.GemmTicks += Stopwatch.GetTimestamp() - t0;
    }

    public void Gemm(bool transposeA, float alpha, Tensor a, PackedGemmB b, float beta, Tensor c)
    {
        var (m, n, k) = GemmShape.Of(transposeA, b.TransposeB, a, b.PackedSource, c);
        if (IsEmptyGemm(m, n, k, beta, c)) return;
        var data = b.Data ?? throw new InvalidOperationException("PackedGemmB was prepared by another backend.");
        long t0 = Stopwatch.GetTimestamp();
        Kernels.SgemmPacked(transposeA ? Transpose.Yes : Transpose.No, m, n, k, alpha, Floats(a), a.Stride, Floats(data), beta,
            Floats(c), c.Stride);
        CountGemm(t0);
    }

    public void AddRowVector(Tensor x, Tensor bias)
    {
        if (bias.Length != x.Cols) throw new ArgumentException($"bias has {bias.Length} elements, rows have {x.Cols}.");
        var sb = Floats(bias);
        for (int r = 0; r < x.Rows; r++)
        {
            var sx = Row(x, r);
            int i = 0;
            for (; i <= sx.Length - Vector<float>.Count; i += Vector<float>.Count)
                (VectorSpan.LoadAt(sx, i) + VectorSpan.LoadAt(sb, i)).StoreAt(sx, i);
            for (; i < sx.Length; i++) sx[i] += sb[i];
        }
    }

    public void ColumnSums(Tensor x, Tensor output, bool accumulate)
    {
        if (output.Length != x.Cols) throw new ArgumentException($"output has {output.Length} elements, x has {x.Cols} columns.");
        if (x.Rows == 0) { if (!accumulate) Fill(output, 0); return; }
        Kernels.ColumnSums(Floats(x), x.Rows, x.Cols, x.Stride, Floats(output), accumulate);
    }

    // ---- activations ------------------------------------------------------------------------------------------------------

    public void Relu(Tensor x, Tensor y)
    {
        SameShape(x, y);
        for (int r = 0, nb = RowBlocks(x, y); r < nb; r++)
        {
            var sx = Block(x, r, nb); var sy = Block(y, r, nb);
            int i = 0;
            for (; i <= sx.Length - Vector<float>.Count; i += Vector<float>.Count)
                Vector.Max(VectorSpan.LoadAt(sx, i), Vector<float>.Zero).StoreAt(sy, i);
            for (; i < sx.Length; i++) sy[i] = sx[i] > 0 ? sx[i] : 0;
        }
    }

    public void ReluBackward(Tensor y, Tensor dy, Tensor dx)
    {
        SameShape(y, dy); SameShape(y, dx);
        for (int r = 0, nb = RowBlocks(y, dy, dx); r < nb; r++)
        {
            var sy = Block(y, r, nb); var sdy = Block(dy, r, nb); var sdx = Block(dx, r, nb);
            int i = 0;
            for (; i <= sy.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var positive = Vector.GreaterThan(VectorSpan.LoadAt(sy, i), Vector<float>.Zero);
                Vector.ConditionalSelect(positive, VectorSpan.LoadAt(sdy, i), Vector<float>.Zero).StoreAt(sdx, i);
            }
            for (; i < sy.Length; i++) sdx[i] = sy[i] > 0 ? sdy[i] : 0;
        }
    }

    public void Sigmoid(Tensor x, Tensor y)
    {
        SameShape(x, y);
        for (int r = 0, nb = RowBlocks(x, y); r < nb; r++)
        {
            var sx = Block(x, r, nb); var sy = Block(y, r, nb);
            for (int i = 0; i < sx.Length; i++) sy[i] = 1f / (1f + MathF.Exp(-sx[i]));
        }
    }

    public void SigmoidBackward(Tensor y, Tensor dy, Tensor dx)
    {
        SameShape(y, dy); SameShape(y, dx);
        for (int r = 0, nb = RowBlocks(y, dy, dx); r < nb; r++)
        {
            var sy = Block(y, r, nb); var sdy = Block(dy, r, nb); var sdx = Block(dx, r, nb);
            for (int i = 0; i < sy.Length; i++) sdx[i] = sdy[i] * sy[i] * (1f - sy[i]);
        }
    }

    public void Tanh(Tensor x, Tensor y)
    {
        SameShape(x, y);
        for (int r = 0, nb = RowBlocks(x, y); r < nb; r++)
        {
            var sx = Block(x, r, nb); var sy = Block(y, r, nb);
            for (int i = 0; i < sx.Length; i++) sy[i] = MathF.Tanh(sx[i]);
        }
    }

    public void TanhBackward(Tensor y, Tensor dy, Tensor dx)
    {
        SameShape(y, dy); SameShape(y, dx);
        for (int r = 0, nb = RowBlocks(y, dy, dx); r < nb; r++)
        {
            var sy = Block(y, r, nb); var sdy = Block(dy, r, nb); var sdx = Block(dx, r, nb);
            for (int i = 0; i < sy.Length; i++) sdx[i] = sdy[i] * (1f - sy[i] * sy[i]);
        }
    }

    public void DropoutForward(Tensor x, Tensor mask, Tensor y, float rate, ulong seed, ulong stream)
    {
        SameShape(x, mask); SameShape(x, y);
        float keep = CounterRandom.DropoutKeep(rate);
        for (int r = 0; r < x.Rows; r++) CounterRandom.DropoutMask(seed, stream, (ulong)r * (ulong)x.Cols, rate, keep, Row(mask, r));
        Multiply(x, mask, y);
    }

    public void ReluDropoutForward(Tensor x, Tensor factor, Tensor y, float rate, ulong seed, ulong stream)
    {
        SameShape(x, factor); SameShape(x, y);
        if (factor.Overlaps(x)) throw new ArgumentException("ReLU + dropout: factor must not share elements with x.", nameof(factor));
        float keep = CounterRandom.DropoutKeep(rate);
        for (int r = 0; r < x.Rows; r++)
        {
            var sx = Row(x, r); var sf = Row(factor, r); var sy = Row(y, r);
            CounterRandom.DropoutMask(seed, stream, (ulong)r * (ulong)x.Cols, rate, keep, sf);
            int i = 0;
            for (; i <= sx.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = VectorSpan.LoadAt(sx, i);
                var mask = VectorSpan.LoadAt(sf, i);
                var positive = Vector.GreaterThan(v, Vector<float>.Zero);
                Vector.ConditionalSelect(positive, v * mask, Vector<float>.Zero).StoreAt(sy, i);
                Vector.ConditionalSelect(positive, mask, Vector<float>.Zero).StoreAt(sf, i);
            }
            for (; i < sx.Length; i++)
            {
                float v = sx[i];
                sy[i] = v > 0 ? v * sf[i] : 0;
                sf[i] = v > 0 ? sf[i] : 0;
            }
        }
    }

    public void ReluDropoutBackward(Tensor factor, Tensor dy, Tensor dx)
    {
        SameShape(factor, dy); SameShape(factor, dx);
        for (int r = 0, nb = RowBlocks(factor, dy, dx); r < nb; r++)
        {
            var sf = Block(factor, r, nb); var sdy = Block(dy, r, nb); var sdx = Block(dx, r, nb);
            int i = 0;
            for (; i <= sf.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var f = VectorSpan.LoadAt(sf, i);
                var kept = Vector.GreaterThan(f, Vector<float>.Zero);
                Vector.ConditionalSelect(kept, VectorSpan.LoadAt(sdy, i) * f, Vector<float>.Zero).StoreAt(sdx, i);
            }
            for (; i < sf.Length; i++) sdx[i] = sf[i] > 0 ? sdy[i] * sf[i] : 0;
        }
    }

    // ---- loss -----------------------------------------------------------------------------------------------------------------

    public void SoftmaxCrossEntropy(Tensor logits, IndexTensor labels, Tensor? gradient, float gradientScale, Tensor stats)
    {
        if (labels.Length != logits.Rows) throw new ArgumentException($"{labels.Length} labels for {logits.Rows} rows.");
        if (gradient is not null) SameShape(logits, gradient);
        if (stats.Length < 2) throw new ArgumentException("stats needs two elements (loss sum, correct count).");
        var lab = Ints(labels);
        double loss = 0;
        int correct = 0;
        int classes = logits.Cols;
        for (int r = 0; r < logits.Rows; r++)
        {
            var z = Row(logits, r);
            int label = lab[r];
            if ((uint)label >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"label {label} of row {r} is outside [0, {classes}).");
            float max = z[0];
            int arg = 0;
            for (int c = 1; c < classes; c++) if (z[c] > max) { max = z[c]; arg = c; }
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.Exp(z[c] - max);
            loss += Math.Log(sum) - (z[label] - max);
            if (arg == label) correct++;
            if (gradient is not null)
            {
                var g = Row(gradient, r);
                double inv = 1.0 / sum;
                for (int c = 0; c < classes; c++)
                {
                    float p = (float)(Math.Exp(z[c] - max) * inv);
                    if (p < SmallestNormal) p = 0f;
                    g[c] = (c == label ? p - 1f : p) * gradientScale;
                }
            }
        }
        var s = Floats(stats);
        s[0] += (float)loss;
        s[1] += correct;
    }

    public void ArgmaxRows(Tensor x, IndexTensor output)
    {
        if (output.Length != x.Rows) throw new ArgumentException($"output has {output.Length} elements for {x.Rows} rows.");
        var o = Ints(output);
        for (int r = 0; r < x.Rows; r++)
        {
            var z = Row(x, r);
            int arg = 0;
            for (int c = 1; c < z.Length; c++) if (z[c] > z[arg]) arg = c;
            o[r] = arg;
        }
    }

    // ---- meProp selection -----------------------------------------------------------------------------------------------------

    public void TopKAbsRows(Tensor x, int k, IndexTensor indices, Tensor? values)
    {
        SelectionCheck.K(k, x.Cols);
        if (indices.Rows != x.Rows || indices.Cols != k) throw new ArgumentException($"indices must be {x.Rows} x {k}, not {indices.Rows} x {indices.Cols}.");
        if (values is not null && (values.Rows != x.Rows || values.Cols != k)) throw new ArgumentException($"values must be {x.Rows} x {k}.");
        if (x.Rows == 0) return;
        long t0 = Stopwatch.GetTimestamp();
        Kernels.TopKAbsRows(Floats(x), x.Rows, x.Cols, x.Stride, k, Ints(indices), k,
            values is null ? default : Floats(values), values?.Stride ?? k);
        CountSelection(t0);
    }

    private void CountSelection(long t0)
    {
        Counters.SelectionTicks += Stopwatch.GetTimestamp() - t0;
        Counters.SelectionCalls++;
    }

    public void TopKAbsUnified(Tensor x, int k, IndexTensor indices)
    {
        SelectionCheck.K(k, x.Cols);
        if (indices.Length != k) throw new ArgumentException($"indices must hold {k} elements, not {indices.Length}.");
        long t0 = Stopwatch.GetTimestamp();
        Kernels.TopKAbsUnified(Floats(x), x.Rows, x.Cols, x.Stride, k, Ints(indices));
        CountSelection(t0);
    }

    public void RandomKRows(int n, int k, ulong seed, long firstRow, IndexTensor indices)
    {
        SelectionCheck.K(k, n);
        if (indices.Cols != k) throw new ArgumentException($"indices must have {k} columns, not {indices.Cols}.");
        if (indices.Rows == 0) return;
        long t0 = Stopwatch.GetTimestamp();
        Kernels.RandomKRows(indices.Rows, n, k, seed, firstRow, Ints(indices), k);
        CountSelection(t0);
    }

    public void RandomKUnified(int n, int k, ulong seed, IndexTensor indices)
    {
        SelectionCheck.K(k, n);
        if (indices.Length != k) throw new ArgumentException($"indices must hold {k} elements, not {indices.Length}.");
        long t0 = Stopwatch.GetTimestamp();
        Kernels.RandomKUnified(n, k, seed, Ints(indices));
        CountSelection(t0);
    }

    // ---- compaction -------------------------------------------------------------------------------------------------------------

    public void GatherColumns(Tensor source, IndexTensor indices, Tensor destination)
    {
        int k = (int)indices.Length;
        if (destination.Rows != source.Rows || destination.Cols != k) throw new ArgumentException($"destination must be {source.Rows} x {k}.");
        if (source.Rows == 0) return;
        Kernels.GatherColumns(Floats(source), source.Rows, source.Cols, source.Stride, Ints(indices), k, Floats(destination), destination.Stride);
    }

    public void GatherColumnsPerRow(Tensor source, IndexTensor indices, Tensor destination)
    {
        if (indices.Rows != source.Rows || destination.Rows != source.Rows || destination.Cols != indices.Cols)
            throw new ArgumentException($"indices and destination must be {source.Rows} x k.");
        if (source.Rows == 0) return;
        Kernels.GatherColumnsPerRow(Floats(source), source.Rows, source.Cols, source.Stride, Ints(indices), indices.Cols,
            indices.Cols, Floats(destination), destination.Stride);
    }

    public void GatherRows(Tensor source, IndexTensor indices, Tensor destination)
    {
        int k = (int)indices.Length;
        if (destination.Rows != k || destination.Cols != source.Cols) throw new ArgumentException($"destination must be {k} x {source.Cols}.");
        if (k == 0) return;
        Kernels.GatherRows(Floats(source), source.Rows, source.Cols, source.Stride, Ints(indices), k, Floats(destination), destination.Stride);
    }

    public void ScatterAddRows(Tensor source, IndexTensor indices, float alpha, Tensor destination)
    {
        int k = (int)indices.Length;
        if (source.Rows != k || source.Cols != destination.Cols) throw new ArgumentException($"source must be {k} x {destination.Cols}.");
        if (k == 0) return;
        Kernels.ScatterAddRows(Floats(source), k, source.Cols, source.Stride, Ints(indices), alpha, Floats(destination),
            destination.Rows, destination.Stride);
    }

    public void ScatterColumns(Tensor source, IndexTensor indices, Tensor destination)
    {
        int k = (int)indices.Length;
        if (source.Rows != destination.Rows || source.Cols != k) throw new ArgumentException($"source must be {destination.Rows} x {k}.");
        if (source.Rows == 0) return;
        Kernels.ScatterColumns(Floats(source), source.Rows, k, source.Stride, Ints(indices), Floats(destination),
            destination.Cols, destination.Stride);
    }

    public void ZeroSelected(Tensor x, IndexTensor indices, bool perRow)
    {
        var idx = Ints(indices);
        int n = x.Cols;
        if (perRow)
        {
            if (indices.Rows != x.Rows) throw new ArgumentException($"per-row indices must have {x.Rows} rows, not {indices.Rows}.");
            int k = indices.Cols;
            for (int r = 0; r < x.Rows; r++)
            {
                var row = Row(x, r);
                foreach (int j in idx.Slice(r * k, k)) row[CheckIndex(j, n)] = 0f;
            }
        }
        else
        {
            for (int r = 0; r < x.Rows; r++)
            {
                var row = Row(x, r);
                foreach (int j in idx) row[CheckIndex(j, n)] = 0f;
            }
        }
    }

    public void IndexAdd(IndexTensor indices, Tensor? values, float scale, Tensor target)
    {
        if (target.Rows != 1 && target.Cols != 1) throw new ArgumentException("target must be a vector.");
        int count = (int)indices.Length;
        if (count == 0) return;
        int n = (int)target.Length;
        if (values is not null)
        {
            if (values.Length != count || !values.IsContiguous) throw new ArgumentException($"values must be contiguous with {count} elements.");
            // target seen as n rows of one column: the kernel's scatter of rows is exactly an indexed add.
            Kernels.ScatterAddRows(Floats(values), count, 1, 1, Ints(indices), scale, Floats(target), n, 1);
        }
        else
        {
            var t = Floats(target);
            foreach (int j in Ints(indices)) t[CheckIndex(j, n)] += scale;
        }
    }

    // ---- sparse backward ---------------------------------------------------------------------------------------------------------

    public void SparseBackwardDx(IndexTensor indices, Tensor values, Tensor w, Tensor dx)
    {
        int batch = indices.Rows, k = indices.Cols;
        if (values.Rows != batch || values.Cols != k || dx.Rows != batch || dx.Cols != w.Cols)
            throw new ArgumentException("sparse backward dx: values must match indices and dx must be batch x m.");
        if (batch == 0) return;
        long t0 = Stopwatch.GetTimestamp();
        Kernels.SparseBackwardDx(batch, w.Rows, w.Cols, k, Ints(indices), k, Floats(values), values.Stride, Floats(w), w.Stride,
            Floats(dx), dx.Stride);
        Counters.SparseTicks += Stopwatch.GetTimestamp() - t0;
        Counters.SparseCalls++;
    }

    public void SparseBackwardDw(IndexTensor indices, Tensor values, Tensor x, Tensor dw)
    {
        int batch = indices.Rows, k = indices.Cols;
        if (values.Rows != batch || values.Cols != k || x.Rows != batch || x.Cols != dw.Cols)
            throw new ArgumentException("sparse backward dW: values must match indices and x must be batch x m.");
        if (batch == 0) return;
        long t0 = Stopwatch.GetTimestamp();
        Kernels.SparseBackwardDw(batch, dw.Rows, dw.Cols, k, Ints(indices), k, Floats(values), values.Stride, Floats(x), x.Stride,
            Floats(dw), dw.Stride);
        Counters.SparseTicks += Stopwatch.GetTimestamp() - t0;
        Counters.SparseCalls++;
    }

    /// <summary>dW and dx in one libmeprop call (one index check; the column tasks of both share the threads).</summary>
    public void SparseBackward(IndexTensor indices, Tensor values, Tensor x, Tensor dw, Tensor w, Tensor? dx)
    {
        int batch = indices.Rows, k = indices.Cols;
        if (values.Rows != batch || values.Cols != k || x.Rows != batch || x.Cols != dw.Cols)
            throw new ArgumentException("sparse backward dW: values must match indices and x must be batch x m.");
        if (dx is not null && (dx.Rows != batch || dx.Cols != w.Cols || w.Rows != dw.Rows || w.Cols != dw.Cols))
            throw new ArgumentException("sparse backward dx: dx must be batch x m and W the shape of dW.");
        if (batch == 0) return;
        long t0 = Stopwatch.GetTimestamp();
        Kernels.SparseBackward(batch, dw.Rows, dw.Cols, k, Ints(indices), k, Floats(values), values.Stride,
            dx is null ? default : Floats(w), w.Stride, dx is null ? default : Floats(dx), dx?.Stride ?? dw.Cols,
            Floats(x), x.Stride, Floats(dw), dw.Stride);
        Counters.SparseTicks += Stopwatch.GetTimestamp() - t0;
        Counters.SparseCalls++;
    }

    // ---- optimizer steps -----------------------------------------------------------------------------------------------------------

    // ---- spans over tensors (the only place tensor data becomes reachable) -------------------------------------------------------

    private CpuBuffer<float> FloatBuffer(Tensor t)
    {
        if (t.Buffer is not CpuBuffer<float> b || !ReferenceEquals(b.Backend, this))
            throw new ArgumentException($"{t} does not live on this CPU backend.");
        return b;
    }

    /// <summary>The span covering a tensor view (from its first to its last element, strides included).</summary>
    internal Span<float> Floats(Tensor t)
    {
        var b = FloatBuffer(t);
        if (t.Rows == 0 || t.Cols == 0) return Span<float>.Empty;
        return b.Span(t.Offset, (t.Rows - 1) * t.Stride + t.Cols);
    }

    internal Span<int> Ints(IndexTensor t)
    {
        if (t.Buffer is not CpuBuffer<int> b || !ReferenceEquals(b.Backend, this))
            throw new ArgumentException($"{t} does not live on this CPU backend.");
        return b.Span(t.Offset, (int)t.Length);
    }

    private Span<float> Row(Tensor t, int r) => FloatBuffer(t).Span(t.Offset + (long)r * t.Stride, t.Cols);

    private Span<float> Contiguous(Tensor t)
    {
        if (!t.IsContiguous) throw new ArgumentException($"{t} must be contiguous.");
        return Floats(t);
    }

    /// <summary>Element-wise ops walk "blocks": the whole tensor when every operand is contiguous, else one row at a time.</summary>
    private static int RowBlocks(params ReadOnlySpan<Tensor> ts)
    {
        foreach (var t in ts) if (!t.IsContiguous) return ts[0].Rows;
        return ts[0].Rows == 0 || ts[0].Cols == 0 ? 0 : 1;
    }

    private Span<float> Block(Tensor t, int block, int blocks) => blocks == 1 ? Floats(t) : Row(t, block);

    private static void SameShape(Tensor a, Tensor b)
    {
        if (a.Rows != b.Rows || a.Cols != b.Cols)
            throw new ArgumentException($"shapes differ: {a.Rows} x {a.Cols} and {b.Rows} x {b.Cols}.");
    }

    private static void CheckLength(int have, long need, string name)
    {
        if (have != need) throw new ArgumentException($"{name} has {have} elements; the tensor has {need}.", name);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CheckIndex(int j, int n)
    {
        if ((uint)j >= (uint)n) throw new ArgumentOutOfRangeException(nameof(j), j, $"index {j} is outside [0, {n}).");
        return j;
    }
}
