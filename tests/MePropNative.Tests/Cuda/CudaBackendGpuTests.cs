using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Tensors;
using MePropNative.Tests.Support;
using MePropNative.Training;

namespace MePropNative.Tests.Cuda;

/// <summary>One CUDA backend for a test class, or the reason there is none (the tests then skip).</summary>
public sealed class CudaBackendFixture : IDisposable
{
    public CudaBackendFixture()
    {
        if (CudaBackend.IsAvailable(0, out string reason)) Backend = new CudaBackend(0);
        Reason = reason;
    }

    public CudaBackend? Backend { get; }
    public string Reason { get; }

    public CudaBackend Gpu()
    {
        Assert.SkipWhen(Backend is null, "no CUDA device: " + Reason);
        return Backend!;
    }

    public void Dispose() => Backend?.Dispose();
}

/// <summary>
/// Every operation of the CUDA backend against the CPU backend's on the same fresh random inputs: outputs are poisoned
/// (NaN or -777) on both before the call, then compared element by element at a relative error of 1e-4 (of the value,
/// floored at 1% of the largest value, so cancellation near zero is fair), exactly where the contract is exact (top-k
/// patterns, gathers, index bookkeeping, the dropout mask). Tensors include strided views (column slices). Skipped
/// without a CUDA device.
/// </summary>
public class CudaBackendGpuTests(CudaBackendFixture fixture) : IClassFixture<CudaBackendFixture>, IDisposable
{
    private readonly CpuBackend cpu = new();
    private int seed = Environment.TickCount;

    public void Dispose() => cpu.Dispose();

    // ---- helpers --------------------------------------------------------------------------------------------------------

    private float[] Fresh(int count, float scale = 1f) => TestData.Random(count, seed++, scale);

    /// <summary>The same rows x cols data on both backends; strided: a column slice of a wider tensor (padding poisoned).</summary>
    private (Tensor Cpu, Tensor Gpu) Both(IBackend gpu, float[] data, int rows, int cols, bool strided = false)
    {
        return (Make(cpu), Make(gpu));
        Tensor Make(IBackend b)
        {
            if (!strided) return TestData.Tensor(b, data, rows, cols);
            var wide = b.Allocate(rows, cols + 3);
            b.Fill(wide, -777f);
            var view = wide.ColumnSlice(2, cols);
            b.Upload(data, view);
            return view;
        }
    }

    private (Tensor Cpu, Tensor Gpu) Poisoned(IBackend gpu, int rows, int cols, bool strided = false, float poison = float.NaN)
    {
        var p = new float[rows * cols];
        Array.Fill(p, poison);
        return Both(gpu, p, rows, cols, strided);
    }

    private (IndexTensor Cpu, IndexTensor Gpu) BothIndices(IBackend gpu, int[] data, int rows, int cols)
    {
        var c = cpu.AllocateIndices(rows, cols);
        var g = gpu.AllocateIndices(rows, cols);
        cpu.Upload(data, c);
        gpu.Upload(data, g);
        return (c, g);
    }

    private void Same(IBackend gpu, (Tensor Cpu, Tensor Gpu) t, string what, double tolerance = 1e-4)
    {
        float[] want = TestData.Host(cpu, t.Cpu), got = TestData.Host(gpu, t.Gpu);
        Close(want, got, what, tolerance);
    }

    private static void Close(float[] want, float[] got, string what, double tolerance = 1e-4)
    {
        Assert.Equal(want.Length, got.Length);
        double max = want.Where(float.IsFinite).Select(v => (double)MathF.Abs(v)).DefaultIfEmpty(0).Max();
        for (int i = 0; i < want.Length; i++)
        {
            if (float.IsNaN(want[i])) { Assert.True(float.IsNaN(got[i]), $"{what}[{i}] = {got[i]}, want NaN"); continue; }
            double tol = tolerance * Math.Max(Math.Abs(want[i]), Math.Max(0.01 * max, 1e-30));
            if (!(Math.Abs(want[i] - got[i]) <= tol)) Assert.Fail($"{what}[{i}] = {got[i]}, want {want[i]} (tolerance {tol:G3})");
        }
    }

    private void Exact(IBackend gpu, (Tensor Cpu, Tensor Gpu) t, string what)
    {
        float[] want = TestData.Host(cpu, t.Cpu), got = TestData.Host(gpu, t.Gpu);
        for (int i = 0; i < want.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(want[i]) == BitConverter.SingleToInt32Bits(got[i]) || (float.IsNaN(want[i]) && float.IsNaN(got[i])),
                $"{what}[{i}] = {got[i]}, want {want[i]} (bitwise)");
    }

    private void Exact(IBackend gpu, (IndexTensor Cpu, IndexTensor Gpu) t, string what) =>
        Assert.True(TestData.Host(cpu, t.Cpu).SequenceEqual(TestData.Host(gpu, t.Gpu)), what);

    // ---- memory, element-wise and reductions ---------------------------------------------------------------------------------

