using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.Tests.Support;
using static MePropNative.Tests.Cnn.CnnTestSupport;

namespace MePropNative.Tests.Cnn;

public class PoolAndNormTests
{
    private readonly CpuBackend backend = new();

    [Theory]
    [InlineData(4, 6, 3)]
    [InlineData(5, 7, 10)]   // odd sizes (floor) and a channel tail
    public void MaxPoolMatchesTheHostReferenceAndFiniteDifferences(int h, int w, int c)
    {
        int n = 2, oh = h / 2, ow = w / 2;
        var x = TestData.Random(n * h * w * c, 20);
        var pool = new MaxPool2d(backend, h, w, c);
        var xt = Upload(backend, x, n, h * w * c);
        var y = TestData.Host(backend, pool.Forward(xt, Train));
        for (int e = 0; e < n; e++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        float m = float.NegativeInfinity;
                        for (int a = 0; a < 2; a++) for (int b = 0; b < 2; b++) m = MathF.Max(m, x[e * h * w * c + ((2 * i + a) * w + 2 * j + b) * c + ch]);
                        Assert.Equal(m, y[e * oh * ow * c + (i * ow + j) * c + ch]);
                    }
        var r = TestData.Random(y.Length, 21);
        var dx = TestData.Host(backend, pool.Backward(Upload(backend, r, n, oh * ow * c))!);
        double Loss() => Dot(TestData.Host(backend, pool.Forward(xt, StepContext.Inference)), r);
        CheckGradient("dx", x, v => backend.Upload(v, xt), Loss, dx, eps: 1e-3f);
    }

    [Fact]
    public void MaxPoolRoutesTiesToTheFirstMaximum()
    {
        var x = new float[] { 1, 5, 5, 5 };   // 2 x 2 x 1
        var pool = new MaxPool2d(backend, 2, 2, 1);
        pool.Forward(Upload(backend, x, 1, 4), Train);
        var dx = TestData.Host(backend, pool.Backward(Upload(backend, [3f], 1, 1))!);
        Assert.Equal(new float[] { 0, 3, 0, 0 }, dx);
    }

