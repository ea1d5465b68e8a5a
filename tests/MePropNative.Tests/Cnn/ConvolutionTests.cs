using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Tests.Support;
using static MePropNative.Tests.Cnn.CnnTestSupport;

namespace MePropNative.Tests.Cnn;

[Collection(nameof(ThreadCountCollection))]
public class ConvolutionTests
{
    private readonly CpuBackend backend = new();

    public static TheoryData<int, int, int, int, int, int, bool> Geometries => new()
    {
        // h, w, cin, cout, kernel, stride, same padding
        { 6, 5, 3, 4, 3, 1, true },
        { 7, 7, 2, 3, 5, 1, true },
        { 7, 6, 3, 2, 3, 2, true },
        { 6, 6, 2, 3, 3, 1, false },
        { 5, 5, 9, 10, 5, 1, true },   // channel runs longer than one vector (tails)
        { 7, 6, 8, 3, 3, 2, true },    // whole-vector channels: gathered dx, register-blocked dW; stride 2
        { 6, 6, 16, 5, 3, 1, false },
        { 5, 4, 40, 3, 3, 1, true },   // 40 channels
        { 6, 6, 3, 2, 5, 1, true },    // window rows of 15 floats and K = 75: dW through libmeprop's sparse kernel
    };

    private static ConvGeometry Geometry(int h, int w, int cin, int kernel, int stride, bool same) =>
        same ? ConvGeometry.Same(h, w, cin, kernel, stride) : ConvGeometry.Valid(h, w, cin, kernel, stride);