    [Fact]
    public void UploadDownloadRoundTripThroughViews()
    {
        var gpu = fixture.Gpu();
        float[] data = Fresh(7 * 9);
        var (_, g) = Both(gpu, data, 7, 9, strided: true);
        Assert.Equal(data, TestData.Host(gpu, g));
        int[] idx = Enumerable.Range(0, 40).Select(i => i * 3 - 5).ToArray();
        var (_, gi) = BothIndices(gpu, idx, 5, 8);
        Assert.Equal(idx, TestData.Host(gpu, gi));
        Assert.Equal(idx[8..16], TestData.Host(gpu, gi.RowSlice(1, 1)));
        var z = gpu.Allocate(3, 5);
        Assert.All(TestData.Host(gpu, z), v => Assert.Equal(0f, v)); // buffers start zeroed
        Assert.StartsWith("cuda:0", gpu.Name);
        Assert.Contains("sm_", gpu.Description);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ElementWiseOperations(bool strided)
    {
        var gpu = fixture.Gpu();
        int rows = 37, cols = 301;
        float[] a = Fresh(rows * cols), b = Fresh(rows * cols), bias = Fresh(cols);
        var ta = Both(gpu, a, rows, cols, strided);
        var tb = Both(gpu, b, rows, cols, strided);

        var c = Poisoned(gpu, rows, cols, strided);
        cpu.Copy(ta.Cpu, c.Cpu); gpu.Copy(ta.Gpu, c.Gpu); Exact(gpu, c, "copy");
        cpu.Add(ta.Cpu, tb.Cpu, c.Cpu); gpu.Add(ta.Gpu, tb.Gpu, c.Gpu); Exact(gpu, c, "add");
        cpu.Multiply(ta.Cpu, tb.Cpu, c.Cpu); gpu.Multiply(ta.Gpu, tb.Gpu, c.Gpu); Exact(gpu, c, "multiply");
        cpu.Add(c.Cpu, ta.Cpu, c.Cpu); gpu.Add(c.Gpu, ta.Gpu, c.Gpu); Exact(gpu, c, "add in place");
        cpu.Scale(c.Cpu, -0.3f); gpu.Scale(c.Gpu, -0.3f); Exact(gpu, c, "scale");
        cpu.Axpy(1.7f, tb.Cpu, c.Cpu); gpu.Axpy(1.7f, tb.Gpu, c.Gpu); Same(gpu, c, "axpy");
        var tbias = Both(gpu, bias, 1, cols);
        cpu.AddRowVector(c.Cpu, tbias.Cpu); gpu.AddRowVector(c.Gpu, tbias.Gpu); Same(gpu, c, "add row vector");
        cpu.Fill(c.Cpu, 2.5f); gpu.Fill(c.Gpu, 2.5f); Exact(gpu, c, "fill");

        // the CPU sums in float lanes, the GPU in double: agreement to float accuracy
        Assert.Equal(cpu.SumOfSquares(ta.Cpu), gpu.SumOfSquares(ta.Gpu), 1e-5 * cpu.SumOfSquares(ta.Cpu));
        float[] sub = (float[])a.Clone();
        sub[3] = 1e-39f; sub[100] = -2e-40f; sub[rows * cols - 1] = 1e-45f;
        var ts = Both(gpu, sub, rows, cols, strided);
        Assert.Equal(3, cpu.CountSubnormals(ts.Cpu));
        Assert.Equal(3, gpu.CountSubnormals(ts.Gpu));

        foreach (bool acc in new[] { false, true })
        {
            var sums = Both(gpu, Fresh(cols), 1, cols);
            cpu.ColumnSums(ta.Cpu, sums.Cpu, acc); gpu.ColumnSums(ta.Gpu, sums.Gpu, acc); Same(gpu, sums, $"column sums (accumulate {acc})");
            var rsums = Both(gpu, Fresh(rows), 1, rows);
            cpu.RowSums(ta.Cpu, rsums.Cpu, acc); gpu.RowSums(ta.Gpu, rsums.Gpu, acc); Same(gpu, rsums, $"row sums (accumulate {acc})");
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void GemmMatchesTheCpuSgemm(bool ta, bool tb)
    {
        var gpu = fixture.Gpu();
        int m = 33, n = 70, k = 129;
        var a = Both(gpu, Fresh(m * k), ta ? k : m, ta ? m : k, strided: true);
        var b = Both(gpu, Fresh(k * n), tb ? n : k, tb ? k : n);
        var c = Poisoned(gpu, m, n, strided: true);
        cpu.Gemm(ta, tb, 0.7f, a.Cpu, b.Cpu, 0f, c.Cpu); gpu.Gemm(ta, tb, 0.7f, a.Gpu, b.Gpu, 0f, c.Gpu);
        Same(gpu, c, "C (beta 0, NaN poison ignored)");
        cpu.Gemm(ta, tb, -1f, a.Cpu, b.Cpu, 0.5f, c.Cpu); gpu.Gemm(ta, tb, -1f, a.Gpu, b.Gpu, 0.5f, c.Gpu);
        Same(gpu, c, "C (beta 0.5)");
        long calls = gpu.Counters.GemmCalls;
        gpu.Synchronize();
        Assert.True(calls >= 2 && gpu.Counters.GemmTicks > 0);
    }

    [Fact]
    public void ActivationsAndBackward()
    {
        var gpu = fixture.Gpu();
        int rows = 19, cols = 257;
        var x = Both(gpu, Fresh(rows * cols, 4f), rows, cols, strided: true);
        var dy = Both(gpu, Fresh(rows * cols), rows, cols);
        foreach (string act in new[] { "relu", "sigmoid", "tanh", "cube" })
        {
            var y = Poisoned(gpu, rows, cols);
            var dx = Poisoned(gpu, rows, cols, strided: true);
            switch (act)
            {
                case "relu": cpu.Relu(x.Cpu, y.Cpu); gpu.Relu(x.Gpu, y.Gpu); break;
                case "sigmoid": cpu.Sigmoid(x.Cpu, y.Cpu); gpu.Sigmoid(x.Gpu, y.Gpu); break;
                case "tanh": cpu.Tanh(x.Cpu, y.Cpu); gpu.Tanh(x.Gpu, y.Gpu); break;
                default: cpu.Cube(x.Cpu, y.Cpu); gpu.Cube(x.Gpu, y.Gpu); break;
            }
            Same(gpu, y, act);
            switch (act)
            {
                case "relu": cpu.ReluBackward(y.Cpu, dy.Cpu, dx.Cpu); gpu.ReluBackward(y.Gpu, dy.Gpu, dx.Gpu); break;
                case "sigmoid": cpu.SigmoidBackward(y.Cpu, dy.Cpu, dx.Cpu); gpu.SigmoidBackward(y.Gpu, dy.Gpu, dx.Gpu); break;
                case "tanh": cpu.TanhBackward(y.Cpu, dy.Cpu, dx.Cpu); gpu.TanhBackward(y.Gpu, dy.Gpu, dx.Gpu); break;
                default: cpu.CubeBackward(x.Cpu, dy.Cpu, dx.Cpu); gpu.CubeBackward(x.Gpu, dy.Gpu, dx.Gpu); break;
            }
            Same(gpu, dx, act + " backward");
        }
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.5f)]
    public void DropoutDrawsTheCpuMaskBitwise(float rate)
    {
        var gpu = fixture.Gpu();
        int rows = 64, cols = 500;
        var x = Both(gpu, Fresh(rows * cols), rows, cols);
        var mask = Poisoned(gpu, rows, cols, strided: true);
        var y = Poisoned(gpu, rows, cols);
        cpu.DropoutForward(x.Cpu, mask.Cpu, y.Cpu, rate, 12345, 678);
        gpu.DropoutForward(x.Gpu, mask.Gpu, y.Gpu, rate, 12345, 678);
        Exact(gpu, mask, "mask");
        Exact(gpu, y, "y");
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.5f)]
    public void ReluDropoutIsTheCpusBitwise(float rate)
    {
        var gpu = fixture.Gpu();
        int rows = 64, cols = 500;
        var x = Both(gpu, Fresh(rows * cols), rows, cols);
        var dy = Both(gpu, Fresh(rows * cols), rows, cols);
        var factor = Poisoned(gpu, rows, cols, strided: true);
        var y = Poisoned(gpu, rows, cols);
        var dx = Poisoned(gpu, rows, cols, strided: true);
        cpu.ReluDropoutForward(x.Cpu, factor.Cpu, y.Cpu, rate, 12345, 678);
        gpu.ReluDropoutForward(x.Gpu, factor.Gpu, y.Gpu, rate, 12345, 678);
        cpu.ReluDropoutBackward(factor.Cpu, dy.Cpu, dx.Cpu);
        gpu.ReluDropoutBackward(factor.Gpu, dy.Gpu, dx.Gpu);
        Exact(gpu, factor, "factor");
        Exact(gpu, y, "y");
        Exact(gpu, dx, "dx");
    }

    [Fact]
    public void SoftmaxCrossEntropyAndArgmax()
    {
        var gpu = fixture.Gpu();
        foreach (int rows in new[] { 1, 32, 1000 })
        {
            int classes = 10;
            var logits = Both(gpu, Fresh(rows * classes, 5f), rows, classes);
            int[] labels = Enumerable.Range(0, rows).Select(i => (i * 7 + seed) % classes).ToArray();
            var lab = BothIndices(gpu, labels, rows, 1);
            var grad = Poisoned(gpu, rows, classes);
            var stats = Both(gpu, [0.5f, 3f], 1, 2);
            cpu.SoftmaxCrossEntropy(logits.Cpu, lab.Cpu, grad.Cpu, 1f / rows, stats.Cpu);
            gpu.SoftmaxCrossEntropy(logits.Gpu, lab.Gpu, grad.Gpu, 1f / rows, stats.Gpu);
            Same(gpu, grad, "gradient");
            Same(gpu, stats, "stats (loss sum, correct)");
            cpu.SoftmaxCrossEntropy(logits.Cpu, lab.Cpu, null, 1f, stats.Cpu);
            gpu.SoftmaxCrossEntropy(logits.Gpu, lab.Gpu, null, 1f, stats.Gpu);
            Same(gpu, stats, "stats without a gradient");
            var arg = BothIndices(gpu, new int[rows], 1, rows);
            cpu.ArgmaxRows(logits.Cpu, arg.Cpu); gpu.ArgmaxRows(logits.Gpu, arg.Gpu);
            Exact(gpu, arg, "argmax");
        }
    }

    // ---- selection, compaction, sparse backward ------------------------------------------------------------------------------------

    [Fact]
    public void SelectionAndCompactionAreExact()
    {
        var gpu = fixture.Gpu();
        int rows = 40, n = 700, k = 14, m = 33;
        var x = Both(gpu, Fresh(rows * n), rows, n, strided: true);
        var idx = BothIndices(gpu, new int[rows * k], rows, k);
        var val = Poisoned(gpu, rows, k);
        cpu.TopKAbsRows(x.Cpu, k, idx.Cpu, val.Cpu); gpu.TopKAbsRows(x.Gpu, k, idx.Gpu, val.Gpu);
        Exact(gpu, idx, "top-k indices"); Exact(gpu, val, "top-k values");
        var uni = BothIndices(gpu, new int[k], 1, k);
        cpu.TopKAbsUnified(x.Cpu, k, uni.Cpu); gpu.TopKAbsUnified(x.Gpu, k, uni.Gpu);
        Exact(gpu, uni, "unified top-k");

        var gc = Poisoned(gpu, rows, k);
        cpu.GatherColumns(x.Cpu, uni.Cpu, gc.Cpu); gpu.GatherColumns(x.Gpu, uni.Gpu, gc.Gpu); Exact(gpu, gc, "gather columns");
        var gr = Poisoned(gpu, rows, k);
        cpu.GatherColumnsPerRow(x.Cpu, idx.Cpu, gr.Cpu); gpu.GatherColumnsPerRow(x.Gpu, idx.Gpu, gr.Gpu); Exact(gpu, gr, "gather per row");
        var w = Both(gpu, Fresh(n * m), n, m);
        var rowsOut = Poisoned(gpu, k, m);
        cpu.GatherRows(w.Cpu, uni.Cpu, rowsOut.Cpu); gpu.GatherRows(w.Gpu, uni.Gpu, rowsOut.Gpu); Exact(gpu, rowsOut, "gather rows");
        var dst = Both(gpu, Fresh(n * m), n, m);
        cpu.ScatterAddRows(rowsOut.Cpu, uni.Cpu, 0.5f, dst.Cpu); gpu.ScatterAddRows(rowsOut.Gpu, uni.Gpu, 0.5f, dst.Gpu); Same(gpu, dst, "scatter add rows");
        var dense = Poisoned(gpu, rows, n, strided: true);
        cpu.ScatterColumns(gc.Cpu, uni.Cpu, dense.Cpu); gpu.ScatterColumns(gc.Gpu, uni.Gpu, dense.Gpu); Exact(gpu, dense, "scatter columns");

        var z1 = Both(gpu, Fresh(rows * n), rows, n);
        cpu.ZeroSelected(z1.Cpu, idx.Cpu, perRow: true); gpu.ZeroSelected(z1.Gpu, idx.Gpu, perRow: true); Exact(gpu, z1, "zero selected per row");
        cpu.ZeroSelected(z1.Cpu, uni.Cpu, perRow: false); gpu.ZeroSelected(z1.Gpu, uni.Gpu, perRow: false); Exact(gpu, z1, "zero selected unified");

        var counts = Both(gpu, new float[n], 1, n);
        cpu.IndexAdd(idx.Cpu, null, 1f, counts.Cpu); gpu.IndexAdd(idx.Gpu, null, 1f, counts.Gpu); Exact(gpu, counts, "index add counts");
        cpu.IndexAdd(idx.Cpu, val.Cpu, 0.25f, counts.Cpu); gpu.IndexAdd(idx.Gpu, val.Gpu, 0.25f, counts.Gpu); Same(gpu, counts, "index add values");

        var rk = BothIndices(gpu, new int[rows * k], rows, k);
        gpu.RandomKRows(n, k, 99, 1000, rk.Gpu);
        int[] draw = TestData.Host(gpu, rk.Gpu);
        for (int r = 0; r < rows; r++)
        {
            var row = draw.AsSpan(r * k, k).ToArray();
            Assert.All(row, c => Assert.InRange(c, 0, n - 1));
            for (int j = 1; j < k; j++) Assert.True(row[j] > row[j - 1], "random-k: ascending and distinct");
        }
        var ru = BothIndices(gpu, new int[k], 1, k);
        gpu.RandomKUnified(n, k, 7, ru.Gpu);
        int[] u = TestData.Host(gpu, ru.Gpu);
        Assert.Equal(u.Distinct().Order(), u);
    }

    [Theory]
    [InlineData(SparseBackwardAlgorithm.EllSorted)]
    [InlineData(SparseBackwardAlgorithm.EllAtomic)]
    [InlineData(SparseBackwardAlgorithm.CuSparse)]
    public void SparseBackwardEveryAlgorithmMatchesTheCpu(SparseBackwardAlgorithm algorithm)
    {
        var gpu = fixture.Gpu();
        var saved = gpu.SparseAlgorithm;
        try
        {
            gpu.SparseAlgorithm = algorithm;
            foreach (var (batch, n, m, k) in new[] { (1, 50, 20, 3), (32, 500, 784, 20), (128, 1024, 300, 41) })
            {
                var dy = Both(gpu, Fresh(batch * n), batch, n);
                var idx = BothIndices(gpu, new int[batch * k], batch, k);
                var val = Poisoned(gpu, batch, k);
                cpu.TopKAbsRows(dy.Cpu, k, idx.Cpu, val.Cpu); gpu.TopKAbsRows(dy.Gpu, k, idx.Gpu, val.Gpu);
                var w = Both(gpu, Fresh(n * m), n, m, strided: true);
                var x = Both(gpu, Fresh(batch * m), batch, m);
                var dx = Poisoned(gpu, batch, m, strided: true);
                cpu.SparseBackwardDx(idx.Cpu, val.Cpu, w.Cpu, dx.Cpu); gpu.SparseBackwardDx(idx.Gpu, val.Gpu, w.Gpu, dx.Gpu);
                Same(gpu, dx, $"dx ({algorithm}, {batch}x{n}x{m}, k {k})");
                var dw = Both(gpu, Fresh(n * m), n, m, strided: true);
                cpu.SparseBackwardDw(idx.Cpu, val.Cpu, x.Cpu, dw.Cpu); gpu.SparseBackwardDw(idx.Gpu, val.Gpu, x.Gpu, dw.Gpu);
                Same(gpu, dw, $"dW ({algorithm}, {batch}x{n}x{m}, k {k})");
            }
        }
        finally { gpu.SparseAlgorithm = saved; }
    }

    // ---- optimizer steps ----------------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(1f, 0f, 0f)]
    [InlineData(0.5f, 1e-3f, 0.05f)]
    public void OptimizerStepsMatchTheCpu(float scale, float l2, float clip)
    {
        var gpu = fixture.Gpu();
        int n = 5003;
        var t = new GradientTransform(scale, l2, clip);
        float[] w = Fresh(n), g = Fresh(n, 0.1f), s1 = Fresh(n, 0.01f), s2 = Fresh(n, 0.01f).Select(v => v * v).ToArray();

        var (wc, wg) = Both(gpu, w, 1, n); var (gc, gg) = Both(gpu, g, 1, n); var (mc, mg) = Both(gpu, s1, 1, n); var (vc, vg) = Both(gpu, s2, 1, n);
        var adam = new AdamStepArguments(1e-3f, 0.9f, 0.999f, 1e-8f, t);
        cpu.AdamStep(wc, gc, mc, vc, adam); gpu.AdamStep(wg, gg, mg, vg, adam);
        Same(gpu, (wc, wg), "adam w"); Same(gpu, (mc, mg), "adam m"); Same(gpu, (vc, vg), "adam v"); Exact(gpu, (gc, gg), "adam gradient zeroed");

        (wc, wg) = Both(gpu, w, 1, n); (gc, gg) = Both(gpu, g, 1, n); (vc, vg) = Both(gpu, s2, 1, n);
        var adagrad = new AdaGradStepArguments(0.01f, 1e-6f, t);
        cpu.AdaGradStep(wc, gc, vc, adagrad); gpu.AdaGradStep(wg, gg, vg, adagrad);
        Same(gpu, (wc, wg), "adagrad w"); Same(gpu, (vc, vg), "adagrad h");

        foreach (float momentum in new[] { 0f, 0.9f })
        {
            (wc, wg) = Both(gpu, w, 1, n); (gc, gg) = Both(gpu, g, 1, n); (mc, mg) = Both(gpu, s1, 1, n);
            var sgd = new SgdStepArguments(0.05f, momentum, t);
            cpu.SgdStep(wc, gc, mc, sgd); gpu.SgdStep(wg, gg, mg, sgd);
            Same(gpu, (wc, wg), $"sgd w (momentum {momentum})"); Same(gpu, (mc, mg), "velocity"); Exact(gpu, (gc, gg), "sgd gradient zeroed");
        }
    }

    // ---- sequence family --------------------------------------------------------------------------------------------------------

    [Fact]
    public void LstmCellGroupedTopKAndIndexPlacement()
    {
        var gpu = fixture.Gpu();
        int rows = 21, hidden = 40, m = 30, k = 5;
        foreach (bool withPrev in new[] { false, true })
        {
            float[] z = Fresh(rows * 4 * hidden, 3f);
            var gates = Both(gpu, z, rows, 4 * hidden);
            var prev = Both(gpu, Fresh(rows * hidden), rows, hidden);
            var c = Poisoned(gpu, rows, hidden); var tc = Poisoned(gpu, rows, hidden); var h = Poisoned(gpu, rows, hidden, strided: true);
            cpu.LstmCellForward(gates.Cpu, withPrev ? prev.Cpu : null, c.Cpu, tc.Cpu, h.Cpu);
            gpu.LstmCellForward(gates.Gpu, withPrev ? prev.Gpu : null, c.Gpu, tc.Gpu, h.Gpu);
            Same(gpu, gates, "gate activations"); Same(gpu, c, "c"); Same(gpu, tc, "tanh c"); Same(gpu, h, "h");

            var dh = Both(gpu, Fresh(rows * hidden), rows, hidden);
            var carry = Both(gpu, Fresh(8 * hidden), 8, hidden);
            var dc = Both(gpu, Fresh(rows * hidden), rows, hidden);
            var dg = Poisoned(gpu, rows, 4 * hidden);
            cpu.LstmCellBackward(gates.Cpu, withPrev ? prev.Cpu : null, tc.Cpu, dh.Cpu, carry.Cpu, 8, dc.Cpu, dg.Cpu);
            gpu.LstmCellBackward(gates.Gpu, withPrev ? prev.Gpu : null, tc.Gpu, dh.Gpu, carry.Gpu, 8, dc.Gpu, dg.Gpu);
            Same(gpu, dg, "d gates"); Same(gpu, dc, "dc");

            var idx = BothIndices(gpu, new int[rows * 4 * k], rows, 4 * k);
            var val = Poisoned(gpu, rows, 4 * k);
            cpu.TopKAbsRowsGrouped(dg.Cpu, 4, k, idx.Cpu, val.Cpu); gpu.TopKAbsRowsGrouped(dg.Gpu, 4, k, idx.Gpu, val.Gpu);
            Exact(gpu, idx, "grouped top-k indices"); Exact(gpu, val, "grouped top-k values");
            var x = Both(gpu, Fresh(rows * m), rows, m);
            var dw = Both(gpu, Fresh(4 * hidden * m), 4 * hidden, m);
            cpu.SparseBackwardDwGrouped(idx.Cpu, val.Cpu, 4, x.Cpu, dw.Cpu); gpu.SparseBackwardDwGrouped(idx.Gpu, val.Gpu, 4, x.Gpu, dw.Gpu);
            Same(gpu, dw, "grouped dW");

            var src = BothIndices(gpu, Enumerable.Range(0, rows * k).ToArray(), rows, k);
            var dst = BothIndices(gpu, Enumerable.Repeat(-7, rows * 3 * k).ToArray(), rows, 3 * k);
            cpu.PlaceIndexColumns(src.Cpu, dst.Cpu, k, 100); gpu.PlaceIndexColumns(src.Gpu, dst.Gpu, k, 100);
            Exact(gpu, dst, "place index columns");
        }
    }

    [Fact]
    public void ConvolutionWeightGradientFromColumns()
    {
        var gpu = fixture.Gpu();
        int channels = 4, examples = 5, positions = 10, k = 3, patch = 27;
        var rng = new Random(seed++);
        var idx = new int[channels * examples * k];
        for (int c = 0; c < channels; c++)
            for (int e = 0; e < examples; e++)
            {
                var ps = Enumerable.Range(0, positions).OrderBy(_ => rng.Next()).Take(k).Order().ToArray();
                for (int j = 0; j < k; j++) idx[(c * examples + e) * k + j] = e * positions + ps[j];
            }
        var indices = BothIndices(gpu, idx, channels, examples * k);
        var values = Both(gpu, Fresh(channels * examples * k), channels, examples * k);
        var columns = Both(gpu, Fresh(examples * positions * patch), examples * positions, patch);
        foreach (bool accumulate in new[] { false, true })
        {
            var dw = accumulate ? Both(gpu, Fresh(channels * patch), channels, patch) : Poisoned(gpu, channels, patch);
            cpu.ConvSparseBackwardWeightsFromColumns(indices.Cpu, values.Cpu, columns.Cpu, dw.Cpu, accumulate);
            gpu.ConvSparseBackwardWeightsFromColumns(indices.Gpu, values.Gpu, columns.Gpu, dw.Gpu, accumulate);
            Same(gpu, dw, $"dW from columns (accumulate {accumulate})");
        }
    }

    // ---- convolutional networks (meProp-CNN) ---------------------------------------------------------------------------------

    private static ConvGeometry Geometry(int h, int w, int c, int kernel, bool same, int stride) =>
        same ? ConvGeometry.Same(h, w, c, kernel, stride) : ConvGeometry.Valid(h, w, c, kernel, stride);

    [Theory]
    [InlineData(2, 5, 7, 3, 3, 1, true)]
    [InlineData(3, 6, 5, 33, 3, 2, true)]
    [InlineData(1, 4, 4, 1, 2, 2, false)]
    [InlineData(2, 9, 6, 5, 5, 2, true)]
    public void Im2ColAndCol2Im(int batch, int h, int w, int c, int kernel, int stride, bool same)
    {
        var gpu = fixture.Gpu();
        var g = Geometry(h, w, c, kernel, same, stride);
        int rows = batch * g.Positions;
        var x = Both(gpu, Fresh(batch * g.InputSize), batch, g.InputSize, strided: true);
        var cols = Poisoned(gpu, rows, g.PatchSize, strided: true);
        cpu.Im2Col(x.Cpu, g, cols.Cpu); gpu.Im2Col(x.Gpu, g, cols.Gpu);
        Exact(gpu, cols, $"im2col {g}");
        var dcols = Both(gpu, Fresh(rows * g.PatchSize), rows, g.PatchSize, strided: true);
        var dx = Poisoned(gpu, batch, g.InputSize, strided: true);
        cpu.Col2Im(dcols.Cpu, g, dx.Cpu); gpu.Col2Im(dcols.Gpu, g, dx.Gpu);
        Exact(gpu, dx, $"col2im {g}"); // the same sums in the same order
        Assert.Throws<ArgumentException>(() => gpu.Im2Col(x.Gpu, g, gpu.Allocate(rows + 1, g.PatchSize)));
    }

    [Theory]
    [InlineData(2, 25, 3, 5, 0f)]
    [InlineData(2, 25, 3, 5, 0.6f)]
    [InlineData(3, 49, 33, 1, 0f)]
    [InlineData(2, 16, 5, 16, 0.6f)]
    public void TopKPerMapIsTheCpuSelectionAndRunningUpdate(int batch, int positions, int channels, int k, float decay)
    {
        var gpu = fixture.Gpu();
        // ties (few distinct magnitudes), zeros and a NaN
        var rng = new Random(seed++);
        float[] dy = Enumerable.Range(0, batch * positions * channels)
            .Select(_ => rng.Next(10) < 3 ? 0f : (rng.Next(9) - 4) * 0.3f).ToArray();
        dy[positions * channels / 2] = float.NaN;
        var tdy = Both(gpu, dy, batch, positions * channels, strided: true);
        var running = Both(gpu, Fresh(channels * positions).Select(MathF.Abs).ToArray(), channels, positions);
        var scores = (cpu.Allocate(batch * channels, positions), gpu.Allocate(batch * channels, positions));
        var maps = (cpu.AllocateIndices(batch * channels, k), gpu.AllocateIndices(batch * channels, k));
        var idx = BothIndices(gpu, Enumerable.Repeat(-1, channels * batch * k).ToArray(), channels, batch * k);
        var val = Poisoned(gpu, channels, batch * k, strided: true);
        cpu.TopKPerMap(tdy.Cpu, channels, k, running.Cpu, decay, scores.Item1, maps.Item1, idx.Cpu, val.Cpu);
        gpu.TopKPerMap(tdy.Gpu, channels, k, running.Gpu, decay, scores.Item2, maps.Item2, idx.Gpu, val.Gpu);
        Exact(gpu, idx, "per-map indices");
        Exact(gpu, val, "per-map values");
        Exact(gpu, running, "running gradient");
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            gpu.TopKPerMap(tdy.Gpu, channels, positions + 1, running.Gpu, decay, scores.Item2, maps.Item2, idx.Gpu, val.Gpu));
    }

