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
        var bn = new BatchNorm(backend, c, momentum: 0.25f, epsilon: 1e-5f);
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
                Assert.Equal((x[r * c + ch] - mean[ch]) / Math.Sqrt(var[ch] + 1e-5), y[r * c + ch], 4);
        var rm = TestData.Host(backend, bn.RunningMean); var rv = TestData.Host(backend, bn.RunningVariance);
        for (int ch = 0; ch < c; ch++)
        {
            Assert.Equal(0.25 * mean[ch], rm[ch], 5);
            Assert.Equal(0.75 * 1.0 + 0.25 * var[ch] * m / (m - 1), rv[ch], 5);
        }
        var yi = TestData.Host(backend, bn.Forward(xt, StepContext.Inference));
        for (int r = 0; r < m; r++)
            for (int ch = 0; ch < c; ch++)
                Assert.Equal((x[r * c + ch] - rm[ch]) / Math.Sqrt(rv[ch] + 1e-5), yi[r * c + ch], 4);
    }
}