    [Fact]
    public void MaxPoolRoutesTiesToTheFirstMaximumInTheVectorAndTailChannels()
    {
        // every way two, three or four window elements can tie for the maximum; 11 channels (a vector of 8 and a tail of
        // 3) over four windows, the patterns rotated by three channels per window so that each reaches the tail too
        int[][] ties = [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3], [0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3], [0, 1, 2, 3]];
        int c = ties.Length, windows = 4, w = 2 * windows;
        int[] Tie(int window, int ch) => ties[(ch + 3 * window) % c];
        int At(int window, int e, int ch) => ((e / 2) * w + 2 * window + e % 2) * c + ch;   // window element e = (e / 2, e % 2)
        var x = new float[2 * w * c];
        for (int win = 0; win < windows; win++)
            for (int ch = 0; ch < c; ch++)
                for (int e = 0; e < 4; e++) x[At(win, e, ch)] = Tie(win, ch).Contains(e) ? 5f : -1f - e;
        var dy = Enumerable.Range(1, windows * c).Select(i => (float)i).ToArray();
        var pool = new MaxPool2d(backend, 2, w, c);
        pool.Forward(Upload(backend, x, 1, x.Length), Train);
        var dx = TestData.Host(backend, pool.Backward(Upload(backend, dy, 1, dy.Length))!);
        for (int win = 0; win < windows; win++)
            for (int ch = 0; ch < c; ch++)
                for (int e = 0; e < 4; e++)
                    Assert.True((e == Tie(win, ch)[0] ? dy[win * c + ch] : 0f) == dx[At(win, e, ch)],
                        $"window {win}, channel {ch}, element {e}: {dx[At(win, e, ch)]} (ties at {string.Join(", ", Tie(win, ch))})");
    }

    [Fact]
    public void MaxPoolBackwardWritesZeroWhereNoWindowReaches()
    {
        // odd sizes drop the last row and column: dx there is 0 whatever the tensor held before (a layer's cached dx
        // is reused across batches), and every window routes its gradient to one element
        int n = 2, h = 5, w = 7, c = 10, oh = h / 2, ow = w / 2;
        var xt = Upload(backend, TestData.Random(n * h * w * c, 22), n, h * w * c);
        var y = backend.Allocate(n, oh * ow * c);
        backend.MaxPool2x2(xt, h, w, c, y);
        var dy = TestData.Random(n * oh * ow * c, 23);
        var dx = backend.Allocate(n, h * w * c);
        backend.Fill(dx, float.NaN);
        backend.MaxPool2x2Backward(xt, y, Upload(backend, dy, n, oh * ow * c), h, w, c, dx);
        var d = TestData.Host(backend, dx);
        for (int e = 0; e < n; e++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        float v = d[((e * h + i) * w + j) * c + ch];
                        if (i >= 2 * oh || j >= 2 * ow) Assert.True(v == 0f, $"example {e}, ({i}, {j}), channel {ch}: {v} outside every window");
                        else Assert.False(float.IsNaN(v), $"example {e}, ({i}, {j}), channel {ch} not written");
                    }
        for (int e = 0; e < n; e++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        float sum = 0;
                        for (int a = 0; a < 2; a++) for (int b = 0; b < 2; b++) sum += d[((e * h + 2 * i + a) * w + 2 * j + b) * c + ch];
                        Assert.Equal(dy[((e * oh + i) * ow + j) * c + ch], sum);
                    }
    }

    [Theory]
    [InlineData(3, 4, 5)]    // conv-style: 3 examples x 4 positions, 5 channels
    [InlineData(6, 1, 11)]   // fc-style: one position, channel tail
    public void BatchNormGradientsMatchFiniteDifferences(int n, int positions, int c)
    {
        var x = TestData.Random(n * positions * c, 30, 2f);
        var bn = new BatchNorm(backend, c);
        var gamma = TestData.Random(c, 31); var beta = TestData.Random(c, 32);
        backend.Upload(gamma, bn.Gamma.Value); backend.Upload(beta, bn.Beta.Value);
        var xt = Upload(backend, x, n, positions * c);
        var r = TestData.Random(n * positions * c, 33);
        bn.Forward(xt, Train);
        var dx = TestData.Host(backend, bn.Backward(Upload(backend, r, n, positions * c))!);
        var dg = TestData.Host(backend, bn.Gamma.Gradient); var db = TestData.Host(backend, bn.Beta.Gradient);
        // the loss of a training-mode forward (batch statistics) as a function of x, gamma and beta
        double Loss() => Dot(TestData.Host(backend, bn.Forward(xt, Train)), r);
        CheckGradient("dx", x, v => backend.Upload(v, xt), Loss, dx, eps: 1e-3f);
        CheckGradient("dgamma", gamma, v => backend.Upload(v, bn.Gamma.Value), Loss, dg, eps: 1e-3f);
        CheckGradient("dbeta", beta, v => backend.Upload(v, bn.Beta.Value), Loss, db, eps: 1e-3f);
    }

    [Fact]
    public void BatchNormUsesBatchStatisticsInTrainingAndUnbiasedRunningEstimatesAtInference()
    {
        int n = 4, positions = 3, c = 2, m = n * positions;
        var x = TestData.Random(n * positions * c, 40, 3f);
        // an epsilon large enough to show in the outputs (1e-5 against variances near 3 does not)
        const float eps = 0.5f;
        var bn = new BatchNorm(backend, c, momentum: 0.25f, epsilon: eps);
        var xt = Upload(backend, x, n, positions * c);
        var y = TestData.Host(backend, bn.Forward(xt, Train));
        var mean = new double[c]; var var = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            mean[ch] = Enumerable.Range(0, m).Average(r => (double)x[r * c + ch]);
            var[ch] = Enumerable.Range(0, m).Average(r => Math.Pow(x[r * c + ch] - mean[ch], 2));
        }
        for (int r = 0; r < m; r++)
            for (int ch = 0; ch < c; ch++)
                Assert.Equal((x[r * c + ch] - mean[ch]) / Math.Sqrt(var[ch] + eps), y[r * c + ch], 4);
        var rm = TestData.Host(backend, bn.RunningMean); var rv = TestData.Host(backend, bn.RunningVariance);
        for (int ch = 0; ch < c; ch++)
        {
            Assert.Equal(0.25 * mean[ch], rm[ch], 5);
            Assert.Equal(0.75 * 1.0 + 0.25 * var[ch] * m / (m - 1), rv[ch], 5);
        }
        var yi = TestData.Host(backend, bn.Forward(xt, StepContext.Inference));
        for (int r = 0; r < m; r++)
            for (int ch = 0; ch < c; ch++)
                Assert.Equal((x[r * c + ch] - rm[ch]) / Math.Sqrt(rv[ch] + eps), yi[r * c + ch], 4);
    }

    [Fact]
    public void BatchNormParameterGradientsAccumulateUntilTheyAreConsumed()
    {
        // two backward passes without an optimizer step add up (like every layer's gradients); a gradient flagged zero
        // (an optimizer step consumed it, the buffer still holds it) starts again from 0 even while the other accumulates
        int n = 4, positions = 2, c = 11;
        var gamma = TestData.Random(c, 41);
        var x = TestData.Random(n * positions * c, 42, 2f);
        var r1 = TestData.Random(n * positions * c, 43); var r2 = TestData.Random(n * positions * c, 44);
        BatchNorm Make()
        {
            var b = new BatchNorm(backend, c);
            backend.Upload(gamma, b.Gamma.Value);
            return b;
        }
        void Pass(BatchNorm b, float[] r)
        {
            b.Forward(Upload(backend, x, n, positions * c), Train);
            b.Backward(Upload(backend, r, n, positions * c));
        }
        (float[] G, float[] B) Gradients(BatchNorm b) => (TestData.Host(backend, b.Gamma.Gradient), TestData.Host(backend, b.Beta.Gradient));
        (float[] G, float[] B) Once(float[] r) { var b = Make(); Pass(b, r); return Gradients(b); }
        var one = Once(r1); var two = Once(r2);
        float[] Sum(float[] a, float[] b) => a.Zip(b, (u, v) => u + v).ToArray();

        var bn = Make();
        Pass(bn, r1);
        Pass(bn, r2);
        var both = Gradients(bn);
        TestData.Close(Sum(one.G, two.G), both.G, 1e-5f, "dgamma");
        TestData.Close(Sum(one.B, two.B), both.B, 1e-5f, "dbeta");

        bn.Gamma.GradientIsZero = true;
        Pass(bn, r1);
        var g = Gradients(bn);
        TestData.Close(one.G, g.G, 1e-5f, "dgamma after it was consumed");
        TestData.Close(Sum(both.B, one.B), g.B, 1e-5f, "dbeta, still accumulating");

        bn.Beta.GradientIsZero = true;
        Pass(bn, r2);
        g = Gradients(bn);
        TestData.Close(Sum(one.G, two.G), g.G, 1e-5f, "dgamma, accumulating again");
        TestData.Close(two.B, g.B, 1e-5f, "dbeta after it was consumed");
    }
}
