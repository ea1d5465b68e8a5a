using MePropNative.Bindings;
using MePropNative.Tests.Support;

namespace MePropNative.Tests.Bindings;

[Collection(nameof(ThreadCountCollection))]
public class SparseBackwardTests
{
    [Theory]
    [InlineData(1, 10, 7, 1)]
    [InlineData(100, 500, 784, 20)]
    [InlineData(3, 33, 17, 33)]
    [InlineData(600, 2000, 20, 10)] // 6000 pairs: more than one round of the native on-stack grouping
    public void MatchesDenseBackwardOfTheMaskedGradient(int batch, int n, int m, int k)
    {
        var random = new Random(batch + n + m + k);
        float[] dy = Reference.RandomMatrix(random, batch * n);
        float[] w = Reference.RandomMatrix(random, n * m);
        float[] x = Reference.RandomMatrix(random, batch * m);
        int[] idx = new int[batch * k];
        float[] val = new float[batch * k];
        Kernels.TopKAbsRows(dy, batch, n, n, k, idx, k, val, k);

        float[] masked = new float[batch * n];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < k; t++) masked[b * n + idx[b * k + t]] = val[b * k + t];

        float[] dx = Reference.Filled(batch * m, float.NaN);
        Kernels.SparseBackwardDx(batch, n, m, k, idx, k, val, k, w, m, dx, m);
        double[] expectedDx = Reference.Gemm(false, false, batch, m, n, masked, w);
        for (int i = 0; i < dx.Length; i++) Assert.Equal(expectedDx[i], dx[i], 1e-3);

        float[] dw = Reference.Filled(n * m, 0.5f);
        Kernels.SparseBackwardDw(batch, n, m, k, idx, k, val, k, x, m, dw, m);
        double[] expectedDw = Reference.Gemm(true, false, n, m, batch, masked, x);
        for (int i = 0; i < dw.Length; i++) Assert.Equal(expectedDw[i] + 0.5, dw[i], 1e-3);
    }

    [Fact]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        var random = new Random(3);
        const int batch = 64, n = 300, m = 200, k = 15;
        int[] idx = new int[batch * k];
        float[] val = Reference.RandomMatrix(random, batch * k);
        for (int b = 0; b < batch; b++)
        {
            int[] row = Enumerable.Range(0, n).OrderBy(_ => random.Next()).Take(k).Order().ToArray();
            row.CopyTo(idx, b * k);
        }
        float[] x = Reference.RandomMatrix(random, batch * m);
        int before = MePropLibrary.NumThreads;
        try
        {
            float[] one = new float[n * m], two = new float[n * m];
            MePropLibrary.NumThreads = 1;
            Kernels.SparseBackwardDw(batch, n, m, k, idx, k, val, k, x, m, one, m);
            MePropLibrary.NumThreads = 2;
            Kernels.SparseBackwardDw(batch, n, m, k, idx, k, val, k, x, m, two, m);
            Assert.Equal(one, two);
        }
        finally { MePropLibrary.NumThreads = before; }
    }

    [Fact]
    public void ACallerWorkspaceTooSmallIsAnErrorNamingIt()
    {
        const int batch = 4, n = 50, m = 3, k = 5;
        int[] idx = [.. Enumerable.Range(0, batch).SelectMany(_ => Enumerable.Range(0, k))];
        float[] val = new float[batch * k], x = new float[batch * m], dw = new float[n * m];
        long need = Kernels.SparseBackwardDwWorkspaceSize(batch, n, k);
        Assert.True(need >= 4 * (n + 1) + 8 * batch * k);
        var ex = Assert.Throws<MePropNativeException>(() =>
            Kernels.SparseBackwardDw(batch, n, m, k, idx, k, val, k, x, m, dw, m, new byte[need - 1]));
        Assert.Contains("workspace_bytes", ex.Message);
        Kernels.SparseBackwardDw(batch, n, m, k, idx, k, val, k, x, m, dw, m, new byte[need]);
    }

    [Theory]
    [InlineData(100, 500, 784, 20)]
    [InlineData(2, 9, 5, 3)]
    public void TheFusedCallEqualsTheSeparateCalls(int batch, int n, int m, int k)
    {
        var random = new Random(n + k);
        float[] dy = Reference.RandomMatrix(random, batch * n), w = Reference.RandomMatrix(random, n * m), x = Reference.RandomMatrix(random, batch * m);
        int[] idx = new int[batch * k];
        float[] val = new float[batch * k];
        Kernels.TopKAbsRows(dy, batch, n, n, k, idx, k, val, k);
        float[] dx1 = new float[batch * m], dw1 = Reference.Filled(n * m, 0.25f), dx2 = Reference.Filled(batch * m, float.NaN), dw2 = Reference.Filled(n * m, 0.25f);
        Kernels.SparseBackwardDx(batch, n, m, k, idx, k, val, k, w, m, dx1, m);
        Kernels.SparseBackwardDw(batch, n, m, k, idx, k, val, k, x, m, dw1, m);
        Kernels.SparseBackward(batch, n, m, k, idx, k, val, k, w, m, dx2, m, x, m, dw2, m);
        Assert.Equal(dx1, dx2);
        Assert.Equal(dw1, dw2);
        float[] dw3 = Reference.Filled(n * m, 0.25f);
        Kernels.SparseBackward(batch, n, m, k, idx, k, val, k, default, 0, default, 0, x, m, dw3, m);
        Assert.Equal(dw1, dw3);
    }
}