    [Theory]
    [InlineData(2, 5, 7, 3, 3, 1, true, 4)]
    [InlineData(3, 6, 5, 33, 3, 2, true, 1)]
    [InlineData(1, 4, 4, 1, 2, 2, false, 4)]
    [InlineData(2, 9, 6, 5, 5, 2, true, 6)]
    public void SparseConvolutionGradients(int batch, int h, int w, int c, int kernel, int stride, bool same, int k)
    {
        var gpu = fixture.Gpu();
        var g = Geometry(h, w, c, kernel, same, stride);
        int channels = 6, positions = g.Positions;
        k = Math.Min(k, positions);
        var rng = new Random(seed++);
        var idx = new int[channels * batch * k];
        for (int ch = 0; ch < channels; ch++)
            for (int e = 0; e < batch; e++)
            {
                var ps = Enumerable.Range(0, positions).OrderBy(_ => rng.Next()).Take(k).Order().ToArray();
                for (int j = 0; j < k; j++) idx[(ch * batch + e) * k + j] = e * positions + ps[j];
            }
        var indices = BothIndices(gpu, idx, channels, batch * k);
        var values = Both(gpu, Fresh(channels * batch * k), channels, batch * k, strided: true);
        var x = Both(gpu, Fresh(batch * g.InputSize), batch, g.InputSize, strided: true);
        var weights = Both(gpu, Fresh(channels * g.PatchSize), channels, g.PatchSize, strided: true);
        foreach (bool accumulate in new[] { false, true })
        {
            var dw = accumulate ? Both(gpu, Fresh(channels * g.PatchSize), channels, g.PatchSize, strided: true) : Poisoned(gpu, channels, g.PatchSize, strided: true);
            cpu.ConvSparseBackwardWeights(indices.Cpu, values.Cpu, k, x.Cpu, g, dw.Cpu, accumulate);
            gpu.ConvSparseBackwardWeights(indices.Gpu, values.Gpu, k, x.Gpu, g, dw.Gpu, accumulate);
            Same(gpu, dw, $"sparse conv dW {g} (accumulate {accumulate})");
        }
        var dx = Poisoned(gpu, batch, g.InputSize, strided: true);
        cpu.ConvSparseBackwardInput(indices.Cpu, values.Cpu, k, weights.Cpu, g, dx.Cpu);
        gpu.ConvSparseBackwardInput(indices.Gpu, values.Gpu, k, weights.Gpu, g, dx.Gpu);
        Same(gpu, dx, $"sparse conv dx {g}");
        Assert.Throws<ArgumentException>(() => gpu.ConvSparseBackwardInput(indices.Gpu, values.Gpu, k + 1, weights.Gpu, g, dx.Gpu));
    }

