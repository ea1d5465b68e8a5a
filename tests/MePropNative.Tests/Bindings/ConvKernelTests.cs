using MePropNative.Bindings;

namespace MePropNative.Tests.Bindings;

/// <summary>The meProp-CNN kernels through the bindings: per-map top-k, sparse conv dW and dx, against plain C#
/// references (per-map sort, explicit im2col), and their argument errors.</summary>
public class ConvKernelTests
{
    [Theory]
    [InlineData(3, 49, 5, 3, 0f)]
    [InlineData(2, 784, 32, 40, 0f)]
    [InlineData(4, 196, 13, 10, 0.6f)]
    [InlineData(1, 7, 1, 7, 0.3f)]
    public void PerMapTopKMatchesThePerMapReference(int batch, int positions, int channels, int k, float decay)
    {
        var random = new Random(batch * 1000 + positions + channels);
        int lddy = positions * channels + 3, nk = batch * k;
        float[] dy = Reference.RandomMatrix(random, batch * lddy);
        for (int i = 0; i < dy.Length; i++) if (random.Next(4) != 0) dy[i] = 0f;   // mostly zeros, as behind ReLU and pooling
        float[] running = Enumerable.Range(0, positions * channels).Select(_ => (float)random.NextDouble()).ToArray();
        float[] before = (float[])running.Clone();
        int[] idx = new int[channels * nk];
        float[] val = new float[channels * nk];
        Kernels.TopKAbsPerMap(dy, batch, positions, channels, lddy, k, running, decay, idx, nk, val, nk);
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
            {
                var score = new float[positions];
                for (int p = 0; p < positions; p++)
                {
                    float v = dy[n * lddy + p * channels + c];
                    score[p] = decay > 0 ? decay * before[c * positions + p] + (1f - decay) * MathF.Abs(v) : v;
                }
                int[] want = Reference.TopKAbs(score, k);
                for (int t = 0; t < k; t++)
                {
                    Assert.Equal(n * positions + want[t], idx[c * nk + n * k + t]);
                    Assert.Equal(dy[n * lddy + want[t] * channels + c], val[c * nk + n * k + t]);
                }
            }
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < positions; p++)
            {
                float sum = 0f;
                for (int n = 0; n < batch; n++) sum += MathF.Abs(dy[n * lddy + p * channels + c]);
                float want = decay > 0 ? decay * before[c * positions + p] + (1f - decay) / batch * sum : before[c * positions + p];
                Assert.Equal(want, running[c * positions + p], 1e-6f);
            }
    }

    private static ConvShape Same(int h, int w, int c, int kernel) => new(h, w, c, kernel, kernel, 1, (kernel - 1) / 2, (kernel - 1) / 2, h, w);

    [Theory]
    [InlineData(28, 28, 1, 5, 4, 40)]
    [InlineData(14, 14, 32, 5, 6, 10)]
    [InlineData(6, 5, 3, 3, 2, 30)]
    public void SparseConvGradientsMatchTheIm2ColReference(int h, int w, int cin, int kernel, int channels, int k)
    {
        var g = Same(h, w, cin, kernel);
        int batch = 3, P = (int)g.Positions, K = (int)g.PatchSize, image = (int)g.InputSize, nk = batch * k;
        var random = new Random(h * w + cin);
        float[] x = Reference.RandomMatrix(random, batch * image), wt = Reference.RandomMatrix(random, channels * K);
        int[] idx = new int[channels * nk];
        float[] val = new float[channels * nk];
        for (int c = 0; c < channels; c++)
            for (int n = 0; n < batch; n++)
            {
                int[] pick = Enumerable.Range(0, P).OrderBy(_ => random.Next()).Take(k).Order().ToArray();
                for (int t = 0; t < k; t++) { idx[c * nk + n * k + t] = n * P + pick[t]; val[c * nk + n * k + t] = (float)random.NextDouble() - 0.5f; }
            }
        var dw = new float[channels * K];
        var dx = new float[batch * image];
        Kernels.ConvSparseWeightGradient(g, batch, channels, k, idx, nk, val, nk, x, image, dw, K, accumulate: false);
        Kernels.ConvSparseInputGradient(g, batch, channels, k, idx, nk, val, nk, wt, K, dx, image);
        var wantDw = new double[channels * K];
        var wantDx = new double[batch * image];
        for (int c = 0; c < channels; c++)
            for (int j = 0; j < nk; j++)
            {
                int n = j / k, p = idx[c * nk + j] - n * P, oh = p / g.OutputWidth, ow = p % g.OutputWidth;
                for (int kh = 0; kh < kernel; kh++)
                    for (int kw = 0; kw < kernel; kw++)
                    {
                        int ih = oh - g.PadTop + kh, iw = ow - g.PadLeft + kw;
                        if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                        for (int ci = 0; ci < cin; ci++)
                        {
                            int f = (kh * kernel + kw) * cin + ci, pix = n * image + (ih * w + iw) * cin + ci;
                            wantDw[c * K + f] += (double)val[c * nk + j] * x[pix];
                            wantDx[pix] += (double)val[c * nk + j] * wt[c * K + f];
                        }
                    }
            }
        for (int i = 0; i < dw.Length; i++) Assert.Equal(wantDw[i], dw[i], 1e-4);
        for (int i = 0; i < dx.Length; i++) Assert.Equal(wantDx[i], dx[i], 1e-4);
    }

    [Fact]
    public void BadArgumentsAreRejectedBeforeNativeCode()
    {
        var g = Same(6, 6, 2, 3);
        int batch = 2, channels = 3, k = 4, nk = batch * k, K = (int)g.PatchSize, image = (int)g.InputSize;
        int[] idx = new int[channels * nk];
        float[] val = new float[channels * nk], x = new float[batch * image], dw = new float[channels * K];
        for (int c = 0; c < channels; c++)
            for (int j = 0; j < nk; j++) idx[c * nk + j] = (j / k) * 36 + j % k;
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Kernels.ConvSparseWeightGradient(g, batch, channels, 37, idx, nk, val, nk, x, image, dw, K, false)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() =>
            Kernels.ConvSparseWeightGradient(g, batch, channels, k, idx, nk, val, nk, x.AsSpan(1), image, dw, K, false)).ParamName);
        Assert.Equal("weightGradient", Assert.Throws<ArgumentException>(() =>
            Kernels.ConvSparseWeightGradient(g, batch, channels, k, idx, nk, val, nk, x, image, dw.AsSpan(1), K, false)).ParamName);
        Assert.Equal("indices", Assert.Throws<ArgumentException>(() =>
            Kernels.ConvSparseInputGradient(g, batch, channels, k, idx.AsSpan(1), nk, val, nk, dw, K, x, image)).ParamName);
        Assert.Equal("decay", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Kernels.TopKAbsPerMap(x, batch, 36, 2, image, 3, new float[72], 1f, new int[2 * 6], 6, new float[2 * 6], 6)).ParamName);
        Assert.Equal("running", Assert.Throws<ArgumentException>(() =>
            Kernels.TopKAbsPerMap(x, batch, 36, 2, image, 3, new float[71], 0.5f, new int[2 * 6], 6, new float[2 * 6], 6)).ParamName);
        // an index outside its example's block: the native check names it, nothing is written
        idx[1 * nk + 5] = 0;   // example 1's entry pointing into example 0
        Array.Fill(dw, 7f);
        var e = Assert.Throws<MePropNativeException>(() => Kernels.ConvSparseWeightGradient(g, batch, channels, k, idx, nk, val, nk, x, image, dw, K, false));
        Assert.Contains("idx[1 * ldi + 5]", e.Message);
        Assert.All(dw, v => Assert.Equal(7f, v));
    }
}