    private Conv2d Layer(ConvGeometry g, int cout, PerMapTopK? selection, float[] w, float[] b)
    {
        var conv = new Conv2d(backend, g, cout, selection);
        backend.Upload(w, conv.Weight.Value);
        backend.Upload(b, conv.Bias!.Value);
        return conv;
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void ForwardMatchesTheHostConvolution(int h, int w, int cin, int cout, int kernel, int stride, bool same)
    {
        var g = Geometry(h, w, cin, kernel, stride, same);
        int n = 3;
        var x = TestData.Random(n * g.InputSize, 1); var wt = TestData.Random(cout * g.PatchSize, 2); var b = TestData.Random(cout, 3);
        var conv = Layer(g, cout, null, wt, b);
        var y = TestData.Host(backend, conv.Forward(Upload(backend, x, n, g.InputSize), Train));
        TestData.Close(ConvReference(x, wt, b, n, g, cout), y, 1e-5f, "y");
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void DenseGradientsMatchFiniteDifferences(int h, int w, int cin, int cout, int kernel, int stride, bool same)
    {
        var g = Geometry(h, w, cin, kernel, stride, same);
        int n = 2;
        var x = TestData.Random(n * g.InputSize, 4); var wt = TestData.Random(cout * g.PatchSize, 5); var b = TestData.Random(cout, 6);
        var conv = Layer(g, cout, null, wt, b);
        var xt = Upload(backend, x, n, g.InputSize);
        var r = TestData.Random(n * conv.OutputSize, 7);
        conv.Forward(xt, Train);
        var dx = TestData.Host(backend, conv.Backward(Upload(backend, r, n, conv.OutputSize))!);
        var dw = TestData.Host(backend, conv.Weight.Gradient); var db = TestData.Host(backend, conv.Bias!.Gradient);
        double Loss() => Dot(TestData.Host(backend, conv.Forward(xt, StepContext.Inference)), r);
        CheckGradient("dW", wt, v => backend.Upload(v, conv.Weight.Value), Loss, dw);
        CheckGradient("db", b, v => backend.Upload(v, conv.Bias.Value), Loss, db);
        CheckGradient("dx", x, v => backend.Upload(v, xt), Loss, dx);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void SparseBackwardEqualsDenseBackwardOfTheSelectedEntries(int h, int w, int cin, int cout, int kernel, int stride, bool same)
    {
        var g = Geometry(h, w, cin, kernel, stride, same);
        int n = 3, P = g.Positions;
        var x = TestData.Random(n * g.InputSize, 8); var wt = TestData.Random(cout * g.PatchSize, 9); var b = TestData.Random(cout, 10);
        var dy = TestData.Random(n * P * cout, 11);
        var selection = new PerMapTopK(backend, 0.3f);
        int k = selection.K(P);
        var sparse = Layer(g, cout, selection, wt, b);
        var xt = Upload(backend, x, n, g.InputSize);
        sparse.Forward(xt, Train);
        var dxS = TestData.Host(backend, sparse.Backward(Upload(backend, dy, n, P * cout))!);

        // the same pass, dense, on dy with everything but each map's top-k zeroed
        var masked = new float[dy.Length];
        for (int e = 0; e < n; e++)
            for (int c = 0; c < cout; c++)
                foreach (int p in TopK((e2, c2, p2) => MathF.Abs(dy[(e2 * P + p2) * cout + c2]), e, c, P, k))
                    masked[(e * P + p) * cout + c] = dy[(e * P + p) * cout + c];
        var dense = Layer(g, cout, null, wt, b);
        dense.Forward(xt, Train);
        var dxD = TestData.Host(backend, dense.Backward(Upload(backend, masked, n, P * cout))!);

        TestData.Close(TestData.Host(backend, dense.Weight.Gradient), TestData.Host(backend, sparse.Weight.Gradient), 1e-5f, "dW");
        TestData.Close(TestData.Host(backend, dense.Bias!.Gradient), TestData.Host(backend, sparse.Bias!.Gradient), 1e-5f, "db");
        TestData.Close(dxD, dxS, 1e-5f, "dx");
        Assert.Equal((long)n * cout * k, selection.Selected);
    }

    [Theory]
    [InlineData(3, 3)]   // window rows of 9 floats, K = 27: dW from the im2col rows, register-blocked
    [InlineData(3, 5)]   // K = 75: dW from the im2col rows through libmeprop's sparse kernel
    [InlineData(8, 3)]   // window rows of 24 floats: dW straight from the input images
    public void FullRatioEqualsDenseExactly(int cin, int kernel)
    {
        // integer-valued data: every product and sum is exact in float32, so the sparse kernels' summation order gives
        // the dense GEMMs' bits
        var g = ConvGeometry.Same(6, 6, cin, kernel);
        int n = 2, cout = 4, P = g.Positions;
        var x = TestData.Integers(n * g.InputSize, 12, 3); var wt = TestData.Integers(cout * g.PatchSize, 13, 3); var b = TestData.Integers(cout, 14, 3);
        var dy = TestData.Integers(n * P * cout, 15, 3);
        (float[] Dw, float[] Db, float[] Dx) Run(PerMapTopK? s)
        {
            var conv = Layer(g, cout, s, wt, b);
            var xt = Upload(backend, x, n, g.InputSize);
            conv.Forward(xt, Train);
            var dx = TestData.Host(backend, conv.Backward(Upload(backend, dy, n, P * cout))!);
            // a second step accumulates into the gradients (the non-zero-gradient path)
            conv.Forward(xt, Train);
            conv.Backward(Upload(backend, dy, n, P * cout));
            return (TestData.Host(backend, conv.Weight.Gradient), TestData.Host(backend, conv.Bias!.Gradient), dx);
        }
        var dense = Run(null);
        foreach (float decay in new[] { 0f, 0.6f })
        {
            var full = Run(new PerMapTopK(backend, 1f, decay));
            Assert.Equal(dense.Dw, full.Dw);
            Assert.Equal(dense.Db, full.Db);
            Assert.Equal(dense.Dx, full.Dx);
        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Im2ColWritesEveryEntryAndCol2ImStartsFromZero(int h, int w, int cin, int cout, int kernel, int stride, bool same)
    {
        // both outputs start as NaN (a cached tensor holds whatever it held): im2col writes every entry, the zero padding
        // too, and col2im sets its output to 0 before adding the columns back
        _ = cout;
        var g = Geometry(h, w, cin, kernel, stride, same);
        int n = 2, P = g.Positions, K = g.PatchSize;
        var x = TestData.Random(n * g.InputSize, 17);
        var cols = backend.Allocate(n * P, K);
        backend.Fill(cols, float.NaN);
        backend.Im2Col(Upload(backend, x, n, g.InputSize), g, cols);
        var got = TestData.Host(backend, cols);
        var want = new float[n * P * K];
        var back = new float[n * g.InputSize];   // col2im of want: each pixel times the number of windows that hold it
        for (int e = 0; e < n; e++)
            for (int oh = 0; oh < g.OutputHeight; oh++)
                for (int ow = 0; ow < g.OutputWidth; ow++)
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                        for (int kw = 0; kw < g.KernelWidth; kw++)
                        {
                            int ih = oh * g.Stride - g.PadTop + kh, iw = ow * g.Stride - g.PadLeft + kw;
                            if (ih < 0 || ih >= g.InputHeight || iw < 0 || iw >= g.InputWidth) continue;
                            for (int ci = 0; ci < g.InputChannels; ci++)
                            {
                                int pixel = e * g.InputSize + (ih * g.InputWidth + iw) * g.InputChannels + ci;
                                want[(e * P + oh * g.OutputWidth + ow) * K + (kh * g.KernelWidth + kw) * g.InputChannels + ci] = x[pixel];
                                back[pixel] += x[pixel];
                            }
                        }
        Assert.Equal(want, got);
        var dx = backend.Allocate(n, g.InputSize);
        backend.Fill(dx, float.NaN);
        backend.Col2Im(cols, g, dx);
        TestData.Close(back, TestData.Host(backend, dx), 1e-6f, "col2im");
    }

    [Theory]
    [InlineData(27)]   // rows of up to 64 floats: the backend's own register-blocked loop
    [InlineData(75)]   // longer rows: libmeprop's sparse kernel, which overwrites
    public void SparseWeightGradientFromStridedColumnsIsTheSumOfTheSelectedRows(int patch)
    {
        // im2col columns that are a view into a wider matrix (stride > K) take the CPU backend's other two paths
        int channels = 4, examples = 3, positions = 10, k = 3, rows = examples * positions, nk = examples * k;
        var rng = new Random(5);
        var idx = new int[channels * nk];
        for (int c = 0; c < channels; c++)
            for (int e = 0; e < examples; e++)
            {
                var ps = Enumerable.Range(0, positions).OrderBy(_ => rng.Next()).Take(k).Order().ToArray();
                for (int j = 0; j < k; j++) idx[c * nk + e * k + j] = e * positions + ps[j];
            }
        var val = TestData.Random(channels * nk, 6);
        val[3] = 0f;
        var wide = TestData.Random(rows * (patch + 5), 7);
        var indices = backend.AllocateIndices(channels, nk);
        backend.Upload(idx, indices);
        var cols = Upload(backend, wide, rows, patch + 5).ColumnSlice(2, patch);
        Assert.False(cols.IsContiguous);
        var sum = new float[channels * patch];
        for (int c = 0; c < channels; c++)
            for (int j = 0; j < nk; j++)
                for (int i = 0; i < patch; i++)
                    sum[c * patch + i] += val[c * nk + j] * wide[idx[c * nk + j] * (patch + 5) + 2 + i];
        var dw0 = TestData.Random(channels * patch, 8);
        foreach (bool accumulate in new[] { false, true })
        {
            var dw = Upload(backend, dw0, channels, patch);
            if (accumulate && patch > 64)
            {
                Assert.Throws<ArgumentException>(() => backend.ConvSparseBackwardWeightsFromColumns(indices, Upload(backend, val, channels, nk), cols, dw, accumulate));
                continue;
            }
            backend.ConvSparseBackwardWeightsFromColumns(indices, Upload(backend, val, channels, nk), cols, dw, accumulate);
            TestData.Close(accumulate ? dw0.Zip(sum, (a, b) => a + b).ToArray() : sum, TestData.Host(backend, dw), 1e-5f, $"dW (accumulate {accumulate})");
        }
        // an index past the im2col rows is refused, not read
        idx[channels * nk - 1] = rows;
        backend.Upload(idx, indices);
        var refused = Record.Exception(() => backend.ConvSparseBackwardWeightsFromColumns(indices, Upload(backend, val, channels, nk), cols, Upload(backend, dw0, channels, patch), false));
        Assert.True(refused is ArgumentOutOfRangeException or MePropNative.Bindings.MePropNativeException, $"{refused}");
        Assert.Contains($"{rows}", refused!.Message);
    }

    [Fact]
    public void ResultsDoNotDependOnTheManagedThreadCount()
    {
        // large enough for every kernel to split its work (examples or channels) over the threads
        var g = ConvGeometry.Same(14, 14, 16, 5);
        int n = 8, cout = 24, P = g.Positions;
        var x = TestData.Random(n * g.InputSize, 90); var wt = TestData.Random(cout * g.PatchSize, 91); var b = TestData.Random(cout, 92);
        float[][] Run(int threads)
        {
            int saved = CpuBackend.ManagedKernelThreads;
            CpuBackend.ManagedKernelThreads = threads;
            try
            {
                var selection = new PerMapTopK(backend, 0.1f, 0.6f);
                var conv = Layer(g, cout, selection, wt, b);
                var xt = Upload(backend, x, n, g.InputSize);
                float[] dx = [];
                for (int step = 0; step < 2; step++)
                {
                    conv.Forward(xt, Train);
                    dx = TestData.Host(backend, conv.Backward(Upload(backend, TestData.Random(n * P * cout, 93 + step), n, P * cout))!);
                }
                var y = TestData.Host(backend, conv.Forward(xt, Train));
                return [y, dx, TestData.Host(backend, conv.Weight.Gradient), TestData.Host(backend, conv.Bias!.Gradient), TestData.Host(backend, selection.Running!)];
            }
            finally { CpuBackend.ManagedKernelThreads = saved; }
        }
        var one = Run(1);
        var two = Run(2);
        for (int i = 0; i < one.Length; i++) Assert.Equal(one[i], two[i]);
    }

    [Fact]
    public void FirstLayerSkipsTheInputGradient()
    {
        var g = ConvGeometry.Same(5, 5, 1, 3);
        var conv = new Conv2d(backend, g, 2, new PerMapTopK(backend, 0.2f)) { ComputeInputGradient = false };
        conv.Forward(Upload(backend, TestData.Random(2 * 25, 16), 2, 25), Train);
        Assert.Null(conv.Backward(Upload(backend, TestData.Random(2 * conv.OutputSize, 17), 2, conv.OutputSize)));
        Assert.False(conv.Weight.GradientIsZero);
    }

    [Fact]
    public void AGeometryWhoseSizesDoNotFitIsRefused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ConvGeometry(4, 4, 1, 3, 3, 1, 0, 0, 100, 100));
        Assert.Contains("a 3 x 3 kernel at stride 1 with padding (0, 0) gives 1 to 4 x 4 outputs over a 4 x 4 input, not 100 x 100.", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvGeometry(4, 4, 1, 3, 3, 1, 3, 0, 4, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvGeometry(4, 4, 0, 3, 3, 1, 0, 0, 2, 2));
        Assert.Equal(ConvGeometry.Same(4, 4, 1, 3), new ConvGeometry(4, 4, 1, 3, 3, 1, 1, 1, 4, 4));
        Assert.Equal(ConvGeometry.Valid(7, 7, 2, 3, 2), new ConvGeometry(7, 7, 2, 3, 3, 2, 0, 0, 3, 3));
    }
}