    [Theory]
    [InlineData(2, 4, 4, 3)]
    [InlineData(1, 5, 7, 33)]
    [InlineData(3, 6, 3, 8)]
    public void MaxPoolingTiesNaNAndOddSizes(int batch, int h, int w, int c)
    {
        var gpu = fixture.Gpu();
        var rng = new Random(seed++);
        float[] data = Enumerable.Range(0, batch * h * w * c)
            .Select(_ => rng.Next(20) switch { 0 => float.NaN, 1 => -0f, 2 => 0f, var v => v % 5 - 2f }).ToArray();
        int pooled = h / 2 * (w / 2) * c;
        var x = Both(gpu, data, batch, h * w * c, strided: true);
        var y = Poisoned(gpu, batch, pooled, strided: true);
        cpu.MaxPool2x2(x.Cpu, h, w, c, y.Cpu); gpu.MaxPool2x2(x.Gpu, h, w, c, y.Gpu);
        Exact(gpu, y, "max pool");
        var dy = Both(gpu, Fresh(batch * pooled), batch, pooled, strided: true);
        var dx = Poisoned(gpu, batch, h * w * c, strided: true);
        cpu.MaxPool2x2Backward(x.Cpu, y.Cpu, dy.Cpu, h, w, c, dx.Cpu); gpu.MaxPool2x2Backward(x.Gpu, y.Gpu, dy.Gpu, h, w, c, dx.Gpu);
        Exact(gpu, dx, "max pool backward");
        Assert.Throws<ArgumentException>(() => gpu.MaxPool2x2(x.Gpu, h, w, c, gpu.Allocate(batch, pooled + 1)));
    }

    [Theory]
    [InlineData(1, 5)]
    [InlineData(75, 33)]
    [InlineData(300, 16)]
    public void BatchNormalization(int rows, int channels)
    {
        var gpu = fixture.Gpu();
        float[] data = Fresh(rows * channels, 2f).Select((v, i) => v + 0.5f * (i % channels)).ToArray();
        var x = Both(gpu, data, rows, channels);
        var gamma = Both(gpu, Fresh(channels), 1, channels);
        var beta = Both(gpu, Fresh(channels), 1, channels);
        var mean = Both(gpu, Fresh(channels), 1, channels);
        var variance = Both(gpu, Fresh(channels).Select(v => MathF.Abs(v) + 0.1f).ToArray(), 1, channels);
        var xhat = Poisoned(gpu, rows, channels);
        var inv = Poisoned(gpu, 1, channels);
        var y = Poisoned(gpu, rows, channels);
        cpu.BatchNormForwardTraining(x.Cpu, channels, gamma.Cpu, beta.Cpu, 1e-5f, 0.1f, mean.Cpu, variance.Cpu, xhat.Cpu, inv.Cpu, y.Cpu);
        gpu.BatchNormForwardTraining(x.Gpu, channels, gamma.Gpu, beta.Gpu, 1e-5f, 0.1f, mean.Gpu, variance.Gpu, xhat.Gpu, inv.Gpu, y.Gpu);
        Same(gpu, xhat, "xhat"); Same(gpu, inv, "inv std"); Same(gpu, y, "y"); Same(gpu, mean, "running mean"); Same(gpu, variance, "running variance");

        var yi = Poisoned(gpu, rows, channels);
        cpu.BatchNormForwardInference(x.Cpu, channels, gamma.Cpu, beta.Cpu, 1e-5f, mean.Cpu, variance.Cpu, yi.Cpu);
        gpu.BatchNormForwardInference(x.Gpu, channels, gamma.Gpu, beta.Gpu, 1e-5f, mean.Gpu, variance.Gpu, yi.Gpu);
        Same(gpu, yi, "inference y");

        var dy = Both(gpu, Fresh(rows * channels), rows, channels);
        foreach (bool accumulate in new[] { false, true })
        {
            var dgamma = accumulate ? Both(gpu, Fresh(channels), 1, channels) : Poisoned(gpu, 1, channels);
            var dbeta = accumulate ? Both(gpu, Fresh(channels), 1, channels) : Poisoned(gpu, 1, channels);
            var dx = Poisoned(gpu, rows, channels);
            cpu.BatchNormBackward(dy.Cpu, xhat.Cpu, channels, gamma.Cpu, inv.Cpu, dgamma.Cpu, dbeta.Cpu, accumulate, dx.Cpu);
            gpu.BatchNormBackward(dy.Gpu, xhat.Gpu, channels, gamma.Gpu, inv.Gpu, dgamma.Gpu, dbeta.Gpu, accumulate, dx.Gpu);
            Same(gpu, dgamma, $"dgamma (accumulate {accumulate})"); Same(gpu, dbeta, $"dbeta (accumulate {accumulate})"); Same(gpu, dx, "batch norm dx");
        }
        Assert.Throws<ArgumentException>(() => gpu.BatchNormForwardInference(x.Gpu, channels + 1, gamma.Gpu, beta.Gpu, 1e-5f, mean.Gpu, variance.Gpu, yi.Gpu));
    }

    // ---- strategies and training ------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("dense", SparseBackwardAlgorithm.EllSorted)]
    [InlineData("topk", SparseBackwardAlgorithm.EllSorted)]
    [InlineData("topk", SparseBackwardAlgorithm.EllAtomic)]
    [InlineData("topk", SparseBackwardAlgorithm.CuSparse)]
    [InlineData("unified", SparseBackwardAlgorithm.EllSorted)]
    [InlineData("msbp", SparseBackwardAlgorithm.CuSparse)]
    public void StrategiesGiveTheCpuGradients(string strategy, SparseBackwardAlgorithm algorithm)
    {
        var gpu = fixture.Gpu();
        var saved = gpu.SparseAlgorithm;
        gpu.SparseAlgorithm = algorithm;
        try
        {
            int batch = 64, m = 784, n = 500, k = 20;
            float[] w = Fresh(n * m, 0.05f), x = Fresh(batch * m), dy = Fresh(batch * n);
            var results = new List<float[]>[2];
            int side = 0;
            foreach (IBackend b in new IBackend[] { cpu, gpu })
            {
                var kind = StrategyKinds.Parse(strategy);
                var linear = new Linear(b, m, n, StrategyFactory.Create(b, kind, k, 1, 0.5f));
                b.Upload(w, linear.Weight.Value);
                var dx = b.Allocate(batch, m);
                for (int step = 0; step < 2; step++) // MSBP carries memory into the second step
                    linear.Backward(TestData.Tensor(b, x, batch, m), TestData.Tensor(b, dy, batch, n), dx, StepContext.TrainingStep(step, 0));
                results[side++] = [TestData.Host(b, linear.Weight.Gradient), TestData.Host(b, linear.Bias!.Gradient), TestData.Host(b, dx)];
            }
            Close(results[0][0], results[1][0], "dW");
            Close(results[0][1], results[1][1], "db");
            Close(results[0][2], results[1][2], "dx");
        }
        finally { gpu.SparseAlgorithm = saved; }
    }

    [Fact]
    public void TrainingOnTheGpuFollowsTheCpu()
    {
        var gpu = fixture.Gpu();
        using var tiny = new TinyMnist(train: 240, test: 80);
        var config = new TrainConfig
        {
            DataDir = tiny.Directory, DevSize = 40, Hidden = [32, 32], Classes = 4, Strategy = StrategyKind.Dense, K = [],
            Epochs = 2, BatchSize = 16, Dropout = 0.1f,
        };
        var data = config.DataFiles().Load(config.DevSize, 0, config.Classes);
        var onCpu = new Trainer(config, cpu, data).Run(TestContext.Current.CancellationToken);
        var onGpu = new Trainer(config, gpu, data).Run(TestContext.Current.CancellationToken);
        Assert.Equal("cuda:0", onGpu.Backend);
        for (int e = 0; e < 2; e++)
            Assert.Equal(onCpu.Epochs[e].TrainLoss, onGpu.Epochs[e].TrainLoss, 1e-3 * onCpu.Epochs[e].TrainLoss);
        Assert.Equal(0, onGpu.Epochs[^1].SubnormalValues);
        Assert.True(onGpu.Epochs[0].GemmSeconds > 0);
    }

    [Fact]
    public void AutoMeasuresEveryGpuCandidateWithEvents()
    {
        var gpu = fixture.Gpu();
        var options = new AutoStrategyOptions { Cache = new AutoStrategyCache() };
        var auto = new AutoStrategy(gpu, 20, options);
        Assert.Equal(["dense", "topk/ell", "topk/ell-atomic", "topk/cusparse", "unified"], auto.Candidates);
        Assert.IsNotType<StopwatchTimer>(options.TimerFactory(gpu));
        var linear = new Linear(gpu, 784, 1024, auto);
        gpu.Upload(Fresh(1024 * 784, 0.05f), linear.Weight.Value);
        var dx = gpu.Allocate(128, 784);
        linear.Backward(TestData.Tensor(gpu, Fresh(128 * 784), 128, 784), TestData.Tensor(gpu, Fresh(128 * 1024), 128, 1024), dx,
            StepContext.TrainingStep(0, 0));
        var choice = Assert.Single(auto.Choices);
        Assert.Equal(5, choice.Seconds.Count);
        Assert.All(choice.Seconds.Values, s => Assert.InRange(s, 1e-7, 1.0));
        Assert.Equal(choice.Seconds.MinBy(p => p.Value).Key, choice.Chosen);
        Assert.Equal(SparseBackwardAlgorithm.EllSorted, gpu.SparseAlgorithm);
    }
}
